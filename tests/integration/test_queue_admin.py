"""Queue administration against a real queue: mailq, ternctl queue list/show/hold/release/
delete/requeue/flush. Deliveries are deferred (relayhost is a loopback port where nothing
listens), so messages stay queued between the commands.
"""
import json
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, enqueue, free_port, mailq, queue_ids, wait_for  # noqa: E402


def attempts(tern, qid):
    return len(re.findall(r"%s: from=<[^>]*>, size=\d+, nrcpt=\d+ \(queue active\)" % qid, tern.log()))


class QueueAdmin(unittest.TestCase):
    def setUp(self):
        self.tern = Tern(config={"relayhost": "[127.0.0.1]:%d" % free_port()})
        self.tern.start()
        self.message = b"Subject: admin test\r\n\r\nThe text of the message.\r\n"
        self.ids = [enqueue(self.tern, ["rcpt%d@remote.example" % i], message=self.message)
                    for i in range(3)]
        for qid in self.ids:
            self.tern.wait_log(r"%s: to=<rcpt\d@remote\.example>.*status=deferred" % qid)

    def tearDown(self):
        self.tern.__exit__(*sys.exc_info())

    def listing(self):
        out = self.tern.ternctl("queue", "list", "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        return {e["queue_id"]: e for e in json.loads(out.stdout)}

    def test_list_show_and_mailq(self):
        a, b, c = self.ids
        entries = self.listing()
        self.assertEqual(sorted(entries), sorted(self.ids))
        self.assertEqual(entries[a]["size"], len(self.message))
        self.assertEqual(entries[a]["sender"], "alice@example.org")
        self.assertFalse(entries[a]["held"])
        self.assertTrue(entries[a]["recipients"][0]["reason"])
        out = mailq(self.tern)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertTrue(out.stdout.endswith("-- 0 Kbytes in 3 Requests.\n"), out.stdout)
        for qid in self.ids:
            self.assertRegex(out.stdout, r"(?m)^%s[ *] +%d " % (qid, len(self.message)))
        shown = subprocess.run([self.tern.binary("ternctl"), "-c", self.tern.etc, "queue", "show", b],
                               capture_output=True, timeout=30)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(shown.stdout, self.message)  # byte for byte
        # Ids are validated: no path tricks reach the spool.
        for bad in ["../../../etc/passwd", "0123", "queue/" + a]:
            out = self.tern.ternctl("queue", "show", bad)
            self.assertEqual(out.returncode, 64, bad)
            out = self.tern.ternctl("queue", "delete", bad)
            self.assertEqual(out.returncode, 64, bad)
        out = self.tern.ternctl("queue", "show", "0000000000000000")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("no such message", out.stderr)

    def test_hold_release_requeue_flush_delete(self):
        a, b, c = self.ids
        out = self.tern.ternctl("queue", "hold", a)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(a, queue_ids(self.tern, "hold"))
        self.assertNotIn(a, queue_ids(self.tern))
        self.tern.wait_log(r"%s: placed on hold" % a)
        self.assertTrue(self.listing()[a]["held"])
        self.assertRegex(mailq(self.tern).stdout, r"(?m)^%s! " % a)

        # A held message is not delivered, even on flush.
        before = attempts(self.tern, a)
        self.assertEqual(self.tern.ternctl("queue", "flush").returncode, 0)
        for qid in (b, c):
            wait_for(lambda: attempts(self.tern, qid) >= 2, timeout=10, what="%s retried by flush" % qid)
        self.assertEqual(attempts(self.tern, a), before)

        # Release puts it back and it is tried again at once.
        out = self.tern.ternctl("queue", "release", a)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(a, queue_ids(self.tern))
        wait_for(lambda: attempts(self.tern, a) > before, timeout=10, what="%s retried after release" % a)

        # Requeue routes it again now.
        n = attempts(self.tern, c)
        self.assertEqual(self.tern.ternctl("queue", "requeue", c).returncode, 0)
        wait_for(lambda: attempts(self.tern, c) > n, timeout=10, what="%s retried after requeue" % c)

        # Delete one, then everything.
        out = self.tern.ternctl("queue", "delete", b)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.tern.wait_log(r"%s: removed" % b)
        wait_for(lambda: b not in queue_ids(self.tern), timeout=5, what="%s gone" % b)
        self.assertNotIn(b, mailq(self.tern).stdout)
        self.assertEqual(self.tern.ternctl("queue", "hold", "ALL").returncode, 0)
        wait_for(lambda: not queue_ids(self.tern), timeout=5, what="everything held")
        self.assertEqual(sorted(queue_ids(self.tern, "hold")), sorted([a, c]))
        self.assertEqual(self.tern.ternctl("queue", "delete", "ALL").returncode, 0)
        wait_for(lambda: not queue_ids(self.tern, "hold"), timeout=5, what="everything deleted")
        self.assertEqual(mailq(self.tern).stdout, "Mail queue is empty\n")
        out = self.tern.ternctl("queue", "release", a)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("no such message", out.stderr)


if __name__ == "__main__":
    unittest.main()
