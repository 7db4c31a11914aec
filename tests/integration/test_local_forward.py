""".forward files, end to end: smtpd -> qmgr -> local, as a mail user sees it.

Local users with home Maildirs and recipient_delimiter "+". Mail sent with smtplib:
  - ternf1's .forward keeps a copy ("\\ternf1"), passes one to the local user ternf2, one to a
    virtual mailbox and one to a command that runs as ternf1: all four copies arrive.
  - ternf2's .forward+list (forward_path's first entry, for ternf2+list@) sends to the
    virtual mailbox only; plain ternf2@ mail, with no .forward, lands in ternf2's Maildir.
  - .forward files nobody may trust -- group-writable, owned by another user, a symbolic
    link -- are ignored with a warning: the mail lands in the user's own Maildir and goes
    nowhere else.
"""
import glob
import os
import pwd
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import SystemUsers, Tern, send_mail, wait_for  # noqa: E402

USERS = ["ternf1", "ternf2", "ternf3", "ternf4", "ternf5"]


def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "new", "*")) + glob.glob(os.path.join(path, "cur", "*")))


def subject_of(path):
    with open(path, "rb") as f:
        for line in f.read().split(b"\n"):
            if line.startswith(b"Subject: "):
                return line[9:].decode()
    return None


@unittest.skipUnless(os.geteuid() == 0, "creates local users")
class Forward(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = SystemUsers(USERS, "tern-fwd-homes-")
        cls.tern = Tern()
        t = cls.tern
        vbase = t.mail
        os.chown(vbase, 65534, 65534)
        with open(os.path.join(t.etc, "vmailbox"), "w") as f:
            f.write("v@virt.test virt.test/v/\n")
        with open(os.path.join(t.etc, "aliases"), "w") as f:
            f.write("postmaster: root\n")
        t.settings.update({
            "home_mailbox": "Maildir/",
            "recipient_delimiter": "+",
            "virtual_mailbox_domains": "virt.test",
            "virtual_mailbox_base": vbase,
            "virtual_mailbox_maps": os.path.join(t.etc, "vmailbox"),
            "virtual_uid_maps": "static:65534",
            "virtual_gid_maps": "static:65534",
        })
        t.write_config(t.settings)
        cls.piped = os.path.join(cls.home("ternf1"), "piped")
        cls.write_forward("ternf1", ".forward",
                          "# keep one, pass the rest on\n\\ternf1, ternf2\nv@virt.test\n"
                          "\"|/bin/sh -c 'cat > %s'\"\n" % cls.piped)
        cls.write_forward("ternf2", ".forward+list", "v@virt.test\n")
        cls.write_forward("ternf3", ".forward", "v@virt.test\n", mode=0o664)
        cls.write_forward("ternf4", ".forward", "v@virt.test\n", owner="ternf1")
        target = cls.write_forward("ternf5", "real-forward", "v@virt.test\n")
        os.symlink(target, os.path.join(cls.home("ternf5"), ".forward"))
        t.start()

    @classmethod
    def home(cls, user):
        return cls.users.home(user)

    @classmethod
    def write_forward(cls, user, name, text, mode=0o644, owner=None):
        path = os.path.join(cls.home(user), name)
        with open(path, "w") as f:
            f.write(text)
        pw = pwd.getpwnam(owner or user)
        os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(path, mode)
        return path

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.users.remove()

    def setUp(self):
        self.vdir = os.path.join(self.tern.mail, "virt.test", "v")

    def send(self, recipient, subject):
        self.assertEqual(send_mail(self.tern, [recipient], subject), {})

    def subjects(self, maildir):
        return sorted(subject_of(p) for p in maildir_files(maildir))

    def wait_subject(self, maildir, subject, what):
        wait_for(lambda: subject in self.subjects(maildir), timeout=30, what=what)

    def test_forward_keeps_a_copy_and_passes_it_on(self):
        self.send("ternf1@tern.test", "fwd-one")
        self.wait_subject(os.path.join(self.home("ternf1"), "Maildir"), "fwd-one", "ternf1's own copy (\\ternf1)")
        self.wait_subject(os.path.join(self.home("ternf2"), "Maildir"), "fwd-one", "the copy for ternf2")
        self.wait_subject(self.vdir, "fwd-one", "the copy for v@virt.test")
        wait_for(lambda: os.path.exists(self.piped) and b"fwd-one" in open(self.piped, "rb").read(), timeout=30,
                 what="the command's copy")
        self.assertEqual(os.stat(self.piped).st_uid, pwd.getpwnam("ternf1").pw_uid)
        # Each copy once: ternf1's Maildir holds one message, not a loop's worth.
        self.assertEqual(self.subjects(os.path.join(self.home("ternf1"), "Maildir")).count("fwd-one"), 1)
        self.tern.wait_log(r"to=<ternf1@tern\.test>, relay=local, .*status=expanded")

    def test_extension_forward_file_comes_first(self):
        self.send("ternf2+list@tern.test", "fwd-list")
        self.send("ternf2@tern.test", "fwd-plain")
        self.wait_subject(self.vdir, "fwd-list", "ternf2+list forwarded by .forward+list")
        self.wait_subject(os.path.join(self.home("ternf2"), "Maildir"), "fwd-plain", "plain ternf2 in its Maildir")
        self.tern.wait_log(r"to=<ternf2@tern\.test>, relay=local, .*status=sent")
        self.assertNotIn("fwd-list", self.subjects(os.path.join(self.home("ternf2"), "Maildir")))
        self.assertNotIn("fwd-plain", self.subjects(self.vdir))

    def test_untrusted_forward_files_are_ignored(self):
        for user, why in (("ternf3", "writable by group or others"), ("ternf4", "not by the user"),
                          ("ternf5", "a symbolic link")):
            subject = "fwd-untrusted-" + user
            self.send(user + "@tern.test", subject)
            self.wait_subject(os.path.join(self.home(user), "Maildir"), subject, user + "'s own Maildir")
            self.tern.wait_log(r"warning: %s/\.forward: ignored: .*%s" % (self.home(user), why))
            self.assertNotIn(subject, self.subjects(self.vdir))


if __name__ == "__main__":
    unittest.main()
