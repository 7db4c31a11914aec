"""mailbox_command, end to end: smtpd -> qmgr -> local -> a command run as the user.

mailbox_command is a shell command line (it has '>' and ';') that Tern leaves as written: the
shell expands $USER, $HOME and ${EXTENSION:+...} from the command's environment. Mail to ternm1+tag@ reaches the command as
ternm1: the message on its input lands in the file the command writes, owned by ternm1, and
its environment carries the envelope. The command exits 75 (EX_TEMPFAIL) for ternm2: the
message is deferred and stays in the queue.
"""
import os
import pwd
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import SystemUsers, Tern, mailq, send_mail, wait_for  # noqa: E402

USERS = ["ternm1", "ternm2"]
# Shell syntax, used as written (no $name expansion by Tern, as in Postfix): the shell takes
# $USER, $HOME and $EXTENSION from the environment Tern gives the command.
COMMAND = ('test "$USER" = ternm2 && exit 75; /usr/bin/env > "$HOME/env"; '
           'cat > "$HOME/got${EXTENSION:+-$EXTENSION}"')


@unittest.skipUnless(os.geteuid() == 0, "creates local users")
class MailboxCommand(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = SystemUsers(USERS, "tern-mbcmd-homes-", shell="/bin/sh")
        cls.tern = Tern()
        t = cls.tern
        with open(os.path.join(t.etc, "aliases"), "w") as f:
            f.write("postmaster: root\n")
        t.settings.update({"recipient_delimiter": "+", "mailbox_command": COMMAND, "home_mailbox": "Maildir/",
                           "minimal_backoff_time": "300s", "queue_run_delay": "300s"})
        t.write_config(t.settings)
        t.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.users.remove()

    def send(self, recipient, subject):
        self.assertEqual(send_mail(self.tern, [recipient], subject), {})

    def test_command_runs_as_the_user_with_the_message_and_the_envelope(self):
        self.send("ternm1+tag@tern.test", "mbcmd-one")
        home = self.users.home("ternm1")
        got = os.path.join(home, "got-tag")
        wait_for(lambda: os.path.exists(got) and b"body of mbcmd-one" in open(got, "rb").read(), timeout=30,
                 what="the command's output file")
        with open(got, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"Return-Path: <s@example.test>\nDelivered-To: ternm1+tag@tern.test\n"),
                        data[:120])
        self.assertEqual(os.stat(got).st_uid, pwd.getpwnam("ternm1").pw_uid)
        with open(os.path.join(home, "env")) as f:
            env = dict(line.split("=", 1) for line in f.read().splitlines() if "=" in line)
        self.assertEqual(env["SENDER"], "s@example.test")
        self.assertEqual(env["RECIPIENT"], "ternm1+tag@tern.test")
        self.assertEqual(env["EXTENSION"], "tag")
        self.assertEqual(env["USER"], "ternm1")
        self.assertEqual(env["HOME"], home)
        self.tern.wait_log(r"to=<ternm1\+tag@tern\.test>, relay=local, .*status=sent")
        # mailbox_command comes before home_mailbox: no Maildir was made.
        self.assertFalse(os.path.exists(os.path.join(home, "Maildir", "new")))

    def test_exit_75_defers(self):
        self.send("ternm2@tern.test", "mbcmd-two")
        self.tern.wait_log(r"to=<ternm2@tern\.test>, relay=local, .*status=deferred", timeout=30)
        result = mailq(self.tern)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("ternm2@tern.test", result.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.users.home("ternm2"), "got")))


if __name__ == "__main__":
    unittest.main()
