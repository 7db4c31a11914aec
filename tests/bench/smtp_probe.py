"""A latency probe for the benchmarks: one SMTP session that sends messages back to back while
a load runs and records, for each, the time from sending the final "." to reading the 250
reply. Runs in a thread; stop() ends it after the message in flight."""
import math
import socket
import threading
import time


class ProbeError(Exception):
    pass


class SmtpProbe(threading.Thread):
    def __init__(self, port, recipient_of, size=4096, timeout=60):
        """recipient_of(i) gives the recipient of the i-th probe message."""
        super().__init__(daemon=True)
        self.port = port
        self.recipient_of = recipient_of
        self.timeout = timeout
        self.body = self._body(size)
        self.latencies = []    # seconds, one per message answered 250
        self.failures = []     # replies other than 250 (and exceptions), as text
        self.go = threading.Event()
        self.halt = threading.Event()
        self.sock = None
        self.buf = b""

    @staticmethod
    def _body(size):
        line = b"probe payload " + b"x" * 62 + b"\r\n"
        lines = line * (size // len(line) + 1)
        return lines[:size - 2].replace(b"\r\n.", b"\r\nx") + b"\r\n"

    def _reply(self):
        """Reads one (possibly multi-line) reply; returns its last line."""
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ProbeError("connection closed by server")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            if len(line) < 4 or line[3:4] != b"-":
                return line.decode("ascii", "replace")

    def _command(self, text, want):
        self.sock.sendall(text.encode() + b"\r\n")
        reply = self._reply()
        if not reply.startswith(want):
            raise ProbeError("%s -> %s" % (text, reply))
        return reply

    def connect(self):
        """Opens the session (greeting and EHLO) before the load starts."""
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        # Without this, Nagle holds the short "." segment until the body is acknowledged
        # (up to the peer's delayed-ACK time, ~40 ms), which would be measured as latency.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not self._reply().startswith("220"):
            raise ProbeError("no 220 greeting")
        self._command("EHLO probe.localdomain", "250")
        return self

    def _send_one(self, i):
        self._command("MAIL FROM:<probe@relay.test>", "250")
        self._command("RCPT TO:<%s>" % self.recipient_of(i), "25")
        self._command("DATA", "354")
        headers = ("From: <probe@relay.test>\r\nTo: <%s>\r\nSubject: probe %d\r\n"
                   "Message-ID: <probe-%d-%d@relay.test>\r\n\r\n" % (self.recipient_of(i), i, i, time.time_ns()))
        self.sock.sendall(headers.encode() + self.body)
        start = time.monotonic()
        self.sock.sendall(b".\r\n")
        reply = self._reply()
        elapsed = time.monotonic() - start
        if reply.startswith("250"):
            self.latencies.append(elapsed)
        else:
            self.failures.append(reply)

    def run(self):
        self.go.wait()
        i = 0
        try:
            while not self.halt.is_set():
                self._send_one(i)
                i += 1
            self._command("QUIT", "221")
        except (OSError, ProbeError) as e:
            self.failures.append("%s: %s" % (type(e).__name__, e))
        finally:
            self.sock.close()

    def stop(self, timeout=120):
        self.halt.set()
        self.go.set()
        self.join(timeout)

    def accepted(self):
        return len(self.latencies)


def percentile(values, fraction):
    """Nearest-rank percentile of a list (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = math.ceil(fraction * len(ordered))
    return ordered[min(max(rank, 1), len(ordered)) - 1]
