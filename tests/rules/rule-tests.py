#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Offline tests of the shipped rules.

Every rules/tests/<ID>.jsonl file is a replay input: each line is an event in
the `run --all-events` shape plus an "expect" key listing exactly the rule ids
that must fire for that event (and optionally "expect_suppressed": the count
an alert must report for throttled repeats). The file is replayed through
`numaguard replay` with the embedded default rules, and the alerts are matched
to events by time (each event in a file has its own). Every file must contain
an event that fires its rule and one that does not. Output is TAP.
"""
import json
import os
import subprocess
import sys


def main():
    exe = os.environ["NUMAGUARD"]
    tests_dir = os.path.join(os.environ["NUMAGUARD_SRCDIR"], "rules", "tests")
    listing = json.loads(subprocess.run([exe, "rules", "list", "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    shipped = {r["id"] for r in listing}
    files = sorted(f for f in os.listdir(tests_dir) if f.endswith(".jsonl"))
    results = []

    covered = {f[:-len(".jsonl")] for f in files}
    for rid in sorted(shipped):
        results.append((rid in covered, "rule %s has a test file" % rid))

    for name in files:
        rid = name[:-len(".jsonl")]
        path = os.path.join(tests_dir, name)
        with open(path) as f:
            lines = [json.loads(l) for l in f if l.strip()]
        proc = subprocess.run([exe, "replay", path], capture_output=True, text=True)
        results.append((proc.returncode == 0,
                        "%s: replay exits 0 (stderr: %s)" % (name, proc.stderr.strip()[-300:])))
        fired = {}
        for a in proc.stdout.splitlines():
            a = json.loads(a)
            fired.setdefault(a["time"], []).append(a)
        times = [l["event"]["evt"]["time"] for l in lines]
        results.append((len(set(times)) == len(times), "%s: every event has its own time" % name))
        results.append((any(rid in l["expect"] for l in lines),
                        "%s: some event fires %s" % (name, rid)))
        results.append((any(rid not in l["expect"] for l in lines),
                        "%s: some event does not fire %s" % (name, rid)))
        for i, l in enumerate(lines, 1):
            got = fired.get(l["event"]["evt"]["time"], [])
            ids = sorted(a["rule_id"] for a in got)
            want = sorted(l["expect"])
            results.append((ids == want, "%s:%d: fired %s, expected %s" % (name, i, ids, want)))
            for sid, n in l.get("expect_suppressed", {}).items():
                s = [a.get("suppressed", 0) for a in got if a["rule_id"] == sid]
                results.append((s == [n], "%s:%d: %s reports %s suppressed, expected %d"
                                % (name, i, sid, s, n)))

    print("1..%d" % len(results))
    failed = 0
    for n, (ok, desc) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
