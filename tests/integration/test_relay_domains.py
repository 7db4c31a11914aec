"""relay_domains and relay_recipient_maps: Tern as a backup MX for other domains.

mynetworks is 127.0.0.2/32, so a client on 127.0.0.1 is an outsider. relay_domains lists
backup.test (and so its subdomains) and open.test; relay_recipient_maps lists bob@backup.test
and @open.test; transport_maps sends both domains to a scripted SMTP server on 127.0.0.3.
The outsider may send to bob@backup.test, to mx.backup.test's users (a subdomain: no
relay_recipient_maps entry, so 550) and to anyone@open.test, and the mail arrives at the
server; eve@backup.test gets 550 5.1.1 "User unknown in relay recipient table"; a domain
that is not listed still gets "Relay access denied" (454 4.7.1 from Postfix's default
smtpd_relay_restrictions).
"""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, wait_for  # noqa: E402
from test_smtp import ScriptedServer  # noqa: E402


class RelayDomains(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ScriptedServer(address="127.0.0.3")
        cls.tern = Tern()
        t = cls.tern
        with open(os.path.join(t.etc, "relay_recipients"), "w") as f:
            f.write("bob@backup.test ok\n@open.test ok\n")
        with open(os.path.join(t.etc, "transport"), "w") as f:
            f.write(".backup.test smtp:%s\nbackup.test smtp:%s\nopen.test smtp:%s\n"
                    % (cls.server.nexthop, cls.server.nexthop, cls.server.nexthop))
        t.settings.update({"mynetworks": "127.0.0.2/32", "relay_domains": "backup.test, open.test",
                           "relay_recipient_maps": os.path.join(t.etc, "relay_recipients"),
                           "transport_maps": os.path.join(t.etc, "transport"),
                           "smtp_tls_security_level": "none"})
        t.write_config(t.settings)
        t.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.server.close()

    def rcpt(self, recipient):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            s.ehlo("outsider.test")
            s.mail("someone@outside.test")
            return s.rcpt(recipient)

    def test_an_outsider_may_send_to_listed_recipients_of_relay_domains(self):
        for recipient in ("bob@backup.test", "anyone@open.test"):
            body = ("Subject: relayed to %s\r\n\r\nhi\r\n" % recipient).encode()
            with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
                self.assertEqual(s.sendmail("someone@outside.test", [recipient], body), {})
            wait_for(lambda: any(b"relayed to " + recipient.encode() in m for m in self.server.messages), timeout=30,
                     what="%s at the server" % recipient)

    def test_unlisted_recipients_and_other_domains_are_refused(self):
        code, text = self.rcpt("eve@backup.test")
        self.assertEqual((code, text), (550, b"5.1.1 <eve@backup.test>: Recipient address rejected: "
                                             b"User unknown in relay recipient table"))
        code, _ = self.rcpt("bob@mx.backup.test")  # a relay domain by subdomain, not in the table
        self.assertEqual(code, 550)
        code, text = self.rcpt("bob@elsewhere.test")
        self.assertEqual(code, 454, text)  # smtpd_relay_restrictions default: defer_unauth_destination
        self.assertIn(b"Relay access denied", text)


if __name__ == "__main__":
    unittest.main()
