"""Recycled queue files: under load (smtp-source, 20 sessions) a finished message's queue file
goes to free/ and smtpd writes a later message into that same file (same inode), cut to its
length, so every Maildir copy is whole, with nothing of the older message after it; mailq
never shows free/; neither an smtpd killed outright nor a restart leaves a claimed file behind.
"""
import glob
import os
import signal
import sys
import subprocess
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import mailq, virtual_maildir_tern, wait_for  # noqa: E402


def free_files(tern):
    """{name: inode} of free/."""
    d = os.path.join(tern.spool, "free")
    return {n: os.stat(os.path.join(d, n)).st_ino for n in os.listdir(d)}


class RecycledQueueFiles(unittest.TestCase):
    def test_a_finished_queue_file_carries_a_later_message(self):
        with virtual_maildir_tern() as tern:
            tern.start()
            maildir = os.path.join(tern.mail, "example.test", "sink")
            queue = os.path.join(tern.spool, "queue")

            def load(size, count=200, sessions=20):
                """smtp-source: `count` messages of `size` bytes over `sessions` sessions at once,
                so that commits overlap (smtpd recycles files only then); then waits for all of
                them in the Maildir and an empty queue. Returns the new Maildir files."""
                before = set(glob.glob(os.path.join(maildir, "new", "*")))
                subprocess.run(["smtp-source", "-s", str(sessions), "-m", str(count), "-l", str(size),
                                "-f", "a@remote.test", "-t", "sink@example.test",
                                "127.0.0.1:%d" % tern.smtp_port], check=True, timeout=120,
                               stdout=subprocess.DEVNULL)
                wait_for(lambda: len(set(glob.glob(os.path.join(maildir, "new", "*"))) - before) >= count
                         and not os.listdir(queue), timeout=60, what="%d messages delivered" % count)
                return set(glob.glob(os.path.join(maildir, "new", "*"))) - before

            # Each load's messages shorter than the last's, so that one written into an older
            # message's file must cut it to its own length.
            seen, reused, sizes = {}, None, []
            for size in (40000, 32000, 24000, 16000, 8000, 4000, 2000, 1000):
                files = load(size)
                # The copies of one load differ only in ids and counters: a few bytes. A copy
                # cut short or carrying an older message's bytes would stand out.
                sizes.append(sorted(os.path.getsize(f) for f in files))
                self.assertLessEqual(sizes[-1][-1] - sizes[-1][0], 16, sizes[-1][::20])
                self.assertGreaterEqual(sizes[-1][0], size * 0.9)  # LF line ends in the Maildir
                for name, ino in free_files(tern).items():
                    if name.startswith("claimed-"):
                        continue
                    if ino in seen and seen[ino] != name:
                        reused = (seen[ino], name)
                    seen.setdefault(ino, name)
                if reused and len(sizes) >= 3:
                    break
            self.assertIsNotNone(reused, "no message was written into an earlier one's file: %s"
                                 % free_files(tern))
            smallest = [x[0] for x in sizes]
            self.assertEqual(smallest, sorted(smallest, reverse=True))

            out = mailq(tern)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertIn("Mail queue is empty", out.stdout)
            self.assertEqual(os.listdir(os.path.join(tern.spool, "incoming")), [])

            # An smtpd killed outright leaves claimed files; master removes them as it restarts it.
            smtpd_pid, = tern.pids("smtpd")
            mine = "claimed-%d-" % smtpd_pid
            for n in range(10):
                load(500, count=100)
                if any(name.startswith(mine) for name in free_files(tern)):
                    break
            self.assertTrue(any(name.startswith(mine) for name in free_files(tern)), free_files(tern))
            os.kill(smtpd_pid, signal.SIGKILL)
            wait_for(lambda: tern.pids("smtpd") and tern.pids("smtpd") != [smtpd_pid], timeout=20,
                     what="smtpd restarted")
            wait_for(lambda: not any(n.startswith(mine) for n in free_files(tern)), timeout=10,
                     what="smtpd %d's claimed files removed" % smtpd_pid)
            load(500, count=50)

            # A restart drops whatever smtpd had claimed but not used.
            tern.stop()
            tern.start()
            self.assertEqual([n for n in free_files(tern) if n.startswith("claimed-")], [])
            self.assertEqual(len(load(500, count=50)), 50)


if __name__ == "__main__":
    unittest.main(verbosity=2)
