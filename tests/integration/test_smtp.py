"""smtp, the outbound client, driven directly as qmgr would (smtp_deliver sends a
DeliveryRequest over <spool>/private/smtp) against real SMTP servers on loopback addresses:
scripted raw-socket servers written here, so that every reply -- including hostile ones -- is
under the test's control. Nexthops are "[127.0.0.x]:port", so no DNS is involved."""
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import ternlib

BUILD = os.path.abspath(ternlib.BUILD_DIR)


class SmtpAgent:
    """The smtp program alone: a spool with queue/ and private/, its IPC socket bound here and
    handed over as TERN_FDS=ipc=3, its log on stderr in a file."""

    def __init__(self, settings=None):
        self.root = tempfile.mkdtemp(prefix="tern-smtp-test-")
        os.chmod(self.root, 0o755)
        self.etc = os.path.join(self.root, "etc")
        self.spool = os.path.join(self.root, "spool")
        for d in (self.etc, self.spool, os.path.join(self.spool, "queue"), os.path.join(self.spool, "incoming"),
                  os.path.join(self.spool, "private")):
            os.makedirs(d)
        conf = {"myhostname": "client.tern.test", "spool_directory": self.spool,
                "smtp_helo_timeout": "3s", "smtp_connect_timeout": "3s", "smtp_mail_timeout": "3s",
                "smtp_rcpt_timeout": "3s", "smtp_data_init_timeout": "3s", "smtp_data_done_timeout": "3s",
                "smtp_starttls_timeout": "3s", "smtp_tls_CAfile": ""}
        if ternlib.running_as_root():
            conf["tern_user"] = "tern"
            uid = pwd.getpwnam("tern").pw_uid
            for d in ("queue", "incoming", "private"):
                os.chown(os.path.join(self.spool, d), uid, uid)
        conf.update(settings or {})
        with open(os.path.join(self.etc, "tern.conf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = os.path.join(self.spool, "private", "smtp")
        self.sock.bind(path)
        self.sock.listen(16)
        self.log_path = os.path.join(self.root, "smtp.log")
        self.log_file = open(self.log_path, "ab")
        fd = self.sock.fileno()

        def hand_over():
            os.dup2(fd, 3)
            os.set_inheritable(3, True)
        env = dict(os.environ, TERN_FDS="ipc=3", TERN_LOG_STDERR="1")
        self.process = subprocess.Popen([os.path.join(BUILD, "smtp", "smtp"), "-c", self.etc],
                                        stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        env=env, close_fds=False, preexec_fn=hand_over, start_new_session=True)
        ternlib.wait_for(lambda: "daemon started" in self.log() or self.process.poll() is not None,
                         what="smtp to start")
        assert self.process.poll() is None, "smtp exited: " + self.log()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def deliver(self, nexthop, recipients, message, sender="alice@example.org", flags=(), timeout=30):
        args = [os.path.join(BUILD, "tests", "integration", "smtp_deliver"), self.spool, "-n", nexthop,
                "-f", sender, "-t", str(timeout)] + list(flags) + list(recipients)
        r = subprocess.run(args, input=message, capture_output=True, timeout=timeout + 10)
        if r.returncode != 0:
            raise AssertionError("smtp_deliver failed: %s\nlog:\n%s" % (r.stderr.decode(), self.log()))
        results = {}
        for line in r.stdout.decode().splitlines():
            if line.startswith("result\t"):
                _, index, outcome, dsn, relay, diagnostic = line.split("\t", 5)
                results[int(index)] = {"outcome": outcome, "dsn": dsn, "relay": relay, "diagnostic": diagnostic}
        return results

    def close(self):
        ternlib.stop_process(self.process)
        self.sock.close()
        self.log_file.close()
        shutil.rmtree(self.root, ignore_errors=True)


class ScriptedServer:
    """A raw-socket SMTP server on 127.0.0.x. `replies` maps a verb (or "RCPT:addr") to the reply
    bytes, or to a list of them used one per command until one is left; `ehlo` lists the
    extension lines; with `cert` it can do STARTTLS. It records the lines it got, each message's
    DATA bytes exactly as sent, and the number and client addresses of connections. `port` 0 picks a free one."""

    def __init__(self, address="127.0.0.2", ehlo=("PIPELINING", "8BITMIME", "DSN", "SIZE 10000000"),
                 replies=None, greeting=b"220 sink.test ESMTP\r\n", cert=None, starttls_reply=b"220 2.0.0 go ahead\r\n",
                 port=0):
        self.ehlo = list(ehlo)
        self.replies = replies or {}
        self.greeting = greeting
        self.cert = cert
        self.starttls_reply = starttls_reply
        self.lines = []
        self.messages = []
        self.connections = 0
        self.peers = []          # the client address of each connection
        self.tls_versions = []
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, port))
        self.listener.listen(8)
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.nexthop = "[%s]:%d" % (address, self.port)
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reply(self, key, default):
        with self.lock:
            value = self.replies.get(key, default)
            if isinstance(value, list):
                return value.pop(0) if len(value) > 1 else value[0]
            return value

    def serve(self):
        while not self.stop:
            try:
                conn, peer = self.listener.accept()
            except socket.timeout:
                continue
            self.connections += 1
            self.peers.append(peer[0])
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        conn.settimeout(10)
        f = conn.makefile("rb")
        try:
            conn.sendall(self.greeting)
            if not self.greeting.startswith(b"220"):
                return
            tls = False
            while True:
                line = f.readline()
                if not line:
                    return
                self.lines.append(line)
                verb = line.split(b" ", 1)[0].split(b":", 1)[0].strip().upper().decode(errors="replace")
                if verb == "EHLO":
                    ext = self.ehlo + (["STARTTLS"] if self.cert and not tls else [])
                    out = b"250-sink.test hello\r\n" + b"".join(b"250-%s\r\n" % e.encode() for e in ext[:-1])
                    out += b"250 %s\r\n" % ext[-1].encode() if ext else b""
                    conn.sendall(self.replies.get("EHLO", out))
                elif verb == "STARTTLS" and self.cert:
                    conn.sendall(self.starttls_reply)
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(self.cert[0], self.cert[1])
                    conn = ctx.wrap_socket(conn, server_side=True)
                    self.tls_versions.append(conn.version())
                    f = conn.makefile("rb")
                    tls = True
                elif verb == "RCPT":
                    addr = line.split(b"<", 1)[1].split(b">", 1)[0].decode()
                    conn.sendall(self.reply("RCPT:" + addr, self.reply("RCPT", b"250 2.1.5 ok\r\n")))
                elif verb == "DATA":
                    reply = self.replies.get("DATA", b"354 go\r\n")
                    conn.sendall(reply)
                    if not reply.startswith(b"354"):
                        continue
                    data = b""
                    while True:
                        l = f.readline()
                        if not l:
                            return
                        if l == b".\r\n":
                            break
                        data += l
                    self.messages.append(data)
                    conn.sendall(self.replies.get("DOT", b"250 2.0.0 queued as X1\r\n"))
                elif verb == "QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(self.replies.get(verb, b"250 2.0.0 ok\r\n"))
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self):
        self.stop = True
        self.thread.join(timeout=5)
        self.listener.close()


MESSAGE = b"From: <alice@example.org>\r\nTo: <bob@example.net>\r\nSubject: hi\r\n\r\nHello.\r\n"


class SmtpTest(unittest.TestCase):
    def setUp(self):
        self.agent = None
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()
        if self.agent:
            self.agent.close()

    def start(self, settings=None, **server_args):
        self.agent = self.agent or SmtpAgent(settings)
        server = ScriptedServer(**server_args)
        self.servers.append(server)
        return server

    def test_per_recipient_results_with_the_remote_reply(self):
        server = self.start(replies={"RCPT:gone@example.net": b"550 5.1.1 <gone@example.net>: no such user\r\n",
                                     "RCPT:later@example.net": b"450 4.2.0 mailbox busy\r\n"})
        r = self.agent.deliver(server.nexthop, ["bob@example.net", "gone@example.net", "later@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DELIVERED")
        self.assertEqual(r[0]["dsn"], "2.0.0")
        self.assertEqual(r[0]["diagnostic"], "250 2.0.0 queued as X1")
        self.assertEqual(r[0]["relay"], "127.0.0.2[127.0.0.2]:%d" % server.port)
        self.assertEqual(r[1]["outcome"], "BOUNCED")
        self.assertEqual(r[1]["dsn"], "5.1.1")
        self.assertIn("no such user", r[1]["diagnostic"])
        self.assertEqual(r[2]["outcome"], "DEFERRED")
        self.assertEqual(r[2]["dsn"], "4.2.0")
        self.assertEqual(server.messages, [MESSAGE])

    def test_stray_line_ends_and_dots_never_smuggle_a_second_message(self):
        server = self.start()
        body = (b"Subject: x\n\nline one\n.\nMAIL FROM:<evil@x>\r\n.\rRCPT TO:<victim@y>\r\n"
                b"\r\n.\r\n.leading dot\r\nno final newline")
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], body)
        self.assertEqual(r[0]["outcome"], "DELIVERED")
        self.assertEqual(len(server.messages), 1)
        got = server.messages[0]
        self.assertEqual(got, b"Subject: x\r\n\r\nline one\r\n..\r\nMAIL FROM:<evil@x>\r\n..\r\nRCPT TO:<victim@y>\r\n"
                              b"\r\n..\r\n..leading dot\r\nno final newline\r\n")
        for line in got.split(b"\r\n"):
            self.assertNotIn(b"\r", line)
            self.assertNotIn(b"\n", line)

    def test_dsn_and_size_parameters_when_offered(self):
        server = self.start()
        r = self.agent.deliver(server.nexthop, ["bob@example.net,3,rfc822;bob@example.net"], MESSAGE,
                               flags=["-R", "HDRS", "-E", "env id+1"])
        self.assertEqual(r[0]["outcome"], "DELIVERED")
        mail = [l for l in server.lines if l.startswith(b"MAIL")][0]
        self.assertEqual(mail, b"MAIL FROM:<alice@example.org> SIZE=%d RET=HDRS ENVID=env+20id+2B1\r\n" % len(MESSAGE))
        rcpt = [l for l in server.lines if l.startswith(b"RCPT")][0]
        self.assertEqual(rcpt, b"RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net\r\n")

    def test_smtputf8_message_to_a_server_without_it_bounces(self):
        server = self.start()
        r = self.agent.deliver(server.nexthop, ["b\u00f6b@example.net".encode().decode()],
                               "Subject: gr\u00fc\u00dfe\r\n\r\nhi\r\n".encode(), flags=["-u"])
        self.assertEqual(r[0]["outcome"], "BOUNCED")
        self.assertEqual(r[0]["dsn"], "5.6.7")
        self.assertEqual(server.messages, [])

    def test_hostile_replies_defer_with_a_clear_diagnostic(self):
        cases = [
            ("endless multi-line greeting", {"greeting": b"220-hello\r\n" * 5000}, "multi-line reply longer"),
            ("over-long line", {"replies": {"MAIL": b"250 " + b"x" * 10000 + b"\r\n"}}, "longer than"),
            ("garbage", {"replies": {"EHLO": b"hello there\r\n"}}, "malformed reply"),
            ("silence", {"replies": {"EHLO": b""}}, "timed out while waiting for the EHLO reply"),
            ("reply out of step", {"replies": {"MAIL": b""}}, "protocol error: unexpected reply to RCPT TO"),
            ("code change", {"replies": {"EHLO": b"250-a\r\n354 b\r\n"}}, "reply code changed"),
        ]
        for name, args, want in cases:
            with self.subTest(name):
                server = self.start(**args)
                start = time.monotonic()
                r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
                self.assertEqual(r[0]["outcome"], "DEFERRED")
                self.assertTrue(r[0]["dsn"].startswith("4."), r)
                self.assertIn(want, r[0]["diagnostic"])
                self.assertLess(time.monotonic() - start, 10)
                self.assertEqual(server.messages, [])
        self.assertIsNone(self.agent.process.poll(), "smtp died")

    def test_connection_refused_defers(self):
        self.agent = SmtpAgent()
        port = ternlib.free_port()
        r = self.agent.deliver("[127.0.0.3]:%d" % port, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DEFERRED")
        self.assertIn("connect to 127.0.0.3[127.0.0.3]:%d: connection refused" % port, r[0]["diagnostic"])

    def test_connection_is_reused_for_the_next_job(self):
        server = self.start({"smtp_connection_cache_time_limit": "10s"})
        for _ in range(3):
            r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
            self.assertEqual(r[0]["outcome"], "DELIVERED")
        self.assertEqual(len(server.messages), 3)
        self.assertEqual(server.connections, 1)
        self.assertEqual(sum(1 for l in server.lines if l.startswith(b"EHLO")), 1)

    def test_connection_reuse_stops_at_the_count_limit(self):
        server = self.start({"smtp_connection_cache_time_limit": "10s", "smtp_connection_reuse_count_limit": "2"})
        for _ in range(3):
            r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
            self.assertEqual(r[0]["outcome"], "DELIVERED")
        self.assertEqual(len(server.messages), 3)
        self.assertEqual(server.connections, 2)

    def test_encrypt_refuses_a_server_without_starttls(self):
        server = self.start({"smtp_tls_security_level": "encrypt"})
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DEFERRED")
        self.assertIn("TLS is required, but was not offered", r[0]["diagnostic"])
        self.assertEqual(server.messages, [])


class SmtpTlsTest(SmtpTest.__base__):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="tern-smtp-cert-")
        cls.cert = (os.path.join(cls.dir, "cert.pem"), os.path.join(cls.dir, "key.pem"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-keyout", cls.cert[1], "-out", cls.cert[0],
                        "-subj", "/CN=127.0.0.2", "-addext", "subjectAltName=IP:127.0.0.2"],
                       check=True, capture_output=True, timeout=30)
        os.chmod(cls.dir, 0o755)
        os.chmod(cls.cert[0], 0o644)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def setUp(self):
        self.agent = None
        self.servers = []

    def tearDown(self):
        SmtpTest.tearDown(self)

    def start(self, settings=None, **server_args):
        return SmtpTest.start(self, settings, cert=self.cert, **server_args)

    def test_opportunistic_tls_is_used_and_logged(self):
        server = self.start()
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DELIVERED", r)
        self.assertEqual(server.tls_versions, ["TLSv1.3"])
        self.assertEqual(sum(1 for l in server.lines if l.startswith(b"EHLO")), 2)  # again under TLS
        self.assertRegex(self.agent.log(), r"Untrusted TLS connection established to 127\.0\.0\.2\[127\.0\.0\.2\]:%d: "
                                           r"TLSv1\.3 with cipher \S+ \(\d+/\d+ bits\)" % server.port)
        self.assertEqual(server.messages, [MESSAGE])

    def test_verify_trusts_the_configured_ca_and_checks_the_name(self):
        server = self.start({"smtp_tls_security_level": "verify", "smtp_tls_CAfile": self.cert[0]})
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DELIVERED", r)
        self.assertIn("Trusted TLS connection established", self.agent.log())

    def test_verify_fails_against_an_untrusted_certificate(self):
        server = self.start({"smtp_tls_security_level": "verify"})
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DEFERRED")
        self.assertIn("verif", r[0]["diagnostic"])
        self.assertEqual(server.messages, [])

    def test_reply_injected_with_the_starttls_220_is_discarded(self):
        # A man in the middle appends a fake EHLO answer to the 220; were it believed, the client
        # would skip its own EHLO under TLS and take the next (TLS) reply for the wrong command.
        server = self.start(starttls_reply=b"220 2.0.0 go ahead\r\n250-fake\r\n250 AUTH PLAIN\r\n")
        r = self.agent.deliver(server.nexthop, ["bob@example.net"], MESSAGE)
        self.assertEqual(r[0]["outcome"], "DELIVERED", r)
        self.assertEqual(server.messages, [MESSAGE])
        self.assertIn("discarded", self.agent.log())


if __name__ == "__main__":
    unittest.main()
