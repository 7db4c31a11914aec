"""Recycled queue files: a finished message's queue file goes to free/, and smtpd writes a
later message into that same file (same inode), cut to the new message's length, so the
message delivered from it is exactly what was sent; mailq never shows free/; neither an smtpd
killed outright nor a restart leaves a claimed file behind.
"""
import glob
import os
import signal
import smtplib
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import mailq, virtual_maildir_tern, wait_for  # noqa: E402


def free_files(tern):
    """{name: inode} of free/."""
    d = os.path.join(tern.spool, "free")
    return {n: os.stat(os.path.join(d, n)).st_ino for n in os.listdir(d)}


def delivered(maildir):
    out = {}
    for path in glob.glob(os.path.join(maildir, "new", "*")):
        with open(path, "rb") as f:
            data = f.read()
        for line in data.split(b"\n"):
            if line.startswith(b"Subject: "):
                out[line[9:].strip().decode()] = data
                break
    return out


class RecycledQueueFiles(unittest.TestCase):
    def test_a_finished_queue_file_carries_a_later_message(self):
        with virtual_maildir_tern() as tern:
            tern.start()
            maildir = os.path.join(tern.mail, "example.test", "sink")
            queue = os.path.join(tern.spool, "queue")
            bodies = {}

            def send(subject, body):
                bodies[subject] = body
                message = ("From: a@remote.test\r\nTo: sink@example.test\r\nSubject: %s\r\n\r\n%s"
                           % (subject, body)).encode()
                with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20) as s:
                    s.sendmail("a@remote.test", ["sink@example.test"], message)
                wait_for(lambda: subject in delivered(maildir) and not os.listdir(queue), timeout=20,
                         what="%s delivered and the queue empty" % subject)

            # Each message shorter than the one before, so that one written into an older
            # message's file must cut it to its own length.
            send("first", "".join("first line %05d\r\n" % i for i in range(3000)))
            seen = {ino: name for name, ino in free_files(tern).items()}
            self.assertEqual(len(seen), 1, seen)
            reused = None
            for n in range(10):
                send("later-%d" % n, "".join("later-%d line %05d\r\n" % (n, i) for i in range(1000 - 100 * n)))
                for name, ino in free_files(tern).items():
                    if name.startswith("claimed-"):
                        continue
                    if ino in seen and seen[ino] != name:
                        reused = (seen[ino], name)
                    seen.setdefault(ino, name)
                if reused:
                    break
            self.assertIsNotNone(reused, "no message was written into an earlier one's file: %s"
                                 % free_files(tern))

            got = delivered(maildir)
            self.assertEqual(sorted(got), sorted(bodies))
            for subject, body in bodies.items():
                # The Maildir copy ends with exactly the body sent (LF line ends): nothing of an
                # older, longer message follows it.
                self.assertTrue(got[subject].endswith(body.replace("\r\n", "\n").encode()), subject)
                self.assertEqual(got[subject].count(b" line "), body.count(" line "), subject)
            out = mailq(tern)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("Mail queue is empty", out.stdout)
            self.assertEqual(os.listdir(os.path.join(tern.spool, "incoming")), [])

            # An smtpd killed outright leaves claimed files; master removes them as it restarts it.
            smtpd_pid, = tern.pids("smtpd")
            mine = "claimed-%d-" % smtpd_pid
            send("before-kill", "x\r\n")
            wait_for(lambda: any(n.startswith(mine) for n in free_files(tern)), timeout=10,
                     what="files claimed by smtpd %d" % smtpd_pid)
            os.kill(smtpd_pid, signal.SIGKILL)
            wait_for(lambda: tern.pids("smtpd") and tern.pids("smtpd") != [smtpd_pid], timeout=20,
                     what="smtpd restarted")
            wait_for(lambda: not any(n.startswith(mine) for n in free_files(tern)), timeout=10,
                     what="smtpd %d's claimed files removed" % smtpd_pid)
            send("after-kill", "y\r\n")

            # A restart drops whatever smtpd had claimed but not used.
            tern.stop()
            tern.start()
            self.assertEqual([n for n in free_files(tern) if n.startswith("claimed-")], [])
            send("after-restart", "still fine\r\n")
            self.assertTrue(delivered(maildir)["after-restart"].endswith(b"still fine\n"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
