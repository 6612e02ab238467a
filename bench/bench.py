#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Overhead, loss and throughput of numaguard, side by side with auditd and bpftrace.

Run through bench/run.sh, which builds what this needs and installs auditd and bpftrace.
Every configuration is measured in the same rounds as the no-sensor baseline, in an order
that rotates from round to round, so a machine that slows down for a while taxes every
configuration alike; ratios are taken against the baseline of the same round, and the
reported figure is the median over rounds.

Results: one JSON file with every raw number (and a CSV of the per-run rows beside it).
bench/report.py turns it into the tables of docs/performance.md.
"""
import argparse
import csv
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
SET_MEMPOLICY_NR = 238  # x86_64; the audit log and the load generator's own ABI


class Unavailable(Exception):
    """A tool that cannot run on this host; the message is the exact reason."""


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, **kw)


def proc_cpu_s(pid):
    """utime + stime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def reap(p):
    """Wait for a child and return its rusage CPU seconds (covers its whole life, drain included)."""
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime


class LineReader:
    """Collects a child's lines from one pipe with arrival times, on a thread."""

    def __init__(self, stream):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.t = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.t.start()

    def _run(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for t, line in self.lines:
                    if rx.search(line):
                        return t, line
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    return None, None
                self.cond.wait(left)

    def text(self):
        self.t.join(timeout=30)
        return "\n".join(line for _, line in self.lines)


def foreign_captures(own_pids):
    """Other processes with a BPF program on a set_mempolicy or raw syscall hook: they tax every run."""
    r = sh(["bpftool", "perf", "show", "-j"], check=False)
    try:
        rows = json.loads(r.stdout or "[]")
    except json.JSONDecodeError:
        return []
    out = set()
    for row in rows:
        tp = row.get("tracepoint", "") or row.get("func", "")
        if row.get("pid") not in own_pids and ("set_mempolicy" in tp or tp in ("sys_enter", "sys_exit")):
            out.add(row.get("pid"))
    return sorted(p for p in out if p is not None)


# ---------------------------------------------------------------- tools under test


class NoSensor:
    name = "none"

    def __init__(self, ctx):
        self.ctx = ctx

    def start(self):
        pass

    def pids(self):
        return []

    def load_started(self):
        pass

    def load_done(self, wall_s):
        return {}

    def stop(self):
        return {}

    def seen(self, pid):
        return None


class Numaguard:
    """numaguard run, events (or only alerts) to a file."""

    def __init__(self, ctx, name, all_events=True, attach="auto", extra=()):
        self.ctx, self.name = ctx, name
        self.all_events, self.attach, self.extra = all_events, attach, list(extra)
        self.p = None

    def start(self):
        self.evfile = os.path.join(self.ctx.work, f"{self.name}.jsonl")
        if os.path.exists(self.evfile):
            os.unlink(self.evfile)
        cmd = [self.ctx.numaguard, "run", "--attach", self.attach, "--output", f"file:{self.evfile}"]
        if self.all_events:
            cmd.append("--all-events")
        cmd += self.extra
        t0 = time.monotonic()
        self.p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = LineReader(self.p.stderr)
        t, _ = self.err.wait_for(r"^numaguard: capturing ", 60)
        if t is None:
            self.p.kill()
            reap(self.p)
            raise Unavailable("numaguard did not attach: " + self.err.text()[-2000:])
        self.exec_to_capturing_ms = (t - t0) * 1000
        _, line = self.err.wait_for(r"attached in \d+ ms", 1)
        self.attached_ms = float(re.search(r"attached in (\d+) ms", line).group(1)) if line else None
        self.path = re.search(r"capturing set_mempolicy with ([^:]+):", self.err.wait_for("capturing", 1)[1]).group(1)

    def pids(self):
        return [self.p.pid]

    def load_started(self):
        self.cpu0 = proc_cpu_s(self.p.pid)

    def load_done(self, wall_s):
        return {
            "sensor_cpu_pct_during_load": round(100 * (proc_cpu_s(self.p.pid) - self.cpu0) / wall_s, 1),
            "sensor_vmhwm_kib": proc_status_kib(self.p.pid, "VmHWM"),
            "sensor_vmrss_kib": proc_status_kib(self.p.pid, "VmRSS"),
        }

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            cpu = reap_with_timeout(self.p, 180)
        except TimeoutError:
            self.p.kill()
            cpu = reap(self.p)
        text = self.err.text()
        m = re.search(r"stats \(final\): (.*)", text)
        stats = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))} if m else {}
        sinks = {}
        for sm in re.finditer(r"^sink (\S+): (.*)$", text, re.M):
            sinks[sm.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", sm.group(2))}
        sink = next(iter(sinks.values()), {})
        return {
            "attach_path": self.path,
            "attached_ms": self.attached_ms,
            "exec_to_capturing_ms": round(self.exec_to_capturing_ms, 1),
            "sensor_cpu_s_total": round(cpu, 3),
            "exit_code": self.p.returncode,
            "stats": stats,
            "sink": sink,
            "lost_reported": stats.get("lost_ringbuf_full", 0) + stats.get("decode_errors", 0)
            + sink.get("dropped", 0) + sink.get("lost", 0),
        }

    def discard(self):
        if os.path.exists(self.evfile):
            os.unlink(self.evfile)

    def seen(self, pid):
        if not self.all_events:
            self.discard()
            return None
        # Every event line carries "proc":{"pid":N,...}; grep is far faster than parsing JSON.
        r = sh(["grep", "-c", "-F", f'"proc":{{"pid":{pid},', self.evfile], check=False)
        n = int(r.stdout.strip() or 0)
        os.unlink(self.evfile)
        return n


def reap_with_timeout(p, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            p.returncode = os.waitstatus_to_exitcode(status)
            return ru.ru_utime + ru.ru_stime
        time.sleep(0.05)
    raise TimeoutError


class AuditQuiet:
    """
    Once audit has been enabled in a boot (auditd ran once, even if stopped since), the kernel
    gives every new task an audit context, and every syscall of it takes the slow path, a
    visible cost on the cheapest syscall. A "never,task" rule stops that for tasks created
    while it is in place. It is held for every configuration except auditd's own, so the others are
    measured as on a host where audit never ran; it is only added when no audit daemon runs,
    and only removed if this benchmark added it.
    """

    RULE = ["never,task"]

    def __init__(self):
        self.added = False
        self.usable = bool(shutil.which("auditctl")) and sh(["auditctl", "-s"], check=False).returncode == 0
        if self.usable:
            st = sh(["auditctl", "-s"]).stdout
            self.usable = re.search(r"^pid 0$", st, re.M) is not None

    def hold(self):
        if self.usable and not self.added:
            self.added = sh(["auditctl", "-a", *self.RULE], check=False).returncode == 0

    def release(self):
        if self.added:
            sh(["auditctl", "-d", *self.RULE], check=False)
            self.added = False


class Auditd:
    """auditd with one syscall rule, logging to a private file so the host's logs are untouched."""

    name = "auditd"
    RULE = ["always,exit", "-F", "arch=b64", "-S", "set_mempolicy", "-k", "numaguard-bench"]

    def __init__(self, ctx):
        self.ctx = ctx
        self.p = None

    @staticmethod
    def status():
        r = sh(["auditctl", "-s"])
        return {k: v for k, v in (line.split(" ", 1) for line in r.stdout.splitlines() if " " in line)}

    def start(self):
        if not shutil.which("auditd") or not shutil.which("auditctl"):
            raise Unavailable("auditd/auditctl not installed (Debian package auditd)")
        try:
            st = self.status()
        except subprocess.CalledProcessError as e:
            raise Unavailable(f"auditctl -s failed: {e.stderr.strip()}")
        if st.get("pid", "0") != "0":
            raise Unavailable(f"an audit daemon (pid {st['pid']}) already runs on this host; "
                              "the benchmark does not take it over")
        self.ctx.audit_quiet.release()
        self.saved = {"enabled": st.get("enabled", "0"), "backlog_limit": st.get("backlog_limit", "64")}
        self.lost0 = int(st.get("lost", 0))
        conf = os.path.join(self.ctx.work, "audit-conf")
        os.makedirs(conf, mode=0o750, exist_ok=True)
        self.log = os.path.join(self.ctx.work, "audit.log")
        if os.path.exists(self.log):
            os.unlink(self.log)
        base = open("/etc/audit/auditd.conf").read() if os.path.exists("/etc/audit/auditd.conf") else ""
        # Keep the distribution's settings (log format, flush mode, queue depth) and only stop
        # the private log from rotating away or suspending auditing mid-run.
        over = {
            "log_file": self.log, "max_log_file_action": "IGNORE", "space_left_action": "IGNORE",
            "admin_space_left_action": "IGNORE", "disk_full_action": "IGNORE",
            "disk_error_action": "IGNORE", "log_group": "root", "plugin_dir": os.path.join(conf, "plugins.d"),
        }
        lines = [line for line in base.splitlines() if line.split("=")[0].strip() not in over]
        lines += [f"{k} = {v}" for k, v in over.items()]
        os.makedirs(over["plugin_dir"], exist_ok=True)
        path = os.path.join(conf, "auditd.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(path, 0o640)
        self.p = subprocess.Popen(["auditd", "-n", "-c", conf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        self.err = LineReader(self.p.stderr)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise Unavailable(f"auditd exited with {self.p.returncode}: {self.err.text()[-1500:]}")
            if self.status().get("pid") == str(self.p.pid):
                break
            time.sleep(0.1)
        else:
            self.p.kill()
            reap(self.p)
            self.restore()
            raise Unavailable("auditd did not register with the kernel within 15 s: " + self.err.text()[-1500:])
        # Debian's default rules file sets an 8192-record backlog; started by hand there is none.
        sh(["auditctl", "-b", "8192"])
        r = sh(["auditctl", "-a", *self.RULE], check=False)
        if r.returncode:
            self.stop()
            raise Unavailable(f"auditctl -a failed: {r.stderr.strip()}")

    def restore(self):
        sh(["auditctl", "-D", "-k", "numaguard-bench"], check=False)
        sh(["auditctl", "-b", self.saved["backlog_limit"]], check=False)
        sh(["auditctl", "-e", self.saved["enabled"]], check=False)
        self.ctx.audit_quiet.hold()

    def pids(self):
        return [self.p.pid] if self.p else []

    def load_started(self):
        self.cpu0 = proc_cpu_s(self.p.pid)

    def load_done(self, wall_s):
        return {"auditd_cpu_pct_during_load": round(100 * (proc_cpu_s(self.p.pid) - self.cpu0) / wall_s, 1),
                "auditd_vmhwm_kib": proc_status_kib(self.p.pid, "VmHWM")}

    def stop(self):
        sh(["auditctl", "-d", *self.RULE], check=False)
        # Let auditd write out the kernel's backlog before it is asked to stop.
        last, stable = -1, 0
        while stable < 4:
            size = os.path.getsize(self.log) if os.path.exists(self.log) else 0
            stable = stable + 1 if size == last else 0
            last = size
            time.sleep(0.25)
        lost = int(self.status().get("lost", 0)) - self.lost0
        self.p.send_signal(signal.SIGTERM)
        try:
            cpu = reap_with_timeout(self.p, 60)
        except TimeoutError:
            self.p.kill()
            cpu = reap(self.p)
        self.restore()
        return {"auditd_cpu_s_total": round(cpu, 3), "lost_reported": lost, "kernel_audit_lost": lost}

    def seen(self, pid):
        rx = re.compile(rf"^type=SYSCALL .* syscall={SET_MEMPOLICY_NR} .* pid={pid} ")
        n = 0
        with open(self.log, errors="replace") as f:
            for line in f:
                if rx.match(line):
                    n += 1
        os.unlink(self.log)
        return n


class Bpftrace:
    """
    "bpftrace": the one-liner a responder would type, printing every call from the exit
    tracepoint. "bpftrace-count": the least any program on that tracepoint can do (a per-pid
    count in a map), which is the floor under every tracepoint-based sensor on this kernel.
    """

    PROGS = {
        "bpftrace": 'tracepoint:syscalls:sys_exit_set_mempolicy { printf("%d %d\\n", pid, args->ret); }',
        "bpftrace-count": "tracepoint:syscalls:sys_exit_set_mempolicy { @calls[pid] = count(); }",
    }

    def __init__(self, ctx, name="bpftrace"):
        self.ctx, self.name = ctx, name
        self.PROG = self.PROGS[name]
        self.p = None

    def start(self):
        if not shutil.which("bpftrace"):
            raise Unavailable("bpftrace not installed (Debian package bpftrace)")
        self.outpath = os.path.join(self.ctx.work, "bpftrace.out")
        self.out = open(self.outpath, "w")
        t0 = time.monotonic()
        self.p = subprocess.Popen(["bpftrace", "-e", self.PROG], stdout=self.out,
                                  stderr=subprocess.PIPE, text=True)
        self.err = LineReader(self.p.stderr)
        # "Attaching 1 probe..." is printed before the attach; the perf event that carries
        # the program is the proof that calls are being seen.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise Unavailable(f"bpftrace exited with {self.p.returncode}: {self.err.text()[-1500:]}")
            rows = json.loads(sh(["bpftool", "perf", "show", "-j"], check=False).stdout or "[]")
            if any(r.get("pid") == self.p.pid and "set_mempolicy" in r.get("tracepoint", "") for r in rows):
                break
            time.sleep(0.1)
        else:
            self.p.kill()
            reap(self.p)
            raise Unavailable("bpftrace did not attach within 60 s: " + self.err.text()[-1500:])
        self.start_ms = (time.monotonic() - t0) * 1000

    def pids(self):
        return [self.p.pid] if self.p else []

    def load_started(self):
        self.cpu0 = proc_cpu_s(self.p.pid)

    def load_done(self, wall_s):
        return {"bpftrace_cpu_pct_during_load": round(100 * (proc_cpu_s(self.p.pid) - self.cpu0) / wall_s, 1),
                "bpftrace_vmhwm_kib": proc_status_kib(self.p.pid, "VmHWM")}

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            cpu = reap_with_timeout(self.p, 60)
        except TimeoutError:
            self.p.kill()
            cpu = reap(self.p)
        self.out.close()
        lost = 0
        with open(self.outpath, errors="replace") as f:
            self.lines = f.read()
        for m in re.finditer(r"Lost (\d+) events", self.lines + self.err.text()):
            lost += int(m.group(1))
        return {"bpftrace_cpu_s_total": round(cpu, 3), "start_ms": round(self.start_ms, 1),
                "lost_reported": lost}

    def seen(self, pid):
        if self.name == "bpftrace-count":
            m = re.search(rf"^@calls\[{pid}\]: (\d+)$", self.lines, re.M)
            n = int(m.group(1)) if m else 0
        else:
            n = len(re.findall(rf"^{pid} ", self.lines, re.M))
        os.unlink(self.outpath)
        self.lines = ""
        return n


# ---------------------------------------------------------------- measurements


def loadgen(ctx, mode, calls, threads=1, rate=0):
    cmd = [ctx.loadgen, "--mode", mode, "--calls", str(calls), "--threads", str(threads)]
    if rate:
        cmd += ["--rate", str(rate)]
    r = sh(cmd, check=False)
    if r.returncode != 0:
        raise RuntimeError(f"loadgen failed ({r.returncode}): {r.stderr.strip()}")
    out = {}
    for k, v in re.findall(r"(\w+)=(\S+)", r.stdout):
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def wait_quiet(ctx):
    """
    Wait until no other process captures set_mempolicy: its hooks would tax this run. Each
    wait is bounded, and so is their total, so a busy host makes the run flag more rounds
    rather than take unboundedly long.
    """
    t0 = time.monotonic()
    deadline = t0 + min(ctx.quiet_wait_s, ctx.quiet_budget_s)
    while foreign_captures([]) and time.monotonic() < deadline:
        time.sleep(0.5)
    ctx.quiet_budget_s = max(0.0, ctx.quiet_budget_s - (time.monotonic() - t0))


def one_run(ctx, tool, loops, rnd):
    """Start a tool, run each loop under it, stop it, count what it saw. One row per loop."""
    rows = []
    wait_quiet(ctx)
    try:
        tool.start()
    except Unavailable as e:
        ctx.log(f"  {tool.name}: not measurable here: {e}")
        ctx.unavailable.setdefault(tool.name, str(e))
        return rows
    gen = []
    try:
        for mode, calls, threads in loops:
            foreign = set(foreign_captures(tool.pids()))
            tool.load_started()
            g = loadgen(ctx, mode, calls, threads)
            extra = tool.load_done(g["elapsed_ns"] / 1e9)
            extra["foreign_captures"] = sorted(foreign | set(foreign_captures(tool.pids())))
            gen.append((mode, g, extra))
    finally:
        res = tool.stop()
    for mode, g, extra in gen:
        row = {"round": rnd, "config": tool.name, "loop": mode, "threads": g["threads"],
               "calls": g["calls"], "elapsed_ns": g["elapsed_ns"], "ns_per_call": g["ns_per_call"],
               "cpu_ns_per_call": g["cpu_ns_per_call"], "nivcsw": g["nivcsw"], "pid": g["pid"]}
        row.update(extra)
        row.update(res)
        if mode == "set_mempolicy":
            row["seen"] = tool.seen(g["pid"])
        rows.append(row)
        seen = row.get("seen")
        ctx.log(f"  r{rnd} {tool.name:<24} {mode:<13} {g['ns_per_call']:8.1f} ns/call "
                f"cpu {g['cpu_ns_per_call']:7.1f} ns/call"
                + (f" seen {seen}/{g['calls']}" if seen is not None else "")
                + (f" lost_reported {res.get('lost_reported')}" if "lost_reported" in res else "")
                + (f" FOREIGN CAPTURE {row['foreign_captures']}" if row["foreign_captures"] else ""))
    return rows


def overhead(ctx, args):
    """Items 1-3 and 6: every configuration, rounds interleaved, both loops under each."""
    smp = args.calls_set_mempolicy
    gpp = args.calls_getppid
    both = [("set_mempolicy", smp, 1), ("getppid", gpp, 1)]
    configs = [
        (lambda: NoSensor(ctx), both),
        (lambda: Numaguard(ctx, "numaguard-all-events", all_events=True), both),
        (lambda: Numaguard(ctx, "numaguard-default", all_events=False), both),
        (lambda: Numaguard(ctx, "numaguard-raw-all-events", all_events=True, attach="raw"), both),
        (lambda: Auditd(ctx), both),
        (lambda: Bpftrace(ctx), both),
        (lambda: Bpftrace(ctx, "bpftrace-count"), both),
    ]
    rows = []
    for rnd in range(args.rounds):
        ctx.log(f"round {rnd + 1}/{args.rounds}")
        # Rotate the order so no configuration always runs right after the same neighbour.
        k = rnd % len(configs)
        for make, loops in configs[k:] + configs[:k]:
            tool = make()
            if tool.name in ctx.unavailable:
                continue
            rows.extend(one_run(ctx, tool, loops, rnd))
    return rows


def knee(ctx, args):
    """Item 4: two paced load threads, rate stepped up, loss as the sensor reports it."""
    rows = []
    steps = [(rep, rate) for rep in range(args.knee_reps) for rate in args.rates]
    for rep, rate in steps:
        for name, all_events in (("numaguard-all-events", True), ("numaguard-default", False)):
            tool = Numaguard(ctx, name, all_events=all_events)
            calls = int(rate * args.step_seconds) if rate else args.calls_set_mempolicy
            wait_quiet(ctx)
            try:
                tool.start()
            except Unavailable as e:
                ctx.log(f"  knee: {e}")
                return rows
            try:
                tool.load_started()
                foreign = set(foreign_captures(tool.pids()))
                g = loadgen(ctx, "set_mempolicy", calls, threads=2, rate=rate)
                extra = tool.load_done(g["elapsed_ns"] / 1e9)
                extra["foreign_captures"] = sorted(foreign | set(foreign_captures(tool.pids())))
            finally:
                res = tool.stop()
            row = {"config": name, "rep": rep, "target_rate": rate, "calls": g["calls"],
                   "achieved_rate": g["calls_per_s"], "elapsed_ns": g["elapsed_ns"],
                   "cpu_ns_per_call": g["cpu_ns_per_call"], "seen": tool.seen(g["pid"])}
            row.update(extra)
            row.update(res)
            rows.append(row)
            ctx.log(f"  knee {name:<22} target {rate or 'max':>7} achieved {g['calls_per_s']:>8.0f}/s "
                    f"rb_full {res['stats'].get('lost_ringbuf_full')} sink_dropped {res['sink'].get('dropped')}"
                    + (f" seen {row['seen']}/{calls}" if row["seen"] is not None else ""))
    return rows


def replay(ctx, args):
    """Item 5: the rule engine's own benchmark (bench/replay), pinned to one core."""
    out = []
    if not os.path.exists(ctx.bench_replay):
        ctx.log(f"  replay: {ctx.bench_replay} not built")
        return out
    env = dict(os.environ, NUMAGUARD_SRCDIR=ctx.srcdir)
    cpu = str(os.cpu_count() - 1)
    for i in range(args.replay_runs):
        r = sh(["taskset", "-c", cpu, ctx.bench_replay, "--events", str(args.replay_events)], env=env, check=False)
        # One "engine" line per event mix; the first (the typical mix) is the headline figure.
        mixes = re.findall(r"^engine(?: \(([^)]*)\))?: (\d+) events x (\d+) rules: [\d.]+ s(?: cpu)?, (\d+) events/s",
                           r.stdout, re.M)
        # The same engine with the event pool in place (events cold in cache), per mix.
        cold = re.findall(r"^  events cold in cache[^:]*: (\d+) events/s", r.stdout, re.M)
        p = re.search(r"parse: +\d+ events, [\d.]+ MiB of JSON: [\d.]+ s cpu, (\d+) events/s", r.stdout)
        row = {"run": i, "exit_code": r.returncode, "output": r.stdout.strip() + r.stderr.strip()}
        if mixes:
            row.update(events=int(mixes[0][1]), rules=int(mixes[0][2]), engine_events_per_s=int(mixes[0][3]),
                       mix=mixes[0][0] or "default",
                       mixes={(m[0] or "default"): int(m[3]) for m in mixes})
            if len(cold) == len(mixes):
                row["mixes_cold"] = {(m[0] or "default"): int(c) for m, c in zip(mixes, cold)}
        if p:
            row["parse_events_per_s"] = int(p.group(1))
        out.append(row)
        ctx.log(f"  replay run {i}: {row.get('engine_events_per_s')} events/s through {row.get('rules')} rules")
    return out


def profile(ctx, args):
    """Where the time goes under load: per-program BPF run time, and perf profiles."""
    out = {"startup": [startup_profile(ctx, a) for a in ("auto", "tracepoint", "raw")]}
    for st in out["startup"]:
        ctx.log(f"  startup --attach {st.get('attach')}: " + ", ".join(
            f"{x['prog']} {x['ms']} ms{'' if x['ok'] else ' (' + str(x['error']) + ')'}" for x in st.get("prog_loads", [])))
    old = open("/proc/sys/kernel/bpf_stats_enabled").read().strip()
    for name, all_events, attach, mode in (("numaguard-all-events", True, "auto", "set_mempolicy"),
                                           ("numaguard-raw-all-events", True, "raw", "getppid")):
        tool = Numaguard(ctx, name, all_events=all_events, attach=attach)
        try:
            tool.start()
        except Unavailable as e:
            out[name] = {"error": str(e)}
            continue
        calls = args.calls_set_mempolicy if mode == "set_mempolicy" else args.calls_getppid
        perf = {}
        try:
            prog_ids = bpf_prog_ids(tool.p.pid)
            with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                f.write("1")
            try:
                before = bpf_prog_stats(prog_ids)
                g = loadgen(ctx, mode, calls)
                after = bpf_prog_stats(prog_ids)
            finally:
                with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
                    f.write(old)
            if not args.quick and shutil.which("perf"):
                perf = perf_profiles(ctx, tool, mode, calls, name)
        finally:
            res = tool.stop()
        progs = {}
        for pid_, a in after.items():
            b = before.get(pid_, {"run_time_ns": 0, "run_cnt": 0})
            cnt = a["run_cnt"] - b["run_cnt"]
            ns = a["run_time_ns"] - b["run_time_ns"]
            progs[a["name"]] = {"run_cnt": cnt, "run_time_ns": ns, "ns_per_run": round(ns / cnt, 1) if cnt else None,
                                "ns_per_call": round(ns / calls, 1)}
        tool.discard()
        out[name] = {"loop": mode, "calls": calls, "loadgen": g, "bpf_programs": progs, "perf": perf,
                     "stats": res.get("stats"), "sink": res.get("sink")}
        ctx.log(f"  profile {name}: " + ", ".join(f"{k} {v['ns_per_run']} ns/run x {v['run_cnt']}"
                                                   for k, v in progs.items()))
    return out


def startup_profile(ctx, attach):
    """Where start-up time goes: each BPF_PROG_LOAD (the verifier's time) by program, under strace."""
    if not shutil.which("strace"):
        return {"error": "strace not installed"}
    trace = os.path.join(ctx.work, f"strace-{attach}.txt")
    t0 = time.monotonic()
    r = sh(["strace", "-f", "-T", "-e", "trace=bpf", "-o", trace, ctx.numaguard, "run", "--attach", attach,
            "--duration", "0.1", "--output", f"file:{os.path.join(ctx.work, 'startup.jsonl')}"], check=False)
    wall = (time.monotonic() - t0) * 1000
    m = re.search(r"attached in (\d+) ms", r.stderr)
    loads = []
    with open(trace) as f:
        for line in f:
            lm = re.search(r'BPF_PROG_LOAD, \{prog_type=(\w+), insn_cnt=(\d+),.*?prog_name="([^"]*)".*\) = (-?\d+)(?: (\w+))?.*<([\d.]+)>$', line)
            if lm and lm.group(3) and lm.group(3) != "libbpf_nametest":
                loads.append({"prog": lm.group(3), "insns": int(lm.group(2)), "ok": int(lm.group(4)) >= 0,
                              "error": lm.group(5), "ms": round(float(lm.group(6)) * 1000, 1)})
    os.unlink(trace)
    return {"attach": attach, "attached_ms_under_strace": int(m.group(1)) if m else None,
            "wall_ms": round(wall), "prog_loads": loads,
            "prog_load_ms_total": round(sum(x["ms"] for x in loads), 1)}


def bpf_prog_ids(pid):
    """BPF programs a process holds, from its fd table: exact, whatever else is loaded on the host."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                m = re.search(r"^prog_id:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            ids.add(int(m.group(1)))
    return ids


def bpf_prog_stats(ids):
    rows = json.loads(sh(["bpftool", "prog", "show", "-j"]).stdout)
    return {r["id"]: {"name": r.get("name"), "run_time_ns": r.get("run_time_ns", 0), "run_cnt": r.get("run_cnt", 0)}
            for r in rows if r["id"] in ids}


def perf_profiles(ctx, tool, mode, calls, name):
    """Two profiles of one loop: the sensor process, and the whole system (kernel side of the caller)."""
    out = {}
    sdata = os.path.join(ctx.work, f"perf-{name}-sensor.data")
    adata = os.path.join(ctx.work, f"perf-{name}-system.data")
    ps = subprocess.Popen(["perf", "record", "-q", "-F", "1999", "-g", "-p", str(tool.p.pid), "-o", sdata],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pa = subprocess.Popen(["perf", "record", "-q", "-F", "1999", "-a", "-g", "-o", adata],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    loadgen(ctx, mode, calls)
    time.sleep(0.5)
    for p in (ps, pa):
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    # The caller's side is read inclusively (--children): the share of its time spent under
    # trace_call_bpf and each BPF program is the sensor's in-call cost.
    for key, data, extra in (("sensor", sdata, ["--no-children"]),
                             ("loadgen", adata, ["--comm", "loadgen", "--children", "--percentage", "relative"])):
        r = sh(["perf", "report", "-i", data, "--stdio", "--sort", "symbol", "-g", "none",
                "--percent-limit", "1", *extra], check=False)
        lines = [line for line in r.stdout.splitlines() if line.strip() and not line.startswith("#")]
        out[key] = lines[:40]
        dst = os.path.join(ctx.resdir, f"{ctx.stamp}-perf-{name}-{key}.txt")
        with open(dst, "w") as f:
            f.write(r.stdout)
        os.unlink(data)
    return out


# ---------------------------------------------------------------- summary


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarise(rows):
    """Per (config, loop): medians, and the median of per-round ratios to that round's baseline."""
    base = {(r["round"], r["loop"]): r for r in rows if r["config"] == "none"}
    out = {}
    for key in sorted({(r["config"], r["loop"]) for r in rows}):
        rs = [r for r in rows if (r["config"], r["loop"]) == key]
        clean = [r for r in rs if not r["foreign_captures"]] or rs
        speed, cpu_ratio = [], []
        # A round where another process also hooked set_mempolicy is not a fair pair.
        dirty = 0
        for r in rs:
            b = base.get((r["round"], r["loop"]))
            if b and (b["foreign_captures"] or r["foreign_captures"]):
                dirty += 1
            elif b:
                speed.append(b["ns_per_call"] / r["ns_per_call"])
                cpu_ratio.append(b["cpu_ns_per_call"] / r["cpu_ns_per_call"])
        s = {
            "runs": len(rs),
            "pairs_excluded_foreign_capture": dirty,
            "ns_per_call_median": median([r["ns_per_call"] for r in clean]),
            "cpu_ns_per_call_median": median([r["cpu_ns_per_call"] for r in clean]),
            "speed_ratio_median": median(speed),
            "speed_ratios": [round(x, 3) for x in speed],
            "cpu_speed_ratio_median": median(cpu_ratio),
            "cpu_speed_ratios": [round(x, 3) for x in cpu_ratio],
        }
        if key[1] == "set_mempolicy" and key[0] != "none":
            s["calls"] = [r["calls"] for r in rs]
            s["seen"] = [r.get("seen") for r in rs]
            s["lost_reported"] = [r.get("lost_reported") for r in rs]
            s["missing"] = [r["calls"] - r["seen"] if r.get("seen") is not None else None for r in rs]
        for k in ("sensor_cpu_pct_during_load", "sensor_vmhwm_kib", "attached_ms", "exec_to_capturing_ms",
                  "auditd_cpu_pct_during_load", "bpftrace_cpu_pct_during_load", "start_ms"):
            vals = [r.get(k) for r in rs if r.get(k) is not None]
            if vals:
                s[k + "_median"] = median(vals)
                s[k + "_max"] = max(vals)
        out[f"{key[0]}/{key[1]}"] = s
    return out


class Ctx:
    def __init__(self, args):
        self.srcdir = os.path.abspath(args.srcdir)
        self.numaguard = os.path.abspath(args.numaguard)
        self.loadgen = os.path.abspath(args.loadgen)
        self.bench_replay = os.path.abspath(args.bench_replay)
        self.work = args.workdir
        self.resdir = os.path.dirname(os.path.abspath(args.out))
        self.stamp = os.path.basename(args.out).rsplit(".", 1)[0]
        self.unavailable = {}
        self.quiet_wait_s = 10 if args.quick else 30
        self.quiet_budget_s = 30 if args.quick else 240

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)


def host_facts(srcdir):
    def read(p):
        try:
            return open(p).read().strip()
        except OSError:
            return None
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), None)
    osr = dict(line.split("=", 1) for line in open("/etc/os-release").read().splitlines() if "=" in line)
    return {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "kernel": platform.release(), "os": osr.get("PRETTY_NAME", "").strip('"'),
        "cpu_model": cpu, "cpus": os.cpu_count(),
        "mem_total_kib": int(read("/proc/meminfo").split()[1]),
        "loadavg_start": read("/proc/loadavg"),
        "source": os.environ.get("NUMAGUARD_BENCH_REV")
        or sh(["git", "-C", srcdir, "describe", "--always", "--dirty"], check=False).stdout.strip() or None,
        "tools": {t: sh([t, "--version"], check=False).stdout.strip().splitlines()[:1]
                  for t in ("bpftrace", "perf") if shutil.which(t)}
        | {"auditctl": sh(["auditctl", "-v"], check=False).stdout.strip() if shutil.which("auditctl") else None},
    }


def run_parts(ctx, args, parts, result):
    if "overhead" in parts:
        ctx.log("== overhead and loss: set_mempolicy and getppid loops, rounds interleaved")
        result["runs"] = overhead(ctx, args)
        result["summary"] = summarise(result["runs"])
    if "knee" in parts:
        ctx.log("== loss against call rate, 2 paced load threads")
        result["knee"] = knee(ctx, args)
    if "replay" in parts:
        ctx.log("== rule engine replay throughput (bench/replay)")
        result["replay"] = replay(ctx, args)
    if "profile" in parts:
        ctx.log("== profile: BPF program run time and perf")
        result["profile"] = profile(ctx, args)


def interrupted(signum, frame):
    # Unwind through the finally blocks that stop the tool under test and restore audit state.
    raise KeyboardInterrupt


def main():
    signal.signal(signal.SIGTERM, interrupted)
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--numaguard", required=True)
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--bench-replay", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--only", default="overhead,knee,replay,profile")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.calls_set_mempolicy, args.calls_getppid = 2, 50000, 300000
        args.rates, args.step_seconds, args.knee_reps = [20000, 100000, 0], 1.5, 1
        args.replay_events, args.replay_runs = 100000, 1
    else:
        args.rounds, args.calls_set_mempolicy, args.calls_getppid = 5, 100000, 1000000
        args.rates, args.step_seconds, args.knee_reps = [5000, 10000, 20000, 30000, 40000, 0], 3, 2
        args.replay_events, args.replay_runs = 1000000, 5
    ctx = Ctx(args)
    os.makedirs(ctx.work, exist_ok=True)
    parts = set(args.only.split(","))
    result = {"host": host_facts(ctx.srcdir), "quick": args.quick,
              "parameters": {k: v for k, v in vars(args).items() if k not in ("out", "workdir")}}
    t0 = time.monotonic()
    ctx.audit_quiet = AuditQuiet()
    ctx.audit_quiet.hold()
    result["host"]["audit_quiet_rule_held"] = ctx.audit_quiet.added
    try:
        run_parts(ctx, args, parts, result)
    finally:
        ctx.audit_quiet.release()
    result["unavailable"] = ctx.unavailable
    result["host"]["loadavg_end"] = open("/proc/loadavg").read().strip()
    result["duration_s"] = round(time.monotonic() - t0, 1)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
    if result.get("runs"):
        csvpath = args.out.rsplit(".", 1)[0] + ".csv"
        keys = sorted({k for r in result["runs"] for k in r if not isinstance(r[k], (dict, list))})
        with open(csvpath, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
            w.writeheader()
            w.writerows(result["runs"])
    ctx.log(f"results: {args.out} ({result['duration_s']} s)")


if __name__ == "__main__":
    main()
