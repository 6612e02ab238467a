#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Render a bench/bench.py results file as markdown.

    report.py RESULTS.json                 print the tables
    report.py RESULTS.json --doc FILE.md   replace the generated blocks of FILE.md, between
                                           <!-- BEGIN bench:NAME --> and <!-- END bench:NAME -->

Only numbers from the results file appear; the prose around the blocks is written by hand.
"""
import argparse
import json
import os
import re
import statistics
import sys

TARGET_SMP, TARGET_GPP, TARGET_REPLAY, TARGET_RSS_KIB, TARGET_ATTACH_MS = 0.95, 0.98, 2e6, 32 * 1024, 300
CONFIG_LABEL = {
    "none": "no sensor",
    "numaguard-default": "numaguard, default rules (alerts only)",
    "numaguard-all-events": "numaguard, default rules, --all-events to a file",
    "numaguard-raw-all-events": "numaguard --attach raw, --all-events to a file",
    "auditd": "auditd, one rule (-S set_mempolicy)",
    "bpftrace": "bpftrace one-liner (sys_exit_set_mempolicy, printf per call)",
    "bpftrace-count": "bpftrace, per-pid count in a map on the same tracepoint (the floor)",
}
ORDER = list(CONFIG_LABEL)


def f(x, fmt="{:.0f}", none="–"):
    return none if x is None else fmt.format(x)


def ratio(x):
    return f(x, "{:.2f}×")


def summary_table(res, loop):
    s = res.get("summary", {})
    rows = []
    head = ("| configuration | wall ns/call | speed vs none | caller CPU ns/call | CPU speed vs none |"
            + (" events seen / calls | lost (reported) |" if loop == "set_mempolicy" else "")
            + " tool CPU % of a core | tool peak RSS |")
    rows.append(head)
    rows.append("|" + "---|" * (head.count("|") - 1))
    for cfg in ORDER:
        x = s.get(f"{cfg}/{loop}")
        if not x:
            continue
        line = (f"| {CONFIG_LABEL[cfg]} | {f(x['ns_per_call_median'])} | {ratio(x['speed_ratio_median'])} "
                f"| {f(x['cpu_ns_per_call_median'])} | {ratio(x['cpu_speed_ratio_median'])} |")
        if loop == "set_mempolicy":
            if cfg == "none":
                line += " – | – |"
            else:
                seen = [v for v in x.get("seen", []) if v is not None]
                calls = x.get("calls", [])
                lost = [v for v in x.get("lost_reported", []) if v is not None]
                line += (f" {sum(seen)} / {sum(calls)} |" if seen else " not counted (alerts only) |")
                line += f" {sum(lost) if lost else '–'} |"
        cpu = x.get("sensor_cpu_pct_during_load_median", x.get("auditd_cpu_pct_during_load_median",
                                                                 x.get("bpftrace_cpu_pct_during_load_median")))
        rss = None
        for k in ("sensor_vmhwm_kib", "auditd_vmhwm_kib", "bpftrace_vmhwm_kib"):
            rss = rss or max([r.get(k) or 0 for r in res["runs"] if r["config"] == cfg and r["loop"] == loop] or [0]) or None
        line += f" {f(cpu, '{:.0f} %')} | {f(rss / 1024 if rss else None, '{:.1f} MiB')} |"
        rows.append(line)
    return "\n".join(rows)


def per_round(res, loop):
    s = res.get("summary", {})
    out = ["| configuration | wall speed ratios per round | caller CPU ratios per round | pairs left out (foreign capture) |",
           "|---|---|---|---|"]
    for cfg in ORDER[1:]:
        x = s.get(f"{cfg}/{loop}")
        if x:
            out.append(f"| {cfg} | {', '.join(f'{v:.2f}' for v in x['speed_ratios'])} "
                       f"| {', '.join(f'{v:.2f}' for v in x['cpu_speed_ratios'])} | {x['pairs_excluded_foreign_capture']} |")
    return "\n".join(out)


def knee_table(res):
    out = ["| configuration | target calls/s | achieved calls/s | calls | events in file for the pid "
           "| lost_ringbuf_full | sink dropped | sensor CPU % |",
           "|---|---|---|---|---|---|---|---|"]
    for r in res.get("knee", []):
        out.append(f"| {r['config']} | {r['target_rate'] or 'unpaced'} | {f(r['achieved_rate'])} | {r['calls']} "
                   f"| {f(r.get('seen'), '{}', 'not written (alerts only)')} | {r['stats'].get('lost_ringbuf_full')} "
                   f"| {r['sink'].get('dropped')} | {f(r.get('sensor_cpu_pct_during_load'), '{:.0f} %')} |")
    return "\n".join(out)


def knee_points(res):
    """Highest paced rate with nothing lost anywhere, and the first rate that lost, per configuration."""
    out = {}
    for cfg in ("numaguard-all-events", "numaguard-default"):
        rs = [r for r in res.get("knee", []) if r["config"] == cfg]
        ok = [r for r in rs if r["lost_reported"] == 0 and (r.get("seen") is None or r["seen"] == r["calls"])]
        bad = [r for r in rs if r not in ok]
        # Loss comes from stalls as much as from rate, so a clean run above a lossy one proves
        # little: the figure is the highest paced rate at and below which every run was clean.
        paced_bad = [r["target_rate"] for r in bad if r["target_rate"]]
        limit = min(paced_bad) if paced_bad else float("inf")
        clean = [r for r in ok if r["target_rate"] and r["target_rate"] < limit]
        if not paced_bad and not any(not r["target_rate"] for r in bad):
            clean = ok
        out[cfg] = {
            "max_clean_achieved": max((r["achieved_rate"] for r in clean), default=None),
            "first_lossy": min(bad, key=lambda r: r["achieved_rate"], default=None),
        }
    return out


def replay_fig(res):
    vals = [r["engine_events_per_s"] for r in res.get("replay", []) if "engine_events_per_s" in r]
    rules = next((r["rules"] for r in res.get("replay", []) if "rules" in r), None)
    return (statistics.median(vals) if vals else None), rules, vals


def attach_fig(res):
    rows = [r for r in res.get("runs", []) if r["config"].startswith("numaguard") and r["loop"] == "set_mempolicy"]
    by = {}
    for r in rows:
        by.setdefault(r["attach_path"] + (" (raw)" if r["config"] == "numaguard-raw-all-events" else ""), []).append(r)
    return {k: (statistics.median([r["attached_ms"] for r in v]), statistics.median([r["exec_to_capturing_ms"] for r in v]),
                max(r["attached_ms"] for r in v)) for k, v in by.items()}


def headline(res):
    s = res.get("summary", {})
    smp = s.get("numaguard-default/set_mempolicy", {})
    sma = s.get("numaguard-all-events/set_mempolicy", {})
    gpp = s.get("numaguard-default/getppid", {})
    raw = s.get("numaguard-raw-all-events/getppid", {})
    rep, rules, _ = replay_fig(res)
    rss = max([r.get("sensor_vmhwm_kib") or 0 for r in res.get("runs", [])] or [0])
    att = attach_fig(res)
    auto = next((v for k, v in att.items() if "(raw)" not in k), None)
    seen = sum(v for v in sma.get("seen", []) if v is not None)
    calls = sum(sma.get("calls", []))
    kp = knee_points(res).get("numaguard-all-events", {})
    kd = knee_points(res).get("numaguard-default", {})
    runs = res.get("runs", [])
    rb = sum(r["stats"].get("lost_ringbuf_full", 0) for r in runs
             if r["config"] == "numaguard-all-events" and r["loop"] == "set_mempolicy")
    sq = sum(r["sink"].get("dropped", 0) for r in runs
             if r["config"] == "numaguard-all-events" and r["loop"] == "set_mempolicy")
    rbd = sum(r["stats"].get("lost_ringbuf_full", 0) for r in runs
              if r["config"] == "numaguard-default" and r["loop"] == "set_mempolicy")

    def verdict(ok):
        return "met" if ok else "**missed**"
    lines = [
        f"Measured {res['host']['date_utc']} on {res['host']['os']}, kernel {res['host']['kernel']}, "
        f"{res['host']['cpus']} CPUs; medians of {res['parameters']['rounds']} interleaved rounds; raw numbers in "
        f"`bench/results/` ({res['_path']}).",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| set_mempolicy loop, default rules (wall / caller CPU) | {ratio(smp.get('speed_ratio_median'))} / "
        f"{ratio(smp.get('cpu_speed_ratio_median'))} of no sensor | ≥ 0.95× | {verdict((smp.get('speed_ratio_median') or 0) >= TARGET_SMP)} |",
        f"| set_mempolicy loop, --all-events to a file (wall / caller CPU) | {ratio(sma.get('speed_ratio_median'))} / "
        f"{ratio(sma.get('cpu_speed_ratio_median'))} | ≥ 0.95× | {verdict((sma.get('speed_ratio_median') or 0) >= TARGET_SMP)} |",
        f"| events lost, one load thread, --all-events | {calls - seen} of {calls} (ring buffer {rb}, file sink queue {sq}) "
        f"| 0 | {verdict(calls and seen == calls)} |",
        f"| events lost, one load thread, default rules | ring buffer {rbd} | 0 | {verdict(rbd == 0)} |",
        f"| 2 threads, --all-events: every run clean up to | {f(kp.get('max_clean_achieved'), '{:.0f} calls/s')} "
        f"| – | lowest rate with a loss: {f(kp['first_lossy']['achieved_rate'] if kp.get('first_lossy') else None, '{:.0f} calls/s', 'none seen')} |",
        f"| 2 threads, default rules: every run clean up to | {f(kd.get('max_clean_achieved'), '{:.0f} calls/s')} "
        f"| – | lowest rate with a loss: {f(kd['first_lossy']['achieved_rate'] if kd.get('first_lossy') else None, '{:.0f} calls/s', 'none seen')} |",
        f"| getppid loop, default attach (wall / caller CPU) | {ratio(gpp.get('speed_ratio_median'))} / "
        f"{ratio(gpp.get('cpu_speed_ratio_median'))} | ≥ 0.98× | {verdict((gpp.get('speed_ratio_median') or 0) >= TARGET_GPP)} |",
        f"| getppid loop, --attach raw (wall / caller CPU) | {ratio(raw.get('speed_ratio_median'))} / "
        f"{ratio(raw.get('cpu_speed_ratio_median'))} | (reported) | |",
        f"| replay, {rules} rules, one core | {f(rep / 1e6 if rep else None, '{:.2f}')} M events/s | ≥ 2 M/s | {verdict((rep or 0) >= TARGET_REPLAY)} |",
        f"| sensor peak RSS (VmHWM) | {rss / 1024:.1f} MiB | ≤ 32 MiB | {verdict(0 < rss <= TARGET_RSS_KIB)} |",
        f"| start to attached, auto path (median / worst) | {f(auto[0] if auto else None)} / {f(auto[2] if auto else None)} ms "
        f"| ≤ 300 ms | {verdict(auto and auto[2] <= TARGET_ATTACH_MS)} |",
    ]
    return "\n".join(lines)


def tables(res):
    h = res["host"]
    p = res["parameters"]
    parts = [
        "### Machine",
        "",
        f"- date {h['date_utc']}, {h['os']}, kernel {h['kernel']}, {h['cpus']} × {h['cpu_model']}, "
        f"{h['mem_total_kib'] // 1024} MiB",
        f"- numaguard source: {h.get('source')}",
        f"- load average at start / end: {h['loadavg_start']} / {h.get('loadavg_end')}",
        f"- tools: {', '.join(f'{k} {v[0] if isinstance(v, list) and v else v}' for k, v in h['tools'].items())}",
        f"- {p['rounds']} rounds; set_mempolicy loop {p['calls_set_mempolicy']} calls, getppid loop "
        f"{p['calls_getppid']} calls, one thread; run took {res.get('duration_s')} s",
        "",
    ]
    if res.get("unavailable"):
        parts += ["Not measurable here:", ""] + [f"- {k}: {v}" for k, v in res["unavailable"].items()] + [""]
    if res.get("summary"):
        parts += ["### set_mempolicy loop (medians)", "", summary_table(res, "set_mempolicy"), "",
                  per_round(res, "set_mempolicy"), "",
                  "### getppid loop (medians)", "", summary_table(res, "getppid"), "",
                  per_round(res, "getppid"), ""]
        att = attach_fig(res)
        parts += ["### Start-up", "", "| capture path | 'attached in' (median) | exec to 'capturing' line (median) | worst 'attached in' |",
                  "|---|---|---|---|"] + [f"| {k} | {v[0]:.0f} ms | {v[1]:.0f} ms | {v[2]:.0f} ms |" for k, v in att.items()] + [""]
    if res.get("knee"):
        parts += ["### Loss against call rate (2 paced load threads)", "", knee_table(res), ""]
    rep, rules, vals = replay_fig(res)
    if vals:
        parts += ["### Replay", "", f"bench/replay `engine` figure, pinned to one CPU, {rules} rules: "
                  f"median {rep:,.0f} events/s over {len(vals)} runs ({', '.join(f'{v:,}' for v in vals)}), "
                  f"event mix \"{res['replay'][0].get('mix')}\".", ""]
        for r in res["replay"]:
            cold = r.get("mixes_cold", {})
            parts.append(f"- run {r['run']}: " + ", ".join(
                f"{k} {v:,} events/s" + (f" ({cold[k]:,} with the events cold in cache)" if k in cold else "")
                for k, v in r.get("mixes", {}).items()))
        parts.append("")
    prof = res.get("profile") or {}
    if prof.get("startup"):
        parts += ["### Start-up: BPF program loads (verifier time, under strace)", "",
                  "| --attach | 'attached in' under strace | program loads, in order |", "|---|---|---|"]
        for st in prof["startup"]:
            loads = "; ".join(f"{x['prog']} ({x['insns']} insns) {x['ms']:.0f} ms" + ("" if x["ok"] else f" → {x['error']}")
                              for x in st.get("prog_loads", []))
            parts.append(f"| {st.get('attach')} | {f(st.get('attached_ms_under_strace'), '{} ms')} | {loads} |")
        parts.append("")
    for name, pr in prof.items():
        if not isinstance(pr, dict) or "bpf_programs" not in pr:
            continue
        parts += [f"### BPF program run time: {name}, {pr['loop']} loop, {pr['calls']} calls", "",
                  "| program | runs | ns per run | ns per loop call |", "|---|---|---|---|"]
        parts += [f"| {k} | {v['run_cnt']} | {f(v['ns_per_run'], '{:.0f}')} | {f(v['ns_per_call'], '{:.0f}')} |"
                  for k, v in pr["bpf_programs"].items()] + [""]
    return "\n".join(parts)


def replace_block(text, name, body):
    rx = re.compile(rf"(<!-- BEGIN bench:{name} -->\n).*?(<!-- END bench:{name} -->)", re.S)
    if not rx.search(text):
        raise SystemExit(f"report.py: no bench:{name} block in the document")
    return rx.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", nargs="+", help="results files; a section missing from the first "
                    "is taken from the next that has it")
    ap.add_argument("--doc")
    a = ap.parse_args()
    res = {}
    for path in a.results:
        with open(path) as fh:
            r = json.load(fh)
        for k, v in r.items():
            if v and not res.get(k):
                res[k] = v
    res["_path"] = ", ".join(os.path.basename(p) for p in a.results)
    if a.doc:
        with open(a.doc) as fh:
            text = fh.read()
        text = replace_block(text, "headline", headline(res))
        text = replace_block(text, "tables", tables(res))
        with open(a.doc, "w") as fh:
            fh.write(text)
    else:
        print(headline(res) + "\n\n" + tables(res))


if __name__ == "__main__":
    sys.exit(main())
