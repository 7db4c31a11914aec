#!/usr/bin/env python3
"""Benchmark (not a test): hold N concurrent idle SMTP connections against one smtpd and print
its memory. Usage: TERN_BUILD_DIR=build python3 tests/bench/smtpd_idle_connections.py [N]

Each connection is opened, its 220 greeting read, then left idle; smtpd's VmRSS (from
/proc/PID/status, PID from `ternctl status`) is printed before and with all N held."""
import os
import resource
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from ternlib import Tern  # noqa: E402


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count + 1000)), hard))
    config = {"smtpd_client_connection_count_limit": "0", "smtpd_connection_limit": "0",
              "smtpd_timeout": "600s"}
    with Tern(config=config) as tern:
        tern.start()
        pid = tern.pids("smtpd")[0]
        before = rss_kib(pid)
        socks = []
        start = time.monotonic()
        for i in range(count):
            s = socket.create_connection(("127.0.0.1", tern.smtp_port), timeout=30)
            socks.append(s)
        for s in socks:
            data = s.recv(512)
            if not data.startswith(b"220"):
                raise SystemExit("connection without a greeting: %r" % data)
        elapsed = time.monotonic() - start
        time.sleep(1)
        held = rss_kib(pid)
        print("smtpd pid %d: %d idle connections held (opened and greeted in %.1fs)" % (pid, len(socks), elapsed))
        print("VmRSS before: %d KiB; with %d connections: %d KiB; per connection: %.2f KiB"
              % (before, count, held, (held - before) / count))
        for s in socks:
            s.close()


if __name__ == "__main__":
    main()
