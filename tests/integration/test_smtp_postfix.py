"""Outbound delivery against a real Debian Postfix: a sending Tern's smtp talks to a
self-contained Postfix instance (its own config, queue, data and log directories under a temp
dir; `postfix -c DIR`) on loopback addresses, with SASL through a separate Dovecot auth
instance (`dovecot -c FILE`, passwd-file) for the submission listeners.

What a user sees:
  * Postfix as the MX (127.0.11.2:25, found through dnsmasq): Tern delivers over STARTTLS;
    Postfix's Received header says "using TLSv1.3 with cipher X" and Tern's log names the same
    version and cipher; Postfix's 550 for an unknown virtual user bounces with that reply in
    the DSN (which itself travels back to the sender's Maildir on Postfix); Postfix's 450 from
    a check_recipient_access map is deferred and the message waits in the queue.
  * Postfix as the relayhost (127.0.11.3:587, STARTTLS required, AUTH only over TLS, relaying
    only for authenticated clients): with smtp_sasl_password_maps the mail goes through Postfix
    (which records the authenticated user) to its final destination; a wrong password defers
    with Postfix's 535 in the log and in mailq, and the mail goes out once the table is fixed.
  * A relayhost that offers AUTH but no STARTTLS (127.0.11.5:587): Tern does not send the
    password until smtp_sasl_security_options allows plaintext, then it authenticates.
Port 25, Postfix and Dovecot need root; without them (or the packages) the tests are skipped.
"""
import email
import email.policy
import os
import pwd
import re
import shlex
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import (Dnsmasq, LogsOnFailure, Tern, enqueue, mailq, read_log, running_as_root,  # noqa: E402
                     wait_for, wait_log_line)
from test_smtp import ScriptedServer  # noqa: E402

MX = "127.0.11.2"          # Postfix smtpd: MX for peer.test, STARTTLS offered, no AUTH
SUBMISSION = "127.0.11.3"  # Postfix smtpd on 587: STARTTLS required, AUTH (Dovecot) only over TLS
SINK = "127.0.11.4"        # scripted server on 25: where Postfix relays far.test
PLAIN_SUBMISSION = "127.0.11.5"  # Postfix smtpd on 587: AUTH offered without TLS
RELAY_USER, RELAY_PASSWORD = "tern-relay@peer.test", "correct horse battery"

ZONE = ["--local=/test/", "--mx-host=peer.test,mx.peer.test,10", "--host-record=mx.peer.test,%s" % MX]

SENDER = {"minimal_backoff_time": "1s", "maximal_backoff_time": "1s", "queue_run_delay": "1s",
          "smtp_connect_timeout": "5s", "smtp_helo_timeout": "10s",
          "smtp_connection_cache_time_limit": "0s"}


def have_program(name):
    return shutil.which(name) is not None or os.path.exists(os.path.join("/usr/sbin", name))


def message(subject, to, sender="alice@peer.test"):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s.%d@tern.test>\r\n\r\n"
            "Hello from the sending Tern.\r\n" % (sender, to, subject, re.sub(r"\W", "", subject),
                                                  time.monotonic_ns())).encode()


def first_received(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return " ".join(str(msg.get_all("Received")[0]).split())


class Dovecot:
    """A Dovecot instance that only runs its auth service: a unix socket in DIR for Postfix's
    smtpd_sasl_type = dovecot, users from a passwd-file. Started in the foreground (-F) so that
    the test owns its pid; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, root, users):
        self.dir = os.path.join(root, "dovecot")
        os.makedirs(os.path.join(self.dir, "run"))
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "auth-client")
        self.log_path = os.path.join(self.dir, "dovecot.log")
        with open(os.path.join(self.dir, "users"), "w") as f:
            for user, password in users.items():
                f.write("%s:{PLAIN}%s\n" % (user, password))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write("""# written by test_smtp_postfix.py: SASL for Postfix, nothing else
base_dir = %(d)s/run
state_dir = %(d)s/state
log_path = %(d)s/dovecot.log
instance_name = tern-test-%(pid)d
protocols =
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %(d)s/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener %(d)s/auth-client {
    mode = 0666
  }
}
""" % {"d": self.dir, "pid": os.getpid()})
        self.process = None

    def start(self):
        self.log_file = open(os.path.join(self.dir, "stdout.log"), "wb")
        self.process = subprocess.Popen(["dovecot", "-F", "-c", self.conf], stdin=subprocess.DEVNULL,
                                        stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True)

        def listening():
            if self.process.poll() is not None:
                raise AssertionError("dovecot exited: %s" % self.log())
            return os.path.exists(self.socket)
        wait_for(listening, timeout=15, what="dovecot's auth socket")

    def log(self):
        out = ""
        for path in (self.log_path, os.path.join(self.dir, "stdout.log")):
            try:
                with open(path, "rb") as f:
                    out += f.read().decode("utf-8", "replace")
            except FileNotFoundError:
                pass
        return out

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log_file.close()
        self.process = None


class Postfix:
    """A self-contained Postfix: main.cf and master.cf in DIR/etc, queue, data, Maildirs and
    maillog under DIR, no chroot, nothing shared with the system instance.
      MX:25                  peer.test virtual Maildirs; STARTTLS offered; check_recipient_access
      SUBMISSION:587         STARTTLS required, AUTH (Dovecot) only over TLS, relays for
                             authenticated clients only
      PLAIN_SUBMISSION:587   AUTH offered without TLS (which a careful client must not use)
    far.test is relayed onward to a sink on SINK:25."""

    def __init__(self, root, sasl_socket):
        self.dir = os.path.join(root, "postfix")
        self.etc = os.path.join(self.dir, "etc")
        self.maildirs = os.path.join(self.dir, "maildirs")
        self.log_path = os.path.join(self.dir, "log", "maillog")
        for d in (self.etc, os.path.join(self.dir, "queue"), os.path.join(self.dir, "data"), self.maildirs,
                  os.path.join(self.dir, "log")):
            os.makedirs(d)
        os.chmod(self.dir, 0o755)
        nobody, owner = pwd.getpwnam("nobody"), pwd.getpwnam("postfix")
        os.chown(self.maildirs, nobody.pw_uid, nobody.pw_gid)
        os.chown(os.path.join(self.dir, "data"), owner.pw_uid, owner.pw_gid)
        cert, key = os.path.join(self.etc, "cert.pem"), os.path.join(self.etc, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "2", "-keyout", key, "-out", cert, "-subj", "/CN=mx.peer.test",
                        "-addext", "subjectAltName=DNS:mx.peer.test,DNS:submission.peer.test"],
                       check=True, capture_output=True, timeout=30)
        self.write("vmailbox", "bob@peer.test peer.test/bob/\nalice@peer.test peer.test/alice/\n"
                               "busy@peer.test peer.test/busy/\n")
        self.write("recipient_access", "busy@peer.test 450 4.2.1 Mailbox busy, try again later\n")
        self.write("transport", "far.test smtp:[%s]:25\n" % SINK)
        self.write("main.cf", """# written by test_smtp_postfix.py
compatibility_level = 3.6
queue_directory = %(d)s/queue
data_directory = %(d)s/data
meta_directory = /etc/postfix
mail_owner = postfix
myhostname = mx.peer.test
mydomain = peer.test
myorigin = $myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.99.99/32
biff = no
append_dot_mydomain = no
readme_directory = no
smtputf8_enable = no
delay_warning_time = 0h
maillog_file_prefixes = %(d)s/log
maillog_file = %(d)s/log/maillog
smtpd_banner = $myhostname ESMTP Postfix
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access texthash:%(e)s/recipient_access
smtpd_tls_security_level = may
smtpd_tls_cert_file = %(e)s/cert.pem
smtpd_tls_key_file = %(e)s/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = %(sasl)s
smtpd_sasl_auth_enable = no
smtpd_sasl_authenticated_header = yes
smtpd_tls_auth_only = yes
virtual_mailbox_domains = peer.test
virtual_mailbox_base = %(d)s/maildirs
virtual_mailbox_maps = texthash:%(e)s/vmailbox
virtual_uid_maps = static:%(uid)d
virtual_gid_maps = static:%(gid)d
transport_maps = texthash:%(e)s/transport
smtp_dns_support_level = disabled
smtp_tls_security_level = none
""" % {"d": self.dir, "e": self.etc, "sasl": sasl_socket, "uid": nobody.pw_uid, "gid": nobody.pw_gid})
        submission = "-o smtpd_sasl_auth_enable=yes -o smtpd_recipient_restrictions="
        self.write("master.cf", """# written by test_smtp_postfix.py: no chroot, loopback listeners only
%(mx)s:25 inet n - n - - smtpd
%(sub)s:587 inet n - n - - smtpd %(o)s -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt -o smtpd_tls_auth_only=yes
%(plain)s:587 inet n - n - - smtpd %(o)s -o syslog_name=postfix/plain-submission
  -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
""" % {"mx": MX, "sub": SUBMISSION, "plain": PLAIN_SUBMISSION, "o": submission})
        self.started = False

    def write(self, name, text):
        with open(os.path.join(self.etc, name), "w") as f:
            f.write(text)

    def postfix(self, *args, timeout=60):
        # Postfix writes its complaints to stderr only when that is a terminal: give it one.
        command = shlex.join(["postfix", "-c", self.etc] + list(args))
        return subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)

    def start(self):
        self.started = True  # from here on stop() runs, whatever start did
        result = self.postfix("start")
        if result.returncode != 0:
            raise AssertionError("postfix start failed: %s%s\n%s" % (result.stdout, result.stderr, self.log()))

        def listening():
            for address, port in ((MX, 25), (SUBMISSION, 587), (PLAIN_SUBMISSION, 587)):
                try:
                    socket.create_connection((address, port), timeout=1).close()
                except OSError:
                    return False
            return True
        wait_for(listening, timeout=20, what="postfix's listeners")

    def stop(self):
        if not self.started:
            return
        self.started = False
        # `postfix stop` returns before master has exited: wait for the pid its pid file names.
        try:
            with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
                pid = int(f.read().strip() or 0)
        except (FileNotFoundError, ValueError):
            pid = 0
        self.postfix("stop")
        if pid:
            try:
                wait_for(lambda: not os.path.exists("/proc/%d" % pid), timeout=10, what="postfix master to exit")
            except AssertionError:
                os.kill(pid, signal.SIGKILL)

    def log(self):
        return read_log(self.log_path)

    def wait_log(self, pattern, timeout=15):
        return wait_log_line(self.log_path, pattern, timeout, "postfix log line")

    def maildir(self, user):
        new = os.path.join(self.maildirs, "peer.test", user, "new")
        out = []
        if os.path.isdir(new):
            for name in sorted(os.listdir(new)):
                with open(os.path.join(new, name), "rb") as f:
                    out.append(f.read())
        return out


PEERS = {}  # started once for the module: dns, dovecot, postfix, sink


def setUpModule():
    if not running_as_root():
        raise unittest.SkipTest("port 25, Postfix and Dovecot on loopback addresses need root")
    for program in ("postfix", "dovecot", "dnsmasq", "openssl"):
        if not have_program(program):
            raise unittest.SkipTest("%s is not installed" % program)
    PEERS["root"] = tempfile.mkdtemp(prefix="tern-postfix-test-")
    os.chmod(PEERS["root"], 0o755)
    try:
        PEERS["dns"] = Dnsmasq(ZONE).__enter__()
        PEERS["sink"] = ScriptedServer(address=SINK, port=25)
        PEERS["dovecot"] = Dovecot(PEERS["root"], {RELAY_USER: RELAY_PASSWORD})
        PEERS["dovecot"].start()
        PEERS["postfix"] = Postfix(PEERS["root"], PEERS["dovecot"].socket)
        PEERS["postfix"].start()
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    if "postfix" in PEERS:
        PEERS["postfix"].stop()
    if "dovecot" in PEERS:
        PEERS["dovecot"].stop()
    if "sink" in PEERS:
        PEERS["sink"].close()
    if "dns" in PEERS:
        PEERS["dns"].__exit__(None, None, None)
    if "root" in PEERS and os.environ.get("TERN_KEEP_TEST_DIRS") != "1":
        shutil.rmtree(PEERS["root"], ignore_errors=True)
    PEERS.clear()


class WithSendingTern(LogsOnFailure, unittest.TestCase):
    """One sending Tern per class, configured by `settings`; logs of every party on failure."""
    settings = {}

    @classmethod
    def setUpClass(cls):
        cls.postfix = PEERS["postfix"]
        cls.sink = PEERS["sink"]
        cls.sender = Tern(config=dict(SENDER, dns_nameservers="127.0.0.1:%d" % PEERS["dns"].port))
        try:
            cls.configure(cls.sender)
            cls.sender.write_config(cls.sender.settings)
            cls.sender.start()
        except BaseException:
            cls.sender.__exit__(*sys.exc_info())
            raise

    @classmethod
    def configure(cls, tern):
        tern.settings.update(cls.settings)

    @classmethod
    def tearDownClass(cls):
        cls.sender.__exit__(None, None, None)

    def failure_logs(self):
        return [("sending tern log", self.sender.log()[-15000:]), ("postfix maillog", self.postfix.log()[-10000:]),
                ("dovecot log", PEERS["dovecot"].log()[-3000:])]

    def send(self, to, subject, sender="alice@peer.test"):
        return enqueue(self.sender, [to], sender=sender, message=message(subject, to, sender))

    def at_far_test(self, token):
        """Waits for far.test's server (the sink) to get messages containing `token`; returns them."""
        return wait_for(lambda: [m for m in self.sink.messages if token in m], timeout=20,
                        what="the message at far.test's server")


class PostfixAsMx(WithSendingTern):
    """The sending Tern finds mx.peer.test (Postfix) through DNS and delivers on port 25."""

    def test_delivery_over_starttls_is_recorded_by_postfix_and_by_tern(self):
        qid = self.send("bob@peer.test", "over TLS to Postfix")
        line = self.sender.wait_log(r"%s: to=<bob@peer\.test>, relay=mx\.peer\.test\[%s\]:25, .*dsn=2\.0\.0, "
                                    r"status=sent \(250 2\.0\.0 Ok: queued as (\w+)\)" % (qid, re.escape(MX)),
                                    timeout=30)
        postfix_qid = line.group(1)
        tls = re.search(r"Untrusted TLS connection established to mx\.peer\.test\[%s\]:25: (TLSv1\.3) with cipher "
                        r"(\S+) \((\d+)/(\d+) bits\)" % re.escape(MX), self.sender.log())
        self.assertIsNotNone(tls, "no TLS line in Tern's log")
        [raw] = wait_for(lambda: [m for m in self.postfix.maildir("bob") if b"over TLS to Postfix" in m],
                         timeout=15, what="the message in bob's Maildir on Postfix")
        received = first_received(raw)
        self.assertRegex(received, r"^from tern\.test \(\S+ \[127\.0\.0\.1\]\) \(using TLSv1\.3 with cipher ")
        self.assertIn("by mx.peer.test (Postfix) with ESMTPS id %s" % postfix_qid, received)
        # Both ends name the same protocol version and cipher.
        self.assertIn("(using %s with cipher %s (%s/%s bits)" % tls.groups(), received)
        self.postfix.wait_log(r"postfix/smtpd\[\d+\]: Anonymous TLS connection established from \S+\[127\.0\.0\.1\]: "
                              r"%s with cipher %s" % (re.escape(tls.group(1)), re.escape(tls.group(2))))

    def test_unknown_virtual_user_bounces_with_postfixs_reply_in_the_dsn(self):
        qid = self.send("nobody@peer.test", "to a user Postfix does not know")
        want = ("550 5.1.1 <nobody@peer.test>: Recipient address rejected: User unknown in virtual mailbox table")
        self.sender.wait_log(r"%s: to=<nobody@peer\.test>, relay=mx\.peer\.test\[%s\]:25, .*dsn=5\.1\.1, "
                             r"status=bounced \(%s\)" % (qid, re.escape(MX), re.escape(want)), timeout=30)
        self.postfix.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: %s" % re.escape(want))
        # The DSN goes back to alice@peer.test -- through Postfix again, into her Maildir.
        [raw] = wait_for(lambda: [m for m in self.postfix.maildir("alice") if b"to a user Postfix does not know" in m],
                         timeout=30, what="the DSN in alice's Maildir on Postfix")
        dsn = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        self.assertEqual(dsn["To"].addresses[0].addr_spec, "alice@peer.test")
        per_recipient = dsn.get_payload()[1].get_payload()[1]
        self.assertEqual(per_recipient["Final-Recipient"], "rfc822; nobody@peer.test")
        self.assertEqual(per_recipient["Action"], "failed")
        self.assertEqual(per_recipient["Status"], "5.1.1")
        self.assertIn("mx.peer.test", per_recipient["Remote-MTA"])
        self.assertEqual(" ".join(per_recipient["Diagnostic-Code"].split()), "smtp; " + want)
        self.assertNotIn(qid, os.listdir(os.path.join(self.sender.spool, "queue")))

    def test_a_450_from_a_recipient_access_map_is_deferred(self):
        qid = self.send("busy@peer.test", "to a busy mailbox")
        want = "450 4.2.1 <busy@peer.test>: Recipient address rejected: Mailbox busy, try again later"
        self.sender.wait_log(r"%s: to=<busy@peer\.test>, relay=mx\.peer\.test\[%s\]:25, .*dsn=4\.2\.1, "
                             r"status=deferred \(%s\)" % (qid, re.escape(MX), re.escape(want)), timeout=30)
        self.postfix.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: %s" % re.escape(want))
        # Still queued, with Postfix's reply as the reason mailq gives.
        listing = " ".join(mailq(self.sender).stdout.split())
        self.assertIn(qid, listing)
        self.assertIn("(%s)" % want, listing)
        self.assertIn("busy@peer.test", listing)
        self.assertEqual(self.postfix.maildir("busy"), [])


class PostfixAsRelayhost(WithSendingTern):
    """relayhost = [SUBMISSION]:587 with AUTH from smtp_sasl_password_maps, TLS required."""

    @classmethod
    def configure(cls, tern):
        cls.passwords = os.path.join(tern.etc, "sasl_passwd")
        cls.write_passwords(RELAY_PASSWORD)
        tern.settings.update({"relayhost": "[%s]:587" % SUBMISSION, "smtp_sasl_auth_enable": "yes",
                              "smtp_sasl_password_maps": "texthash:" + cls.passwords,
                              "smtp_tls_security_level": "encrypt"})

    @classmethod
    def write_passwords(cls, password):
        # Replaced in one rename, as an administrator's editor would: lookup sees the new file.
        with open(cls.passwords + ".new", "w") as f:
            f.write("# relayhost credentials\n[%s]:587 %s:%s\n" % (SUBMISSION, RELAY_USER, password))
        os.chmod(cls.passwords + ".new", 0o644)
        os.rename(cls.passwords + ".new", cls.passwords)

    def test_mail_goes_through_the_authenticating_relay_to_its_destination(self):
        qid = self.send("carol@far.test", "through the relayhost")
        self.sender.wait_log(r"%s: to=<carol@far\.test>, relay=%s\[%s\]:587, .*status=sent \(250 2\.0\.0 Ok: queued as "
                             % (qid, re.escape(SUBMISSION), re.escape(SUBMISSION)), timeout=30)
        self.assertRegex(self.sender.log(), r"TLS connection established to %s\[%s\]:587: TLSv1\.3 with cipher"
                         % (re.escape(SUBMISSION), re.escape(SUBMISSION)))
        self.postfix.wait_log(r"postfix/submission/smtpd\[\d+\]: \w+: client=\S+\[127\.0\.0\.1\], sasl_method=PLAIN, "
                              r"sasl_username=%s" % re.escape(RELAY_USER))
        [raw] = self.at_far_test(b"through the relayhost")
        received = first_received(raw.replace(b"\r\n", b"\n"))
        # Postfix's own record of how it got the message: TLS, AUTH, the user Tern logged in as.
        self.assertIn("(using TLSv1.3 with cipher", received)
        self.assertIn("(Authenticated sender: %s)" % RELAY_USER, received)
        self.assertIn("by mx.peer.test (Postfix) with ESMTPSA id", received)

    def test_a_wrong_password_defers_with_postfixs_535_until_it_is_fixed(self):
        self.write_passwords("not the password")
        try:
            qid = self.send("dave@far.test", "wrong password first")
            line = self.sender.wait_log(r"(?m)%s: to=<dave@far\.test>, relay=%s\[%s\]:587, .*dsn=([^,]+), status=deferred "
                                        r"\(SASL authentication failed; server %s\[%s\]:587 said: (535 5\.7\.8 .*)\)$"
                                        % ((qid,) + (re.escape(SUBMISSION),) * 4), timeout=30)
            self.assertEqual(line.group(1), "4.7.8")
            self.assertIn("authentication failed", line.group(2))
            self.postfix.wait_log(r"postfix/submission/smtpd\[\d+\]: warning: \S+\[127\.0\.0\.1\]: SASL PLAIN "
                                  r"authentication failed: .*, sasl_username=%s" % re.escape(RELAY_USER))
            # One failed AUTH over TLS, then a clean QUIT: no retry of the same password.
            self.postfix.wait_log(r"postfix/submission/smtpd\[\d+\]: disconnect from \S+\[127\.0\.0\.1\] "
                                  r"ehlo=2 starttls=1 auth=0/1 quit=1 commands=4/5")
            listing = " ".join(mailq(self.sender).stdout.split())
            self.assertIn(qid, listing)
            self.assertIn("said: 535 5.7.8", listing)
            self.assertEqual([m for m in self.sink.messages if b"wrong password first" in m], [])
        finally:
            self.write_passwords(RELAY_PASSWORD)
        # The administrator fixed the table: the next retry authenticates and delivers.
        self.sender.wait_log(r"%s: to=<dave@far\.test>, relay=%s\[%s\]:587, .*status=sent"
                             % (qid, re.escape(SUBMISSION), re.escape(SUBMISSION)), timeout=30)
        self.at_far_test(b"wrong password first")

    def test_the_relay_refuses_unauthenticated_relaying(self):
        # What makes the tests above meaningful: without AUTH this Postfix relays nothing, and it
        # offers AUTH only after STARTTLS.
        with smtplib.SMTP(SUBMISSION, 587, local_hostname="client.test", timeout=20) as client:
            client.ehlo()
            self.assertFalse(client.has_extn("auth"), "AUTH offered before STARTTLS")
            client.starttls(context=ssl._create_unverified_context())
            client.ehlo()
            self.assertTrue(client.has_extn("auth"))
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                client.sendmail("alice@peer.test", ["carol@far.test"], message("unauthenticated", "carol@far.test"))
            code, text = refused.exception.recipients["carol@far.test"]
            self.assertEqual(code, 554)
            self.assertIn(b"Relay access denied", text)


class AuthWithoutTls(WithSendingTern):
    """relayhost = [PLAIN_SUBMISSION]:587, which offers AUTH without STARTTLS; TLS level "may"."""

    @classmethod
    def configure(cls, tern):
        passwords = os.path.join(tern.etc, "sasl_passwd")
        with open(passwords, "w") as f:
            f.write("[%s]:587 %s:%s\n" % (PLAIN_SUBMISSION, RELAY_USER, RELAY_PASSWORD))
        tern.settings.update({"relayhost": "[%s]:587" % PLAIN_SUBMISSION, "smtp_sasl_auth_enable": "yes",
                              "smtp_sasl_password_maps": "texthash:" + passwords})

    def sessions(self):
        """Postfix's summary of each SMTP session on this listener: the commands it got."""
        return re.findall(r"postfix/plain-submission/smtpd\[\d+\]: disconnect from \S+\[127\.0\.0\.1\] (ehlo=.*)",
                          self.postfix.log())

    def test_credentials_are_sent_in_plaintext_only_when_the_security_options_allow_it(self):
        before = len(self.sessions())
        qid = self.send("erin@far.test", "password in the clear?")
        self.sender.wait_log(r"%s: to=<erin@far\.test>, relay=%s\[%s\]:587, .*dsn=4\.7\.0, status=deferred "
                             r"\(will not send credentials to %s\[%s\]:587 without TLS\)"
                             % ((qid,) + (re.escape(PLAIN_SUBMISSION),) * 4), timeout=30)
        # Postfix counts the commands of the session: EHLO, then QUIT -- never AUTH.
        first = wait_for(lambda: self.sessions()[before:], timeout=15, what="postfix's disconnect line")[0]
        self.assertEqual(first, "ehlo=1 quit=1 commands=2")
        self.assertNotIn("sasl_username", self.postfix.log())

        # The administrator accepts the risk: plaintext mechanisms allowed without TLS.
        self.sender.settings["smtp_sasl_security_options"] = "noanonymous"
        self.sender.write_config(self.sender.settings)
        self.sender.ternctl("reload", check=True)
        self.sender.wait_log(r"tern/smtp\[\d+\]: reloaded configuration")
        self.sender.wait_log(r"%s: to=<erin@far\.test>, relay=%s\[%s\]:587, .*status=sent"
                             % (qid, re.escape(PLAIN_SUBMISSION), re.escape(PLAIN_SUBMISSION)), timeout=30)
        self.postfix.wait_log(r"postfix/plain-submission/smtpd\[\d+\]: \w+: client=\S+\[127\.0\.0\.1\], "
                              r"sasl_method=PLAIN, sasl_username=%s" % re.escape(RELAY_USER))
        [raw] = self.at_far_test(b"password in the clear?")
        received = first_received(raw.replace(b"\r\n", b"\n"))
        self.assertIn("with ESMTPA id", received)
        self.assertNotIn("using TLS", received)


if __name__ == "__main__":
    unittest.main()
