"""smtpd as a client sees it: every verb and extension, the roles, the limits, the open-relay
battery, SMTP smuggling, the STARTTLS injection, TLS and AUTH, against a real Tern."""
import os
import re
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ternlib import Tern, wait_for  # noqa: E402


class Client:
    """A raw SMTP client: send bytes, read complete replies (bounded waits)."""

    def __init__(self, port, host="127.0.0.1", sock=None, timeout=10):
        self.sock = sock or socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One complete (possibly multi-line) reply as (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed; got %r" % (lines,))
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode("utf-8", "replace"))
            if len(line) < 4 or line[3:4] == b" ":
                return int(line[:3]), lines

    def codes(self, n):
        return [self.reply()[0] for _ in range(n)]

    def nothing_more(self, wait=0.5):
        """True when the server sends nothing within `wait` seconds (or closes)."""
        if self.buf:
            return False
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
            return data == b""
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(10)

    def closed(self, wait=5):
        self.sock.settimeout(wait)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (socket.timeout, ConnectionResetError):
            return False

    def close(self):
        self.sock.close()


def accepted_ids(tern, settle=0.5):
    """Queue ids of messages that reached the queue: qmgr logs each one it picks up."""
    time.sleep(settle)
    return re.findall(r"tern/qmgr\[\d+\]: ([0-9A-Z]{16}): from=<", tern.log())


def spool_files(tern):
    return [os.path.join(d, f) for d in ("incoming", "queue") for f in os.listdir(os.path.join(tern.spool, d))]


BASE = {"smtpd_client_event_limit_exceptions": "", "mynetworks": "192.0.2.0/24"}


class SmtpdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(config=dict(BASE))
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()

    def connect(self, port=None):
        c = Client(port or self.tern.smtp_port)
        code, lines = c.reply()
        self.assertEqual(220, code)
        self.assertIn("ESMTP", lines[0])
        return c

    def test_ehlo_announces_extensions(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=10) as s:
            code, _ = s.ehlo("client.example")
            self.assertEqual(250, code)
            for ext in ["pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes", "chunking", "dsn"]:
                self.assertTrue(s.has_extn(ext), ext)
            self.assertEqual("10240000", s.esmtp_features["size"])
            self.assertFalse(s.has_extn("starttls"))  # no certificate configured
            self.assertFalse(s.has_extn("auth"))

    def test_message_is_queued_and_logged(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=10) as s:
            s.ehlo("client.example")
            code, text = s.mail("sender@remote.example")
            self.assertEqual((250, b"2.1.0 Ok"), (code, text))
            code, text = s.rcpt("root@tern.test")
            self.assertEqual((250, b"2.1.5 Ok"), (code, text))
            code, text = s.data(b"Subject: hello\r\n\r\nbody\r\n")
            self.assertEqual(250, code)
            m = re.match(rb"2\.0\.0 Ok: queued as ([0-9A-Z]{16})$", text)
            self.assertIsNotNone(m, text)
        qid = m.group(1).decode()
        self.tern.wait_log(r"smtpd\[\d+\]: %s: client=unknown\[127\.0\.0\.1\]" % qid)
        self.tern.wait_log(r"smtpd\[\d+\]: disconnect from unknown\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")
        self.tern.wait_log(r"%s: from=<sender@remote\.example>" % qid)  # qmgr took it from the spool

    def test_every_simple_verb(self):
        c = self.connect()
        c.send("HELO client.example\r\nNOOP\r\nRSET\r\nVRFY root\r\nEXPN staff\r\nHELP\r\nXYZZY\r\nEHLO\r\n"
               "RCPT TO:<a@tern.test>\r\nDATA\r\nMAIL FROM:<x@y.example> FOO=1\r\nQUIT\r\n")
        got = [c.reply() for _ in range(12)]
        self.assertEqual([250, 250, 250, 252, 502, 214, 502, 501, 503, 503, 555, 221], [g[0] for g in got])
        for code, lines in got[1:]:
            self.assertRegex(lines[-1], r"^\d{3} [245]\.\d+\.\d+ ", "enhanced status code on every reply")
        self.assertTrue(c.closed())

    def test_open_relay_battery(self):
        attempts = [
            "<victim@remote.example>",
            "<victim%remote.example@tern.test>",
            "<remote.example!victim@tern.test>",
            "<\"victim@remote.example\"@tern.test>",
            "<@tern.test:victim@remote.example>",
            "<victim@[192.0.2.1]>",
            "<victim@[127.0.0.1]>",
            "<root%remote.example@tern.test>",
            "<\"root@remote.example\"@localhost>",
        ]
        c = self.connect()
        c.send("EHLO outside.example\r\nMAIL FROM:<spammer@remote.example>\r\n")
        self.assertEqual([250, 250], c.codes(2))
        for rcpt in attempts:
            c.send("RCPT TO:%s\r\n" % rcpt)
            code, lines = c.reply()
            self.assertIn(code, (454, 550, 554), rcpt)
            self.assertNotEqual(2, code // 100, rcpt)
        c.send("DATA\r\n")
        self.assertEqual(554, c.reply()[0])
        c.close()
        self.tern.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.1\]: 454 4\.7\.1 <victim@remote\.example>: "
                           r"Relay access denied; from=<spammer@remote\.example> to=<victim@remote\.example> "
                           r"proto=ESMTP helo=<outside\.example>")

    def test_unknown_local_user_is_rejected_at_rcpt(self):
        c = self.connect()
        c.send("EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<no-such-user-xyz@tern.test>\r\n")
        replies = [c.reply() for _ in range(3)]
        self.assertEqual(550, replies[2][0])
        self.assertIn("5.1.1", replies[2][1][0])
        self.assertIn("User unknown in local recipient table", replies[2][1][0])
        c.close()

    def test_smuggling_payloads_never_make_two_messages(self):
        for payload in [b"\n.\n", b"\r.\r", b"\n.\r\n", b"\r\n.\r"]:
            with self.subTest(payload=payload):
                before = len(accepted_ids(self.tern))
                c = self.connect()
                c.send(b"EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\n")
                self.assertEqual([250, 250, 250, 354], c.codes(4))
                c.send(b"Subject: one\r\n\r\nfirst" + payload +
                       b"MAIL FROM:<evil@remote.example>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\n"
                       b"Subject: smuggled\r\n\r\nsecond\r\n.\r\n")
                code, lines = c.reply()
                # Tern's choice: a bare CR or LF is never a line end, and the message is refused.
                self.assertEqual(550, code)
                self.assertIn("5.5.2", lines[0])
                c.send(b"QUIT\r\n")
                self.assertEqual(221, c.reply()[0])
                c.close()
                self.assertEqual(before, len(accepted_ids(self.tern)), "nothing was queued")
                self.assertEqual([], os.listdir(os.path.join(self.tern.spool, "incoming")))

    def test_pipelined_end_of_data_then_commands(self):
        c = self.connect()
        c.send(b"EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\n"
               b"x\r\n..\r\n.\r\nMAIL FROM:<b@remote.example>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\ny\r\n.\r\nQUIT\r\n")
        codes = c.codes(10)
        self.assertEqual([250, 250, 250, 354, 250, 250, 250, 354, 250, 221], codes)
        c.close()

    def test_bdat(self):
        c = self.connect()
        c.send(b"EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<root@tern.test>\r\n"
               b"BDAT 14\r\nSubject: b\r\n\r\nBDAT 6 LAST\r\nbody\r\n")
        codes = c.codes(5)
        self.assertEqual([250, 250, 250, 250, 250], codes)
        c.send(b"QUIT\r\n")
        c.close()

    def test_nul_and_long_lines_are_answered(self):
        c = self.connect()
        c.send(b"NOOP\x00\r\n" + b"A" * 5000 + b"\r\nNOOP\r\n")
        got = [c.reply() for _ in range(3)]
        self.assertEqual([500, 500, 250], [g[0] for g in got])
        self.assertIn("line too long", got[1][1][0])
        c.close()

    def test_size_limits(self):
        c = self.connect()
        c.send("EHLO c\r\nMAIL FROM:<a@remote.example> SIZE=999999999\r\n")
        got = [c.reply() for _ in range(2)]
        self.assertEqual(552, got[1][0])
        self.assertIn("5.3.4", got[1][1][0])
        c.close()

    def test_dsn_and_utf8_parameters(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=10) as s:
            s.ehlo("c")
            code, _ = s.mail("a@remote.example", ["RET=HDRS", "ENVID=QQ314159", "BODY=8BITMIME"])
            self.assertEqual(250, code)
            code, _ = s.rcpt("root@tern.test", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;root@tern.test"])
            self.assertEqual(250, code)
            s.rset()
            code, _ = s.mail("j\u00f6rg@remote.example", ["SMTPUTF8"])
            self.assertEqual(250, code)
        c = self.connect()
        c.send("EHLO c\r\nMAIL FROM:<j\u00f6rg@remote.example>\r\n".encode())
        got = [c.reply() for _ in range(2)]
        self.assertEqual(553, got[1][0])
        self.assertIn("5.6.7", got[1][1][0])
        c.close()

    def test_received_header_is_added(self):
        # qmgr logs the size of the queued message: body plus the Received: header smtpd added.
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=10) as s:
            s.ehlo("helo.example")
            s.mail("a@remote.example")
            s.rcpt("root@tern.test")
            code, text = s.data(b"X: y\r\n\r\nz\r\n")
        qid = text.decode().split()[-1]
        m = self.tern.wait_log(r"%s: from=<a@remote\.example>, size=(\d+)" % qid)
        self.assertGreater(int(m.group(1)), len(b"X: y\r\n\r\nz\r\n") + 100, "a Received: header was added")


class SmtpdLimitsTest(unittest.TestCase):
    def test_idle_timeout(self):
        with Tern(config=dict(BASE, smtpd_timeout="2s")) as tern:
            tern.start()
            c = Client(tern.smtp_port)
            self.assertEqual(220, c.reply()[0])
            start = time.monotonic()
            code, lines = c.reply()
            self.assertEqual(421, code)
            self.assertIn("4.4.2", lines[0])
            self.assertLess(time.monotonic() - start, 6)
            self.assertTrue(c.closed())
            tern.wait_log(r"timeout after \w+ from unknown\[127\.0\.0\.1\]")

    def test_idle_timeout_in_data_leaves_nothing(self):
        with Tern(config=dict(BASE, smtpd_timeout="2s")) as tern:
            tern.start()
            c = Client(tern.smtp_port)
            c.reply()
            c.send("EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\npartial\r\n")
            self.assertEqual([250, 250, 250, 354, 421], c.codes(5))
            self.assertEqual([], accepted_ids(tern))
            self.assertEqual([], spool_files(tern), "the aborted transaction left nothing")

    def test_too_many_connections_per_client(self):
        with Tern(config=dict(BASE, smtpd_client_connection_count_limit="3")) as tern:
            tern.start()
            held = [Client(tern.smtp_port) for _ in range(3)]
            for c in held:
                self.assertEqual(220, c.reply()[0])
            extra = Client(tern.smtp_port)
            code, lines = extra.reply()
            self.assertEqual(421, code)
            self.assertIn("4.7.0", lines[0])
            tern.wait_log(r"Connection concurrency limit exceeded: 4 from unknown\[127\.0\.0\.1\]")
            held[0].send("QUIT\r\n")
            held[0].reply()
            held[0].close()
            time.sleep(0.3)
            again = Client(tern.smtp_port)
            self.assertEqual(220, again.reply()[0])

    def test_too_many_connections_in_total(self):
        with Tern(config=dict(BASE, smtpd_connection_limit="2", smtpd_client_connection_count_limit="0")) as tern:
            tern.start()
            held = [Client(tern.smtp_port) for _ in range(2)]
            for c in held:
                self.assertEqual(220, c.reply()[0])
            extra = Client(tern.smtp_port)
            self.assertEqual(421, extra.reply()[0])

    def test_hard_error_limit(self):
        with Tern(config=dict(BASE, smtpd_hard_error_limit="3")) as tern:
            tern.start()
            c = Client(tern.smtp_port)
            c.reply()
            c.send("BOGUS\r\nBOGUS\r\nBOGUS\r\nNOOP\r\n")
            self.assertEqual([502, 502, 502, 421], c.codes(4))
            self.assertTrue(c.closed())

    def test_recipient_limit(self):
        with Tern(config=dict(BASE, smtpd_recipient_limit="2")) as tern:
            tern.start()
            c = Client(tern.smtp_port)
            c.reply()
            c.send("EHLO c\r\nMAIL FROM:<a@remote.example>\r\nRCPT TO:<root@tern.test>\r\n"
                   "RCPT TO:<postmaster@tern.test>\r\nRCPT TO:<root@localhost>\r\n")
            self.assertEqual([250, 250, 250, 250, 452], c.codes(5))

    def test_local_submission_socket(self):
        with Tern(config=dict(BASE)) as tern:
            tern.start()
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(os.path.join(tern.spool, "public", "submit"))
            c = Client(0, sock=s)
            self.assertEqual(220, c.reply()[0])
            c.send("EHLO local\r\nMAIL FROM:<someone@tern.test>\r\nRCPT TO:<root@tern.test>\r\nDATA\r\n")
            self.assertEqual([250, 250, 250, 354], c.codes(4))
            c.send("Subject: local\r\n\r\nhi\r\n.\r\nQUIT\r\n")
            code, lines = c.reply()
            self.assertEqual(250, code)
            qid = lines[0].split()[-1]
            tern.wait_log(r"%s: uid=%d from=<someone@tern\.test>" % (qid, os.getuid()))


def make_certificate(directory):
    cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=tern.test"], check=True, capture_output=True, timeout=60)
    os.chmod(key, 0o644)  # smtpd reads it after dropping to the tern user
    return cert, key


class SmtpdTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern(config=dict(BASE))
        cert, key = make_certificate(cls.tern.etc)
        cls.tern.settings.update({
            "smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_security_level": "may",
            "smtpd_sasl_auth_enable": "yes", "smtps_listen": "127.0.0.1:%d" % cls.tern.smtps_port,
        })
        cls.tern.write_config(cls.tern.settings)
        cls.tern.start()
        cls.context = ssl.create_default_context()
        cls.context.check_hostname = False
        cls.context.verify_mode = ssl.CERT_NONE

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()

    def test_starttls_then_ehlo_again(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=10) as s:
            s.ehlo("c")
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"), "AUTH only under TLS")
            code, _ = s.starttls(context=self.context)
            self.assertEqual(220, code)
            s.ehlo("c")
            self.assertFalse(s.has_extn("starttls"))
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())
            s.mail("a@remote.example")
            s.rcpt("root@tern.test")
            code, text = s.data(b"Subject: tls\r\n\r\nx\r\n")
            self.assertEqual(250, code)
        self.tern.wait_log(r"TLS connection established from unknown\[127\.0\.0\.1\]: TLSv1\.[23]")
        # Delivered before the class's Tern stops: a delivery killed mid-way would leave its
        # dotlock on root's mbox behind.
        self.tern.wait_log(r"to=<root@tern\.test>.*status=(sent|deferred|bounced)", timeout=30)

    def test_starttls_injection(self):
        c = Client(self.tern.smtp_port)
        c.reply()
        c.send("EHLO c\r\n")
        c.reply()
        c.send("STARTTLS\r\nRSET\r\n")
        code, _ = c.reply()
        self.assertEqual(220, code)
        self.assertTrue(c.nothing_more(1.0), "the pipelined RSET was never answered in plaintext")
        tls = self.context.wrap_socket(c.sock, server_hostname="tern.test")
        t = Client(0, sock=tls)
        t.send("NOOP\r\n")
        code, _ = t.reply()
        self.assertEqual(250, code, "the first reply under TLS answers NOOP, not the injected RSET")
        t.send("QUIT\r\n")
        self.assertEqual(221, t.reply()[0])

    def test_smtps_and_submission_require_auth(self):
        raw = socket.create_connection(("127.0.0.1", self.tern.smtps_port), timeout=10)
        tls = self.context.wrap_socket(raw, server_hostname="tern.test")
        c = Client(0, sock=tls)
        self.assertEqual(220, c.reply()[0])
        c.send("EHLO c\r\nMAIL FROM:<a@tern.test>\r\n")
        got = [c.reply() for _ in range(2)]
        self.assertIn("250-AUTH PLAIN LOGIN", got[0][1])
        self.assertEqual(530, got[1][0])
        c.send("AUTH PLAIN AG5vYm9keUB0ZXJuLnRlc3QAd3Jvbmc=\r\n")
        code, lines = c.reply()
        self.assertEqual(535, code)
        self.assertIn("5.7.8", lines[0])
        self.tern.wait_log(r"SASL PLAIN authentication failed")
        c.close()
        s = Client(self.tern.submission_port)
        s.reply()
        s.send("EHLO c\r\nMAIL FROM:<a@tern.test>\r\n")
        self.assertEqual([250, 530], s.codes(2))

    def test_encrypt_level_requires_starttls(self):
        with Tern(config=dict(BASE)) as tern:
            cert, key = make_certificate(tern.etc)
            tern.settings.update({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key,
                                  "smtpd_tls_security_level": "encrypt"})
            tern.write_config(tern.settings)
            tern.start()
            c = Client(tern.smtp_port)
            c.reply()
            c.send("EHLO c\r\nMAIL FROM:<a@remote.example>\r\n")
            got = [c.reply() for _ in range(2)]
            self.assertEqual(530, got[1][0])
            self.assertIn("STARTTLS", got[1][1][0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
