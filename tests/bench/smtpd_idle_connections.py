#!/usr/bin/env python3
"""Benchmark (not a test): many concurrent idle SMTP sessions (greeted, EHLO answered, then
left idle) against Tern (default 10,000) and a side Postfix (default 500: one smtpd process
per session): the summed RSS and PSS of all the MTA's processes at rest and with the sessions
held, per session, and the time it took to greet them all. Prints a Markdown table.

Usage: tests/bench/run idle [--tern-sessions N] [--postfix-sessions N] [--only tern|postfix]
                            [--build-dir DIR] [--no-build] [--work-dir DIR]
Needs root (side Postfix instance); loopback ports 3500-3599."""
import argparse
import errno
import os
import resource
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import BenchError, log  # noqa: E402


def tree_pss_kib(root):
    return benchlib.tree_kib(root, "smaps_rollup", "Pss:")


def open_idle_sessions(port, count, in_flight=200, timeout=300):
    """Opens `count` sessions, at most `in_flight` not yet idle at a time; each reads its
    greeting, sends EHLO and reads the reply. Returns (sockets, seconds until the last greeting,
    seconds until the last EHLO reply). Raises BenchError if a session fails or time runs out."""
    sel = selectors.DefaultSelector()
    idle, buffers = [], {}
    opened = greeted = 0
    start = time.monotonic()
    greet_done = None
    deadline = start + timeout

    def open_one():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(("127.0.0.1", port))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            raise BenchError("connect: %s" % os.strerror(err))
        buffers[s] = b""
        sel.register(s, selectors.EVENT_READ, "greeting")

    try:
        while len(idle) < count:
            while opened < count and opened - len(idle) < in_flight:
                open_one()
                opened += 1
            if time.monotonic() > deadline:
                raise BenchError("only %d of %d sessions idle after %.0fs" % (len(idle), count, timeout))
            for key, _ in sel.select(timeout=1):
                s = key.fileobj
                try:
                    chunk = s.recv(4096)
                except ConnectionError as e:
                    raise BenchError("session %d: %s" % (opened, e))
                if not chunk:
                    raise BenchError("the server closed a session (%s) after %d idle" % (key.data, len(idle)))
                buffers[s] += chunk
                last = buffers[s].split(b"\r\n")[-2:-1]  # last complete line
                if not last or last[0][3:4] == b"-":
                    continue
                reply = last[0]
                buffers[s] = b""
                if key.data == "greeting":
                    if not reply.startswith(b"220"):
                        raise BenchError("greeting: %r" % reply)
                    greeted += 1
                    if greeted == count:
                        greet_done = time.monotonic() - start
                    s.sendall(b"EHLO idle-client.localdomain\r\n")
                    sel.modify(s, selectors.EVENT_READ, "ehlo")
                else:
                    if not reply.startswith(b"250"):
                        raise BenchError("EHLO: %r" % reply)
                    sel.unregister(s)
                    idle.append(s)
    except BaseException:
        for s in list(buffers):
            s.close()
        raise
    sel.close()
    return idle, greet_done, time.monotonic() - start


def start_and_measure(mta, label, count):
    """Starts MTA, measures COUNT idle sessions against it, stops it."""
    try:
        mta.start()
        log("%s: opening %d idle sessions on 127.0.0.1:%d" % (label, count, mta.port))
        return measure(mta, count)
    finally:
        mta.stop()


def measure(mta, count):
    root = mta.root_pid()
    time.sleep(2)
    rest_rss, rest_pss = benchlib.tree_rss_kib(root), tree_pss_kib(root)
    socks, greet_s, ehlo_s = open_idle_sessions(mta.port, count)
    try:
        time.sleep(3)  # let the server settle with every session idle
        held_rss, held_pss = benchlib.tree_rss_kib(root), tree_pss_kib(root)
        procs = len(benchlib.process_tree(root))
    finally:
        for s in socks:
            s.close()
    return {"sessions": count, "procs": procs, "rest_rss": rest_rss / 1024, "held_rss": held_rss / 1024,
            "rss_per": (held_rss - rest_rss) / count, "pss_per": (held_pss - rest_pss) / count,
            "held_pss": held_pss / 1024, "greet_s": greet_s, "greet_per_ms": 1000 * greet_s / count,
            "ehlo_s": ehlo_s}


ROWS = [
    ("sessions", "idle sessions held (after EHLO)", "%d"),
    ("procs", "MTA processes with the sessions held", "%d"),
    ("rest_rss", "RSS at rest, all processes (MiB)", "%.1f"),
    ("held_rss", "RSS with the sessions held (MiB)", "%.1f"),
    ("held_pss", "PSS with the sessions held (MiB)", "%.1f"),
    ("rss_per", "RSS per session (KiB)", "%.1f"),
    ("pss_per", "PSS per session (KiB)", "%.1f"),
    ("greet_s", "time to greet all sessions (s)", "%.2f"),
    ("greet_per_ms", "greeting time per session (ms)", "%.3f"),
    ("ehlo_s", "time until all answered EHLO (s)", "%.2f"),
]
PER_SESSION = ("rss_per", "pss_per", "greet_per_ms")


def table(results):
    t, p = results.get("tern"), results.get("postfix")
    lines = ["| | Tern | Postfix | Tern/Postfix (per session) |", "| --- | ---: | ---: | ---: |"]
    for key, label, form in ROWS:
        ratio = "%.3g" % (t[key] / p[key]) if t and p and key in PER_SESSION and p[key] else ""
        lines.append("| %s | %s | %s | %s |" % (label, form % t[key] if t else "—", form % p[key] if p else "—", ratio))
    return "\n".join(lines)


def on_sigterm(signum, frame):
    raise KeyboardInterrupt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tern-sessions", type=int, default=10000)
    ap.add_argument("--postfix-sessions", type=int, default=500)
    ap.add_argument("--only", choices=["tern", "postfix"])
    ap.add_argument("--build-dir", default="/tmp/tern-bench-build")
    ap.add_argument("--source-dir", default=benchlib.SOURCE_DIR)
    ap.add_argument("--work-dir", default="/tmp/tern-bench")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root")
    signal.signal(signal.SIGTERM, on_sigterm)
    need = max(args.tern_sessions, args.postfix_sessions) + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))  # root may raise the hard limit
    else:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    os.makedirs(args.work_dir, exist_ok=True)
    port, sink_port = benchlib.free_ports(2)
    results = {}
    if args.only != "postfix":
        if not args.no_build:
            log("building Tern (release) in %s" % args.build_dir)
            benchlib.build_release(args.build_dir, args.source_dir)
        tern = benchlib.TernInstance(args.build_dir, os.path.join(args.work_dir, "tern-idle"), port, sink_port,
                                     map_count=1, extra={"smtpd_client_connection_count_limit": "0",
                                                         "smtpd_connection_limit": "0", "smtpd_timeout": "600s"})
        results["tern"] = start_and_measure(tern, "Tern", args.tern_sessions)
        bad = [line for line in tern.log().splitlines() if any(w in line.lower() for w in ("error", "warning", "fatal"))]
        if bad:
            log("Tern log: %d error/warning/fatal lines, e.g. %s" % (len(bad), bad[:3]))
    if args.only != "tern":
        postfix = benchlib.PostfixInstance(os.path.join(args.work_dir, "postfix"), port, sink_port,
                                           smtpd_maxproc=args.postfix_sessions + 100)
        results["postfix"] = start_and_measure(postfix, "Postfix", args.postfix_sessions)
    print("## Idle SMTP sessions\n")
    print(table(results))
    print("\nRSS sums every process (shared pages once per process); PSS shares them out. "
          "Per-session figures are (with sessions - at rest) / sessions. The client keeps at most 200 "
          "sessions in set-up at a time, so a very fast greeting time is the client's bound.")


if __name__ == "__main__":
    benchlib.run_main(main)
