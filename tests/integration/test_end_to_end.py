"""End to end through smtpd -> qmgr -> lookup -> local, as a mail user sees it.

Mail sent with smtplib to a local user (home Maildir), a user+tag address, an alias list
(a local user's mbox and a virtual mailbox) and a virtual mailbox lands byte-exact, apart
from the trace headers Tern adds, in the right Maildir or mbox. A recipient whose mailbox
cannot be written is deferred, then bounced at expiry, and the DSN arrives in the sender's
mailbox as a multipart/report that Python's email package parses.
"""
import email
import email.policy
import glob
import os
import pwd
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import SystemUsers, Tern, wait_for  # noqa: E402

USERS = ["ternu1", "ternu2"]

BODY = (b"From: Sender <s@example.test>\r\nTo: someone\r\nSubject: exact %s\r\n"
        b"Message-ID: <%s@test>\r\n\r\nline one\r\n.leading dot\r\n\r\nlast line\r\n")


def lf(data):
    return data.replace(b"\r\n", b"\n")


def maildir_files(path):
    return sorted(glob.glob(os.path.join(path, "new", "*")) + glob.glob(os.path.join(path, "cur", "*")))


def strip_trace(message):
    """The message as the client sent it: Return-Path, Delivered-To and Received removed."""
    head, _, body = message.partition(b"\n\n")
    kept, skipping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and skipping:
            continue
        skipping = line.lower().startswith((b"return-path:", b"delivered-to:", b"received:"))
        if not skipping:
            kept.append(line)
    return b"\n".join(kept) + b"\n\n" + body


@unittest.skipUnless(os.geteuid() == 0, "creates local users")
class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.users = SystemUsers(USERS, "tern-homes-")
        cls.homes = cls.users.root
        cls.tern = Tern()
        t = cls.tern
        # An mbox file target of the alias list, written as default_privs (nobody).
        boxes = os.path.join(t.root, "boxes")
        os.makedirs(boxes)
        os.chmod(boxes, 0o1777)
        cls.mbox_path = os.path.join(boxes, "team.mbox")
        cls.spool_mail = os.path.join(t.root, "varmail")
        os.makedirs(cls.spool_mail)
        os.chmod(cls.spool_mail, 0o1777)
        vbase = t.mail
        os.chown(vbase, 65534, 65534)
        with open(os.path.join(t.etc, "vmailbox"), "w") as f:
            f.write("v@virt.test virt.test/v/\nsender@virt.test virt.test/sender/\nstuck@virt.test virt.test/stuck/\n")
        with open(os.path.join(t.etc, "aliases"), "w") as f:
            f.write("postmaster: root\nteam: ternu2, v@virt.test, %s\n" % cls.mbox_path)
        t.settings.update({
            "home_mailbox": "Maildir/",
            "mail_spool_directory": cls.spool_mail,
            "recipient_delimiter": "+",
            "virtual_mailbox_domains": "virt.test",
            "virtual_mailbox_base": vbase,
            "virtual_mailbox_maps": os.path.join(t.etc, "vmailbox"),
            "virtual_uid_maps": "static:65534",
            "virtual_gid_maps": "static:65534",
            "minimal_backoff_time": "1s", "maximal_backoff_time": "1s", "queue_run_delay": "1s",
            "maximal_queue_lifetime": "4s",
        })
        t.write_config(t.settings)
        # stuck@virt.test: a Maildir nobody (the virtual owner) cannot write.
        stuck = os.path.join(vbase, "virt.test", "stuck")
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(stuck, sub))
        os.chown(os.path.join(vbase, "virt.test"), 65534, 65534)
        os.chmod(stuck, 0o555)
        for sub in ("tmp", "new", "cur"):
            os.chmod(os.path.join(stuck, sub), 0o555)
        t.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.cleanup()
        cls.users.remove()

    def send(self, recipients, tag):
        body = BODY % (tag.encode(), tag.encode())
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            self.assertEqual(s.sendmail("sender@virt.test", recipients, body), {})
        return body

    def test_local_user_tag_alias_and_virtual_land_byte_exact(self):
        sent = self.send(["ternu1@tern.test", "ternu1+news@tern.test", "team@tern.test", "v@virt.test"], "one")
        home1 = os.path.join(self.homes, "ternu1", "Maildir")
        files = wait_for(lambda: len(maildir_files(home1)) == 2 and maildir_files(home1), timeout=30,
                         what="two copies in ternu1's Maildir (plain and +news)")
        delivered_to = set()
        for path in files:
            with open(path, "rb") as f:
                got = f.read()
            self.assertEqual(strip_trace(got), lf(sent))
            self.assertTrue(got.startswith(b"Return-Path: <sender@virt.test>\nDelivered-To: "), got[:120])
            delivered_to.add(got.split(b"\n")[1])
            self.assertEqual(os.stat(path).st_uid, pwd.getpwnam("ternu1").pw_uid)
        self.assertEqual(delivered_to, {b"Delivered-To: ternu1@tern.test", b"Delivered-To: ternu1+news@tern.test"})
        # The alias list team: ternu2 (home Maildir) ...
        home2 = os.path.join(self.homes, "ternu2", "Maildir")
        [path2] = wait_for(lambda: maildir_files(home2), timeout=30, what="team -> ternu2")
        with open(path2, "rb") as f:
            self.assertEqual(strip_trace(f.read()), lf(sent))
        # ... and v@virt.test, which also got the direct copy: two messages in its Maildir.
        vdir = os.path.join(self.tern.mail, "virt.test", "v")
        vfiles = wait_for(lambda: len(maildir_files(vdir)) == 2 and maildir_files(vdir), timeout=30,
                          what="v@virt.test directly and through team")
        for path in vfiles:
            with open(path, "rb") as f:
                self.assertEqual(strip_trace(f.read()), lf(sent))
        self.tern.wait_log(r"to=<team@tern\.test>, relay=local, .*status=expanded")
        # ... and the mbox file: a From_ line, the message (no line starts with "From "
        # here, so no quoting), and the blank line that ends an mbox message.
        with open(self.mbox_path, "rb") as f:
            box = f.read()
        self.assertTrue(box.startswith(b"From sender@virt.test "), box[:80])
        first_line, _, rest = box.partition(b"\n")
        self.assertTrue(rest.endswith(b"\n\n"))
        self.assertEqual(strip_trace(rest[:-1]), lf(sent))

    def test_unwritable_mailbox_defers_then_bounces_to_the_sender(self):
        self.send(["stuck@virt.test"], "stuck")
        self.tern.wait_log(r"to=<stuck@virt\.test>.*status=deferred", timeout=20)
        sender_box = os.path.join(self.tern.mail, "virt.test", "sender")

        def dsn():
            for path in maildir_files(sender_box):
                with open(path, "rb") as f:
                    m = email.message_from_bytes(f.read(), policy=email.policy.default)
                if m.get_content_type() == "multipart/report":
                    return m
            return None
        report = wait_for(dsn, timeout=40, interval=0.5, what="the DSN in the sender's Maildir")
        self.assertEqual(report.get_param("report-type"), "delivery-status")
        parts = [p.get_content_type() for p in report.iter_parts()]
        self.assertEqual(parts[:2], ["text/plain", "message/delivery-status"])
        status = report.get_payload()[1].as_string()
        self.assertIn("Final-Recipient: rfc822; stuck@virt.test", status)
        self.assertIn("Action: failed", status)
        self.assertRegex(status, r"Status: 4\.\d\.\d")
        self.tern.wait_log(r"to=<stuck@virt\.test>.*status=bounced|expired, returned to sender")


if __name__ == "__main__":
    unittest.main(verbosity=2)
