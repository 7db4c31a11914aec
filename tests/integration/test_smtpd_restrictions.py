"""smtpd's access restrictions as a client sees them: smtpd_client_restrictions,
smtpd_helo_restrictions, smtpd_sender_restrictions, smtpd_recipient_restrictions and
smtpd_data_restrictions with access tables (access(5) files), an RBL and unknown domains served
by a real DNS server on loopback, under smtpd_delay_reject = yes (the refusals come at RCPT TO)
and = no (each at its own command; the client list at connect). Clients connect from several
127.0.0.0/8 source addresses, so that each one is a different client to Tern."""
import os
import pwd
import smtplib
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ternlib import Dnsmasq, Tern, lookup_query, maildir_messages, running_as_root, wait_for  # noqa: E402
from test_smtpd import Client  # noqa: E402

ZONE = [
    "--local=/test/",                                   # anything else under .test: NXDOMAIN
    "--host-record=2.0.0.127.bl.test,127.0.0.2",        # the RBL lists client 127.0.0.2
    "--mx-host=good.test,mx.good.test,10",
    "--host-record=mx.good.test,192.0.2.25",
    "--dns-rr=nullmx.test,15,000000",                   # MX 0 . (RFC 7505)
]

CLIENT_ACCESS = "127.0.0.3 REJECT\n127.0.1 550 5.7.0 Not from your network\n127.0.0.1 OK\n"
HELO_ACCESS = "bad.helo.test REJECT\n"
SENDER_ACCESS = "spam.test REJECT No spam here\n"
RECIPIENT_ACCESS = "closed@v.test REJECT Mailbox closed\n"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def start_tern(test_class, dns, restrictions):
    """A Tern that takes mail for bob@v.test and closed@v.test into virtual Maildirs, resolves
    through dns, trusts only 127.0.0.9, and has the access tables above in its etc/."""
    tern = Tern(config={"dns_nameservers": "127.0.0.1:%d" % dns.port, "mynetworks": "127.0.0.9/32",
                        "smtpd_client_event_limit_exceptions": ""})
    test_class.addClassCleanup(tern.cleanup)
    vmail = os.path.join(tern.root, "vmail")
    os.makedirs(vmail)
    owner = pwd.getpwnam("nobody") if running_as_root() else pwd.getpwuid(os.getuid())
    os.chown(vmail, owner.pw_uid, owner.pw_gid)
    tables = {name: "texthash:" + write(os.path.join(tern.etc, name), text) for name, text in
              [("client_access", CLIENT_ACCESS), ("helo_access", HELO_ACCESS),
               ("sender_access", SENDER_ACCESS), ("recipient_access", RECIPIENT_ACCESS)]}
    tern.settings.update({
        "virtual_mailbox_domains": "v.test", "virtual_mailbox_base": vmail,
        "virtual_mailbox_maps": write(os.path.join(tern.etc, "vmailbox"),
                                      "bob@v.test v.test/bob/\nclosed@v.test v.test/closed/\n"),
        "virtual_uid_maps": "static:%d" % owner.pw_uid, "virtual_gid_maps": "static:%d" % owner.pw_gid})
    tern.settings.update({k: v % tables for k, v in restrictions.items()})
    tern.write_config(tern.settings)
    tern.start()
    return tern, vmail


def connect(tern, source="127.0.0.1"):
    """A raw client from the given loopback source address; the greeting is read."""
    sock = socket.create_connection(("127.0.0.1", tern.smtp_port), timeout=10, source_address=(source, 0))
    c = Client(tern.smtp_port, sock=sock)
    return c, c.reply()


def smtp(tern, source="127.0.0.1"):
    return smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=10, source_address=(source, 0))


def spool_files(tern):
    return {os.path.join(d, f) for d in ("incoming", "queue") for f in os.listdir(os.path.join(tern.spool, d))}


class Restrictions(unittest.TestCase):
    """Shared by both classes: a transaction that is refused at RCPT leaves nothing behind."""

    def assertRcptRefused(self, tern, source, helo, sender, recipient, code, text):
        before = spool_files(tern)
        with smtp(tern, source) as s:
            s.ehlo(helo)
            self.assertEqual(250, s.mail(sender)[0])
            self.assertEqual((code, text.encode()), s.rcpt(recipient))
            self.assertEqual((554, b"5.5.1 Error: no valid recipients"), s.docmd("DATA"))
        self.assertEqual(set(), spool_files(tern) - before)

    def assertDelivered(self, tern, vmail, source, helo, sender, subject):
        with smtp(tern, source) as s:
            s.ehlo(helo)
            refused = s.sendmail(sender, ["bob@v.test"], "Subject: %s\r\n\r\nhello\r\n" % subject)
            self.assertEqual({}, refused)
        wait_for(lambda: any(subject.encode() in m for m in maildir_messages(vmail, "v.test", "bob")),
                 timeout=20, what="the message in bob's Maildir")


class DelayedRestrictions(Restrictions):
    """smtpd_delay_reject = yes (the default): client, HELO and sender lists answer at RCPT TO."""

    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(ZONE).__enter__()
        cls.addClassCleanup(lambda: cls.dns.__exit__(None, None, None))
        cls.tern, cls.vmail = start_tern(cls, cls.dns, {
            "smtpd_client_restrictions": "check_client_access %(client_access)s, reject_rbl_client bl.test",
            "smtpd_helo_restrictions": "reject_invalid_helo_hostname, reject_non_fqdn_helo_hostname",
            "smtpd_sender_restrictions": "check_sender_access %(sender_access)s, reject_non_fqdn_sender,"
                                         " reject_unknown_sender_domain",
            "smtpd_recipient_restrictions": "reject_unknown_recipient_domain,"
                                            " check_recipient_access %(recipient_access)s,"
                                            " permit_mynetworks, reject_unauth_destination",
            "smtpd_data_restrictions": "reject_unauth_pipelining",
        })

    def test_a_message_that_passes_every_list_arrives(self):
        self.assertDelivered(self.tern, self.vmail, "127.0.0.5", "mail.client.test", "alice@good.test",
                             "passes every list")

    def test_client_access_refuses_at_rcpt_not_before(self):
        self.assertRcptRefused(self.tern, "127.0.0.3", "mail.client.test", "alice@good.test", "bob@v.test",
                               554, "5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied")
        self.tern.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.3\]: 554 5\.7\.1 <unknown\[127\.0\.0\.3\]>: "
                           r"Client host rejected: Access denied; from=<alice@good\.test> to=<bob@v\.test> "
                           r"proto=ESMTP helo=<mail\.client\.test>")

    def test_client_access_matches_a_network_prefix_with_its_own_code(self):
        self.assertRcptRefused(self.tern, "127.0.1.5", "mail.client.test", "alice@good.test", "bob@v.test",
                               550, "5.7.0 <unknown[127.0.1.5]>: Client host rejected: Not from your network")

    def test_client_ok_in_the_table_ends_only_the_client_list(self):
        # 127.0.0.1 is OK in the client table, yet the sender list still applies.
        self.assertRcptRefused(self.tern, "127.0.0.1", "mail.client.test", "x@mail.spam.test", "bob@v.test",
                               554, "5.7.1 <x@mail.spam.test>: Sender address rejected: No spam here")

    def test_rbl_listed_client(self):
        self.assertRcptRefused(self.tern, "127.0.0.2", "mail.client.test", "alice@good.test", "bob@v.test",
                               554, "5.7.1 Service unavailable; Client host [127.0.0.2] blocked using bl.test")

    def test_helo_checks(self):
        self.assertRcptRefused(self.tern, "127.0.0.5", "bad!name", "alice@good.test", "bob@v.test",
                               501, "5.5.2 <bad!name>: Helo command rejected: Invalid name")
        self.assertRcptRefused(self.tern, "127.0.0.5", "localhost", "alice@good.test", "bob@v.test",
                               504, "5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname")

    def test_sender_checks(self):
        rows = [("alice@localhost", 504, "5.5.2 <alice@localhost>: Sender address rejected: need fully-qualified address"),
                ("alice@nx.test", 450, "4.1.8 <alice@nx.test>: Sender address rejected: Domain not found"),
                ("alice@nullmx.test", 550, "5.7.27 <alice@nullmx.test>: Sender address rejected: "
                                           "Domain nullmx.test does not accept mail (nullMX)")]
        for sender, code, text in rows:
            with self.subTest(sender=sender):
                self.assertRcptRefused(self.tern, "127.0.0.5", "mail.client.test", sender, "bob@v.test", code, text)

    def test_recipient_access_refuses_one_recipient_and_the_other_gets_the_message(self):
        with smtp(self.tern, "127.0.0.5") as s:
            s.ehlo("mail.client.test")
            s.mail("alice@good.test")
            self.assertEqual((554, b"5.7.1 <closed@v.test>: Recipient address rejected: Mailbox closed"),
                             s.rcpt("closed@v.test"))
            self.assertEqual(250, s.rcpt("bob@v.test")[0])
            self.assertEqual(250, s.data(b"Subject: one of two\r\n\r\nhello\r\n")[0])
        wait_for(lambda: any(b"one of two" in m for m in maildir_messages(self.vmail, "v.test", "bob")),
                 timeout=20, what="the message in bob's Maildir")
        self.assertEqual([], maildir_messages(self.vmail, "v.test", "closed"))

    def test_unknown_recipient_domains(self):
        # From the trusted 127.0.0.9, so that relaying is allowed and only the domain check speaks.
        with smtp(self.tern, "127.0.0.9") as s:
            s.ehlo("mail.client.test")
            s.mail("alice@good.test")
            self.assertEqual((450, b"4.1.2 <x@nx.test>: Recipient address rejected: Domain not found"),
                             s.rcpt("x@nx.test"))
            self.assertEqual((556, b"5.1.10 <x@nullmx.test>: Recipient address rejected: "
                                   b"Domain nullmx.test does not accept mail (nullMX)"), s.rcpt("x@nullmx.test"))
            self.assertEqual(250, s.rcpt("x@good.test")[0])
            self.assertEqual(250, s.rset()[0])

    def test_data_sent_before_the_354_is_improper_pipelining(self):
        before = spool_files(self.tern)
        c, (code, _) = connect(self.tern, "127.0.0.5")
        self.assertEqual(220, code)
        c.send("EHLO mail.client.test\r\n")
        self.assertEqual(250, c.reply()[0])
        c.send("MAIL FROM:<alice@good.test>\r\nRCPT TO:<bob@v.test>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n")
        self.assertEqual([250, 250], c.codes(2))
        self.assertEqual((503, ["503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining"]),
                         c.reply())
        c.close()
        time.sleep(0.5)
        self.assertEqual(set(), spool_files(self.tern) - before)

    def test_pipelining_that_waits_for_the_354_is_fine(self):
        c, (code, _) = connect(self.tern, "127.0.0.5")
        c.send("EHLO mail.client.test\r\n")
        self.assertEqual(250, c.reply()[0])
        c.send("MAIL FROM:<alice@good.test>\r\nRCPT TO:<closed@v.test>\r\nRCPT TO:<bob@v.test>\r\nDATA\r\n")
        self.assertEqual([250, 554, 250, 354], c.codes(4))  # in order, though RCPTs wait for look-ups
        c.send("Subject: pipelined\r\n\r\nx\r\n.\r\nQUIT\r\n")
        self.assertEqual([250, 221], c.codes(2))
        c.close()
        wait_for(lambda: any(b"pipelined" in m for m in maildir_messages(self.vmail, "v.test", "bob")),
                 timeout=20, what="the message in bob's Maildir")

    def test_lookup_reads_only_a_table_that_the_list_names(self):
        # What smtpd asks for check_sender_access: one query, every access(5) key.
        table = "texthash:" + os.path.join(self.tern.etc, "sender_access")
        named = lookup_query(self.tern, 'table { parameter: "smtpd_sender_restrictions" table: "%s" key: "x@mail.spam.test"'
                                        ' keys: "mail.spam.test" keys: "spam.test" keys: "test" }' % table)
        self.assertIn("found: true", named)
        self.assertIn('values: "REJECT No spam here"', named)
        # Never a file the list does not name (lookup is the only reader of the credentials file).
        for parameter, other in [("smtpd_sender_restrictions", "texthash:/etc/passwd"),
                                 ("smtpd_recipient_restrictions", table)]:
            refused = lookup_query(self.tern, 'table { parameter: "%s" table: "%s" key: "root" }' % (parameter, other))
            self.assertIn("DNS_PERMFAIL", refused)
            self.assertNotIn("found", refused)


class ImmediateRestrictions(Restrictions):
    """smtpd_delay_reject = no: the client list at connect, HELO at HELO/EHLO, sender at MAIL."""

    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(ZONE).__enter__()
        cls.addClassCleanup(lambda: cls.dns.__exit__(None, None, None))
        cls.tern, cls.vmail = start_tern(cls, cls.dns, {
            "smtpd_delay_reject": "no",
            # 127.0.0.1 is OK in the table; any other client not in it meets a name Tern does not know.
            "smtpd_client_restrictions": "check_client_access %(client_access)s, reject_unknown_reverse_client_hostname",
            "smtpd_helo_restrictions": "check_helo_access %(helo_access)s, reject_non_fqdn_helo_hostname",
            "smtpd_sender_restrictions": "check_sender_access %(sender_access)s",
        })

    def test_a_refused_client_gets_the_refusal_as_greeting_then_503_until_quit(self):
        c, greeting = connect(self.tern, "127.0.0.3")
        self.assertEqual((554, ["554 5.7.1 <unknown[127.0.0.3]>: Client host rejected: Access denied"]), greeting)
        c.send("EHLO mail.client.test\r\n")
        self.assertEqual((503, ["503 5.7.0 Error: access denied for unknown[127.0.0.3]"]), c.reply())
        c.send("MAIL FROM:<alice@good.test>\r\n")
        self.assertEqual(503, c.reply()[0])
        c.send("QUIT\r\n")
        self.assertEqual(221, c.reply()[0])
        c.close()
        self.tern.wait_log(r"NOQUEUE: reject: CONNECT from unknown\[127\.0\.0\.3\]: 554 5\.7\.1 ")

    def test_an_unknown_restriction_is_a_server_configuration_error_with_a_warning(self):
        c, greeting = connect(self.tern, "127.0.0.5")
        self.assertEqual((451, ["451 4.3.5 Server configuration error"]), greeting)
        c.close()
        self.tern.wait_log(r"warning: unknown\[127\.0\.0\.5\]: smtpd_client_restrictions: unknown restriction "
                           r"\"reject_unknown_reverse_client_hostname\"")
        # ... and smtpd said so at start-up, before any client came.
        self.tern.wait_log(r"warning: smtpd_client_restrictions: unknown restriction "
                           r"\"reject_unknown_reverse_client_hostname\"; commands that reach it get 451 4\.3\.5")

    def test_helo_list_answers_helo(self):
        c, (code, _) = connect(self.tern, "127.0.0.1")
        self.assertEqual(220, code)
        c.send("EHLO localhost\r\nEHLO bad.helo.test\r\nMAIL FROM:<alice@good.test>\r\n")
        self.assertEqual((504, ["504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname"]),
                         c.reply())
        self.assertEqual((554, ["554 5.7.1 <bad.helo.test>: Helo command rejected: Access denied"]), c.reply())
        self.assertEqual(250, c.reply()[0])  # no HELO was accepted, and none is required
        c.close()

    def test_sender_list_answers_mail_from_and_a_good_message_arrives(self):
        with smtp(self.tern, "127.0.0.1") as s:
            s.ehlo("mail.client.test")
            self.assertEqual((554, b"5.7.1 <x@spam.test>: Sender address rejected: No spam here"), s.mail("x@spam.test"))
            self.assertEqual((503, b"5.5.1 Error: need MAIL command"), s.rcpt("bob@v.test"))
        self.assertDelivered(self.tern, self.vmail, "127.0.0.1", "mail.client.test", "alice@good.test",
                             "immediate restrictions")


if __name__ == "__main__":
    unittest.main(verbosity=2)
