#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Command-line tests of `numaguard rules check|list` and `numaguard replay` (TAP)."""
import json
import os
import subprocess
import sys
import tempfile

EXE = os.environ["NUMAGUARD"]
SRC = os.environ["NUMAGUARD_SRCDIR"]
results = []


def check(ok, desc):
    results.append((bool(ok), desc))


def run(*args, stdin=None):
    return subprocess.run([EXE, *args], input=stdin, capture_output=True, timeout=120)


def main():
    tmp = tempfile.mkdtemp()
    bad = os.path.join(tmp, "bad.yaml")
    with open(bad, "w") as f:
        f.write("- rule: r\n  desc: d\n  output: o\n  priority: info\n"
                "  condition: proc.nmae = x\n  vaule: 1\n")
    good = os.path.join(tmp, "good.yaml")
    with open(good, "w") as f:
        f.write("- rule: local\n  id: LOCAL-1\n  desc: d\n  output: 'pid %proc.pid'\n"
                "  priority: error\n  condition: proc.pid = 4242\n"
                "- list: user_numa_applications\n  items: [app]\n  override: {items: append}\n")

    p = run("rules", "check", bad)
    out = p.stdout.decode()
    check(p.returncode == 1, "rules check: exit 1 on an error")
    check(bad + ":5:14: error: rule 'r': unknown field 'proc.nmae' (did you mean 'proc.name'?)"
          in out, "rules check: FILE:LINE:COL: error: item: message")
    check(bad + ":6:3: warning: rule 'r': unknown key 'vaule'" in out, "rules check: warnings")
    p = run("rules", "check", "--json", bad)
    doc = json.loads(p.stdout)
    check(p.returncode == 1 and doc["errors"] == 1 and doc["warnings"] == 1,
          "rules check --json: counts")
    d = [x for x in doc["diagnostics"] if x["severity"] == "error"][0]
    check(d == {"file": bad, "line": 5, "col": 14, "severity": "error", "item": "rule 'r'",
                "message": "unknown field 'proc.nmae' (did you mean 'proc.name'?)"},
          "rules check --json: one object per diagnostic")
    p = run("rules", "check", good)
    check(p.returncode == 0 and p.stdout == b"", "rules check: a good file, exit 0, silent")
    p = run("rules", "check", "--no-default-rules", os.path.join(SRC, "rules", "numaguard_rules.yaml"))
    check(p.returncode == 0 and p.stdout == b"", "rules check: the shipped file on its own")
    p = run("rules", "check", "--no-default-rules", good)
    check(p.returncode == 1 and b"cannot override list 'user_numa_applications'" in p.stdout,
          "rules check: overriding a missing list is an error")
    p = run("rules", "check", os.path.join(tmp, "missing.yaml"))
    check(p.returncode == 1 and b"cannot read rules file: No such file or directory" in p.stdout,
          "rules check: unreadable file")
    p = run("rules", "check")
    check(p.returncode == 1 and b"no rule file given" in p.stderr, "rules check: no file is usage")

    p = run("rules", "list", "--rules", good, "--json")
    rules = json.loads(p.stdout)
    check(p.returncode == 0 and rules[-1]["id"] == "LOCAL-1" and rules[-1]["priority"] == "Error"
          and rules[0]["id"] == "NG-0001", "rules list --json: defaults then user rules")
    p = run("rules", "list", "--no-default-rules", "--rules", good)
    check(p.returncode == 1 and b"the rules have errors" in p.stderr,
          "rules list: refuses rules with errors")
    p = run("rules", "list")
    lines = p.stdout.decode().splitlines()
    check(lines[0].split() == ["ID", "VERSION", "PRIORITY", "ENABLED", "NAME"] and
          lines[1].startswith("NG-0001"), "rules list: table")
    p = run("rules", "list", "--fields", "--json")
    check(len(json.loads(p.stdout)) >= 40, "rules list --fields")
    for v in (["rules", "--help"], ["replay", "--help"], ["rules", "check", "--help"]):
        p = run(*v)
        check(p.returncode == 0 and b"Usage: numaguard" in p.stdout, " ".join(v))

    # replay: bad lines are reported with their number, skipped and counted
    ev = open(os.path.join(SRC, "rules", "tests", "NG-0004.jsonl"), "rb").read().splitlines()
    stream = b"\n".join([ev[0], b"{not json", b"", b"x" * (2 << 20), b"{\"event\":{}}\x00",
                         ev[1], b'{"event":{"proc":{"pid":-5}}}']) + b"\n"
    p = run("replay", "-", stdin=stream)
    err = p.stderr.decode()
    check(p.returncode == 1, "replay: exit 1 when a line is bad")
    check("-:2: bad event: offset 1: expected a string for a key" in err, "replay: line 2 reported")
    check("-:4: bad event: line longer than 1 MiB" in err, "replay: a 2 MiB line is refused")
    check("-:5: bad event: NUL byte" in err, "replay: NUL byte")
    check("-:7: bad event: offset 24: proc.pid must not be negative" in err, "replay: line 7")
    check("replay: 7 lines, 2 events, 4 bad lines" in err, "replay: summary line")
    alerts = [json.loads(l) for l in p.stdout.splitlines()]
    check([a["rule_id"] for a in alerts] == ["NG-0004", "NG-0007", "NG-0004"],
          "replay: alerts from the good lines, in order")
    check([a["seq"] for a in alerts] == [1, 2, 3], "replay: seq numbers")
    p = run("replay", "--rules", good, os.path.join(SRC, "rules", "tests", "NG-0004.jsonl"))
    ids = [json.loads(l)["rule_id"] for l in p.stdout.splitlines()]
    check(p.returncode == 0 and "LOCAL-1" in ids and "NG-0007" not in ids,
          "replay --rules: user rules and overrides apply")
    p = run("replay", "--no-default-rules", "--rules", bad, "-", stdin=b"")
    check(p.returncode == 1 and b"unknown field 'proc.nmae'" in p.stderr,
          "replay: rule errors stop it")
    p = run("replay", os.path.join(tmp, "none.jsonl"))
    check(p.returncode == 1 and b"cannot open" in p.stderr, "replay: missing events file")

    print("1..%d" % len(results))
    for n, (ok, desc) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
