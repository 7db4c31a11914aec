#!/usr/bin/env python3
"""Benchmark (issue #6): Tern against a side Postfix on this machine, in one run.

Builds Tern in release mode, starts Tern and a Postfix instance with equivalent settings
(fsync on both; bench.test as virtual Maildirs, relay.test relayed to a local smtp-sink), loads
both with smtp-source (N messages of 4 KiB at 1, 10, 50, 200 sessions), alternating Tern and
Postfix for several rounds, and prints one Markdown table of medians: accepted and delivered
msgs/s, p50/p99 dot->250 latency (from an extra probe session), CPU seconds per 1,000 messages
and peak RSS of each MTA's process tree, with Tern/Postfix ratios; plus the disk's fsync
ceiling and the protocol ceiling (smtp-source into smtp-sink) measured in the same run.

Usage: tests/bench/run [--messages N] [--rounds R] [--sessions 1,10,50,200]
                       [--scenarios maildir,relay] [--only tern|postfix] [--build-dir DIR]
Needs root (Postfix instance, mailbox uid 5000), smtp-source/smtp-sink, loopback ports
3500-3599. The table is also saved (path printed at the end)."""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import BenchError, log  # noqa: E402
from smtp_probe import SmtpProbe, percentile  # noqa: E402

METRICS = [  # key, label, lower is better
    ("accepted", "accepted msgs/s", False),
    ("delivered", "delivered msgs/s (end to end)", False),
    ("p50_ms", "dot→250 p50 (ms)", True),
    ("p99_ms", "dot→250 p99 (ms)", True),
    ("cpu_per_1k", "CPU s per 1,000 msgs", True),
    ("rss_mib", "peak RSS, all processes (MiB)", True),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", default="/tmp/tern-bench-build")
    p.add_argument("--source-dir", default=benchlib.SOURCE_DIR)
    p.add_argument("--work-dir", default="/tmp/tern-bench", help="instances, spools, Maildirs, results")
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--size", type=int, default=4096, help="message body bytes")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--sessions", default="1,10,50,200")
    p.add_argument("--scenarios", default="maildir,relay")
    p.add_argument("--only", choices=["tern", "postfix"])
    p.add_argument("--fsync-seconds", type=float, default=3.0, help="duration of each disk-ceiling test")
    p.add_argument("--no-ceilings", action="store_true", help="skip the disk and protocol ceilings")
    p.add_argument("--no-build", action="store_true", help="use --build-dir as it is")
    p.add_argument("--pause", type=float, default=2.0, help="seconds of rest after sync, before each run")
    p.add_argument("--timeout", type=float, default=1800, help="bound on each load and each delivery wait (s)")
    p.add_argument("--tern-setting", action="append", default=[], metavar="NAME=VALUE",
                   help="a tern.conf setting for the Tern instance, over the bench's own (repeatable)")
    p.add_argument("--keep-trash", action="store_true",
                   help="leave WORK_DIR/trash (the retired instances and Maildirs) for the caller to remove:"
                        " runs back to back then never follow a mass deletion on the same disk")
    p.add_argument("--output", help="Markdown file for the table (default WORK_DIR/results-TIME.md)")
    args = p.parse_args()
    args.sessions = [int(s) for s in args.sessions.split(",") if s]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for s in args.scenarios:
        if s not in ("maildir", "relay"):
            p.error("unknown scenario %r" % s)
    for kv in args.tern_setting:
        if "=" not in kv or not kv.split("=", 1)[0].strip():
            p.error("--tern-setting wants NAME=VALUE, not %r" % kv)
    args.tern_setting = dict(kv.split("=", 1) for kv in args.tern_setting)
    args.mtas = [args.only] if args.only else ["tern", "postfix"]
    return args


# --- ceilings -------------------------------------------------------------------------------
def fsync_ceiling(work_dir, seconds):
    """cycles/s of create+write 4 KiB+fsync+rename (fsync-rate.c), keyed (threads, dirsync)."""
    binary = os.path.join(work_dir, "fsync-rate")
    subprocess.run(["gcc", "-O2", "-pthread", "-o", binary, os.path.join(benchlib.SHARED_BENCH, "fsync-rate.c")],
                   check=True, timeout=120)
    out = {}
    for dirsync in (0, 1):
        for threads in (1, 16):
            os.sync()
            result = subprocess.run([binary, work_dir, str(threads), str(seconds), "4096", str(dirsync)],
                                    capture_output=True, text=True, timeout=seconds + 120)
            m = re.search(r"rate=([\d.]+)/s", result.stdout)
            out[(threads, dirsync)] = float(m.group(1)) if m else None
    return out


def smtp_source(port, count, sessions, size, domain, timeout):
    """Runs smtp-source; returns (elapsed seconds, exit code, output)."""
    cmd = ["smtp-source", "-N", "-s", str(sessions), "-m", str(count), "-l", str(size),
           "-M", "bench-client.localdomain", "-f", "bench@relay.test", "-t", "u@" + domain,
           "127.0.0.1:%d" % port]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
        raise BenchError("smtp-source did not finish within %.0fs" % timeout)
    return time.monotonic() - start, proc.returncode, out.decode("utf-8", "replace")


def protocol_ceiling(port, work_dir, messages, sessions_list, size, timeout):
    """msgs/s of smtp-source into smtp-sink (nothing stored), keyed by sessions."""
    sink = benchlib.SmtpSink(port, os.path.join(work_dir, "protocol-sink.out")).start()
    out = {}
    try:
        for sessions in sessions_list:
            elapsed, rc, text = smtp_source(port, messages, sessions, size, "relay.test", timeout)
            out[sessions] = messages / elapsed if rc == 0 else None
            if rc != 0:
                log("smtp-source into smtp-sink failed: %s" % text[-500:])
    finally:
        sink.stop()
    return out


# --- one measured run -------------------------------------------------------------------------
class RssSampler(threading.Thread):
    """Peak of the summed VmRSS of a process tree, sampled every `interval` seconds."""

    def __init__(self, root, interval=0.25):
        super().__init__(daemon=True)
        self.root, self.interval, self.peak_kib = root, interval, 0
        self.halt = threading.Event()

    def run(self):
        while True:
            self.peak_kib = max(self.peak_kib, benchlib.tree_rss_kib(self.root))
            if self.halt.wait(self.interval):
                return

    def stop(self):
        self.halt.set()
        self.join(10)


def run_once(mta, scenario, sessions, args, sink_port):
    """One load of args.messages messages at `sessions` sessions; returns a metrics dict."""
    mta.reset_maildirs()  # untimed
    os.sync()
    time.sleep(args.pause)
    root = mta.root_pid()
    if not root:
        raise BenchError("%s is not running" % mta.name)
    sink = None
    if scenario == "relay":
        sink = benchlib.SmtpSink(sink_port, os.path.join(args.work_dir, "sink-%s.out" % mta.name)).start()
        domain, delivered = "relay.test", sink.messages
        recipient = "probe{}@relay.test".format
    else:
        domain, delivered = "bench.test", lambda: benchlib.count_maildir_new(mta.maildirs)
        recipient = lambda i: "u%d@bench.test" % (i % 1000)  # noqa: E731
    probe = sampler = None
    try:
        probe = SmtpProbe(mta.port, recipient, args.size).connect()
        probe.start()
        sampler = RssSampler(root)
        sampler.start()
        cpu_before = benchlib.tree_cpu_seconds(root)
        t0 = time.monotonic()
        probe.go.set()
        elapsed, rc, text = smtp_source(mta.port, args.messages, sessions, args.size, domain, args.timeout)
        probe.stop()
        accept_s = time.monotonic() - t0
        if rc != 0:
            log("%s: smtp-source exited %d: %s" % (mta.name, rc, text.strip()[-800:]))
        total = args.messages + probe.accepted()
        deadline = t0 + accept_s + args.timeout
        count = delivered()
        while count < total and time.monotonic() < deadline:
            time.sleep(0.2)
            count = delivered()
        deliver_s = time.monotonic() - t0
        if count < total:
            log("%s: only %d of %d messages delivered within %.0fs" % (mta.name, count, total, args.timeout))
        try:  # the queue's clean-up after delivery is part of the CPU cost
            benchlib.wait_for(lambda: mta.queue_files() == 0, 30, "%s's queue to empty" % mta.name, 0.2)
        except BenchError as e:
            log(str(e))
        drain_s = time.monotonic() - t0 - deliver_s
        cpu = benchlib.tree_cpu_seconds(root) - cpu_before
        sampler.stop()
        lat = probe.latencies
        result = {
            "accepted": total / accept_s if rc == 0 else None,
            "delivered": total / deliver_s if count >= total else None,
            "p50_ms": 1000 * percentile(lat, 0.50) if lat else None,
            "p99_ms": 1000 * percentile(lat, 0.99) if lat else None,
            "cpu_per_1k": 1000 * cpu / total,
            "rss_mib": sampler.peak_kib / 1024,
            "probe_samples": len(lat),
            "probe_failures": len(probe.failures),
            "messages": total,
            "load_s": accept_s,
            "drain_s": drain_s,
        }
        if probe.failures:
            log("%s: probe failures: %s" % (mta.name, probe.failures[:3]))
        return result
    finally:
        if probe is not None and probe.is_alive():
            probe.stop()
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if sink is not None:
            sink.stop()


# --- report ---------------------------------------------------------------------------------
def fmt(value, key=None):
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    if key in ("p50_ms", "p99_ms", "cpu_per_1k") and value < 10:
        return "%.2f" % value
    return "%.1f" % value if value < 100 else "%.0f" % value


def median_of(runs, key):
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def log_findings(name, text, pattern):
    lines = [line for line in text.splitlines() if re.search(pattern, line, re.I)]
    kinds = {}
    for line in lines:
        shape = re.sub(r"\[\d+\]|\b[0-9A-F]{8,}\b|\d+", "#", line.split(": ", 1)[-1])[:160]
        kinds.setdefault(shape, line)
    out = ["- %s log: %d line(s) matching /%s/" % (name, len(lines), pattern)]
    for shape, example in list(kinds.items())[:8]:
        out.append("  - `%s`" % example.strip()[:240])
    return out


def report(args, results, ceilings, protocol, header, findings):
    lines = ["# Tern vs Postfix, side by side", ""] + header + [""]
    lines += ["## Load: %d messages of %d bytes per run, medians of %d round(s)" % (args.messages, args.size, args.rounds), "",
              "| scenario | sessions | metric | Tern | Postfix | Tern/Postfix |",
              "| --- | ---: | --- | ---: | ---: | ---: |"]
    for scenario in args.scenarios:
        for sessions in args.sessions:
            for key, label, lower_better in METRICS:
                t = median_of(results.get(("tern", scenario, sessions), []), key)
                p = median_of(results.get(("postfix", scenario, sessions), []), key)
                ratio = "%.2f" % (t / p) if t is not None and p else "—"
                lines.append("| %s | %d | %s | %s | %s | %s |" % (scenario, sessions, label, fmt(t, key), fmt(p, key), ratio))
    samples = {mta: sum(r.get("probe_samples", 0) for k, runs in results.items() if k[0] == mta for r in runs)
               for mta in args.mtas}
    lines += ["",
              "Rates count every message of the run: smtp-source's N plus the probe session's messages. "
              "Accepted = all accepted / time until smtp-source finished; delivered = all in the Maildirs "
              "(or counted by smtp-sink) / time from start until the last one arrived. dot→250 is measured "
              "by one extra session sending back to back during the load (%s samples in all). CPU = "
              "utime+stime+cutime+cstime over the MTA's process tree, from start until its queue was empty. "
              "RSS sums every process (shared pages count once per process); Postfix's includes smtpd "
              "processes still idle from the previous run (they exit after max_idle, 100 s). Ratios > 1 are better for "
              "rates, worse for latency, CPU and RSS." % ", ".join("%s %d" % kv for kv in samples.items()), ""]
    if ceilings or protocol:
        lines += ["## Ceilings of this machine (same run)", "", "| disk (fsync-rate.c in the work directory) | 1 thread | 16 threads |", "| --- | ---: | ---: |"]
        for dirsync in (0, 1):
            label = "create+write 4 KiB+fsync+rename" + (" + directory fsync" if dirsync else "")
            lines.append("| %s, cycles/s | %s | %s |" % (label, fmt(ceilings.get((1, dirsync))),
                                                                     fmt(ceilings.get((16, dirsync)))))
        if protocol:
            lines += ["", "| protocol: smtp-source → smtp-sink (msgs/s) | " +
                      " | ".join("%d session%s" % (s, "s" if s > 1 else "") for s in protocol) + " |",
                      "| --- | " + " | ".join("---:" for _ in protocol) + " |",
                      "| %d messages of %d bytes | " % (args.messages, args.size) +
                      " | ".join(fmt(v) for v in protocol.values()) + " |"]
        lines.append("")
    lines += ["## Logs", ""] + findings + [""]
    return "\n".join(lines)


def describe(args):
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return "?"
    commit = run(["git", "-C", args.source_dir, "rev-parse", "--short", "HEAD"])
    dirty = run(["git", "-C", args.source_dir, "status", "--porcelain", "--untracked-files=no"])
    return ["- %s, %s, %d CPUs; Tern %s%s (release build in %s); Postfix %s" % (
        time.strftime("%Y-%m-%d %H:%M"), socket.gethostname(), os.cpu_count(), commit,
        " + uncommitted edits" if dirty else "", args.build_dir,
        run(["postconf", "-dh", "mail_version"])),
        "- order per round: %s, for each scenario × sessions; rounds: %d; sessions: %s; scenarios: %s" % (
        " then ".join(args.mtas), args.rounds, ",".join(map(str, args.sessions)), ",".join(args.scenarios))]


# --- main -------------------------------------------------------------------------------------
def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # unwinds through the finally blocks that stop every process


def main():
    args = parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (side Postfix instance, mailboxes owned by uid 5000)")
    signal.signal(signal.SIGTERM, on_sigterm)
    os.makedirs(args.work_dir, exist_ok=True)
    if benchlib.isolate_subdirectories(args.work_dir):
        # Instance directories made before the flag share their parent's block group: remake them.
        for name in ("tern", "postfix"):
            if os.path.exists(os.path.join(args.work_dir, name)):
                benchlib.move_to_trash(os.path.join(args.work_dir, name), benchlib.trash_dir(args.work_dir), name)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    output = args.output or os.path.join(args.work_dir, "results-%s.md" % stamp)
    if "tern" in args.mtas and not args.no_build:
        log("building Tern (release) in %s" % args.build_dir)
        benchlib.build_release(args.build_dir, args.source_dir)
    tern_port, postfix_port, sink_port, proto_port = benchlib.free_ports(4)
    map_count = max(200001, args.messages + 1)
    instances = {}
    results = {}
    ceilings, protocol = {}, {}
    try:
        if not args.no_ceilings:
            log("disk ceiling (fsync-rate, %.0fs per test)" % args.fsync_seconds)
            ceiling_dir = os.path.join(args.work_dir, "ceiling")  # its own block group, as the MTAs
            os.makedirs(ceiling_dir, exist_ok=True)
            ceilings = fsync_ceiling(ceiling_dir, args.fsync_seconds)
            log("protocol ceiling (smtp-source -> smtp-sink on %d)" % proto_port)
            protocol = protocol_ceiling(proto_port, args.work_dir, args.messages, args.sessions, args.size, args.timeout)
        if "tern" in args.mtas:
            log("starting Tern on 127.0.0.1:%d" % tern_port)
            instances["tern"] = benchlib.TernInstance(args.build_dir, os.path.join(args.work_dir, "tern"),
                                                      tern_port, sink_port, map_count,
                                                      extra=args.tern_setting)
            instances["tern"].start()
        if "postfix" in args.mtas:
            log("starting Postfix on 127.0.0.1:%d" % postfix_port)
            instances["postfix"] = benchlib.PostfixInstance(os.path.join(args.work_dir, "postfix"),
                                                            postfix_port, sink_port, map_count)
            instances["postfix"].start()
        for rnd in range(1, args.rounds + 1):
            for scenario in args.scenarios:
                for sessions in args.sessions:
                    for name in args.mtas:
                        log("round %d/%d %s %s, %d sessions" % (rnd, args.rounds, name, scenario, sessions))
                        try:
                            r = run_once(instances[name], scenario, sessions, args, sink_port)
                        except BenchError as e:
                            log("%s run failed: %s" % (name, e))
                            continue
                        log("  " + ", ".join("%s=%s" % (k, fmt(v, k)) for k, v in r.items()))
                        results.setdefault((name, scenario, sessions), []).append(r)
    finally:
        for mta in instances.values():
            try:
                mta.stop()
            except Exception as e:  # keep stopping the others
                log("stopping %s: %s" % (mta.name, e))
        if not args.keep_trash:
            benchlib.empty_trash(benchlib.trash_dir(args.work_dir))
    findings = []
    if "tern" in instances:
        findings += log_findings("Tern", instances["tern"].log(), r"error|warning|fatal")
        findings.append("  (full log: %s)" % instances["tern"].log_path)
    if "postfix" in instances:
        findings += log_findings("Postfix", instances["postfix"].log(), r"error|warning|fatal|panic")
        findings.append("  (full log: %s)" % instances["postfix"].log_path)
    text = report(args, results, ceilings, protocol, describe(args), findings)
    with open(output, "w") as f:
        f.write(text)
    print(text)
    log("table saved to %s" % output)


if __name__ == "__main__":
    benchlib.run_main(main)
