"""header_checks and body_checks (Postfix's header_checks(5)) as a client and a mailbox owner
see them: a real Tern with a regexp: header_checks table and a pcre: body_checks table takes
mail over SMTP (smtplib, and raw BDAT) for a virtual Maildir. REJECT answers 550 5.7.1 and
leaves the spool empty; WARN logs in Postfix's shape and delivers; IGNORE, PREPEND and REPLACE
show in the delivered bytes; DISCARD answers 250 and delivers nothing; a bad pattern stops
start-up (and `ternctl config check`) with file:line."""
import os
import pwd
import smtplib
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ternlib import Tern, maildir_messages, queue_ids, running_as_root, wait_for  # noqa: E402
from test_smtpd import Client  # noqa: E402

HEADER_CHECKS = r"""# header_checks for the test
/^Subject:.*viagra/             REJECT spam is not welcome
/^Subject: folded two$/         REJECT 5.7.1 folded header matched unfolded
/^Subject:.*warnme/             WARN suspicious subject
/^Subject:.*discardme/          DISCARD discarded by test
/^X-Drop-Me:/                   IGNORE
/^X-Tag: (.*)$/                 REPLACE X-Tag: replaced $1
/^Subject:.*prependme/          PREPEND X-Prepended: yes
"""

BODY_CHECKS = r"""# body_checks for the test (a pcre: table)
/^bodyspam [[:digit:]]+/        REJECT body rejected
/^drop this line/               IGNORE
"""

SENDER = "alice@example.org"
RCPT = "bob@v.test"


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def message(subject, extra_headers=b"", body=b"hello\r\n"):
    return (b"From: alice@example.org\r\nTo: bob@v.test\r\n" + extra_headers +
            b"Subject: " + subject + b"\r\n\r\n" + body)


class HeaderChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tern = Tern()
        t = cls.tern
        cls.addClassCleanup(t.cleanup)
        cls.vmail = os.path.join(t.root, "vmail")
        os.makedirs(cls.vmail)
        owner = pwd.getpwnam("nobody") if running_as_root() else pwd.getpwuid(os.getuid())
        os.chown(cls.vmail, owner.pw_uid, owner.pw_gid)
        t.settings.update({
            "header_checks": "regexp:" + write(os.path.join(t.etc, "header_checks"), HEADER_CHECKS),
            "body_checks": "pcre:" + write(os.path.join(t.etc, "body_checks"), BODY_CHECKS),
            "virtual_mailbox_domains": "v.test", "virtual_mailbox_base": cls.vmail,
            "virtual_mailbox_maps": write(os.path.join(t.etc, "vmailbox"), "bob@v.test v.test/bob/\n"),
            "virtual_uid_maps": "static:%d" % owner.pw_uid, "virtual_gid_maps": "static:%d" % owner.pw_gid})
        t.write_config(t.settings)
        t.start()

    def delivered(self, marker, timeout=20):
        """The one delivered message that contains marker (waits for it)."""
        def find():
            found = [m for m in maildir_messages(self.vmail, "v.test", "bob") if marker in m]
            return found[0] if found else None
        return wait_for(find, timeout, what="delivery of %r" % marker)

    def refused(self, data):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            with self.assertRaises(smtplib.SMTPDataError) as caught:
                s.sendmail(SENDER, [RCPT], data)
        return caught.exception

    def assert_spool_empty(self):
        self.assertEqual(queue_ids(self.tern, "incoming"), [])
        self.assertEqual(queue_ids(self.tern, "queue"), [])

    def test_reject_header(self):
        e = self.refused(message(b"cheap viagra"))
        self.assertEqual(e.smtp_code, 550)
        self.assertEqual(e.smtp_error, b"5.7.1 spam is not welcome")
        self.assert_spool_empty()
        self.tern.wait_log(r"reject: header Subject: cheap viagra from unknown\[127\.0\.0\.1\]; "
                           r"from=<alice@example\.org> to=<bob@v\.test> proto=ESMTP helo=<[^>]*>: "
                           r"5\.7\.1 spam is not welcome")

    def test_folded_header_matched_unfolded(self):
        e = self.refused(b"From: alice@example.org\r\nSubject: folded\r\n two\r\n\r\nbody\r\n")
        self.assertEqual(e.smtp_code, 550)
        self.assertEqual(e.smtp_error, b"5.7.1 folded header matched unfolded")
        self.assert_spool_empty()

    def test_reject_body(self):
        e = self.refused(message(b"fine", body=b"first line\r\nbodyspam 42 times\r\n"))
        self.assertEqual(e.smtp_code, 550)
        self.assertEqual(e.smtp_error, b"5.7.1 body rejected")
        self.assert_spool_empty()
        self.tern.wait_log(r"reject: body bodyspam 42 times from unknown\[127\.0\.0\.1\]; .*: 5\.7\.1 body rejected")

    def test_reject_after_bdat(self):
        c = Client(self.tern.smtp_port)
        self.assertEqual(c.reply()[0], 220)
        data = message(b"viagra by chunks")
        c.send(b"EHLO client.test\r\nMAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@v.test>\r\n")
        self.assertEqual(c.codes(3), [250, 250, 250])
        c.send(b"BDAT 10\r\n" + data[:10] + b"BDAT %d LAST\r\n" % (len(data) - 10) + data[10:])
        self.assertEqual(c.reply()[0], 250)
        code, lines = c.reply()
        self.assertEqual((code, lines), (550, ["550 5.7.1 spam is not welcome"]))
        c.send(b"QUIT\r\n")
        self.assertEqual(c.reply()[0], 221)
        self.assert_spool_empty()

    def test_warn_logs_and_delivers(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            self.assertEqual(s.sendmail(SENDER, [RCPT], message(b"please warnme")), {})
        self.assertIn(b"Subject: please warnme", self.delivered(b"please warnme"))
        self.tern.wait_log(r"warning: header Subject: please warnme from unknown\[127\.0\.0\.1\]; "
                           r"from=<alice@example\.org> to=<bob@v\.test> proto=ESMTP helo=<[^>]*>: suspicious subject")

    def test_ignore_prepend_replace(self):
        data = message(b"prependme please", extra_headers=b"X-Drop-Me: secret\r\nX-Tag: abc\r\n",
                       body=b"keep this line\r\ndrop this line\r\nlast line\r\n")
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            self.assertEqual(s.sendmail(SENDER, [RCPT], data), {})
        got = self.delivered(b"prependme please").replace(b"\r\n", b"\n")
        head, _, body = got.partition(b"\n\n")
        self.assertNotIn(b"X-Drop-Me", head)
        self.assertIn(b"\nX-Tag: replaced abc\n", head)
        self.assertNotIn(b"X-Tag: abc", head)
        self.assertIn(b"\nX-Tag: replaced abc\nX-Prepended: yes\nSubject: prependme please", head)
        self.assertEqual(body, b"keep this line\nlast line\n")

    def test_discard_answers_250_and_delivers_nothing(self):
        with smtplib.SMTP("127.0.0.1", self.tern.smtp_port, timeout=20) as s:
            s.ehlo()
            s.mail(SENDER)
            s.rcpt(RCPT)
            code, text = s.data(message(b"discardme now"))
            self.assertEqual(code, 250)
            self.assertIn(b"Ok: queued as", text)
            # A second message after it: once that is delivered, the first would have been too.
            self.assertEqual(s.sendmail(SENDER, [RCPT], message(b"after the discard")), {})
        self.delivered(b"after the discard")
        self.assertEqual([m for m in maildir_messages(self.vmail, "v.test", "bob") if b"discardme" in m], [])
        discarded_id = text.decode().rsplit(" ", 1)[1]
        self.assertNotIn(discarded_id, queue_ids(self.tern, "queue"))
        self.assertNotIn("%s: to=<" % discarded_id, self.tern.log())
        self.tern.wait_log(r"discard: header Subject: discardme now from unknown\[127\.0\.0\.1\]; .*: discarded by test")


class BadTable(unittest.TestCase):
    def test_bad_pattern_stops_start_up_with_file_line(self):
        t = Tern()
        self.addCleanup(t.cleanup)
        table = write(os.path.join(t.etc, "header_checks"), "# checks\n/^Subject: ok/ WARN\n/^Subject: (unclosed/ REJECT\n")
        t.settings["header_checks"] = "regexp:" + table
        t.write_config(t.settings)
        want = "%s:3: bad regular expression /^Subject: (unclosed/" % table
        check = t.ternctl("config", "check")
        self.assertNotEqual(check.returncode, 0)
        self.assertIn(want, check.stderr)
        t.start(wait=False)
        try:
            code = t.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.fail("master kept running with a bad header_checks table")
        self.assertNotEqual(code, 0)
        self.assertIn(want, t.log())

    def test_unsupported_action_is_a_config_error(self):
        t = Tern()
        self.addCleanup(t.cleanup)
        table = write(os.path.join(t.etc, "body_checks"), "/^x/ HOLD\n")
        t.settings["body_checks"] = "regexp:" + table
        t.write_config(t.settings)
        check = t.ternctl("config", "check")
        self.assertNotEqual(check.returncode, 0)
        self.assertIn("%s:1: action HOLD is not supported by Tern" % table, check.stderr)

    def test_other_table_types_and_pcre_only_syntax_are_refused(self):
        t = Tern()
        self.addCleanup(t.cleanup)
        table = write(os.path.join(t.etc, "checks"), "/^Subject: \\d+ pills/ REJECT\n")
        cases = [({"header_checks": "hash:" + table},
                  'header_checks: "hash:%s": want regexp:/path or pcre:/path' % table),
                 ({"header_checks": "pcre:" + table},
                  '%s:1: PCRE syntax "\\d" is not available' % table)]
        for settings, want in cases:
            with self.subTest(want=want):
                t.write_config(dict(t.settings, **settings))
                check = t.ternctl("config", "check")
                self.assertNotEqual(check.returncode, 0)
                self.assertIn(want, check.stderr)
        t.write_config(dict(t.settings, header_checks="regexp:" + table))  # \d is a literal d there
        self.assertEqual(t.ternctl("config", "check").returncode, 0)


if __name__ == "__main__":
    unittest.main()
