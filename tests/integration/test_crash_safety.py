"""Crash safety: 2,000 messages arrive over SMTP while qmgr and local are killed with SIGKILL
at random moments. Afterwards every message sits in the Maildir exactly once (counted by
Message-ID) and the queue is empty (DESIGN.md §4: progress is durable before it is acted on,
and local delivery is idempotent).
"""
import glob
import os
import random
import signal
import smtplib
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import virtual_maildir_tern, wait_for  # noqa: E402

MESSAGES = int(os.environ.get("TERN_CRASH_MESSAGES", "2000"))
SENDERS = 8


def virtual_tern():
    return virtual_maildir_tern({
        "minimal_backoff_time": "1s",
        "maximal_backoff_time": "2s",
        "queue_run_delay": "1s",
        "master_restart_give_up": "0",
        "master_restart_max_backoff": "1s",
    })


def message_ids_in(maildir):
    ids = []
    for path in glob.glob(os.path.join(maildir, "new", "*")) + glob.glob(os.path.join(maildir, "cur", "*")):
        with open(path, "rb") as f:
            for line in f:
                if line.lower().startswith(b"message-id:"):
                    ids.append(line.split(b":", 1)[1].strip().decode())
                    break
                if line in (b"\n", b"\r\n"):
                    break
    return ids


class CrashSafety(unittest.TestCase):
    def test_no_loss_and_no_duplicate_under_sigkill(self):
        with virtual_tern() as tern:
            tern.start()
            sent = []
            sent_lock = threading.Lock()
            errors = []

            def sender(worker):
                numbers = range(worker, MESSAGES, SENDERS)
                client = None
                for n in numbers:
                    mid = "<crash-%d@test>" % n
                    body = ("From: a@remote.test\r\nTo: sink@example.test\r\nSubject: %d\r\n"
                            "Message-ID: %s\r\n\r\nmessage %d\r\n" % (n, mid, n)).encode()
                    for attempt in range(20):
                        try:
                            if client is None:
                                client = smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=30)
                            client.sendmail("a@remote.test", ["sink@example.test"], body)
                            with sent_lock:
                                sent.append(mid)
                            break
                        except (smtplib.SMTPException, OSError) as e:
                            # smtpd is never killed here, so a failure is a real defect unless
                            # it is a temporary 4xx; retry those a few times.
                            client = None
                            if isinstance(e, smtplib.SMTPResponseException) and 400 <= e.smtp_code < 500:
                                time.sleep(0.2)
                                continue
                            errors.append("%s: %r" % (mid, e))
                            break
                if client is not None:
                    client.quit()

            threads = [threading.Thread(target=sender, args=(w,)) for w in range(SENDERS)]
            for t in threads:
                t.start()
            rng = random.Random(1234)
            kills = 0
            # Keep killing while mail arrives, and on into delivery until enough kills were made.
            kill_deadline = time.monotonic() + 120
            while (any(t.is_alive() for t in threads) or kills < 12) and time.monotonic() < kill_deadline:
                time.sleep(rng.uniform(0.05, 0.6))
                victim = rng.choice(["qmgr", "local"])
                for pid in tern.pids(victim):
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills += 1
                    except ProcessLookupError:
                        pass
            for t in threads:
                t.join(timeout=300)
            self.assertEqual(errors, [])
            self.assertEqual(len(sent), MESSAGES)
            self.assertGreaterEqual(kills, 12)

            maildir = os.path.join(tern.mail, "example.test", "sink")
            wait_for(lambda: len(message_ids_in(maildir)) >= MESSAGES, timeout=300, interval=0.5,
                     what="all messages delivered")
            wait_for(lambda: not os.listdir(os.path.join(tern.spool, "queue")), timeout=60, interval=0.5,
                     what="an empty queue")
            time.sleep(2)  # anything still in flight would show up as a duplicate now
            ids = message_ids_in(maildir)
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            self.assertEqual(duplicates, [])
            self.assertEqual(sorted(ids), sorted(sent))
            self.assertEqual(os.listdir(os.path.join(tern.spool, "incoming")), [])
            print("delivered %d messages exactly once across %d SIGKILLs" % (len(ids), kills))


if __name__ == "__main__":
    unittest.main(verbosity=2)
