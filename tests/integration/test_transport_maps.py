"""transport_maps, end to end: which server relayed mail goes to.

Two scripted SMTP servers on 127.0.0.2 and 127.0.0.3 and a transport table:
  a.example           smtp:[127.0.0.2]:P2     (the domain)
  boss@b.example      smtp:[127.0.0.3]:P3     (one address, before its domain's entry)
  .b.example          :[127.0.0.2]:P2         (subdomains of b.example)
  b.example           relay:[127.0.0.2]:P2
  error.example       error:go away           (a transport Tern has not: 451 at RCPT, nothing queued)
  lmtp.example        lmtp:unix:private/x     (a relative socket path: likewise)
Mail sent with smtplib from 127.0.0.1 (in mynetworks) arrives at the server its entry names,
from smtp_bind_address (127.0.0.9).
"""
import os
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, queue_ids, wait_for  # noqa: E402
from test_smtp import ScriptedServer  # noqa: E402


class TransportMaps(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.two = ScriptedServer(address="127.0.0.2")
        cls.three = ScriptedServer(address="127.0.0.3")
        cls.tern = Tern()
        t = cls.tern
        table = os.path.join(t.etc, "transport")
        with open(table, "w") as f:
            f.write("a.example smtp:%s\nboss@b.example smtp:%s\n.b.example :%s\nb.example relay:%s\n"
                    "error.example error:go away\nlmtp.example lmtp:unix:private/x\n" % (cls.two.nexthop, cls.three.nexthop, cls.two.nexthop,
                                                            cls.two.nexthop))
        t.settings.update({"transport_maps": "hash:" + table, "mynetworks": "127.0.0.0/8",
                           "smtp_tls_security_level": "none", "smtp_bind_address": "127.0.0.9"})
        t.write_config(t.settings)
        t.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.two.close()
        cls.three.close()

    def send(self, recipient, subject):
        body = ("From: <s@example.test>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody\r\n" % (recipient, subject)).encode()
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            self.assertEqual(s.sendmail("s@example.test", [recipient], body), {})

    def received_by(self, server, subject):
        return any(b"Subject: " + subject.encode() in m for m in server.messages)

    def test_each_recipient_goes_where_its_entry_says(self):
        for recipient, subject, server in (("x@a.example", "t-domain", self.two),
                                           ("boss@b.example", "t-address", self.three),
                                           ("x@deep.sub.b.example", "t-subdomain", self.two),
                                           ("x@b.example", "t-relay", self.two)):
            self.send(recipient, subject)
            wait_for(lambda: self.received_by(server, subject), timeout=30, what="%s at its server" % recipient)
            other = self.three if server is self.two else self.two
            self.assertFalse(self.received_by(other, subject), recipient)
            self.tern.wait_log(r"to=<%s>, relay=127\.0\.0\.%s\[.*status=sent" %
                               (recipient.replace(".", r"\."), "2" if server is self.two else "3"))
        # smtp_bind_address: every connection came from it.
        self.assertEqual(set(self.two.peers + self.three.peers), {"127.0.0.9"})

    def test_an_unsupported_transport_is_a_temporary_failure_at_rcpt(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            s.ehlo("client.test")
            s.mail("s@example.test")
            for recipient in ("x@error.example", "x@lmtp.example"):
                code, text = s.rcpt(recipient)
                self.assertEqual(code, 451, text)
                self.assertIn(b"4.3.0", text)
        self.assertEqual(queue_ids(self.tern), [])


if __name__ == "__main__":
    unittest.main()
