"""smtpd_sasl_type = dovecot: SMTP AUTH checked by a real Dovecot's auth service.

A Dovecot whose only service is auth, with a unix listener in Tern's spool (private/auth, the
relative smtpd_sasl_path) and users in a passwd-file. Over STARTTLS on the submission port,
smtplib logs in with Dovecot's password (235, and relaying is then allowed); a wrong password
and a user Dovecot does not know get 535 5.7.8. With Dovecot stopped, AUTH is a temporary
failure (454 4.7.0), not a wrong password.
"""
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, running_as_root, wait_for  # noqa: E402
from test_smtpd import make_certificate  # noqa: E402


@unittest.skipUnless(running_as_root(), "Dovecot's socket is made for the tern user")
class DovecotSasl(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("dovecot") is None:
            raise AssertionError("dovecot is not installed (scripts/install-deps installs dovecot-imapd)")
        cls.tern = Tern()
        t = cls.tern
        d = cls.dovecot_dir = os.path.join(t.root, "dovecot")
        os.makedirs(d)
        private = os.path.join(t.spool, "private")
        cls.socket = os.path.join(private, "auth")
        with open(os.path.join(d, "passwd"), "w") as f:
            f.write("dana@tern.test:{PLAIN}imap pass 1::::::\n")
        cls.conf = os.path.join(d, "dovecot.conf")
        with open(cls.conf, "w") as f:
            f.write(f"""protocols =
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
auth_verbose = yes
ssl = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener {cls.socket} {{
    mode = 0660
    user = tern
  }}
}}
service anvil {{
  chroot =
}}
""")
        cert, key = make_certificate(t.etc)
        t.settings.update({"smtpd_tls_cert_file": cert, "smtpd_tls_key_file": key, "smtpd_tls_security_level": "may",
                           "smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "dovecot",
                           "smtpd_sasl_path": "private/auth"})
        t.write_config(t.settings)
        t.start()  # makes the spool, private/ included
        cls.dovecot = None
        cls.start_dovecot()
        cls.context = ssl.create_default_context()
        cls.context.check_hostname = False
        cls.context.verify_mode = ssl.CERT_NONE

    @classmethod
    def start_dovecot(cls):
        cls.dovecot = subprocess.Popen(["dovecot", "-F", "-c", cls.conf], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: os.path.exists(cls.socket), timeout=20, what="Dovecot's auth socket")

    @classmethod
    def stop_dovecot(cls):
        if cls.dovecot is not None:
            os.killpg(cls.dovecot.pid, 9)
            cls.dovecot.wait(timeout=10)
            cls.dovecot = None
            if os.path.exists(cls.socket):
                os.unlink(cls.socket)

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.stop_dovecot()

    def login(self, user, password):
        with smtplib.SMTP("127.0.0.1", self.tern.submission_port, timeout=30) as s:
            s.starttls(context=self.context)
            try:
                s.login(user, password)
            except smtplib.SMTPAuthenticationError as e:
                return e.smtp_code, e.smtp_error
            except smtplib.SMTPResponseException as e:
                return e.smtp_code, e.smtp_error
            s.mail("dana@tern.test")
            code, text = s.rcpt("someone@remote.example")  # relaying: allowed once authenticated
            return 235, (code, text)

    def test_good_password_relays_bad_ones_are_refused(self):
        code, (rcpt_code, _) = self.login("dana@tern.test", "imap pass 1")
        self.assertEqual((code, rcpt_code), (235, 250))
        for user, password in (("dana@tern.test", "wrong"), ("nobody@tern.test", "imap pass 1")):
            code, text = self.login(user, password)
            self.assertEqual(code, 535, text)
            self.assertIn(b"5.7.8", text)

    def test_dovecot_down_is_a_temporary_failure(self):
        self.stop_dovecot()
        try:
            code, text = self.login("dana@tern.test", "imap pass 1")
            self.assertEqual(code, 454, text)
            self.assertIn(b"4.7.0", text)
        finally:
            self.start_dovecot()


if __name__ == "__main__":
    unittest.main()
