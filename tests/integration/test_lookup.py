"""lookup: recipient routing, table queries and SMTP AUTH credentials, asked over lookup's
real IPC socket of a running Tern (through the lookup_query helper).

What the other programs see: a recipient's class (local, virtual, relay, unknown) after
virtual alias expansion, a table's values, a table edit taking effect without a reload, a bad
table line reported as file:line and skipped, an unreadable table answered as a temporary
error, and `ternctl passwd` followed by credential checks that pass and fail as they should.
"""
import os
import re
import socket
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Tern, lookup_query, running_as_root, tern_uid, wait_for  # noqa: E402


def resolutions(reply):
    """[(address, class, nexthop-or-mailbox-or-error, extension), ...] from a resolve reply."""
    out = []
    for block in re.findall(r"resolutions \{(.*?)\n\}", reply, re.S):
        fields = dict(re.findall(r'^\s*(\w+): "?(.*?)"?$', block, re.M))
        klass = fields.get("klass", "LOCAL")
        detail = fields.get("nexthop") or fields.get("mailbox") or fields.get("error", "")
        out.append((fields.get("address"), klass, detail, fields.get("extension", "")))
    return out


def field(reply, name):
    m = re.search(r'^%s: "?(.*?)"?$' % name, reply, re.M)
    return m.group(1) if m else None


class LookupTables(unittest.TestCase):
    def start(self, tern, files):
        for name, text in files.items():
            with open(os.path.join(tern.etc, name), "w") as f:
                f.write(text)
        tern.start()

    def test_resolve_classes(self):
        with Tern() as tern:
            etc = tern.etc
            tern.write_config(dict(tern.settings, **{
                "mydestination": "$myhostname, localhost, texthash:%s/local_domains" % etc,
                "recipient_delimiter": "+",
                "virtual_mailbox_domains": "Virt.Example",
                "virtual_mailbox_maps": "hash:%s/vmailbox" % etc,
                "virtual_alias_maps": "%s/virtual" % etc,
                "relayhost": "",
            }))
            self.start(tern, {
                "local_domains": "other.test ok\n",
                "vmailbox": "carol@virt.example virt.example/carol/\n@catch.example catch/\n",
                "virtual": ("info@alias.example  root@tern.test, carol@virt.example\n"
                            "self@relay.example  self@relay.example, archive@relay.example\n"
                            "loop1@relay.example loop2@relay.example\n"
                            "loop2@relay.example loop1@relay.example\n"),
                "aliases": "postmaster: root\n",
            })
            cases = [
                ("root@tern.test", [("root@tern.test", "LOCAL", "root", "")]),
                ("Root+Tag@TERN.TEST", [("Root+Tag@TERN.TEST", "LOCAL", "root", "Tag")]),
                ("root@localhost", [("root@localhost", "LOCAL", "root", "")]),
                ("root@other.test", [("root@other.test", "LOCAL", "root", "")]),
                ("postmaster@tern.test", [("postmaster@tern.test", "LOCAL", "postmaster", "")]),
                ("no-such-user@tern.test",
                 [("no-such-user@tern.test", "UNKNOWN", "User unknown in local recipient table", "")]),
                ("carol@virt.example", [("carol@virt.example", "VIRTUAL", "virt.example/carol/", "")]),
                ("dave@virt.example",
                 [("dave@virt.example", "UNKNOWN", "User unknown in virtual mailbox table", "")]),
                ("bob@far.example", [("bob@far.example", "RELAY", "far.example", "")]),
                ("info@alias.example", [("root@tern.test", "LOCAL", "root", ""),
                                        ("carol@virt.example", "VIRTUAL", "virt.example/carol/", "")]),
                ("self@relay.example", [("self@relay.example", "RELAY", "relay.example", ""),
                                        ("archive@relay.example", "RELAY", "relay.example", "")]),
                ("loop1@relay.example", [("loop1@relay.example", "RELAY", "relay.example", "")]),
            ]
            for address, want in cases:
                with self.subTest(address=address):
                    reply = lookup_query(tern, 'resolve { address: "%s" }' % address)
                    self.assertEqual(resolutions(reply), want, reply)

            # The recipient check smtpd uses at RCPT time.
            reply = lookup_query(tern, 'recipient { address: "dave@virt.example" }')
            self.assertIsNone(field(reply, "found"), reply)
            self.assertEqual(field(reply, "recipient_class"), "unknown")
            reply = lookup_query(tern, 'recipient { address: "carol@virt.example" }')
            self.assertEqual(field(reply, "found"), "true")
            self.assertEqual(field(reply, "recipient_class"), "virtual")

            # relayhost after a reload
            tern.write_config(dict(tern.settings, relayhost="[smarthost.example]:587"))
            tern.ternctl("reload", check=True)
            wait_for(lambda: resolutions(lookup_query(tern, 'resolve { address: "bob@far.example" }'))
                     == [("bob@far.example", "RELAY", "[smarthost.example]:587", "")],
                     timeout=10, what="relayhost after reload")

    def test_table_queries_follow_file_edits_and_skip_bad_lines(self):
        with Tern() as tern:
            aliases = os.path.join(tern.etc, "aliases")
            tern.write_config(dict(tern.settings, smtpd_sender_login_maps="hash:%s/logins" % tern.etc))
            self.start(tern, {
                "aliases": "postmaster: root\nstaff: alice, \"|/usr/bin/filter x\",\n  /var/log/x\nbroken line\n",
                "logins": "alice@example.com  alice, alice2\n",
            })
            reply = lookup_query(tern, 'table { parameter: "alias_maps" key: "Staff" }')
            self.assertEqual(field(reply, "found"), "true")
            self.assertEqual(re.findall(r'^values: "(.*)"$', reply, re.M), ["alice", "|/usr/bin/filter x", "/var/log/x"])
            tern.wait_log(r"warning: %s:4: missing ':' after alias name" % re.escape(aliases))

            reply = lookup_query(tern, 'table { parameter: "smtpd_sender_login_maps" key: "alice@example.com" }')
            self.assertEqual(re.findall(r'^values: "(.*)"$', reply, re.M), ["alice, alice2"])
            reply = lookup_query(tern, 'table { parameter: "alias_maps" key: "nobody" }')
            self.assertIsNone(field(reply, "found"))
            self.assertIsNone(field(reply, "status"))

            # Edit the file: the next query sees it, no reload, no postmap.
            time.sleep(0.01)
            with open(aliases, "w") as f:
                f.write("postmaster: admin\nnobody: root\n")
            reply = lookup_query(tern, 'table { parameter: "alias_maps" key: "postmaster" }')
            self.assertEqual(re.findall(r'^values: "(.*)"$', reply, re.M), ["admin"])
            self.assertEqual(field(lookup_query(tern, 'table { parameter: "alias_maps" key: "nobody" }'), "found"), "true")

            # Not a table parameter: a permanent error, not a crash.
            reply = lookup_query(tern, 'table { parameter: "myhostname" key: "x" }')
            self.assertEqual(field(reply, "status"), "DNS_PERMFAIL")
            reply = lookup_query(tern, 'table { parameter: "no_such_parameter" key: "x" }')
            self.assertEqual(field(reply, "status"), "DNS_PERMFAIL")

            # An unreadable table: a temporary error for the table and for routing.
            os.unlink(aliases)
            reply = lookup_query(tern, 'table { parameter: "alias_maps" key: "postmaster" }')
            self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL")
            self.assertIn("No such file", field(reply, "error"))
            reply = lookup_query(tern, 'resolve { address: "no-such-user@tern.test" }')
            self.assertEqual(resolutions(reply)[0][1], "ERROR", reply)
            self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL")

    def test_garbage_on_the_socket_does_not_hurt(self):
        with Tern() as tern:
            tern.start()
            [pid] = tern.pids("lookup")
            path = os.path.join(tern.spool, "private", "lookup")
            for junk in [b"\x00\x00\x00\x05hello", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"]:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(5)
                    s.connect(path)
                    s.sendall(junk)
                    try:
                        self.assertEqual(s.recv(100), b"")  # lookup hangs up on us
                    except ConnectionResetError:
                        pass
            reply = lookup_query(tern, 'resolve { address: "root@tern.test" }')
            self.assertEqual(resolutions(reply), [("root@tern.test", "LOCAL", "root", "")])
            reply = lookup_query(tern, 'id: 9')
            self.assertEqual(field(reply, "status"), "DNS_PERMFAIL")
            self.assertEqual(tern.pids("lookup"), [pid])


class LookupCredentials(unittest.TestCase):
    def test_passwd_then_check(self):
        with Tern() as tern:
            tern.start()
            path = os.path.join(tern.etc, "sasl_passwd")
            result = tern.ternctl("passwd", "alice@example.com", input="correct horse\n")
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(path) as f:
                lines = f.read().splitlines()
            self.assertEqual(len(lines), 1)
            self.assertTrue(lines[0].startswith("alice@example.com:$argon2id$"), lines)
            st = os.stat(path)
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o640)
            if running_as_root():
                self.assertEqual(st.st_gid, os.getpwnam("tern").pw_gid if hasattr(os, "getpwnam") else
                                 __import__("pwd").getpwnam("tern").pw_gid)

            def check(user, password):
                reply = lookup_query(tern, 'credentials { username: "%s" password: "%s" }' % (user, password))
                return field(reply, "credentials_ok") == "true"

            self.assertTrue(check("alice@example.com", "correct horse"))
            self.assertFalse(check("alice@example.com", "correct horse "))
            self.assertFalse(check("alice@example.com", ""))
            self.assertFalse(check("mallory", "correct horse"))

            # A second user, then a new password for the first: the old one stops working.
            self.assertEqual(tern.ternctl("passwd", "bob", input="b0b\n").returncode, 0)
            self.assertEqual(tern.ternctl("passwd", "alice@example.com", input="battery staple\n").returncode, 0)
            with open(path) as f:
                self.assertEqual([l.split(":")[0] for l in f.read().splitlines()], ["alice@example.com", "bob"])
            self.assertTrue(check("alice@example.com", "battery staple"))
            self.assertFalse(check("alice@example.com", "correct horse"))
            self.assertTrue(check("bob", "b0b"))

            # Refusals: a bad user name, an empty password.
            self.assertEqual(tern.ternctl("passwd", "a:b", input="x\n").returncode, 64)
            self.assertEqual(tern.ternctl("passwd", "carol", input="\n").returncode, 64)
            self.assertFalse(check("carol", ""))

    def test_checks_do_not_block_the_loop(self):
        with Tern() as tern:
            tern.start()
            self.assertEqual(tern.ternctl("passwd", "alice", input="pw\n").returncode, 0)
            import concurrent.futures
            with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
                checks = [pool.submit(lookup_query, tern, 'credentials { username: "alice" password: "pw" }')
                          for _ in range(6)]
                # While hashing runs on the work pool, a table query is answered at once.
                start = time.monotonic()
                reply = lookup_query(tern, 'table { parameter: "alias_maps" key: "postmaster" }')
                quick = time.monotonic() - start
                self.assertEqual(field(reply, "found"), "true")
                self.assertTrue(all(field(c.result(timeout=60), "credentials_ok") == "true" for c in checks))
            self.assertLess(quick, 2.0)


if __name__ == "__main__":
    unittest.main()
