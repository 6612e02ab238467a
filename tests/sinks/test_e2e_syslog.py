#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""End to end: `numaguard run` with hostile processes, alerts to a real rsyslogd.

A process whose executable path, command line and comm are full of quotes,
brackets, pipes, equals signs, backslashes, newlines and bytes that are not
UTF-8 calls set_mempolicy(2). The sensor, with a rule matching every call,
sends the alert over syslog UDP, syslog TCP, CEF TCP and to a JSON file. Each
receiver must get exactly one well-formed record for the call, and the values
must unescape to the original bytes (invalid UTF-8 as U+FFFD).

Needs root and BPF: exits 77 (skip) when the sensor cannot load BPF here,
unless NUMAGUARD_REQUIRE_BPF=1; and when rsyslogd is not installed.
"""
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

NUMAGUARD = os.environ["NUMAGUARD"]
REQUIRE_BPF = os.environ.get("NUMAGUARD_REQUIRE_BPF") == "1"
RSYSLOGD = os.environ.get("RSYSLOGD") or shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def skip(reason, bpf=True):
    if bpf and REQUIRE_BPF:
        print("FAIL (NUMAGUARD_REQUIRE_BPF=1):", reason)
        sys.exit(1)
    print("SKIP:", reason)
    sys.exit(77)


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---- receivers' records ---------------------------------------------------------------------

def parse_5424(rec):
    """Strict RFC 5424 parse of our records: (header list, {sd params} or None, msg bytes)."""
    m = re.match(rb"<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) ", rec)
    if not m:
        raise ValueError("bad header: %r" % rec[:120])
    pos = m.end()
    params = None
    if rec[pos:pos + 1] == b"-":
        pos += 1
    else:
        if not rec.startswith(b"[numaguard@32473", pos):
            raise ValueError("bad SD: %r" % rec[pos:pos + 60])
        pos += len(b"[numaguard@32473")
        params = {}
        while rec[pos:pos + 1] == b" ":
            eq = rec.index(b'="', pos)
            name = rec[pos + 1:eq].decode()
            pos = eq + 2
            val = bytearray()
            while rec[pos:pos + 1] != b'"':
                c = rec[pos:pos + 1]
                if c == b"\\" and rec[pos + 1:pos + 2] in (b'"', b"\\", b"]"):
                    pos += 1
                    c = rec[pos:pos + 1]
                elif c == b"]":
                    raise ValueError("unescaped ] in %s" % name)
                elif c == b"":
                    raise ValueError("unterminated value of %s" % name)
                val += c
                pos += 1
            params[name] = bytes(val)
            pos += 1
        if rec[pos:pos + 1] != b"]":
            raise ValueError("SD not closed: %r" % rec[pos:pos + 40])
        pos += 1
    if pos == len(rec):
        return m.groups(), params, b""
    if rec[pos:pos + 1] != b" ":
        raise ValueError("no space before MSG")
    return m.groups(), params, rec[pos + 1:]


def parse_cef(msg):
    if not msg.startswith(b"CEF:"):
        raise ValueError("not CEF: %r" % msg[:40])
    hdr, cur, i = [], bytearray(), 0
    while len(hdr) < 7:
        c = msg[i:i + 1]
        if c == b"":
            raise ValueError("short CEF header")
        if c == b"\\" and msg[i + 1:i + 2] in (b"|", b"\\"):
            cur += msg[i + 1:i + 2]
            i += 2
            continue
        if c in (b"\n", b"\r"):
            raise ValueError("newline in CEF header")
        if c == b"|":
            hdr.append(bytes(cur))
            cur = bytearray()
        else:
            cur += c
        i += 1
    ext = msg[i:]
    if b"\n" in ext or b"\r" in ext:
        raise ValueError("raw newline in CEF extension")
    eqs, j = [], 0
    while j < len(ext):
        if ext[j:j + 1] == b"\\":
            j += 2
            continue
        if ext[j:j + 1] == b"=":
            eqs.append(j)
        j += 1
    out = {}
    for n, e in enumerate(eqs):
        ks = ext.rfind(b" ", 0, e) + 1
        ve = ext.rfind(b" ", 0, eqs[n + 1]) if n + 1 < len(eqs) else len(ext)
        raw, val, k = ext[e + 1:ve], bytearray(), 0
        while k < len(raw):
            if raw[k:k + 1] == b"\\" and k + 1 < len(raw):
                nxt = raw[k + 1:k + 2]
                val += {b"n": b"\n", b"r": b"\r"}.get(nxt, nxt)
                k += 2
            else:
                val += raw[k:k + 1]
                k += 1
        out[ext[ks:e].decode()] = bytes(val)
    return hdr, out


def received(path):
    """(input name, raw record bytes) per line of rsyslog's JSON-escaped output."""
    recs = []
    if not os.path.exists(path):
        return recs
    with open(path, "rb") as f:
        for line in f:
            name, _, body = line.rstrip(b"\n").partition(b" ")
            text = json.loads(b'"' + body + b'"')
            recs.append((name.decode(), text.encode("utf-8", "surrogatepass")))
    return recs


# ---- the hostile process --------------------------------------------------------------------

HOSTILE_COMM = b'c"]|=\\\n\xfe x'
# Short, so the whole command line fits every transport's limits untruncated.
CHILD = ("import ctypes as c,sys,time;l=c.CDLL(None);"
         "l.prctl(15,sys.argv[1].encode('utf-8','surrogateescape'),0,0,0);m=c.c_ulong(1);"
         "print(l.syscall(238,2,c.byref(m),2),flush=True);time.sleep(3)")


def die_with_parent():
    # A receiver or sensor must not outlive a test that crashes.
    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def main():
    if os.geteuid() != 0:
        skip("needs root to load BPF")
    if not os.access(RSYSLOGD, os.X_OK):
        skip("rsyslogd not found (install rsyslog or set RSYSLOGD)", bpf=False)

    work = tempfile.mkdtemp(prefix="ng-e2e-")
    rs = sensor = None
    try:
        udp, tcp, cef = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), \
            free_port(socket.SOCK_STREAM)
        out = os.path.join(work, "received.log")
        conf = os.path.join(work, "rsyslog.conf")
        with open(conf, "w") as f:
            f.write(f"""
global(workDirectory="{work}" maxMessageSize="64k"
       parser.escapeControlCharactersOnReceive="off" parser.dropTrailingLFOnReception="off")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}" name="udp")
input(type="imtcp" address="127.0.0.1" port="{tcp}" name="tcp")
input(type="imtcp" address="127.0.0.1" port="{cef}" name="cef")
template(name="raw" type="list") {{ property(name="inputname") constant(value=" ")
  property(name="rawmsg" format="json") constant(value="\\n") }}
action(type="omfile" file="{out}" template="raw")
""")
        rs = subprocess.Popen([RSYSLOGD, "-n", "-f", conf, "-i", os.path.join(work, "rs.pid")],
                              stdout=subprocess.DEVNULL, preexec_fn=die_with_parent)
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", tcp), 0.1).close()
                socket.create_connection(("127.0.0.1", cef), 0.1).close()
                break
            except OSError:
                time.sleep(0.01)

        rules = os.path.join(work, "rules.yaml")
        with open(rules, "w") as f:
            f.write("""- rule: Any set_mempolicy (end-to-end sink test)
  id: NG-E2E-1
  desc: every set_mempolicy call
  condition: evt.syscall = set_mempolicy
  output: "set_mempolicy pid=%proc.pid name=%proc.name exe=%proc.exepath cmd=%proc.cmdline"
  priority: WARNING
""")
        alerts = os.path.join(work, "alerts.jsonl")
        err_path = os.path.join(work, "sensor.err")
        err = open(err_path, "w+")
        sensor = subprocess.Popen(
            [NUMAGUARD, "run", "--no-default-rules", "--rules", rules,
             "--output", f"syslog+udp://127.0.0.1:{udp}",
             "--output", f"syslog+tcp://127.0.0.1:{tcp}",
             "--output", f"cef+tcp://127.0.0.1:{cef}",
             "--output", "file:" + alerts],
            stdout=subprocess.DEVNULL, stderr=err, preexec_fn=die_with_parent)
        deadline = time.time() + 60
        started = False
        while time.time() < deadline and sensor.poll() is None:
            with open(err_path) as f:
                if "numaguard: capturing" in f.read():
                    started = True
                    break
            time.sleep(0.05)
        if not started:
            sensor.kill()
            rc = sensor.wait()
            with open(err_path) as f:
                text = f.read()
            if rc == 2 and re.search(r"needs root|no bpf\(\)|no BPF ring buffer", text):
                skip("the sensor cannot load BPF here: " + text.strip())
            print(text)
            raise SystemExit("FAIL: the sensor did not start (stderr above)")

        # A copy of the interpreter at a hostile path, run with a hostile argument.
        hdir = os.path.join(os.fsencode(work), b'd"i r]|=\\\n\xff')
        os.mkdir(hdir)
        exe = os.path.join(hdir, b'py"]|=\\x')
        shutil.copy(os.path.realpath(sys.executable), exe)
        arg = b'a "]|=\\\n\xff end'
        env = dict(os.environ, PYTHONHOME=sys.base_prefix)
        argv = [exe, b"-c", CHILD.encode(), HOSTILE_COMM, arg]
        child = subprocess.Popen(argv, stdout=subprocess.PIPE, env=env)
        ret = child.stdout.readline().strip()
        check(ret == b"0", f"the hostile process's set_mempolicy returned {ret!r}")
        pid = child.pid
        time.sleep(1.0)
        sensor.send_signal(signal.SIGINT)
        check(sensor.wait(timeout=30) == 0, "sensor exit status after SIGINT")
        child.wait()

        def fix(b):
            return b.decode("utf-8", "replace").encode()

        want = {
            "name": fix(HOSTILE_COMM[:15]),
            "exe": fix(exe),
            "cmd": fix(b" ".join(argv)),
        }
        # rsyslog writes when it gets to it: wait (bounded) until each input has
        # something from the pid, then a moment more so a duplicate would show.
        deadline = time.time() + 15
        while time.time() < deadline:
            seen = {name for name, raw in received(out) if str(pid).encode() in raw}
            if seen >= {"udp", "tcp", "cef"}:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        recs = received(out)
        mine = {"udp": [], "tcp": [], "cef": []}
        for name, raw in recs:
            try:
                hdr, sd, msg = parse_5424(raw)
            except ValueError as e:
                check(False, f"{name}: malformed record ({e})")
                continue
            if name == "cef":
                try:
                    chdr, ext = parse_cef(msg)
                except ValueError as e:
                    check(False, f"cef: malformed CEF ({e})")
                    continue
                if ext.get("spid") == str(pid).encode():
                    mine["cef"].append((chdr, ext))
            elif sd and sd.get("proc.pid") == str(pid).encode():
                mine[name].append((hdr, sd, msg))

        for name in ("udp", "tcp"):
            check(len(mine[name]) == 1, f"{name}: {len(mine[name])} records for pid {pid}, want 1")
            for hdr, sd, msg in mine[name][:1]:
                check(hdr[5] == b"NG-E2E-1", f"{name}: MSGID {hdr[5]!r}")
                check(sd.get("proc.name") == want["name"],
                      f"{name}: proc.name {sd.get('proc.name')!r} != {want['name']!r}")
                trunc = b"truncated" in sd
                for key, w in (("proc.exepath", want["exe"]), ("proc.cmdline", want["cmd"])):
                    got = sd.get(key)
                    ok = got == w or (trunc and got is not None and w.startswith(got))
                    check(ok, f"{name}: {key} {got!r} != {w!r}")
                check(msg.startswith(b"\xef\xbb\xbfset_mempolicy pid=%d " % pid),
                      f"{name}: MSG {msg[:60]!r}")
        check(len(mine["cef"]) == 1, f"cef: {len(mine['cef'])} records for pid {pid}, want 1")
        for chdr, ext in mine["cef"][:1]:
            check(chdr[4] == b"NG-E2E-1" and chdr[6] == b"6", f"cef: header {chdr!r}")
            check(ext.get("sproc") == want["name"], f"cef: sproc {ext.get('sproc')!r}")
            check(ext.get("filePath") == want["exe"], f"cef: filePath {ext.get('filePath')!r}")
            check(ext.get("cs4") == want["cmd"], f"cef: cs4 {ext.get('cs4')!r}")

        n = 0
        with open(alerts, "rb") as f:
            for line in f:
                a = json.loads(line)
                if a.get("source") != "numaguard" or a["output_fields"].get("proc.pid") != pid:
                    continue
                n += 1
                of = a["output_fields"]
                check(of["proc.name"].encode() == want["name"], f"json: proc.name {of['proc.name']!r}")
                check(of["proc.exepath"].encode() == want["exe"], f"json: exepath {of['proc.exepath']!r}")
                check(of["proc.cmdline"].encode() == want["cmd"], f"json: cmdline {of['proc.cmdline']!r}")
                check(a["rule_id"] == "NG-E2E-1" and a["priority"] == "Warning" and a["seq"] >= 1,
                      f"json: alert {a!r}")
        check(n == 1, f"json: {n} alerts for pid {pid}, want 1")
    finally:
        for p in (sensor, rs):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if os.environ.get("NUMAGUARD_KEEP_TMP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)

    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("ok: one well-formed record per transport, hostile values intact")


if __name__ == "__main__":
    main()
