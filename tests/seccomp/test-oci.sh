#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# OCI profiles: the shape the runtime-spec (config-linux.md, linux.seccomp)
# requires, for every shipped policy; then the deny-bind profile enforced by
# runc on a busybox container, with real set_mempolicy calls inside it.
#
#   test-oci.sh MPOL_CALL_STATIC      (env: NUMAGUARD, NUMAGUARD_SRCDIR)
set -u

trigger=$1
n=0
failed=0
work=$(mktemp -d /tmp/ng-oci.XXXXXX)
trap 'rm -rf "$work"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

if ! command -v jq >/dev/null 2>&1; then
	echo "1..0 # SKIP jq is not installed (Debian package jq)"
	exit 77
fi

# The schema, as jq: required keys, types, SCMP_ names, valueTwo with MASKED_EQ.
shape='
def scmp_act: type == "string" and test("^SCMP_ACT_(KILL|KILL_PROCESS|KILL_THREAD|TRAP|ERRNO|TRACE|ALLOW|LOG|NOTIFY)$");
def arg_ok: type == "object"
	and (.index | type == "number" and . >= 0 and . <= 5 and floor == .)
	and (.value | type == "number" and . >= 0 and floor == .)
	and (.op | type == "string" and test("^SCMP_CMP_(NE|LT|LE|EQ|GE|GT|MASKED_EQ)$"))
	and (if .op == "SCMP_CMP_MASKED_EQ" then (.valueTwo | type == "number" and . >= 0) else true end)
	and ((keys - ["index", "value", "valueTwo", "op"]) == []);
(.defaultAction | scmp_act)
and (.architectures | type == "array" and length > 0 and all(.[]; type == "string" and test("^SCMP_ARCH_[A-Z0-9_]+$")))
and (.syscalls | type == "array" and length > 0 and all(.[];
	(.names | type == "array" and length > 0 and all(.[]; type == "string"))
	and (.action | scmp_act)
	and (.action != $top.defaultAction)
	and (if .action == "SCMP_ACT_ERRNO" then (.errnoRet | type == "number" and . > 0) else true end)
	and ((.args // []) | type == "array" and all(.[]; arg_ok))
	and ((keys - ["names", "action", "errnoRet", "args", "comment"]) == [])))
'

for p in "$NUMAGUARD_SRCDIR"/policies/*.yaml; do
	name=$(basename "$p" .yaml)
	if ! "$NUMAGUARD" seccomp generate --policy "$p" --format oci -o "$work/$name.json" 2>"$work/err"; then
		not_ok "generate OCI for $name: $(cat "$work/err")"
		continue
	fi
	if jq -e --slurpfile top "$work/$name.json" "\$top[0] as \$top | $shape" "$work/$name.json" >/dev/null; then
		ok "OCI profile of $name has the runtime-spec shape"
	else
		not_ok "OCI profile of $name has the runtime-spec shape"
		sed 's/^/# /' "$work/$name.json"
	fi
done

# The recipe itself: mask in value, mode in valueTwo, never plain equality on arg 0.
if jq -e '[.syscalls[].args[] | select(.index == 0)] | all(.op == "SCMP_CMP_MASKED_EQ")
	and any(.value == 4294909951 and .valueTwo == 2)' "$work/deny-bind.json" >/dev/null; then
	ok "deny-bind tests the mode with (arg0 & 0xFFFF1FFF) == MPOL_BIND"
else
	not_ok "deny-bind tests the mode with (arg0 & 0xFFFF1FFF) == MPOL_BIND"
fi

# runc on a minimal rootfs.
runc_reason=""
if ! command -v runc >/dev/null 2>&1; then
	runc_reason="runc is not installed (Debian package runc)"
elif [ ! -x /bin/busybox ] && ! command -v busybox >/dev/null 2>&1; then
	runc_reason="busybox is not installed (Debian package busybox-static)"
elif [ "$(id -u)" != 0 ]; then
	runc_reason="runc needs root to create containers here"
elif [ ! -x "$trigger" ]; then
	runc_reason="no statically linked trigger was built (sanitizer build, or no static glibc)"
fi

cases="2:EPERM 0x8002:EPERM 0x4002:EPERM 0x100000002:EPERM 3:ok 1:ok"
if [ -n "$runc_reason" ]; then
	for c in $cases; do skip "runc: mode ${c%%:*}" "$runc_reason"; done
else
	bundle="$work/bundle"
	mkdir -p "$bundle/rootfs/bin"
	cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
	cp "$trigger" "$bundle/rootfs/bin/mpol-call"
	(cd "$bundle" && runc spec) || runc_reason="runc spec failed"
	probe_out=""
	if [ -z "$runc_reason" ]; then
		# A container without the profile first: if runc cannot run one here, say why and skip.
		jq '.process.terminal = false | .root.readonly = true | .process.args = ["/bin/mpol-call", "0", "0"]' \
			"$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
		probe_out=$(cd "$bundle" && timeout 60 runc run "ng-oci-probe-$$" 2>&1)
		if [ "$probe_out" != "ok" ]; then
			runc_reason="runc cannot run a container here: $(echo "$probe_out" | tr '\n' ' ')"
		fi
	fi
	if [ -n "$runc_reason" ]; then
		for c in $cases; do skip "runc: mode ${c%%:*}" "$runc_reason"; done
	else
		i=0
		for c in $cases; do
			i=$((i + 1))
			mode=${c%%:*}
			want=${c#*:}
			jq --slurpfile s "$work/deny-bind.json" --arg m "$mode" \
				'.linux.seccomp = $s[0] | .process.args = ["/bin/mpol-call", $m, "2", "0"]' \
				"$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"
			got=$(cd "$bundle" && timeout 60 runc run "ng-oci-$$-$i" 2>&1)
			if [ "$got" = "$want" ]; then
				ok "runc with the deny-bind profile: mode $mode -> $want"
			else
				not_ok "runc with the deny-bind profile: mode $mode -> got '$got', want $want"
			fi
		done
	fi
fi

echo "1..$n"
exit $failed
