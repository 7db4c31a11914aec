"""DANE (RFC 7672) for outbound delivery, proven against real DNSSEC: NSD serves zones signed with
ldns-signzone, Debian's unbound validates them (a trust anchor for the test zones' KSKs, a
stub-zone to NSD), and the sending Tern's lookup trusts unbound's AD bit
(dns_trusted_resolver = yes) with smtp_tls_security_level = dane. The receivers are a second
Tern and scripted servers on 127.0.12.x port 25, with certificates from a test CA.

What a user sees: a TLSA 3 1 1 record matching the server's key delivers over TLS that the log
calls "Verified" (as Postfix does); 2 1 1 matching the issuing CA does too; a validated TLSA
record that matches nothing defers the mail and not one command of the transaction is sent; a
signed zone without TLSA records delivers opportunistically; an MX answer or a zone that is
not signed makes TLSA records meaningless (no DANE, as "may"); a TLSA record altered after
signing, or a zone whose signatures expired, makes the resolver answer SERVFAIL and the mail
waits without any connection being made.
Port 25 on loopback addresses needs root; without root, nsd or unbound these tests are skipped.
"""
import email
import email.policy
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import (LogsOnFailure, Tern, enqueue, lookup_query, mailq, maildir_messages, running_as_root,  # noqa: E402
                     start_virtual_receiver, stop_process, wait_for)
from test_smtp import ScriptedServer  # noqa: E402

NSD_ADDRESS = "127.0.12.53"      # authoritative for the test zones
UNBOUND_ADDRESS = "127.0.12.54"  # validating resolver, the sender's only nameserver
RECEIVER = "127.0.12.1"          # a second Tern; its key is in the matching TLSA records
MISMATCH = "127.0.12.2"          # scripted, STARTTLS; its validated TLSA record matches nothing
BOGUS = "127.0.12.3"             # scripted; its TLSA record was altered after signing
UNSIGNED = "127.0.12.4"          # scripted, STARTTLS; in an unsigned zone with a wrong TLSA record
EXPIRED = "127.0.12.5"           # scripted; its zone's signatures expired
NOSTARTTLS = "127.0.12.6"        # scripted, no STARTTLS; has a validated, usable TLSA record
RECEIVER_DOMAINS = ("good.dane.example", "ta.dane.example", "notlsa.dane.example")

NSD = shutil.which("nsd") or "/usr/sbin/nsd"
UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
TOOLS = [NSD, UNBOUND, "/usr/bin/ldns-keygen", "/usr/bin/ldns-signzone", "/usr/bin/drill"]
MISSING = [t for t in TOOLS if not os.access(t, os.X_OK)]

SENDER = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s", "queue_run_delay": "1s",
          "smtp_connect_timeout": "5s", "smtp_helo_timeout": "10s", "smtp_tls_security_level": "dane",
          "dns_trusted_resolver": "yes"}


def run(args, cwd=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError("%s: exit %d: %s%s" % (" ".join(args), result.returncode, result.stdout, result.stderr))
    return result.stdout


def free_port_on(address):
    """A port free for both TCP and UDP on `address` (DNS servers need both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((address, 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((address, port))
                except OSError:
                    continue
            return port
    raise AssertionError("no free port on %s" % address)


# --- certificates ---------------------------------------------------------------------------------
def make_certificates(directory):
    """A test CA and a server certificate it issued for every MX host name; returns paths and the
    SHA-256 of each one's SubjectPublicKeyInfo (the data of a TLSA x 1 1 record)."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    ca, ca_key = os.path.join(directory, "ca.pem"), os.path.join(directory, "ca.key")
    run(["openssl", "req", "-x509"] + ec + ["-days", "2", "-keyout", ca_key, "-out", ca,
        "-subj", "/CN=Tern DANE test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    leaf, key, csr = (os.path.join(directory, n) for n in ("leaf.pem", "key.pem", "leaf.csr"))
    run(["openssl", "req", "-new"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=mx.good.dane.example"])
    names = ["mx.good.dane.example", "mx.ta.dane.example", "mx.notlsa.dane.example", "mx.bad.dane.example",
             "mx.strict.dane.example", "mx.bogus.dane.example", "mx.unsigned.plain.example", "mx.expired.example"]
    ext = os.path.join(directory, "leaf.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                % ",".join("DNS:" + n for n in names))
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
         "-out", leaf, "-extfile", ext])
    chain = os.path.join(directory, "chain.pem")  # what the servers send: leaf, then the CA
    with open(chain, "w") as out, open(leaf) as a, open(ca) as b:
        out.write(a.read() + b.read())
    os.chmod(key, 0o644)  # read by smtpd as the tern user

    def spki_sha256(cert):
        pem = run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"])
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem.encode(),
                             capture_output=True, timeout=30, check=True).stdout
        return hashlib.sha256(der).hexdigest()
    return {"chain": chain, "key": key, "leaf_spki": spki_sha256(leaf), "ca_spki": spki_sha256(ca)}


# --- zones ----------------------------------------------------------------------------------------
def zone_text(origin, records):
    head = ("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns.%s.\n"
            "ns IN A %s\n" % (origin, origin, origin, origin, NSD_ADDRESS))
    return head + "".join(r + "\n" for r in records)


def sign_zone(directory, origin, records, expired=False, tamper=None):
    """Writes and signs origin's zone (a KSK and a ZSK from ldns-keygen); returns the signed file
    and the KSK's DS record, the resolver's trust anchor. `tamper` (old, new) edits the signed
    text afterwards, so that the record no longer matches its signature."""
    path = os.path.join(directory, origin + ".zone")
    with open(path, "w") as f:
        f.write(zone_text(origin, records))
    ksk = run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", origin], cwd=directory).strip()
    zsk = run(["ldns-keygen", "-a", "ECDSAP256SHA256", origin], cwd=directory).strip()
    if expired:  # valid for a week, a year ago
        dates = ["-i", time.strftime("%Y%m%d", time.gmtime(time.time() - 372 * 86400)),
                 "-e", time.strftime("%Y%m%d", time.gmtime(time.time() - 365 * 86400))]
    else:
        dates = ["-i", time.strftime("%Y%m%d", time.gmtime(time.time() - 86400)),
                 "-e", time.strftime("%Y%m%d", time.gmtime(time.time() + 7 * 86400))]
    run(["ldns-signzone"] + dates + ["-o", origin, path, zsk, ksk], cwd=directory)
    signed = path + ".signed"
    if tamper:
        with open(signed) as f:
            text = f.read()
        if tamper[0] not in text:
            raise AssertionError("%s not found in the signed zone:\n%s" % (tamper[0], text))
        with open(signed, "w") as f:
            f.write(text.replace(tamper[0], tamper[1]))
    with open(os.path.join(directory, ksk + ".ds")) as f:
        ds = f.read().strip()
    return signed, ds


class Daemon:
    """A foreground DNS server started by the test; stopped and waited for on close()."""

    def __init__(self, name, args, log_path):
        self.name = name
        self.log_path = log_path
        self.out = open(log_path + ".out", "wb")
        self.process = subprocess.Popen(args, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self):
        text = ""
        for p in (self.log_path, self.log_path + ".out"):
            if os.path.exists(p):
                with open(p, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
        return text

    def wait_answering(self, address, port, name, rtype, dnssec=False):
        def answering():
            if self.process.poll() is not None:
                raise AssertionError("%s exited with %s:\n%s" % (self.name, self.process.returncode, self.log()))
            r = subprocess.run(["drill"] + (["-D"] if dnssec else []) + ["-p", str(port), "@" + address, name, rtype],
                               capture_output=True, text=True, timeout=10)
            return r.returncode == 0 and "rcode: NOERROR" in r.stdout and r.stdout
        return wait_for(answering, timeout=15, interval=0.2, what="%s to answer %s %s" % (self.name, name, rtype))

    def close(self):
        stop_process(self.process)
        self.out.close()


def message(subject, to, sender):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\n"
            "Hello from the sending Tern.\r\n" % (sender, to, subject, re.sub(r"\W", "", subject))).encode()


def field(reply, name):
    """All values of `name` in a text-format reply."""
    return re.findall(r"^\s*%s: (.*)$" % name, reply, re.M)


@unittest.skipUnless(running_as_root(), "port 25 on loopback addresses needs root")
@unittest.skipIf(MISSING, "DANE tests need nsd, unbound and ldnsutils; missing: %s" % ", ".join(MISSING))
class Dane(LogsOnFailure, unittest.TestCase):
    # Everything started registers its stop with addClassCleanup, which unittest runs (in
    # reverse) after the class, and also when set-up fails halfway.

    @classmethod
    def start_dns(cls, certs):
        d = cls.dns_dir = tempfile.mkdtemp(prefix="tern-dane-dns-")
        cls.addClassCleanup(lambda: shutil.rmtree(d, ignore_errors=True))
        wrong = "ab" * 32
        leaf = certs["leaf_spki"]
        signed, ds = sign_zone(d, "dane.example", [
            "good MX 10 mx.good", "mx.good A %s" % RECEIVER, "_25._tcp.mx.good TLSA 3 1 1 %s" % leaf,
            "ta MX 10 mx.ta", "mx.ta A %s" % RECEIVER, "_25._tcp.mx.ta TLSA 2 1 1 %s" % certs["ca_spki"],
            "notlsa MX 10 mx.notlsa", "mx.notlsa A %s" % RECEIVER,
            "bad MX 10 mx.bad", "mx.bad A %s" % MISMATCH, "_25._tcp.mx.bad TLSA 3 1 1 %s" % wrong,
            "mx.strict A %s" % MISMATCH, "_25._tcp.mx.strict TLSA 3 1 1 %s" % wrong,
            # Signed with a record that matches nothing, then altered to one that would match.
            "nostarttls MX 10 mx.nostarttls", "mx.nostarttls A %s" % NOSTARTTLS,
            "_25._tcp.mx.nostarttls TLSA 3 1 1 %s" % leaf,
            "bogus MX 10 mx.bogus", "mx.bogus A %s" % BOGUS, "_25._tcp.mx.bogus TLSA 3 1 1 %s" % ("cd" * 32),
        ], tamper=("cd" * 32, leaf))
        expired, expired_ds = sign_zone(d, "expired.example", ["@ MX 10 mx", "mx A %s" % EXPIRED], expired=True)
        plain = os.path.join(d, "plain.example.zone")
        with open(plain, "w") as f:  # not signed: whatever it says is insecure
            f.write(zone_text("plain.example", [
                "@ MX 10 mx.strict.dane.example.",  # an insecure MX for a host with a validated TLSA record
                "unsigned MX 10 mx.unsigned", "mx.unsigned A %s" % UNSIGNED,
                "_25._tcp.mx.unsigned TLSA 3 1 1 %s" % wrong]))

        cls.nsd_port = free_port_on(NSD_ADDRESS)
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write('server:\n  ip-address: %s\n  port: %d\n  username: ""\n  chroot: ""\n  zonesdir: "%s"\n'
                    '  database: ""\n  zonelistfile: "%s/zone.list"\n  xfrdfile: "%s/xfrd.state"\n  xfrdir: "%s"\n'
                    '  pidfile: "%s/nsd.pid"\n  logfile: "%s/nsd.log"\n  server-count: 1\n  do-ip6: no\n'
                    '  verbosity: 1\nremote-control:\n  control-enable: no\n'
                    % (NSD_ADDRESS, cls.nsd_port, d, d, d, d, d, d))
            for name, path in (("dane.example", signed), ("expired.example", expired), ("plain.example", plain)):
                f.write('zone:\n  name: "%s"\n  zonefile: "%s"\n' % (name, path))
        cls.nsd = Daemon("nsd", [NSD, "-d", "-c", os.path.join(d, "nsd.conf")], os.path.join(d, "nsd.log"))
        cls.addClassCleanup(cls.nsd.close)
        cls.nsd.wait_answering(NSD_ADDRESS, cls.nsd_port, "dane.example", "SOA")

        anchors = os.path.join(d, "anchors.ds")
        with open(anchors, "w") as f:
            f.write(ds + "\n" + expired_ds + "\n")
        cls.unbound_port = free_port_on(UNBOUND_ADDRESS)
        cls.unbound_log = os.path.join(d, "unbound.log")
        with open(os.path.join(d, "unbound.conf"), "w") as f:
            f.write('server:\n  interface: %s\n  port: %d\n  do-ip6: no\n  do-daemonize: no\n  username: ""\n'
                    '  chroot: ""\n  directory: "%s"\n  pidfile: ""\n  use-syslog: no\n  logfile: "%s"\n'
                    '  verbosity: 1\n  log-queries: yes\n  val-log-level: 2\n  num-threads: 1\n'
                    '  access-control: 127.0.0.0/8 allow\n  do-not-query-localhost: no\n'
                    '  module-config: "validator iterator"\n  trust-anchor-file: "%s"\n  qname-minimisation: no\n'
                    % (UNBOUND_ADDRESS, cls.unbound_port, d, cls.unbound_log, anchors))
            for zone in ("dane.example", "expired.example", "plain.example"):
                f.write('stub-zone:\n  name: "%s"\n  stub-addr: %s@%d\n' % (zone, NSD_ADDRESS, cls.nsd_port))
        run(["unbound-checkconf", os.path.join(d, "unbound.conf")])
        cls.unbound = Daemon("unbound", [UNBOUND, "-d", "-c", os.path.join(d, "unbound.conf")], cls.unbound_log)
        cls.addClassCleanup(cls.unbound.close)
        # The resolver really validates: the signed zone's answers carry AD, the unsigned one's do not.
        answer = cls.unbound.wait_answering(UNBOUND_ADDRESS, cls.unbound_port, "good.dane.example", "MX",
                                            dnssec=True)
        if not re.search(r"flags: [^;]*\bad\b", answer):
            raise AssertionError("unbound did not validate the signed zone:\n%s\n%s" % (answer, cls.unbound.log()))

    @classmethod
    def setUpClass(cls):
        cls.certs_dir = tempfile.mkdtemp(prefix="tern-dane-certs-")
        os.chmod(cls.certs_dir, 0o755)
        cls.addClassCleanup(lambda: shutil.rmtree(cls.certs_dir, ignore_errors=True))
        certs = cls.certs = make_certificates(cls.certs_dir)
        cls.start_dns(certs)

        # The receiving Tern: virtual Maildirs, STARTTLS with the CA-issued certificate and its chain.
        cls.receiver, cls.vmail = start_virtual_receiver(
            cls, "mx.good.dane.example", "%s:25" % RECEIVER, RECEIVER_DOMAINS,
            [("bob@%s" % d, "%s/bob/" % d) for d in RECEIVER_DOMAINS],
            lambda tern: (certs["chain"], certs["key"]))

        tls = (certs["chain"], certs["key"])
        cls.mismatch = ScriptedServer(address=MISMATCH, port=25, cert=tls)
        cls.addClassCleanup(cls.mismatch.close)
        cls.bogus = ScriptedServer(address=BOGUS, port=25, cert=tls)
        cls.addClassCleanup(cls.bogus.close)
        cls.unsigned = ScriptedServer(address=UNSIGNED, port=25, cert=tls)
        cls.addClassCleanup(cls.unsigned.close)
        cls.expired = ScriptedServer(address=EXPIRED, port=25, cert=tls)
        cls.addClassCleanup(cls.expired.close)
        cls.nostarttls = ScriptedServer(address=NOSTARTTLS, port=25)
        cls.addClassCleanup(cls.nostarttls.close)

        cls.sender = Tern(config=dict(SENDER, dns_nameservers="%s:%d" % (UNBOUND_ADDRESS, cls.unbound_port)))
        cls.addClassCleanup(lambda: cls.sender.__exit__(None, None, None))
        cls.sender.start()

    def failure_logs(self):
        return [("sender log", self.sender.log()[-15000:]), ("receiver log", self.receiver.log()[-4000:]),
                ("unbound log", self.unbound.log()[-6000:])]

    def send(self, to, subject):
        sender = "alice@sender.invalid"
        return enqueue(self.sender, [to], sender=sender, message=message(subject, to, sender))

    def delivered(self, domain, subject):
        [raw] = wait_for(lambda: [m for m in maildir_messages(self.vmail, domain, "bob") if subject.encode() in m],
                         timeout=15, what="%r in bob@%s's Maildir" % (subject, domain))
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        return " ".join(str(msg.get_all("Received")[0]).split())

    def ask(self, request):
        return lookup_query(self.sender, request)

    def test_lookup_carries_the_ad_bit_for_mx_address_and_tlsa_answers(self):
        for request in ('mx { domain: "good.dane.example" }', 'address { host: "mx.good.dane.example" }',
                        'tlsa { host: "mx.good.dane.example" port: 25 }'):
            with self.subTest(request=request):
                reply = self.ask(request)
                self.assertEqual(field(reply, "authenticated_data"), ["true"], reply)
                self.assertNotIn("status", reply.split("hosts")[0], reply)  # DNS_OK is the default
        reply = self.ask('mx { domain: "good.dane.example" }')
        self.assertEqual(field(reply, "authenticated"), ["true"], reply)  # the MX host's addresses too
        for request in ('mx { domain: "plain.example" }', 'mx { domain: "unsigned.plain.example" }',
                        'tlsa { host: "mx.unsigned.plain.example" port: 25 }'):
            with self.subTest(request=request):
                reply = self.ask(request)
                self.assertEqual(field(reply, "authenticated_data"), [], reply)
        # plain.example's MX is insecure, its host's address records are not.
        reply = self.ask('mx { domain: "plain.example" }')
        self.assertEqual(field(reply, "authenticated"), ["true"], reply)

    def test_a_matching_dane_ee_record_delivers_over_verified_tls(self):
        qid = self.send("bob@good.dane.example", "DANE-EE match")
        self.sender.wait_log(r"%s: to=<bob@good\.dane\.example>, relay=mx\.good\.dane\.example\[%s\]:25, .*status=sent"
                             % (qid, re.escape(RECEIVER)), timeout=30)
        self.assertRegex(self.sender.log(), r"Verified TLS connection established to mx\.good\.dane\.example\[%s\]:25: "
                         r"TLSv1\.3 .*DANE matched DANE-EE 3 1 1" % re.escape(RECEIVER))
        self.assertIn("using TLSv1.3", self.delivered("good.dane.example", "DANE-EE match"))

    def test_a_dane_ta_record_matching_the_issuing_ca_delivers(self):
        qid = self.send("bob@ta.dane.example", "DANE-TA match")
        self.sender.wait_log(r"%s: to=<bob@ta\.dane\.example>, relay=mx\.ta\.dane\.example\[%s\]:25, .*status=sent"
                             % (qid, re.escape(RECEIVER)), timeout=30)
        self.assertRegex(self.sender.log(), r"Verified TLS connection established to mx\.ta\.dane\.example\[%s\]:25: "
                         r".*DANE matched DANE-TA 2 1 1 at depth 1" % re.escape(RECEIVER))
        self.assertIn("using TLSv1.3", self.delivered("ta.dane.example", "DANE-TA match"))

    def test_a_validated_tlsa_record_that_matches_nothing_defers_and_sends_nothing(self):
        qid = self.send("bob@bad.dane.example", "DANE mismatch")
        self.sender.wait_log(r"%s: to=<bob@bad\.dane\.example>, relay=mx\.bad\.dane\.example\[%s\]:25, .*dsn=4\.7\.5, "
                             r"status=deferred \(Server certificate not verified for mx\.bad\.dane\.example\[%s\]:25: "
                             r"DANE: no TLSA record matched the server's certificate chain\)"
                             % (qid, re.escape(MISMATCH), re.escape(MISMATCH)), timeout=30)
        # It is retried (and fails the same way); nothing of the transaction ever reaches the server.
        wait_for(lambda: len(re.findall(r"%s: to=<bob@bad\.dane\.example>, .*status=deferred" % qid,
                                        self.sender.log())) >= 2, timeout=20, what="a second deferral")
        self.assertFalse([m for m in self.mismatch.messages if b"DANE mismatch" in m])
        self.assertFalse([l for l in self.mismatch.lines if b"bob@bad.dane.example" in l], self.mismatch.lines)
        self.assertIn(qid, mailq(self.sender).stdout)  # still queued, waiting

    def test_a_usable_tlsa_record_makes_starttls_mandatory(self):
        qid = self.send("bob@nostarttls.dane.example", "no STARTTLS offered")
        self.sender.wait_log(r"%s: to=<bob@nostarttls\.dane\.example>, .*dsn=4\.7\.4, status=deferred \(TLS is required, "
                             r"but was not offered by host mx\.nostarttls\.dane\.example\[%s\]:25\)"
                             % (qid, re.escape(NOSTARTTLS)), timeout=30)
        self.assertGreaterEqual(self.nostarttls.connections, 1)
        self.assertEqual([l.split()[0] for l in self.nostarttls.lines if not l.startswith((b"EHLO", b"QUIT"))], [])
        self.assertEqual(self.nostarttls.messages, [])

    def test_a_signed_zone_without_tlsa_records_delivers_opportunistically(self):
        qid = self.send("bob@notlsa.dane.example", "no TLSA")
        self.sender.wait_log(r"%s: to=<bob@notlsa\.dane\.example>, relay=mx\.notlsa\.dane\.example\[%s\]:25, "
                             r".*status=sent" % (qid, re.escape(RECEIVER)), timeout=30)
        self.assertRegex(self.sender.log(), r"Untrusted TLS connection established to mx\.notlsa\.dane\.example\[%s\]:25"
                         % re.escape(RECEIVER))
        self.assertIn("using TLSv1.3", self.delivered("notlsa.dane.example", "no TLSA"))
        self.assertRegex(self.unbound.log(), r"_25\._tcp\.mx\.notlsa\.dane\.example\. TLSA IN")

    def test_an_insecure_mx_or_zone_means_no_dane(self):
        # plain.example is unsigned; its MX host has a validated TLSA record that matches nothing,
        # which must not count: RFC 7672 §2.2.1 -- not even looked up.
        qid = self.send("bob@plain.example", "insecure MX")
        self.sender.wait_log(r"%s: to=<bob@plain\.example>, relay=mx\.strict\.dane\.example\[%s\]:25, .*status=sent"
                             % (qid, re.escape(MISMATCH)), timeout=30)
        self.assertRegex(self.sender.log(), r"Untrusted TLS connection established to mx\.strict\.dane\.example")
        self.assertEqual(len([m for m in self.mismatch.messages if b"insecure MX" in m]), 1)
        self.assertNotRegex(self.unbound.log(), r"_25\._tcp\.mx\.strict\.dane\.example\. TLSA IN")
        # An unsigned zone's own TLSA record (wrong) is looked up, carries no AD, and is ignored.
        qid = self.send("bob@unsigned.plain.example", "unsigned TLSA")
        self.sender.wait_log(r"%s: to=<bob@unsigned\.plain\.example>, relay=mx\.unsigned\.plain\.example\[%s\]:25, "
                             r".*status=sent" % (qid, re.escape(UNSIGNED)), timeout=30)
        self.assertEqual(len([m for m in self.unsigned.messages if b"unsigned TLSA" in m]), 1)
        self.assertEqual(self.unsigned.tls_versions[-1:], ["TLSv1.3"])

    def test_a_tlsa_record_altered_after_signing_defers_without_connecting(self):
        qid = self.send("bob@bogus.dane.example", "bogus TLSA")
        line = self.sender.wait_log(r"%s: to=<bob@bogus\.dane\.example>, .*dsn=4\.7\.5, status=deferred \((.*)\)" % qid,
                                    timeout=30)
        self.assertIn("TLSA look-up of _25._tcp.mx.bogus.dane.example failed", line.group(1))
        self.assertRegex(self.unbound.log(), r"validation failure <_25\._tcp\.mx\.bogus\.dane\.example\. TLSA IN>")
        self.assertEqual(self.bogus.connections, 0)

    def test_expired_zone_signatures_defer_without_connecting(self):
        qid = self.send("bob@expired.example", "expired signatures")
        line = self.sender.wait_log(r"%s: to=<bob@expired\.example>, .*dsn=(4\.[\d.]+), status=deferred \((.*)\)" % qid,
                                    timeout=30)
        self.assertIn("Name service error for name=expired.example type=MX", line.group(2))
        self.assertRegex(self.unbound.log(), r"validation failure <expired\.example\. MX IN>.*expired")
        self.assertEqual(self.expired.connections, 0)


if __name__ == "__main__":
    unittest.main()
