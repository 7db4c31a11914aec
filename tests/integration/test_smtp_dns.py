"""Outbound delivery through DNS, end to end: a sending Tern whose lookup asks a real DNS
server (dnsmasq on a loopback port) and whose smtp delivers on port 25 to real receivers on
other loopback addresses -- a second Tern (virtual Maildirs, STARTTLS) and scripted servers.

What a user sees: mail reaches the most preferred MX that answers, falls back to the address
of a domain without MX, bounces at once for a null MX (5.1.10), is retried after a 4xx, bounces
with the remote 5xx reply in the DSN, goes over TLS (recorded in the receiver's Received
header) at the level smtp_tls_policy_maps names for the destination, and one message to 100 recipients on 10 domains uses one connection per domain.
Port 25 needs root; without it these tests are skipped.
"""
import email
import email.policy
import os
import re
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import (Dnsmasq, LogsOnFailure, Tern, enqueue, maildir_messages, running_as_root,  # noqa: E402
                     start_virtual_receiver, wait_for)
from test_smtp import ScriptedServer  # noqa: E402

DEAD_MX = "127.0.9.1"      # nothing listens: connection refused
RECEIVER = "127.0.9.3"     # the second Tern
BACKUP = "127.0.9.4"       # scripted: must never be used while RECEIVER answers
RETRY = "127.0.9.5"        # scripted: 451 once, then 250
REJECT = "127.0.9.6"       # scripted: 550 for every recipient
NOTLS = "127.0.9.7"        # scripted, no STARTTLS; smtp_tls_policy_maps says "encrypt"
VIRTUAL_DOMAINS = ("pref.test", "inbox.test", "implicit.test", "plain.test", "unsigned.test")
FANOUT = ["127.0.10.%d" % (i + 1) for i in range(10)]  # d0.test .. d9.test, scripted

ZONE = [
    "--local=/test/",
    "--mx-host=pref.test,mx0.pref.test,5",
    "--mx-host=pref.test,mx1.pref.test,10",
    "--mx-host=pref.test,mx2.pref.test,20",
    "--host-record=mx0.pref.test,%s" % DEAD_MX,
    "--host-record=mx1.pref.test,%s" % RECEIVER,
    "--host-record=mx2.pref.test,%s" % BACKUP,
    "--mx-host=inbox.test,mx1.pref.test,10",
    "--host-record=implicit.test,%s" % RECEIVER,          # no MX: the address itself
    "--dns-rr=nullmx.test,15,000000",                     # MX 0 .
    "--mx-host=retry.test,mx.retry.test,10",
    "--host-record=mx.retry.test,%s" % RETRY,
    "--mx-host=reject.test,mx.reject.test,10",
    "--host-record=mx.reject.test,%s" % REJECT,
    "--mx-host=notls.test,mx.notls.test,10",
    "--host-record=mx.notls.test,%s" % NOTLS,
    "--mx-host=plain.test,mx1.pref.test,10",              # smtp_tls_policy_maps: none
    "--mx-host=unsigned.test,mx1.pref.test,10",           # smtp_tls_policy_maps: dane
    "--dns-rr=_25._tcp.mx1.pref.test,52,030101" + "ab" * 32,  # a TLSA record no DNSSEC vouches for
] + ["--mx-host=d%d.test,mx.d%d.test,10" % (i, i) for i in range(10)] \
  + ["--host-record=mx.d%d.test,%s" % (i, a) for i, a in enumerate(FANOUT)]

# One delivery at a time per destination: "one connection per domain per concurrency slot"
# then means one connection per domain.
SENDER = {"minimal_backoff_time": "1s", "maximal_backoff_time": "1s", "queue_run_delay": "1s",
          "smtp_connect_timeout": "5s", "smtp_helo_timeout": "10s", "default_destination_concurrency_limit": "1",
          "smtp_connection_cache_time_limit": "5s"}


def self_signed_certificate(tern):
    """A certificate for mx1.pref.test in the Tern's etc/; (cert, key)."""
    cert, key = os.path.join(tern.etc, "cert.pem"), os.path.join(tern.etc, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-keyout", key, "-out", cert, "-subj", "/CN=mx1.pref.test",
                    "-addext", "subjectAltName=DNS:mx1.pref.test"], check=True, capture_output=True, timeout=30)
    os.chmod(key, 0o644)  # read by smtpd as the tern user
    return cert, key


def message(subject, to):
    return ("From: <alice@inbox.test>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\n"
            "Hello from the sending Tern.\r\n" % (to, subject, re.sub(r"\W", "", subject))).encode()


@unittest.skipUnless(running_as_root(), "port 25 on loopback addresses needs root")
class DnsRouting(LogsOnFailure, unittest.TestCase):
    # Everything started registers its stop with addClassCleanup, which unittest runs (in
    # reverse) after the class, and also when set-up fails halfway.
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(ZONE).__enter__()
        cls.addClassCleanup(lambda: cls.dns.__exit__(None, None, None))

        # The receiving Tern: virtual Maildirs for pref.test, inbox.test, implicit.test; STARTTLS.
        cls.receiver, cls.vmail = start_virtual_receiver(
            cls, "inbox.tern.test", "%s:25" % RECEIVER, VIRTUAL_DOMAINS,
            [("%s@%s" % (u, d), "%s/%s/" % (d, u)) for d in VIRTUAL_DOMAINS for u in ("bob", "alice")],
            self_signed_certificate)

        cls.backup = ScriptedServer(address=BACKUP, port=25)
        cls.addClassCleanup(cls.backup.close)
        cls.retry = ScriptedServer(address=RETRY, port=25,
                                   replies={"RCPT": [b"451 4.3.0 greylisted, come back later\r\n", b"250 2.1.5 ok\r\n"]})
        cls.addClassCleanup(cls.retry.close)
        cls.reject = ScriptedServer(address=REJECT, port=25,
                                    replies={"RCPT": b"550 5.1.1 <nobody@reject.test>: Recipient address rejected\r\n"})
        cls.addClassCleanup(cls.reject.close)
        cls.notls = ScriptedServer(address=NOTLS, port=25)
        cls.addClassCleanup(cls.notls.close)
        cls.fanout = [ScriptedServer(address=a, port=25) for a in FANOUT]
        for s in cls.fanout:
            cls.addClassCleanup(s.close)

        # The sending Tern: every non-local domain is routed through the test DNS.
        cls.sender = Tern(config=dict(SENDER, dns_nameservers="127.0.0.1:%d" % cls.dns.port))
        cls.addClassCleanup(lambda: cls.sender.__exit__(None, None, None))
        policy = os.path.join(cls.sender.etc, "tls_policy")
        with open(policy, "w") as f:
            f.write("notls.test encrypt\nplain.test none\nunsigned.test dane\n")
        cls.sender.settings["smtp_tls_policy_maps"] = "texthash:" + policy
        cls.sender.write_config(cls.sender.settings)
        cls.sender.start()

    def failure_logs(self):
        return [("sender log", self.sender.log()[-15000:]), ("receiver log", self.receiver.log()[-5000:])]

    def send(self, to, subject, sender="alice@inbox.test"):
        return enqueue(self.sender, [to], sender=sender, message=message(subject, to))

    def test_most_preferred_mx_that_answers_gets_the_mail(self):
        qid = self.send("bob@pref.test", "preference and fail-over")
        line = self.sender.wait_log(r"%s: to=<bob@pref\.test>, relay=([^,\s]+), .*status=(\w+)" % qid, timeout=30)
        self.assertEqual(line.group(1), "mx1.pref.test[%s]:25" % RECEIVER)
        self.assertEqual(line.group(2), "sent")
        self.assertRegex(self.sender.log(), r"%s: connect to mx0\.pref\.test\[%s\]:25: connection refused"
                         % (qid, re.escape(DEAD_MX)))
        got = wait_for(lambda: [m for m in maildir_messages(self.vmail, "pref.test", "bob")
                                if b"preference and fail-over" in m], timeout=15, what="the message in bob's Maildir")
        self.assertEqual(len(got), 1)
        self.assertEqual(self.backup.connections, 0, "the less preferred MX was used")

    def test_tls_is_negotiated_and_recorded_in_the_receivers_received_header(self):
        qid = self.send("bob@inbox.test", "over TLS")
        self.sender.wait_log(r"%s: to=<bob@inbox\.test>, relay=mx1\.pref\.test.*status=sent" % qid, timeout=30)
        self.assertRegex(self.sender.log(), r"Untrusted TLS connection established to mx1\.pref\.test\[%s\]:25: TLSv1\.3"
                         % re.escape(RECEIVER))
        [raw] = wait_for(lambda: [m for m in maildir_messages(self.vmail, "inbox.test", "bob") if b"over TLS" in m],
                         timeout=15, what="the message in bob's Maildir")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        first = " ".join(str(msg.get_all("Received")[0]).split())
        self.assertRegex(first, r"^from tern\.test \(.*\[127\.0\.0\.1\]\) by inbox\.tern\.test \(Tern\) with ESMTPS? id ")
        self.assertIn("using TLSv1.3", first)

    def test_a_domain_without_mx_is_delivered_to_its_address(self):
        qid = self.send("bob@implicit.test", "implicit MX")
        self.sender.wait_log(r"%s: to=<bob@implicit\.test>, relay=implicit\.test\[%s\]:25, .*status=sent"
                             % (qid, re.escape(RECEIVER)), timeout=30)
        wait_for(lambda: [m for m in maildir_messages(self.vmail, "implicit.test", "bob") if b"implicit MX" in m],
                 timeout=15, what="the message in bob's Maildir")

    def test_null_mx_bounces_at_once(self):
        qid = self.send("bob@nullmx.test", "null MX")
        line = self.sender.wait_log(r"%s: to=<bob@nullmx\.test>, .*dsn=([^,\s]+), status=(\w+) \((.*)\)" % qid, timeout=30)
        self.assertEqual(line.group(1), "5.1.10")
        self.assertEqual(line.group(2), "bounced")
        self.assertIn("does not accept mail (nullMX)", line.group(3))

    def test_a_4xx_is_retried_and_then_delivered(self):
        qid = self.send("bob@retry.test", "retry after 4xx")
        self.sender.wait_log(r"%s: to=<bob@retry\.test>, .*status=deferred \(451 4\.3\.0 greylisted" % qid, timeout=30)
        self.sender.wait_log(r"%s: to=<bob@retry\.test>, relay=mx\.retry\.test\[%s\]:25, .*status=sent"
                             % (qid, re.escape(RETRY)), timeout=30)
        self.assertEqual(len([m for m in self.retry.messages if b"retry after 4xx" in m]), 1)

    def test_a_5xx_bounces_with_the_remote_reply_in_the_dsn(self):
        qid = self.send("nobody@reject.test", "refused by the remote", sender="alice@inbox.test")
        self.sender.wait_log(r"%s: to=<nobody@reject\.test>, relay=mx\.reject\.test\[%s\]:25, .*dsn=5\.1\.1, "
                             r"status=bounced \(550 5\.1\.1 <nobody@reject\.test>: Recipient address rejected\)"
                             % (qid, re.escape(REJECT)), timeout=30)
        # The DSN travels back through DNS to alice@inbox.test, on the receiving Tern.
        [raw] = wait_for(lambda: [m for m in maildir_messages(self.vmail, "inbox.test", "alice")
                                  if b"refused by the remote" in m], timeout=30, what="the DSN in alice's Maildir")
        dsn = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        per_recipient = dsn.get_payload()[1].get_payload()[1]
        self.assertEqual(per_recipient["Action"], "failed")
        self.assertEqual(per_recipient["Status"], "5.1.1")
        self.assertIn("550 5.1.1 <nobody@reject.test>: Recipient address rejected",
                      " ".join(per_recipient["Diagnostic-Code"].split()))

    def test_tls_policy_maps_set_the_level_per_destination(self):
        # "encrypt": a server without STARTTLS gets nothing.
        qid = self.send("bob@notls.test", "must be encrypted")
        self.sender.wait_log(r"%s: to=<bob@notls\.test>, .*dsn=4\.7\.4, status=deferred \(TLS is required, but was "
                             r"not offered by host mx\.notls\.test\[%s\]:25\)" % (qid, re.escape(NOTLS)), timeout=30)
        self.assertEqual(self.notls.messages, [])
        # "none": plaintext even though the receiver offers STARTTLS.
        qid = self.send("bob@plain.test", "in plaintext")
        self.sender.wait_log(r"%s: to=<bob@plain\.test>, .*status=sent" % qid, timeout=30)
        [raw] = wait_for(lambda: [m for m in maildir_messages(self.vmail, "plain.test", "bob") if b"in plaintext" in m],
                         timeout=15, what="the message in bob's Maildir")
        received = " ".join(str(email.message_from_bytes(raw, policy=email.policy.default).get_all("Received")[0]).split())
        self.assertIn("by inbox.tern.test", received)
        self.assertNotIn("using TLS", received)
        # "dane" with a TLSA record that DNSSEC does not vouch for (no AD bit): as "may".
        qid = self.send("bob@unsigned.test", "dane without dnssec")
        self.sender.wait_log(r"%s: to=<bob@unsigned\.test>, .*status=sent" % qid, timeout=30)
        [raw] = wait_for(lambda: [m for m in maildir_messages(self.vmail, "unsigned.test", "bob")
                                  if b"dane without dnssec" in m], timeout=15, what="the message in bob's Maildir")
        received = " ".join(str(email.message_from_bytes(raw, policy=email.policy.default).get_all("Received")[0]).split())
        self.assertIn("using TLSv1.3", received)
        # RFC 7672 §2.2: with an MX answer DNSSEC does not vouch for, DANE does not apply and
        # its TLSA records are not even asked for (test_smtp_dane.py has the signed cases).
        self.assertNotRegex(self.dns.log(), r"query\[(TLSA|type=52)\] _25\._tcp\.mx1\.pref\.test")

    def test_one_message_to_100_recipients_on_10_domains_uses_one_connection_per_domain(self):
        recipients = ["user%02d@d%d.test" % (n, n % 10) for n in range(100)]
        with smtplib.SMTP("127.0.0.1", self.sender.smtp_port, timeout=30) as client:
            refused = client.sendmail("alice@inbox.test", recipients, message("fan-out", recipients[0]))
        self.assertEqual(refused, {})
        qid = self.sender.wait_log(r"(\w+): to=<user00@d0\.test>", timeout=30).group(1)
        wait_for(lambda: len(re.findall(r"%s: to=<user\d\d@d\d\.test>, .*status=sent" % qid, self.sender.log())) == 100,
                 timeout=60, what="100 status=sent lines")
        log = self.sender.log()
        for i, server in enumerate(self.fanout):
            with self.subTest(domain="d%d.test" % i):
                connects = re.findall(r"%s: connected to mx\.d%d\.test\[%s\]:25" % (qid, i, re.escape(FANOUT[i])), log)
                self.assertEqual(len(connects), 1, "connections to d%d.test in the log" % i)
                self.assertEqual(server.connections, 1)
                rcpts = [re.match(rb"RCPT TO:<([^>]*)>", l).group(1).decode() for l in server.lines
                         if l.startswith(b"RCPT")]
                self.assertEqual(sorted(rcpts), sorted(r for r in recipients if r.endswith("@d%d.test" % i)))
                # qmgr starts jobs once the whole message is routed: one transaction per domain.
                self.assertEqual(len(server.messages), 1)
                self.assertEqual(sum(1 for l in server.lines if l.startswith(b"EHLO")), 1)

if __name__ == "__main__":
    unittest.main()
