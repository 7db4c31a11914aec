"""LMTP to a real Dovecot: virtual_transport = lmtp:unix:/path, and transport_maps lmtp:[host]:port.

A Dovecot (dovecot-lmtpd) with its LMTP service on a unix socket and on a TCP port of
127.0.0.1, users from a passwd-file, Maildirs under the test's directory. Tern's virtual
domain virt.test is delivered with virtual_transport = lmtp:unix:SOCKET; the relay domain
tcp.test through transport_maps with lmtp:[127.0.0.1]:PORT. Mail sent with smtplib lands in
the users' Maildirs as Dovecot wrote them; a user Dovecot does not know is bounced by it per
recipient (LMTP answers each recipient on its own) while the others in the same message are
delivered; an unknown virt.test address is still refused at RCPT by virtual_mailbox_maps.
"""
import glob
import os
import pwd
import shutil
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, free_port, running_as_root, send_mail, wait_for  # noqa: E402


def maildir_subjects(path):
    out = []
    for name in glob.glob(os.path.join(path, "new", "*")) + glob.glob(os.path.join(path, "cur", "*")):
        with open(name, "rb") as f:
            for line in f.read().split(b"\n"):
                if line.startswith(b"Subject: "):
                    out.append(line[9:].decode().strip())
    return sorted(out)


@unittest.skipUnless(running_as_root(), "runs Dovecot as root with a mail uid")
class Lmtp(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("dovecot") is None or not os.path.exists("/usr/lib/dovecot/lmtp"):
            raise AssertionError("dovecot-lmtpd is not installed (scripts/install-deps installs it)")
        cls.tern = Tern()
        t = cls.tern
        d = cls.dovecot_dir = os.path.join(t.root, "dovecot")
        os.makedirs(os.path.join(d, "mail"))
        nobody = pwd.getpwnam("nobody")
        os.chown(os.path.join(d, "mail"), nobody.pw_uid, nobody.pw_gid)
        cls.lmtp_port = free_port()
        cls.socket = os.path.join(d, "run", "lmtp")
        with open(os.path.join(d, "passwd"), "w") as f:
            for user in ("ann", "bob", "tim"):
                f.write("%s::%d:%d::%s/mail/%s::\n" % (user, nobody.pw_uid, nobody.pw_gid, d, user))
        with open(os.path.join(d, "dovecot.conf"), "w") as f:
            f.write(f"""protocols = lmtp
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
mail_location = maildir:~/Maildir
first_valid_uid = 1
lmtp_save_to_detail_mailbox = no
auth_username_format = %Ln
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {cls.lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
""")
        cls.dovecot = subprocess.Popen(["dovecot", "-F", "-c", os.path.join(d, "dovecot.conf")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for(lambda: os.path.exists(cls.socket), timeout=20, what="Dovecot's LMTP socket")
        # The socket's directory must be searchable by the tern user that runs smtp.
        for path in (d, os.path.join(d, "run")):
            os.chmod(path, 0o755)
        with open(os.path.join(t.etc, "vmailbox"), "w") as f:
            f.write("ann@virt.test ann\nbob@virt.test bob\nghost@virt.test ghost\n")
        with open(os.path.join(t.etc, "transport"), "w") as f:
            f.write("tcp.test lmtp:[127.0.0.1]:%d\n" % cls.lmtp_port)
        t.settings.update({"virtual_mailbox_domains": "virt.test",
                           "virtual_mailbox_maps": os.path.join(t.etc, "vmailbox"),
                           "virtual_transport": "lmtp:unix:" + cls.socket,
                           "transport_maps": os.path.join(t.etc, "transport"),
                           "mynetworks": "127.0.0.0/8",
                           "minimal_backoff_time": "300s", "queue_run_delay": "300s"})
        t.write_config(t.settings)
        t.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        os.killpg(cls.dovecot.pid, 9)
        cls.dovecot.wait(timeout=10)

    def send(self, recipients, subject):
        return send_mail(self.tern, recipients, subject)

    def maildir(self, user):
        return os.path.join(self.dovecot_dir, "mail", user, "Maildir")

    def test_virtual_transport_over_a_unix_socket(self):
        # ghost is in virtual_mailbox_maps but Dovecot has no such user: its own 550 for it alone.
        self.assertEqual(self.send(["ann@virt.test", "ghost@virt.test", "bob@virt.test"], "lmtp-unix"), {})
        for user in ("ann", "bob"):
            wait_for(lambda: "lmtp-unix" in maildir_subjects(self.maildir(user)), timeout=30,
                     what="%s's copy through LMTP" % user)
        self.tern.wait_log(r"to=<ann@virt\.test>, relay=localhost\[%s\].*status=sent" % self.socket, timeout=30)
        self.tern.wait_log(r"to=<ghost@virt\.test>, relay=localhost\[%s\].*dsn=5\.\d\.\d+, status=bounced" %
                           self.socket, timeout=30)

    def test_transport_maps_lmtp_over_tcp(self):
        self.assertEqual(self.send(["tim@tcp.test"], "lmtp-tcp"), {})
        wait_for(lambda: "lmtp-tcp" in maildir_subjects(self.maildir("tim")), timeout=30,
                 what="tim's copy through LMTP over TCP")
        self.tern.wait_log(r"to=<tim@tcp\.test>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d.*status=sent" % self.lmtp_port)

    def test_unknown_virtual_address_is_refused_at_rcpt(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            s.ehlo("client.test")
            s.mail("s@example.test")
            code, _ = s.rcpt("nobody@virt.test")
        self.assertEqual(code, 550)


if __name__ == "__main__":
    unittest.main()
