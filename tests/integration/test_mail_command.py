"""mail(1) from Debian's mailutils sends through Tern's sendmail to a local user's Maildir.

Tern runs (ternlib) with home_mailbox = Maildir/; the test creates a local user whose home is
under the test's root and removes it at the end. `mail -s SUBJECT user@tern.test` reads the body
on stdin and hands the message to the built ternctl under the name `sendmail` (a symlink). mail's
`sendmail` variable decides the mailer (it overrides a configuration file's `mailer { url }`), so
the test sets it with `-E 'set sendmail=sendmail:///PATH'`; --no-config and -n keep mailutils
from reading /etc/mailutils.conf and /etc/mail.rc, and HOME points at an empty folder: no
system file is read or changed. The message must land in ~user/Maildir/new with its subject, and
`mailq` (ternctl under that name) must then print "Mail queue is empty".
"""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, mailq, running_as_root, wait_for  # noqa: E402

USER = "terntestmail"


@unittest.skipUnless(running_as_root(), "creates a local user and delivers as that user: run as root")
@unittest.skipUnless(shutil.which("mail") and os.path.realpath(shutil.which("mail")).endswith("mail.mailutils"),
                     "needs mail(1) from Debian's mailutils")
class MailCommandThroughSendmail(unittest.TestCase):
    def setUp(self):
        subprocess.run(["userdel", "-r", USER], capture_output=True)  # left over from a killed run
        self.tern = Tern(config={"home_mailbox": "Maildir/", "queue_run_delay": "3600s"})
        self.addCleanup(self.tern.cleanup)
        self.home = os.path.join(self.tern.root, "home", USER)
        os.makedirs(os.path.dirname(self.home))
        os.chmod(os.path.dirname(self.home), 0o755)
        subprocess.run(["useradd", "--create-home", "--home-dir", self.home, "--shell", "/usr/sbin/nologin",
                        "--comment", "Tern mail(1) test", USER], check=True, capture_output=True)
        self.addCleanup(subprocess.run, ["userdel", "-r", USER], capture_output=True)
        self.sendmail = os.path.join(self.tern.root, "sendmail")
        os.symlink(self.tern.binary("ternctl"), self.sendmail)
        self.tern.start()

    def run_mail(self, args, body):
        mu_home = os.path.join(self.tern.root, "mu-home")  # no ~/.mailrc of the caller
        os.makedirs(mu_home, exist_ok=True)
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "HOME": mu_home,
               "USER": "root", "LOGNAME": "root", "MAIL_CONFIG": self.tern.etc}
        return subprocess.run(["mail", "--no-config", "-n", "-E", "set sendmail=sendmail://%s" % self.sendmail] + args, input=body,
                              capture_output=True, timeout=60, env=env, cwd="/")

    def test_mail_s_lands_in_the_users_maildir_and_the_queue_empties(self):
        r = self.run_mail(["-s", "Tern mail(1) subject", "%s@tern.test" % USER],
                          b"Hello from mail(1).\nSecond line.\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        new = os.path.join(self.home, "Maildir", "new")
        names = wait_for(lambda: os.path.isdir(new) and os.listdir(new), 20, what="a message in %s" % new)
        self.assertEqual(len(names), 1, names)
        path = os.path.join(new, names[0])
        with open(path, "rb") as f:
            message = f.read()
        head, _, body = message.partition(b"\n\n")
        self.assertIn(b"\nSubject: Tern mail(1) subject\n", head + b"\n")
        self.assertIn(b"Hello from mail(1).\nSecond line.\n", body)
        # mailutils passes `-f root@<its hostname>` itself; sendmail keeps it (root may set -f).
        self.assertRegex(head, rb"(?m)^Return-Path: <root@[^>]+>$")
        self.assertRegex(head, rb"(?m)^To: .*%s@tern\.test" % USER.encode())
        # Delivered as the user, in the user's own Maildir.
        st = os.stat(path)
        self.assertEqual(st.st_uid, int(subprocess.check_output(["id", "-u", USER])))
        self.tern.wait_log(r"to=<%s@tern\.test>.*status=sent" % USER)
        q = wait_for(lambda: (lambda r: r if "Mail queue is empty" in r.stdout else None)(mailq(self.tern)),
                     10, what="an empty queue")
        self.assertEqual(q.returncode, 0, q.stderr)
        self.assertEqual(q.stdout.strip(), "Mail queue is empty")


if __name__ == "__main__":
    unittest.main()
