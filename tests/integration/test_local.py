"""local: delivery to Maildirs, mboxes, aliases, commands and virtual mailboxes.

What qmgr asks of local, done by hand: a real Tern runs (master and every program); the test
writes a message into the spool and sends local one DeliveryRequest over private/local with
tests/integration/local_deliver, then looks at what a user would see -- the bytes in a Maildir
or mbox, the file a command wrote, the result codes -- and reads a Maildir back through a real
Dovecot over IMAP.
"""
import imaplib
import os
import pwd
import shutil
import stat
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import BUILD_DIR, Tern, free_port, running_as_root, wait_for  # noqa: E402

USER = "ternlocal"
MESSAGE = (b"From: Alice <alice@example.org>\r\nTo: ternlocal@tern.test\r\nSubject: hello\r\n"
           b"Message-ID: <m1@example.org>\r\n\r\nFirst line.\r\nFrom the body, a From line.\r\n"
           b">From already quoted.\r\nLast line.\r\n")
MESSAGE_LF = MESSAGE.replace(b"\r\n", b"\n")
QUIET = {"queue_run_delay": "3600s"}  # qmgr must not pick up the test's queue files


def local_deliver(tern, recipients, message=MESSAGE, sender="alice@example.org", queue_id=None):
    """Runs local_deliver; returns (queue_id, {index: (outcome, dsn, diagnostic)}, [expanded])."""
    args = [os.path.join(os.path.abspath(BUILD_DIR), "tests", "integration", "local_deliver"), tern.spool,
            "-f", sender]
    if queue_id:
        args += ["-q", queue_id]
    result = subprocess.run(args + list(recipients), input=message, capture_output=True, timeout=90)
    if result.returncode != 0:
        raise AssertionError("local_deliver failed: %s" % result.stderr.decode())
    qid, results, expanded = None, {}, []
    for line in result.stdout.decode().splitlines():
        fields = line.split("\t")
        if line.startswith("queue_id "):
            qid = line.split()[1]
        elif fields[0] == "result":
            results[int(fields[1])] = (fields[2], fields[3], fields[4])
        elif fields[0] == "expanded":
            expanded.append(fields[2])
    return qid, results, expanded


def files_in(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


class TestUser:
    """A system user with a home directory under the test's root; removed afterwards."""

    def __init__(self, root):
        self.home = os.path.join(root, "home", USER)
        os.makedirs(os.path.dirname(self.home), exist_ok=True)
        os.chmod(os.path.dirname(self.home), 0o755)
        subprocess.run(["userdel", "-f", USER], capture_output=True)
        subprocess.run(["useradd", "-M", "-d", self.home, "-s", "/usr/sbin/nologin", USER], check=True)
        os.makedirs(self.home)
        pw = pwd.getpwnam(USER)
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        os.chown(self.home, self.uid, self.gid)
        os.chmod(self.home, 0o700)

    def remove(self):
        subprocess.run(["userdel", "-f", USER], capture_output=True)


@unittest.skipUnless(running_as_root(), "local switches to mailbox owners: run as root")
class LocalDelivery(unittest.TestCase):
    def setUp(self):
        self.cleanups = []

    def tearDown(self):
        for fn in reversed(self.cleanups):
            fn()

    def start(self, config):
        tern = Tern(config=dict(QUIET, **config))
        self.cleanups.append(lambda: tern.__exit__(None, None, None))
        tern.settings["mail_spool_directory"] = tern.mail
        tern.write_config(tern.settings)
        user = TestUser(tern.root)
        self.cleanups.insert(0, user.remove)
        return tern, user

    # --- Maildir under the home directory, idempotence, Dovecot ------------------------------
    def test_maildir_delivery_is_idempotent_and_dovecot_reads_it(self):
        tern, user = self.start({"home_mailbox": "Maildir/"})
        tern.start()
        qid, results, _ = local_deliver(tern, ["0,%s@tern.test,%s" % (USER, USER)])
        self.assertEqual(results[0][:2], ("DELIVERED", "2.0.0"), results)
        maildir = os.path.join(user.home, "Maildir")
        [name] = files_in(os.path.join(maildir, "new"))
        self.assertIn(qid, name)
        path = os.path.join(maildir, "new", name)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"Return-Path: <alice@example.org>\nDelivered-To: %s@tern.test\n" %
                             USER.encode() + MESSAGE_LF)
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid), (user.uid, user.gid))
        self.assertEqual(os.stat(maildir).st_uid, user.uid)
        self.assertEqual(files_in(os.path.join(maildir, "tmp")), [])

        # A crash after delivery and before qmgr's record: the same request again delivers
        # nothing new, whether the message is still in new/ or a reader moved it to cur/.
        _, again, _ = local_deliver(tern, ["0,%s@tern.test,%s" % (USER, USER)], queue_id=qid)
        self.assertEqual(again[0][0], "DELIVERED", again)
        self.assertEqual(files_in(os.path.join(maildir, "new")), [name])
        os.rename(path, os.path.join(maildir, "cur", name + ":2,S"))
        _, again, _ = local_deliver(tern, ["0,%s@tern.test,%s" % (USER, USER)], queue_id=qid)
        self.assertEqual(again[0][0], "DELIVERED", again)
        self.assertEqual(files_in(os.path.join(maildir, "new")), [])
        self.assertEqual(files_in(os.path.join(maildir, "cur")), [name + ":2,S"])
        os.rename(os.path.join(maildir, "cur", name + ":2,S"), path)

        # A message that already went through this mailbox is a forwarding loop.
        looped = b"Delivered-To: %s@tern.test\r\n" % USER.encode() + MESSAGE
        _, loop, _ = local_deliver(tern, ["0,%s@tern.test,%s" % (USER, USER)], message=looped)
        self.assertEqual(loop[0][:2], ("BOUNCED", "5.4.6"), loop)
        self.assertIn("loop", loop[0][2])

        # Dovecot, started on loopback with its own configuration, reads the delivered message.
        fetched = self.read_with_dovecot(tern.root, user)
        self.assertEqual(fetched.replace(b"\r\n", b"\n"),
                         b"Return-Path: <alice@example.org>\nDelivered-To: %s@tern.test\n" % USER.encode() + MESSAGE_LF)

    def read_with_dovecot(self, root, user):
        if shutil.which("dovecot") is None:
            self.fail("dovecot is not installed (scripts/install-deps installs dovecot-imapd)")
        d = os.path.join(root, "dovecot")
        os.makedirs(d)
        port = free_port()
        with open(os.path.join(d, "passwd"), "w") as f:
            f.write("%s:{PLAIN}secret:%d:%d::%s::\n" % (USER, user.uid, user.gid, user.home))
        with open(os.path.join(d, "dovecot.conf"), "w") as f:
            f.write(f"""protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
""")
        proc = subprocess.Popen(["dovecot", "-F", "-c", os.path.join(d, "dovecot.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.cleanups.append(lambda: (os.killpg(proc.pid, 9), proc.wait(timeout=10)))

        def connect():
            try:
                return imaplib.IMAP4("127.0.0.1", port, timeout=5)
            except OSError:
                return None
        imap = wait_for(connect, timeout=20, what="dovecot on port %d" % port)
        try:
            imap.login(USER, "secret")
            typ, data = imap.select("INBOX")
            self.assertEqual((typ, data), ("OK", [b"1"]))
            typ, data = imap.fetch("1", "(RFC822)")
            self.assertEqual(typ, "OK")
            return data[0][1]
        finally:
            imap.logout()

    # --- mbox in mail_spool_directory, aliases, files, commands ------------------------------
    def test_mbox_aliases_files_and_commands(self):
        tern, user = self.start({"virtual_mailbox_base": "", "allow_mail_to_files": "alias, include"})
        out = os.path.join(tern.root, "out")
        os.makedirs(out)
        os.chown(out, user.uid, user.gid)
        recorder = os.path.join(tern.root, "record.py")
        with open(recorder, "w") as f:
            f.write("#!/usr/bin/python3\nimport json, os, sys\n"
                    "body = sys.stdin.buffer.read().decode()\n"
                    "json.dump({'argv': sys.argv, 'env': dict(os.environ), 'uid': os.getuid(), 'body': body},"
                    " open(sys.argv[1], 'w'))\n")
        os.chmod(recorder, 0o755)
        include = os.path.join(tern.root, "list.inc")
        with open(include, "w") as f:
            f.write("# the list\n%s, friend@example.net\n" % USER)
        aliases = os.path.join(tern.etc, "aliases")
        with open(aliases, "w") as f:
            f.write("postmaster: root\n"
                    "team: %s, remote@example.org, %s/team.mbox\n" % (USER, out) +
                    "list: :include:%s\n" % include +
                    "pipe: \"|%s %s/cmd.json 'two words' $SENDER; echo ran > %s/after\"\n" % (recorder, out, out) +
                    "fails: \"|/bin/sh -c 'exit 67'\"\n")
        os.chown(aliases, user.uid, user.gid)  # commands and files run as the alias owner
        tern.start()
        mbox = os.path.join(tern.mail, USER)

        # A system user: the mbox in mail_spool_directory, owned by the user.
        _, r, _ = local_deliver(tern, ["0,%s@tern.test,%s" % (USER, USER)])
        self.assertEqual(r[0][:2], ("DELIVERED", "2.0.0"), r)
        with open(mbox, "rb") as f:
            data = f.read()
        self.assertTrue(data.startswith(b"From alice@example.org "), data[:80])
        first, body = data.split(b"\n", 1)
        self.assertEqual(body, b"Return-Path: <alice@example.org>\nDelivered-To: %s@tern.test\n" % USER.encode() +
                         MESSAGE_LF.replace(b"\nFrom the body", b"\n>From the body")
                                   .replace(b"\n>From already", b"\n>>From already") + b"\n")
        self.assertEqual(os.stat(mbox).st_uid, user.uid)
        self.assertFalse(os.path.exists(mbox + ".lock"))

        # An alias list: the user again, a /file, and an address handed back to qmgr.
        _, r, expanded = local_deliver(tern, ["3,team@tern.test,team"])
        self.assertEqual(r[3][0], "DELIVERED", r)
        self.assertEqual(expanded, ["remote@example.org"])
        with open(mbox, "rb") as f:
            self.assertEqual(f.read().count(b"\nFrom alice@example.org "), 1)  # the second entry
        with open(os.path.join(out, "team.mbox"), "rb") as f:
            self.assertIn(b"Delivered-To: team@tern.test\n", f.read())
        self.assertEqual(os.stat(os.path.join(out, "team.mbox")).st_uid, user.uid)

        # :include: lists.
        _, r, expanded = local_deliver(tern, ["0,list@tern.test,list"])
        self.assertEqual(r[0][0], "DELIVERED", r)
        self.assertEqual(expanded, ["friend@example.net"])

        # A command with shell syntax runs through /bin/sh -c as in Postfix (quotes, $VAR,
        # ';' and '>' work); the envelope reaches it only in the environment, so a hostile
        # sender expands as text and is never run. It runs as the alias file's owner.
        hostile = "x;rm -rf $HOME`touch /tmp/tern-pwned`$(touch /tmp/tern-pwned)\nInjected: yes@evil"
        _, r, _ = local_deliver(tern, ["1,pipe@tern.test,pipe"], sender=hostile)
        self.assertEqual(r[1][:2], ("DELIVERED", "2.0.0"), r)
        import json
        with open(os.path.join(out, "cmd.json")) as f:
            seen = json.load(f)
        self.assertEqual(seen["argv"][1:3], [out + "/cmd.json", "two words"])
        self.assertEqual(" ".join(seen["argv"][3:]), " ".join(hostile.split()))
        with open(os.path.join(out, "after")) as f:
            self.assertEqual(f.read(), "ran\n")
        self.assertEqual(seen["env"]["SENDER"], hostile)
        self.assertEqual(seen["env"]["RECIPIENT"], "pipe@tern.test")
        self.assertEqual(seen["env"]["ORIGINAL_RECIPIENT"], "pipe@tern.test")
        self.assertTrue(seen["env"]["QUEUE_ID"])
        self.assertEqual(seen["uid"], user.uid)
        self.assertTrue(seen["body"].startswith("Return-Path: <%s>\n" % hostile.replace("\n", " ")))
        self.assertFalse(os.path.exists("/tmp/tern-pwned"))

        # A command that fails permanently bounces; an unknown user bounces 5.1.1.
        _, r, _ = local_deliver(tern, ["0,fails@tern.test,fails", "1,nobody-here@tern.test,nobody-here"])
        self.assertEqual(r[0][:2], ("BOUNCED", "5.3.0"), r)
        self.assertEqual(r[1][:2], ("BOUNCED", "5.1.1"), r)

        # newaliases checks the same file.
        ternctl = tern.binary("ternctl")
        link = os.path.join(tern.root, "newaliases")
        os.symlink(ternctl, link)
        ok = subprocess.run([link, "-c", tern.etc], capture_output=True, text=True, timeout=30)
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertIn("5 aliases", ok.stdout)
        with open(aliases, "a") as f:
            f.write("broken line without colon\n")
        bad = subprocess.run([link, "-c", tern.etc], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("%s:6:" % aliases, bad.stderr)

    # --- virtual mailboxes; a mailbox that cannot be written is deferred ----------------------
    def test_virtual_mailboxes_and_unwritable_mailbox_defers(self):
        nobody = pwd.getpwnam("nobody")
        tern = Tern(config=dict(QUIET))
        self.cleanups.append(lambda: tern.__exit__(None, None, None))
        base = os.path.join(tern.root, "vmail")
        os.makedirs(os.path.join(base, "locked.test"))
        os.chown(base, nobody.pw_uid, nobody.pw_gid)
        os.chmod(os.path.join(base, "locked.test"), 0o755)  # root's: nobody cannot write here
        tern.settings.update({"virtual_mailbox_base": base, "virtual_uid_maps": "static:%d" % nobody.pw_uid,
                              "virtual_gid_maps": "static:%d" % nobody.pw_gid})
        tern.settings["log_level"] = "debug"  # local logs its own per-recipient results at debug
        tern.write_config(tern.settings)
        tern.start()
        _, r, _ = local_deliver(tern, ["v:0,v@virt.test,virt.test/v/", "v:1,m@virt.test,virt.test/m.mbox",
                                       "v:2,x@locked.test,locked.test/x/", "v:3,y@virt.test,../escape/"])
        self.assertEqual(r[0][:2], ("DELIVERED", "2.0.0"), r)
        self.assertEqual(r[1][:2], ("DELIVERED", "2.0.0"), r)
        self.assertEqual(r[2][0], "DEFERRED", r)
        self.assertTrue(r[2][1].startswith("4."), r)
        self.assertEqual(r[3][0], "DEFERRED", r)
        [name] = files_in(os.path.join(base, "virt.test", "v", "new"))
        path = os.path.join(base, "virt.test", "v", "new", name)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"Return-Path: <alice@example.org>\nDelivered-To: v@virt.test\n" + MESSAGE_LF)
        self.assertEqual(os.stat(path).st_uid, nobody.pw_uid)
        with open(os.path.join(base, "virt.test", "m.mbox"), "rb") as f:
            self.assertTrue(f.read().startswith(b"From alice@example.org "))
        self.assertFalse(os.path.exists(os.path.join(tern.root, "escape")))
        tern.wait_log(r"local result to=<x@locked.test>.*outcome=deferred")


if __name__ == "__main__":
    unittest.main()
