"""pflogsumm over Tern's log: Debian's Postfix log summariser counts Tern's traffic.

One Tern with a virtual Maildir domain (virt.test) and a relayhost: a scripted Python SMTP
server on 127.0.0.3 that answers 451 to RCPT for defer@remote.test and 550 for
bounce@remote.test. mynetworks is 127.0.0.2/32, so a client on 127.0.0.1 is an outsider (no
relaying) and one bound to 127.0.0.2 may relay. The traffic:
  3 messages from 127.0.0.1 delivered to virt.test Maildirs        (status=sent)
  1 message from 127.0.0.2 to defer@remote.test                   (status=deferred)
  1 message from 127.0.0.2 with a null sender to bounce@remote.test (status=bounced); as its
    sender is <>, qmgr sends the "postmaster non-delivery notification" (from
    double-bounce@tern.test) to postmaster, delivered locally: a 4th status=sent line. Like
    Postfix's bounce-daemon messages it has no client=/pickup line, so it is not "received".
  2 rejections at RCPT from 127.0.0.1: relay access denied (554 5.7.1) and an unknown virt.test
    user (550 5.1.1)
Then `pflogsumm --syslog-name=tern` over the master log must print 5 received, 4 delivered,
1 deferred, 1 bounced, 2 rejected.
"""
import os
import re
import smtplib
import socket
import subprocess
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, running_as_root, wait_for  # noqa: E402

BOXES = ["a", "b", "c"]


class ScriptedRelay:
    """A minimal SMTP server on 127.0.0.3: 451 to RCPT defer@..., 550 to RCPT bounce@...,
    250 otherwise."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.3", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.rcpts = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rb")
        send = lambda s: conn.sendall(s.encode() + b"\r\n")  # noqa: E731
        try:
            send("220 relay.test ESMTP scripted")
            in_data = False
            while True:
                line = f.readline()
                if not line:
                    return
                text = line.decode("utf-8", "replace").rstrip("\r\n")
                if in_data:
                    if text == ".":
                        in_data = False
                        send("250 2.0.0 accepted")
                    continue
                verb = text[:4].upper()
                if verb in ("EHLO", "HELO"):
                    send("250 relay.test")
                elif verb == "MAIL":
                    send("250 2.1.0 ok")
                elif verb == "RCPT":
                    self.rcpts.append(text)
                    if "defer@" in text:
                        send("451 4.3.0 try again later")
                    elif "bounce@" in text:
                        send("550 5.1.1 no such user here")
                    else:
                        send("250 2.1.5 ok")
                elif verb == "DATA":
                    in_data = True
                    send("354 go ahead")
                elif verb == "RSET" or verb == "NOOP":
                    send("250 2.0.0 ok")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    return
                else:
                    send("502 5.5.2 what")
        except OSError:
            return
        finally:
            conn.close()

    def close(self):
        self.stopping = True
        self.sock.close()


def pflogsumm_counts(text):
    """The 'Grand Totals' counts pflogsumm prints: {'received': n, 'delivered': n, ...}."""
    counts = {}
    for key in ("received", "delivered", "forwarded", "deferred", "bounced", "rejected"):
        m = re.search(r"^\s*(\d+)\s+%s\b" % key, text, re.M)
        counts[key] = int(m.group(1)) if m else None
    return counts


@unittest.skipUnless(running_as_root(), "delivers to virtual mailboxes as nobody: run as root")
class PflogsummCountsTernTraffic(unittest.TestCase):
    def test_pflogsumm_counts_received_delivered_deferred_bounced_rejected(self):
        relay = ScriptedRelay()
        self.addCleanup(relay.close)
        tern = Tern(config={"mynetworks": "127.0.0.2/32",
                            "relayhost": "[127.0.0.3]:%d" % relay.port,
                            # Postfix's default ends in defer_unauth_destination (454); the
                            # usual server setting refuses for good.
                            "smtpd_relay_restrictions":
                                "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination",
                            "maximal_queue_lifetime": "5d", "bounce_queue_lifetime": "5d",
                            "minimal_backoff_time": "3600s", "queue_run_delay": "3600s"})
        self.addCleanup(tern.cleanup)
        maps = os.path.join(tern.etc, "vmailbox")
        with open(maps, "w") as f:
            for box in BOXES:
                f.write("%s@virt.test virt.test/%s/\n" % (box, box))
        os.chown(tern.mail, 65534, 65534)
        tern.settings.update({"virtual_mailbox_domains": "virt.test", "virtual_mailbox_base": tern.mail,
                              "virtual_mailbox_maps": maps, "virtual_uid_maps": "static:65534",
                              "virtual_gid_maps": "static:65534"})
        tern.write_config(tern.settings)
        tern.start()
        try:
            self.run_scenario(tern, relay)
        except BaseException:
            print("---- tern log ----\n" + tern.log()[-20000:])
            raise

    def run_scenario(self, tern, relay):
        # 3 deliveries from an outsider to the virtual domain.
        for box in BOXES:
            with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20) as s:
                s.sendmail("sender@outside.example", ["%s@virt.test" % box],
                           "Subject: to %s\r\nMessage-ID: <%s.pflogsumm@outside.example>\r\n\r\nhello %s\r\n"
                           % (box, box, box))
        # 2 rejections at RCPT from the outsider.
        with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20) as s:
            s.ehlo("outsider.example")
            self.assertEqual(s.mail("sender@outside.example")[0], 250)
            code, text = s.rcpt("someone@remote.test")
            self.assertEqual(code, 554, text)
            self.assertIn(b"Relay access denied", text)
            code, text = s.rcpt("nobody@virt.test")
            self.assertEqual(code, 550, text)
            self.assertIn(b"5.1.1", text)
            s.rset()
        # 1 deferral and 1 bounce through the relayhost, from a client in mynetworks.
        with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20, source_address=("127.0.0.2", 0)) as s:
            s.sendmail("a@virt.test", ["defer@remote.test"],
                       "Subject: deferred\r\nMessage-ID: <defer.pflogsumm@virt.test>\r\n\r\nlater\r\n")
        with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20, source_address=("127.0.0.2", 0)) as s:
            s.sendmail("", ["bounce@remote.test"],
                       "Subject: bounced\r\nMessage-ID: <bounce.pflogsumm@virt.test>\r\n\r\nnever\r\n")

        for box in BOXES:
            new = os.path.join(tern.mail, "virt.test", box, "new")
            wait_for(lambda: os.path.isdir(new) and os.listdir(new), 20, what="delivery to %s" % box)
        tern.wait_log(r"to=<defer@remote\.test>.*status=deferred", timeout=30)
        tern.wait_log(r"to=<bounce@remote\.test>.*status=bounced", timeout=30)
        # The 4th delivery: the postmaster notice for the bounced null-sender message.
        tern.wait_log(r"to=<postmaster@tern\.test>.*status=sent", timeout=30)

        result = subprocess.run(["pflogsumm", "--syslog-name=tern", tern.log_path],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        print("---- pflogsumm output ----\n" + result.stdout)
        counts = pflogsumm_counts(result.stdout)
        self.assertEqual(counts, {"received": 5, "delivered": 4, "forwarded": 0, "deferred": 1,
                                  "bounced": 1, "rejected": 2}, result.stdout)
        # Per-domain summaries name the recipient domains.
        self.assertRegex(result.stdout, r"(?m)^\s+3\s+\d+\s+0\s+.*\svirt\.test$")
        self.assertRegex(result.stdout, r"(?m)^\s+1\s+\d+\s+0\s+.*\stern\.test$")
        self.assertRegex(result.stdout, r"(?m)^\s+0\s+0\s+1\s+.*\sremote\.test$")
        self.assertRegex(result.stdout, r"(?m)^\s+3\s+\S+\s+outside\.example$")
        # Detail sections: the deferral and bounce reasons, both rejections.
        self.assertIn("4.3.0 try again later", result.stdout)
        self.assertIn("5.1.1 no such user here", result.stdout)
        self.assertRegex(result.stdout, r"Relay access denied \(total: 1\)")
        self.assertRegex(result.stdout, r"User unknown in virtual mailbox table \(total: 1\)")


if __name__ == "__main__":
    unittest.main()
