"""qmgr: deferral, expiry into an RFC 3464 bounce, null-sender rules, corrupt files, recovery.

Messages are put into a real queue with tests/integration/enqueue (as smtpd would) and qmgr is
woken. Remote recipients go through relayhost = a loopback port where nothing listens, so
every delivery is deferred whatever the state of lookup and smtp; what a user sees is the log,
mailq, the DSN that comes back, and the files left in the spool.
"""
import email
import email.policy
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, append_status_record, enqueue, free_port, mailq, queue_ids, wait_for  # noqa: E402


def dead_relay():
    return {"relayhost": "[127.0.0.1]:%d" % free_port()}


def short_timers(**extra):
    settings = dead_relay()
    settings.update({"maximal_queue_lifetime": "2s", "bounce_queue_lifetime": "2s",
                     "minimal_backoff_time": "1s",
                     "maximal_backoff_time": "1s", "queue_run_delay": "1s"})
    settings.update(extra)
    return settings


class Deferral(unittest.TestCase):
    def test_a_deferred_message_stays_queued_with_its_reason(self):
        with Tern(config=dead_relay()) as tern:
            tern.start()
            message = b"Subject: x\r\n\r\nbody\r\n"
            qid = enqueue(tern, ["bob@remote.example"], message=message)
            tern.wait_log(r"%s: from=<alice@example\.org>, size=%d, nrcpt=1 \(queue active\)" % (qid, len(message)))
            line = tern.wait_log(r"%s: to=<bob@remote\.example>, relay=\S+, delay=[0-9.]+, "
                                 r"delays=[0-9.]+/[0-9.]+/0/[0-9.]+, dsn=4\.\d+\.\d+, "
                                 r"status=deferred \((.+)\)" % qid)
            reason = line.group(1)
            self.assertEqual(queue_ids(tern), [qid])
            out = mailq(tern)
            self.assertEqual(out.returncode, 0, out.stderr)
            lines = out.stdout.splitlines()
            self.assertEqual(lines[0], "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------")
            self.assertRegex(lines[1], r"^%s[ *] +%d \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d +alice@example\.org$"
                             % (qid, len(message)))
            self.assertEqual(lines[2], "(%s)" % reason)
            self.assertEqual(lines[3].strip(), "bob@remote.example")
            self.assertTrue(lines[3].startswith(" " * 40))
            self.assertEqual(lines[-1], "-- 0 Kbytes in 1 Request.")
            # Not retried before minimal_backoff_time (300s): one attempt only.
            time.sleep(1.5)
            self.assertEqual(len(re.findall(r"%s: to=<bob@remote\.example>" % qid, tern.log())), 1)


class Expiry(unittest.TestCase):
    def test_expired_message_bounces_to_its_sender_as_multipart_report(self):
        with Tern(config=short_timers()) as tern:
            tern.start()
            original = (b"From: Alice <alice@remote.example>\r\nTo: bob@remote.example\r\n"
                        b"Subject: the original\r\nMessage-ID: <orig-1@remote.example>\r\n\r\n"
                        b"Original body line.\r\n")
            qid = enqueue(tern, ["bob@remote.example"], sender="alice@remote.example",
                          message=original, orcpt="rfc822;Bob@Remote.Example")
            tern.wait_log(r"%s: to=<bob@remote\.example>.*status=deferred" % qid)
            tern.wait_log(r"%s: from=<alice@remote\.example>, status=expired, returned to sender" % qid,
                          timeout=15)
            dsn_id = tern.wait_log(r"%s: sender non-delivery notification: (\w+)" % qid).group(1)
            tern.wait_log(r"%s: removed" % qid)
            self.assertNotIn(qid, queue_ids(tern))

            # The DSN is a queued message of its own, to the original sender, from <>.
            listing = tern.ternctl("queue", "list", "--json")
            self.assertEqual(listing.returncode, 0, listing.stderr)
            import json
            entries = {e["queue_id"]: e for e in json.loads(listing.stdout)}
            self.assertIn(dsn_id, entries)
            self.assertEqual(entries[dsn_id]["sender"], "")
            self.assertEqual([r["address"] for r in entries[dsn_id]["recipients"]], ["alice@remote.example"])

            shown = tern.ternctl("queue", "show", dsn_id)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            msg = email.message_from_string(shown.stdout, policy=email.policy.default)
            self.assertEqual(msg.get_content_type(), "multipart/report")
            self.assertEqual(msg.get_param("report-type"), "delivery-status")
            self.assertEqual(msg["To"], "alice@remote.example")
            self.assertEqual(msg["Subject"], "Undelivered Mail Returned to Sender")
            parts = msg.get_payload()
            self.assertEqual([p.get_content_type() for p in parts],
                             ["text/plain", "message/delivery-status", "message/rfc822"])
            self.assertIn("<bob@remote.example>", parts[0].get_content())
            per_message, per_recipient = parts[1].get_payload()
            self.assertEqual(per_message["Reporting-MTA"], "dns; tern.test")
            self.assertTrue(per_message["Arrival-Date"])
            self.assertEqual(per_recipient["Final-Recipient"], "rfc822; bob@remote.example")
            self.assertEqual(per_recipient["Original-Recipient"], "rfc822; Bob@Remote.Example")
            self.assertEqual(per_recipient["Action"], "failed")
            self.assertRegex(per_recipient["Status"], r"^4\.\d+\.\d+$")
            self.assertTrue(per_recipient["Diagnostic-Code"])
            returned = parts[2].get_payload()[0]
            self.assertEqual(returned["Subject"], "the original")
            self.assertIn("Original body line.", returned.get_content())

    def test_a_null_sender_message_never_bounces_and_a_double_bounce_is_dropped(self):
        with Tern(config=short_timers()) as tern:
            tern.start()
            bounce = enqueue(tern, ["bob@remote.example"], sender="")
            tern.wait_log(r"%s: from=<>, status=expired" % bounce, timeout=15)
            notice = tern.wait_log(r"%s: postmaster non-delivery notification: (\w+)" % bounce).group(1)
            tern.wait_log(r"%s: removed" % bounce)
            self.assertNotIn("%s: sender non-delivery" % bounce, tern.log())
            listing = tern.ternctl("queue", "show", notice)
            if listing.returncode == 0:  # still queued (not yet delivered to postmaster)
                self.assertIn("To: postmaster@tern.test", listing.stdout)

            double = enqueue(tern, ["bob@remote.example"], sender="double-bounce@tern.test")
            tern.wait_log(r"%s: undeliverable postmaster notification discarded" % double, timeout=15)
            tern.wait_log(r"%s: removed" % double)
            self.assertNotRegex(tern.log(), r"%s: \S+ non-delivery notification" % double)


class Spool(unittest.TestCase):
    def test_a_file_that_does_not_parse_goes_to_corrupt(self):
        with Tern(config=dead_relay()) as tern:
            tern.start()
            good = enqueue(tern, ["bob@remote.example"])
            bad = good[:-1] + ("1" if good[-1] != "1" else "2")
            path = os.path.join(tern.spool, "queue", bad)
            # Made beside queue/ and renamed in, whole: qmgr may be scanning queue/ right now
            # (enqueue asks for a queue run) and must not see it half-written.
            made = os.path.join(tern.spool, bad + ".new")
            with open(made, "wb") as f:
                f.write(b"TERNQ001 this is not a queue file")
            st = os.stat(os.path.join(tern.spool, "queue"))
            os.chown(made, st.st_uid, st.st_gid)
            os.rename(made, path)
            self.assertEqual(tern.ternctl("queue", "flush").returncode, 0)
            tern.wait_log(r"%s: moved to corrupt/" % bad)
            self.assertIn(bad, queue_ids(tern, "corrupt"))
            self.assertEqual(queue_ids(tern), [good])

    def test_old_or_mixed_bytes_under_a_new_name_go_to_corrupt(self):
        # What a crash can leave of a recycled file renamed into queue/ before its fsync: the
        # finished message's bytes, or old and new blocks mixed. Neither may be delivered.
        with Tern(config=dead_relay()) as tern:
            tern.start()
            good = enqueue(tern, ["bob@remote.example"])
            tern.wait_log(r"%s: to=<bob@remote\.example>.*status=deferred" % good)
            with open(os.path.join(tern.spool, "queue", good), "rb") as f:
                old = f.read()
            body_at = old.index(b"Subject:")
            mixed = old[:body_at] + bytes([old[body_at] ^ 0x20]) + old[body_at + 1:]
            st = os.stat(os.path.join(tern.spool, "queue"))
            names = [good[:-1] + c for c in "3456" if c != good[-1]][:2]
            for name, content in zip(names, (old, mixed)):
                made = os.path.join(tern.spool, name + ".new")
                with open(made, "wb") as f:
                    f.write(content)
                os.chown(made, st.st_uid, st.st_gid)
                os.rename(made, os.path.join(tern.spool, "queue", name))
            self.assertEqual(tern.ternctl("queue", "flush").returncode, 0)
            tern.wait_log(r"%s: moved to corrupt/: the envelope is that of %s" % (names[0], good))
            tern.wait_log(r"%s: moved to corrupt/: .*checksum does not match" % names[1])
            self.assertEqual(sorted(queue_ids(tern, "corrupt")), sorted(names))
            self.assertEqual(queue_ids(tern), [good])

    def test_recovery_rereads_recorded_statuses(self):
        # A recipient recorded as delivered before a crash is never tried again.
        with Tern(config=dead_relay()) as tern:
            tern.start()
            self.assertEqual(tern.stop(), 0)
            qid = enqueue(tern, ["done@remote.example", "todo@remote.example"])
            append_status_record(os.path.join(tern.spool, "queue", qid), 0, 1)  # delivered
            tern.log_file.close()
            tern.start()
            tern.wait_log(r"%s: from=<alice@example\.org>, size=\d+, nrcpt=1 \(queue active\)" % qid)
            tern.wait_log(r"%s: to=<todo@remote\.example>.*status=deferred" % qid)
            self.assertNotIn("to=<done@remote.example>", tern.log())
            self.assertEqual(queue_ids(tern), [qid])


if __name__ == "__main__":
    unittest.main()
