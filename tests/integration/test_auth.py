"""AUTH end to end: `ternctl passwd` sets a password, a client authenticates on the
submission port after STARTTLS and on smtps, and sends as its own address; a wrong password
and a forged sender are refused. Real smtpd, real lookup (argon2id), Python's smtplib.
"""
import os
import smtplib
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern  # noqa: E402
from test_smtpd import make_certificate  # noqa: E402


class Auth(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern()
        cert, key = make_certificate(cls.tern.etc)
        cls.tern.settings.update({
            "smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_security_level": "may",
            "smtpd_sasl_auth_enable": "yes", "smtps_listen": "127.0.0.1:%d" % cls.tern.smtps_port,
            "sasl_password_file": os.path.join(cls.tern.etc, "sasl_passwd"),
        })
        cls.tern.write_config(cls.tern.settings)
        result = cls.tern.ternctl("passwd", "carol@tern.test", input="s3cret pass\n")
        assert result.returncode == 0, result.stderr
        cls.tern.start()
        cls.context = ssl.create_default_context()
        cls.context.check_hostname = False
        cls.context.verify_mode = ssl.CERT_NONE

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()

    def queued_id(self, text):
        return text.decode().rsplit(" ", 1)[-1]

    def test_submission_with_starttls_and_auth(self):
        with smtplib.SMTP("127.0.0.1", self.tern.submission_port, timeout=20) as s:
            s.starttls(context=self.context)
            s.login("carol@tern.test", "s3cret pass")
            s.mail("carol@tern.test")
            s.rcpt("someone@remote.example")  # relaying is allowed once authenticated
            code, text = s.data(b"Subject: auth\r\n\r\nhello\r\n")
            self.assertEqual(code, 250)
        qid = self.queued_id(text)
        self.assertTrue(os.path.exists(os.path.join(self.tern.spool, "queue", qid)) or
                        self.tern.wait_log(qid + ": from=<carol@tern.test>"))
        self.tern.wait_log(qid + r": client=unknown\[127\.0\.0\.1\], sasl_method=PLAIN, sasl_username=carol@tern\.test")

    def test_smtps_login_and_sender_binding(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.tern.smtps_port, context=self.context, timeout=20) as s:
            s.login("carol@tern.test", "s3cret pass")
            code, text = s.mail("mallory@tern.test")
            self.assertEqual(code, 553, text)
            self.assertIn(b"5.7.1", text)
            s.rset()
            self.assertEqual(s.mail("carol@tern.test")[0], 250)

    def test_wrong_password_is_refused(self):
        with smtplib.SMTP("127.0.0.1", self.tern.submission_port, timeout=20) as s:
            s.starttls(context=self.context)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
                s.login("carol@tern.test", "wrong")
            self.assertEqual(caught.exception.smtp_code, 535)
            code, _ = s.mail("carol@tern.test")
            self.assertEqual(code, 530, "no mail without authentication on submission")


if __name__ == "__main__":
    unittest.main(verbosity=2)
