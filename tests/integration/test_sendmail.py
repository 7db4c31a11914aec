"""sendmail: what scripts, cron and mail(1) do, and what they see.

The built ternctl runs under the name `sendmail` (a symlink in the test's folder), as root and
as the unprivileged user nobody. Mail goes to virtual Maildirs under the test's root, so every
test reads the delivered bytes. While Tern runs, sendmail talks SMTP to smtpd's public/submit
socket; while it is down, it keeps the message in maildrop/, and qmgr's pickup queues it when
Tern starts. Hostile maildrop files go to corrupt/ and qmgr keeps serving.
"""
import grp
import os
import pwd
import stat
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, mailq, running_as_root, wait_for  # noqa: E402

BOXES = ["a", "b", "c", "d"]


def make_tern(extra=None):
    tern = Tern(config=dict({"queue_run_delay": "3600s"}, **(extra or {})))
    nobody = pwd.getpwnam("nobody")
    base = os.path.join(tern.root, "vmail")
    os.makedirs(base)
    os.chown(base, nobody.pw_uid, nobody.pw_gid)
    maps = os.path.join(tern.etc, "vmailbox")
    with open(maps, "w") as f:
        for box in BOXES:
            f.write("%s@virt.test virt.test/%s/\n" % (box, box))
    tern.settings.update({"virtual_mailbox_domains": "virt.test", "virtual_mailbox_base": base,
                          "virtual_mailbox_maps": maps, "virtual_uid_maps": "static:%d" % nobody.pw_uid,
                          "virtual_gid_maps": "static:%d" % nobody.pw_gid})
    tern.write_config(tern.settings)
    tern.vmail = base
    link = os.path.join(tern.root, "sendmail")
    os.symlink(tern.binary("ternctl"), link)
    return tern


def sendmail(tern, args, message=b"", user=None, env_config=True):
    """Runs `sendmail ARGS` with MAIL_CONFIG set, as root or (user="nobody") unprivileged."""
    cmd = [os.path.join(tern.root, "sendmail")] + list(args)
    if user:
        pw = pwd.getpwnam(user)
        cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid, "--clear-groups"] + cmd
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if env_config:
        env["MAIL_CONFIG"] = tern.etc
    return subprocess.run(cmd, input=message, capture_output=True, timeout=60, env=env, cwd="/")


def delivered(tern, box, marker, timeout=20):
    """The messages in virt.test/BOX's Maildir that contain `marker`, once there is one."""
    new = os.path.join(tern.vmail, "virt.test", box, "new")

    def ready():
        out = []
        for name in sorted(os.listdir(new)) if os.path.isdir(new) else []:
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            if marker in data:
                out.append(data)
        return out
    return wait_for(ready, timeout, what="a message with %r in %s" % (marker, box))


def headers(message):
    return message.split(b"\n\n", 1)[0]


def maildrop(tern):
    return sorted(os.listdir(os.path.join(tern.spool, "maildrop")))


@unittest.skipUnless(running_as_root(), "runs sendmail as nobody and delivers to virtual mailboxes: run as root")
class SendmailWhileTernRuns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = make_tern()
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.__exit__(None, None, None)

    def test_recipient_arguments_with_i_keep_a_lone_dot_and_get_headers(self):
        r = sendmail(self.tern, ["-i", "a@virt.test"], b"Subject: one\n\nline\n.\nafter the dot\n", user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        [m] = delivered(self.tern, "a", b"after the dot")
        self.assertIn(b"Return-Path: <nobody@tern.test>\n", m)
        self.assertIn(b"\nFrom: nobody <nobody@tern.test>\n", headers(m))
        self.assertIn(b"\nDate: ", headers(m))
        self.assertRegex(headers(m), rb"\nMessage-ID: <\d{14}\.\d{6}\.\d+@tern\.test>$")
        self.assertTrue(m.endswith(b"\n\nline\n.\nafter the dot\n"), m)
        self.assertEqual(maildrop(self.tern), [])  # it went through smtpd, not the maildrop
        self.tern.wait_log(r"uid=%d from=<nobody@tern.test>" % pwd.getpwnam("nobody").pw_uid)

    def test_lone_dot_ends_input_without_i_and_crlf_input(self):
        r = sendmail(self.tern, ["b@virt.test"], b"Subject: two\r\nDate: x\r\n\r\nfirst\r\n.\r\nnever sent\r\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        [m] = delivered(self.tern, "b", b"first")
        self.assertTrue(m.endswith(b"\n\nfirst\n"), m)
        self.assertIn(b"\nFrom: root <root@tern.test>\n", m)
        self.assertIn(b"\nDate: x\n", m)  # kept, not added twice
        self.assertEqual(m.count(b"\nDate:"), 1)

    def test_t_takes_to_cc_bcc_and_arguments_and_removes_bcc(self):
        message = (b"To: Someone <c@virt.test>,\n\tnobody-else (comment) <c@virt.test>\n"
                   b"Cc: team: \"Dee, Dee\" <d@virt.test>;\n"
                   b"Bcc: hidden@virt.test,\n a@virt.test\n"
                   b"Subject: three\n\nbody three\n")
        r = sendmail(self.tern, ["-t", "-oi", "-F", "Jane Q. Doe"], message, user="nobody")
        # hidden@virt.test has no mailbox: smtpd refuses it, the others get the message.
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"not sent to hidden@virt.test: 550", r.stderr)
        for box in ("c", "d", "a"):
            got = delivered(self.tern, box, b"body three")
            self.assertEqual(len(got), 1, box)
            self.assertNotIn(b"Bcc", got[0])
            self.assertNotIn(b"hidden@virt.test", got[0])
            self.assertIn(b'\nFrom: "Jane Q. Doe" <nobody@tern.test>\n', got[0])
            self.assertIn(b"Cc: team: \"Dee, Dee\" <d@virt.test>;", got[0])

    def test_f_sets_the_sender_for_any_user_and_is_logged(self):
        r = sendmail(self.tern, ["-f", "robot@example.org", "-F", "Robot", "-N", "never", "-R", "hdrs",
                                 "-V", "env-42", "d@virt.test"], b"Subject: four\n\nbody four\n", user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = delivered(self.tern, "d", b"body four")
        self.assertEqual(len(got), 1)
        self.assertIn(b"Return-Path: <robot@example.org>\n", got[0])
        self.assertIn(b"\nFrom: Robot <robot@example.org>\n", got[0])
        self.tern.wait_log(r"uid=%d from=<robot@example.org>" % pwd.getpwnam("nobody").pw_uid)

    def test_usual_options_are_accepted_and_errors_use_sysexits(self):
        ok = ["-oi", "-odb", "-odi", "-oem", "-oee", "-em", "-om", "-L", "label", "-B", "8BITMIME", "-v",
              "-X", "/dev/null", "-h", "10", "-n", "-U", "-bm", "--", "c@virt.test"]
        r = sendmail(self.tern, ok, b"Subject: five\n\nbody five\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(delivered(self.tern, "c", b"body five")), 1)
        # -C names the config file (or its folder) instead of $MAIL_CONFIG.
        r = sendmail(self.tern, ["-C", os.path.join(self.tern.etc, "tern.conf"), "c@virt.test"],
                     b"Subject: six\n\nbody six\n", env_config=False, user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(delivered(self.tern, "c", b"body six")), 1)
        self.assertEqual(sendmail(self.tern, ["-Z", "a@virt.test"]).returncode, 64)
        self.assertEqual(sendmail(self.tern, ["-bd"]).returncode, 64)
        self.assertEqual(sendmail(self.tern, ["-f"]).returncode, 64)
        self.assertEqual(sendmail(self.tern, ["-N", "sometimes", "a@virt.test"]).returncode, 64)
        no_rcpt = sendmail(self.tern, [], b"Subject: x\n\nx\n")
        self.assertEqual(no_rcpt.returncode, 64)
        self.assertIn(b"no recipients", no_rcpt.stderr)
        no_hdr = sendmail(self.tern, ["-t"], b"Subject: x\n\nx\n")
        self.assertEqual(no_hdr.returncode, 64)
        self.assertEqual(sendmail(self.tern, ["bad address@"], b"x\n").returncode, 64)
        unknown = sendmail(self.tern, ["nosuchbox@virt.test"], b"Subject: x\n\nx\n", user="nobody")
        self.assertEqual(unknown.returncode, 67, unknown.stderr)
        self.assertIn(b"nosuchbox@virt.test: 550", unknown.stderr)
        bad_conf = sendmail(self.tern, ["-C", "/nonexistent/tern.conf", "a@virt.test"], b"x\n", env_config=False)
        self.assertEqual(bad_conf.returncode, 78)

    def test_bp_bi_q_are_mailq_newaliases_and_flush(self):
        r = sendmail(self.tern, ["-bp"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, mailq(self.tern).stdout.encode())
        r = sendmail(self.tern, ["-bi"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 aliases", r.stdout)
        r = sendmail(self.tern, ["-I"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = sendmail(self.tern, ["-q"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"flush", r.stdout)

    def test_bs_speaks_smtp_on_stdin_and_stdout(self):
        dialogue = (b"EHLO client\r\nMAIL FROM:<nobody@tern.test>\r\nRCPT TO:<b@virt.test>\r\nDATA\r\n"
                    b"Subject: over -bs\r\n\r\nbody seven\r\n.\r\nQUIT\r\n")
        r = sendmail(self.tern, ["-bs"], dialogue, user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        replies = [line[:3] for line in r.stdout.split(b"\r\n") if line[3:4] in (b" ", b"")][:-1]
        self.assertEqual(replies, [b"220", b"250", b"250", b"250", b"354", b"250", b"221"], r.stdout)
        got = delivered(self.tern, "b", b"body seven")
        self.assertEqual(len(got), 1)
        self.assertIn(b"from userid %d" % pwd.getpwnam("nobody").pw_uid, got[0])


@unittest.skipUnless(running_as_root(), "runs sendmail as nobody and delivers to virtual mailboxes: run as root")
class SendmailWhileTernIsDown(unittest.TestCase):
    def test_no_spool_at_all_is_a_temporary_failure(self):
        tern = make_tern()
        with tern:
            r = sendmail(tern, ["a@virt.test"], b"Subject: lost?\n\nno\n", user="nobody")
            self.assertEqual(r.returncode, 75)
            self.assertIn(b"cannot be kept", r.stderr)

    def test_message_is_kept_in_maildrop_and_queued_when_tern_starts(self):
        tern = make_tern()
        with tern:
            tern.start()  # creates the spool
            self.assertEqual(tern.stop(), 0)
            nobody = pwd.getpwnam("nobody")
            r = sendmail(tern, ["-i", "a@virt.test"], b"Subject: kept\n\nbody kept\n.\n", user="nobody")
            self.assertEqual(r.returncode, 0, r.stderr)
            [name] = maildrop(tern)
            self.assertRegex(name, r"^[0-9a-f]{32}$")
            st = os.stat(os.path.join(tern.spool, "maildrop", name))
            # maildrop/ is set-group-id (group tern): files are 0640, readable by owner and tern only.
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode), st.st_gid),
                             (nobody.pw_uid, 0o640, grp.getgrnam("tern").gr_gid))
            # Without the set-group-id bit (an administrator's older spool) sendmail falls back to
            # 0644, protected by the unguessable name in an unlistable directory.
            os.chmod(os.path.join(tern.spool, "maildrop"), 0o1733)
            r = sendmail(tern, ["-f", "cron@example.org", "b@virt.test"], b"Subject: kept 2\n\nbody kept 2\n",
                         user="nobody")
            self.assertEqual(r.returncode, 0, r.stderr)
            [second] = [n for n in maildrop(tern) if n != name]
            st = os.stat(os.path.join(tern.spool, "maildrop", second))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (nobody.pw_uid, 0o644))
            self.assertNotEqual(mailq(tern).returncode, 0)  # Tern is down: nothing answers

            tern.start()
            [m] = delivered(tern, "a", b"body kept")
            self.assertIn(b"body kept\n.\n", m)
            self.assertIn(b"Received: by tern.test (Tern, from userid %d)" % nobody.pw_uid, m)
            self.assertIn(b"Return-Path: <nobody@tern.test>", m)
            [m2] = delivered(tern, "b", b"body kept 2")
            self.assertIn(b"Return-Path: <cron@example.org>", m2)
            tern.wait_log(r"uid=%d from=<cron@example.org>" % nobody.pw_uid)
            wait_for(lambda: maildrop(tern) == [], 10, what="maildrop/ to be empty")
            self.assertIn("Mail queue is empty", wait_for(
                lambda: "empty" in mailq(tern).stdout and mailq(tern).stdout, 20, what="an empty queue"))


@unittest.skipUnless(running_as_root(), "hostile files owned by nobody: run as root")
class HostileMaildrop(unittest.TestCase):
    def test_bad_files_go_to_corrupt_and_qmgr_keeps_serving(self):
        tern = make_tern({"message_size_limit": "20000"})
        with tern:
            tern.start()
            qmgr = tern.pids("qmgr")
            drop = os.path.join(tern.spool, "maildrop")
            nobody = pwd.getpwnam("nobody")
            bad = {"0" * 32: b"garbage, not a queue file",
                   "1" * 32: b"TERNQ001" + b"\xff" * 12,
                   "2" * 32: b"x" * 200000,
                   "not-a-maildrop-name": b"hello"}
            for name, data in bad.items():
                path = os.path.join(drop, name)
                with open(path, "wb") as f:
                    f.write(data)
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
            os.symlink("/etc/passwd", os.path.join(drop, "3" * 32))
            os.mkfifo(os.path.join(drop, "4" * 32))
            os.link(os.path.join(drop, "0" * 32), os.path.join(drop, "5" * 32))
            self.assertEqual(tern.ternctl("queue", "flush").returncode, 0)  # wakes qmgr
            wait_for(lambda: maildrop(tern) == [], 15, what="maildrop/ to be emptied")
            corrupt = [n for n in os.listdir(os.path.join(tern.spool, "corrupt")) if n.startswith("maildrop.")]
            self.assertEqual(len(corrupt), 7, corrupt)
            self.assertTrue(os.path.islink(os.path.join(tern.spool, "corrupt", [
                n for n in corrupt if os.path.islink(os.path.join(tern.spool, "corrupt", n))][0])))
            self.assertEqual(tern.pids("qmgr"), qmgr)
            self.assertEqual(os.listdir(os.path.join(tern.spool, "queue")), [])
            # And mail still flows.
            r = sendmail(tern, ["c@virt.test"], b"Subject: after\n\nbody after\n", user="nobody")
            self.assertEqual(r.returncode, 0, r.stderr)
            delivered(tern, "c", b"body after")


if __name__ == "__main__":
    unittest.main()
