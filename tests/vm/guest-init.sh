#!/bin/busybox sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# /init of the test guest. Runs numaguard on every capture path, makes the
# same calls on each, and ships what happened to the host over the second
# serial port (/dev/ttyS1) as framed, gzip+base64 sections; the verdict is
# reached on the host, because the guest has no python and qemu's exit
# status says nothing about what happened inside.
#
# Frame: "@@NG-BEGIN <name>", base64 of the gzipped content, "@@NG-END <name>".
# "@@NG-DONE" closes the stream; a missing one means the guest died midway.

/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
	mount -t tracefs tracefs /sys/kernel/debug/tracing
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup

OUT=/dev/ttyS1
# Raw, so that the line discipline does not turn \n into \r\n or eat bytes.
stty -F $OUT raw -echo 2>/dev/null

section() { # NAME FILE
	echo "@@NG-BEGIN $1" >$OUT
	gzip -c "$2" | base64 >$OUT
	echo "@@NG-END $1" >$OUT
}

# The calls every path sees, one "label<TAB>JSON" line each. The cases are
# those of the host integration test plus what needs two nodes, a cpuset and
# the i386 ABI.
calls() {
	for c in "bind0 2 65 0" "bind1 2 65 1" "bind01 2 65 0,1" "badmode 99 65 0" \
		"efault 2 65 bad" "static 0x8002 65 1" "relative 0x4002 65 1" \
		"interleave 3 65 0,1" "preferred 1 65 1" "local 4 0 -" "default 0 0 -" \
		"hi32 0x100000002 65 1" "offbyone 2 1 0" "prefmany 5 65 0,1" \
		"weighted 6 65 0,1"; do
		set -- $c
		printf '%s\t%s\n' "$1" "$(ng-trigger call "$2" "$3" "$4")"
	done
	printf 'seccomp\t%s\n' "$(ng-trigger seccomp 2 65 1)"
	# A child cgroup confined to node 0: BIND to node 1 lies outside it.
	printf 'cpuset\t%s\n' "$(sh -c "echo \$\$ >/sys/fs/cgroup/ng-node0/cgroup.procs &&
		exec ng-trigger call 2 65 1")"
	printf 'compat_bind1\t%s\n' "$(ng-compat-call 2 65 1)"
	printf 'compat_interleave\t%s\n' "$(ng-compat-call 3 65 0,1)"
	printf 'compat_badmode\t%s\n' "$(ng-compat-call 99 65 0)"
	printf 'compat_denied\t%s\n' \
		"$(numaguard exec --policy /etc/numaguard/deny-bind.yaml -- ng-compat-call 2 65 1)"
	printf 'loop\t%s\n' "$(ng-trigger loop 1000)"
	printf 'race\t%s\n' "$(ng-trigger race 500)"
}

run_path() { # PATH
	p=$1
	numaguard run --attach "$p" --all-events --output "file:/tmp/$p.events" \
		>/dev/null 2>"/tmp/$p.err" &
	pid=$!
	# Loading BPF under emulation takes up to a minute (6.1's verifier);
	# wait for the sensor to say it is capturing.
	i=0
	while [ $i -lt 1500 ] && kill -0 $pid 2>/dev/null &&
		! grep -q "numaguard: capturing" "/tmp/$p.err"; do
		sleep 0.1
		i=$((i + 1))
	done
	# The calls run even when the sensor could not start: what the kernel
	# returned (compat ABI, seccomp, modes it lacks) is checked all the same.
	echo "numaguard-vm: $p: sensor $(grep -o 'capturing set_mempolicy with [a-z-]*' \
		"/tmp/$p.err" || echo 'not started'); making the calls" >/dev/console
	calls >"/tmp/$p.calls" 2>&1
	echo "numaguard-vm: $p: stopping the sensor" >/dev/console
	sleep 0.3
	kill -INT $pid 2>/dev/null
	# SIGINT also interrupts a load still in the verifier; KILL is the backstop.
	i=0
	while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL $pid 2>/dev/null
	wait $pid
	echo $? >"/tmp/$p.rc"
	touch "/tmp/$p.events"
	for f in err calls events rc; do
		section "$p.$f" "/tmp/$p.$f"
	done
}

uname -r >/tmp/uname
cat /sys/devices/system/node/online >/tmp/nodes
section uname /tmp/uname
section nodes /tmp/nodes
# Loading BPF is the slow part under emulation (the verifier), so every step
# that loads has a time limit: a verifier blow-up is reported, not waited out.
timeout 240 numaguard probe --json >/tmp/probe 2>&1
section probe /tmp/probe
# Every program on its own, with the verifier's cost, or its whole log for a
# rejected one. It verifies everything again, so it runs only when a path
# did not load, or when asked for the costs (ng.verify on the command line).
if grep -q '"available":false,"reason"' /tmp/probe || grep -q 'ng.verify' /proc/cmdline; then
	timeout 240 ng-bpf-verify /lib/numaguard/numaguard.bpf.o >/tmp/verify 2>&1 ||
		echo "ng-bpf-verify: exit status $?" >>/tmp/verify
	section verify /tmp/verify
fi

echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p /sys/fs/cgroup/ng-node0
echo 0 >/sys/fs/cgroup/ng-node0/cpuset.mems

for p in kretprobe fexit tracepoint raw auto; do
	echo "numaguard-vm: attach $p" >/dev/console
	run_path $p
done

# With ng.bench (bench/vm-syscall-tax.sh): what each path costs a syscall it
# does not capture, as a getppid loop with no sensor and under each path,
# rounds interleaved. Timed by the guest's clock under emulation, so only
# the ratios within one run mean anything.
if grep -q 'ng.bench' /proc/cmdline && [ -x /bin/ng-loadgen ]; then
	for round in 1 2 3 4 5; do
		for cfg in none fexit kretprobe tracepoint; do
			pid=
			if [ $cfg != none ]; then
				numaguard run --attach $cfg >/dev/null 2>/tmp/bench.err &
				pid=$!
				i=0
				while [ $i -lt 1500 ] && kill -0 $pid 2>/dev/null &&
					! grep -q "numaguard: capturing" /tmp/bench.err; do
					sleep 0.1
					i=$((i + 1))
				done
			fi
			echo "numaguard-vm: bench round $round: $cfg" >/dev/console
			printf '%s %s %s\n' $cfg $round "$(ng-loadgen --mode getppid --calls 200000)" \
				>>/tmp/bench
			if [ -n "$pid" ]; then
				kill -INT $pid 2>/dev/null
				wait $pid
			fi
		done
	done
	section bench /tmp/bench
fi
echo "@@NG-DONE" >$OUT
sync
poweroff -f
