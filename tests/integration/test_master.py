"""master and ternctl: start, status, restart of killed children, reload, stop.

What an administrator does and sees: `master -f` leaves master and its programs running,
`ternctl status` lists them, a child killed with SIGKILL comes back (in status and in the log),
SIGTERM leaves no process behind, and a bad config stops start-up with file:line: why.
"""
import os
import re
import smtplib
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import PROGRAMS, Tern, pid_alive, running_as_root, tern_uid, uid_of, wait_for  # noqa: E402


class MasterLifecycle(unittest.TestCase):
    def test_children_run_restart_and_stop(self):
        with Tern() as tern:
            rows = tern.start().status()
            names = sorted(r["program"] for r in rows)
            self.assertEqual(names, sorted(["master"] + PROGRAMS))
            for row in rows:
                self.assertTrue(pid_alive(row["pid"]), row)
                with open("/proc/%d/cmdline" % row["pid"], "rb") as f:
                    self.assertIn(row["program"].encode(), f.read().split(b"\0")[0])

            # kill -9 of every child in turn: each comes back with a new pid and a log line.
            for program in PROGRAMS:
                [old_pid] = tern.pids(program)
                os.kill(old_pid, signal.SIGKILL)
                new_pid = wait_for(lambda: [p for p in tern.pids(program) if p != old_pid],
                                   timeout=15, what="%s to restart" % program)[0]
                self.assertTrue(pid_alive(new_pid))
                tern.wait_log(r"process %s pid %d killed by signal 9" % (program, old_pid))
                tern.wait_log(r"started %s \(instance 0\) pid %d" % (program, new_pid))
                row = [r for r in tern.status() if r["program"] == program][0]
                self.assertEqual(row["restarts"], "1")

            everyone = tern.session_processes()
            self.assertGreaterEqual(len(everyone), 1 + len(PROGRAMS))
            self.assertEqual(tern.stop(), 0)
            wait_for(lambda: not any(pid_alive(p) for p in everyone), timeout=10,
                     what="every process to exit")
            self.assertFalse(os.path.exists(os.path.join(tern.spool, "pid", "master.pid")))

    def test_gives_up_loudly_on_a_program_that_keeps_dying(self):
        with Tern(config={"master_restart_give_up": "2", "master_restart_max_backoff": "1s"}) as tern:
            tern.start()
            for attempt in range(3):
                [pid] = wait_for(lambda: tern.pids("qmgr"), timeout=10, what="qmgr running")
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda: pid not in tern.pids("qmgr"), timeout=10, what="qmgr %d gone" % pid)
            tern.wait_log(r"fatal: GIVING UP on qmgr")
            row = wait_for(lambda: [r for r in tern.status() if r["program"] == "qmgr" and r["state"] == "given-up"],
                           timeout=5, what="qmgr given up")[0]
            self.assertEqual(row["pid"], 0)
            # The others keep running, and a reload gives qmgr another chance.
            self.assertTrue(tern.pids("smtpd"))
            self.assertEqual(tern.ternctl("reload").returncode, 0)
            wait_for(lambda: tern.pids("qmgr"), timeout=10, what="qmgr back after reload")

    @unittest.skipUnless(running_as_root(), "privilege drop is only observable when started as root")
    def test_privileges_dropped_when_root(self):
        with Tern() as tern:
            tern.start()
            uid = tern_uid()
            for program in ["smtpd", "qmgr", "smtp", "lookup"]:
                for pid in tern.pids(program):
                    self.assertEqual(uid_of(pid), uid, program)
            for pid in tern.pids("local"):
                self.assertEqual(uid_of(pid), 0, "local keeps root to switch to mailbox owners")
            [master] = tern.pids("master")
            self.assertEqual(uid_of(master), 0)
            for sub in ["incoming", "queue", "private"]:
                st = os.stat(os.path.join(tern.spool, sub))
                self.assertEqual(st.st_uid, uid, sub)
                self.assertEqual(st.st_mode & 0o777, 0o700, sub)

    def test_reload_keeps_running_and_refuses_bad_config(self):
        with Tern() as tern:
            tern.start()
            before = {r["program"]: r["pid"] for r in tern.status()}
            result = tern.ternctl("reload")
            self.assertEqual(result.returncode, 0, result.stderr)
            tern.wait_log(r"reload -- configuration")
            # A bad value: ternctl reload refuses with file:line, and a SIGHUP to master is
            # logged and ignored; every process keeps running.
            tern.write_config(tern.settings, "minimal_backoff_time = soon\n")
            result = tern.ternctl("reload")
            self.assertNotEqual(result.returncode, 0)
            self.assertRegex(result.stderr, r"tern\.conf:\d+: .*minimal_backoff_time")
            os.kill(before["master"], signal.SIGHUP)
            tern.wait_log(r"reload refused, keeping the running configuration")
            tern.write_config(tern.settings)  # ternctl itself needs a readable config
            after = {r["program"]: r["pid"] for r in tern.status()}
            self.assertEqual(before, after)

    def test_reload_binds_new_listener_without_restarting_master(self):
        import socket as socketlib
        from ternlib import free_port
        with Tern() as tern:
            tern.start()
            [master] = tern.pids("master")
            port = free_port()
            settings = dict(tern.settings)
            settings["smtps_listen"] = "127.0.0.1:%d" % port
            tern.write_config(settings)
            self.assertEqual(tern.ternctl("reload").returncode, 0)
            def accepts():
                try:
                    with socketlib.create_connection(("127.0.0.1", port), timeout=1):
                        return True
                except OSError:
                    return False
            wait_for(accepts, timeout=10, what="the new smtps listener")
            self.assertEqual(tern.pids("master"), [master])

    def test_bad_config_stops_startup_with_file_line(self):
        with Tern() as tern:
            tern.write_config(tern.settings, "this line has no equals sign\n")
            result = subprocess.run([tern.binary("master"), "-f", "-c", tern.etc],
                                    capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 1)
            conf = os.path.join(tern.etc, "tern.conf")
            line = len(tern.settings) + 2
            self.assertIn("%s:%d:" % (conf, line), result.stderr)
            check = tern.ternctl("config", "check")
            self.assertEqual(check.returncode, 78)
            self.assertIn("%s:%d:" % (conf, line), check.stderr)

    def test_second_master_on_same_spool_is_refused(self):
        with Tern() as tern:
            tern.start()
            result = subprocess.run([tern.binary("master"), "-f", "-c", tern.etc],
                                    capture_output=True, text=True, timeout=20)
            self.assertEqual(result.returncode, 1)
            self.assertIn("another master is running", result.stderr)

    def test_ternctl_start_daemonizes_and_stop_ends_everything(self):
        with Tern() as tern:
            result = tern.ternctl("start")
            self.assertEqual(result.returncode, 0, result.stderr)
            rows = wait_for(tern.status, timeout=10, what="status")
            master_pid = [r["pid"] for r in rows if r["program"] == "master"][0]
            wait_for(lambda: all(p in {r["program"] for r in tern.status() if r["state"] == "running"}
                                 for p in PROGRAMS), timeout=15, what="children")
            pids = [r["pid"] for r in tern.status()]
            self.assertEqual(tern.ternctl("start").returncode, 1)  # already running
            result = tern.ternctl("stop")
            self.assertEqual(result.returncode, 0, result.stderr)
            wait_for(lambda: not any(pid_alive(p) for p in pids), timeout=10, what="every process to exit")
            self.assertFalse(pid_alive(master_pid))
            self.assertEqual(tern.ternctl("status").returncode, 3)

    def test_maillog_file_and_syslog_name_for_every_program_of_a_daemon(self):
        with Tern() as tern:
            maillog = os.path.join(tern.root, "maillog")
            tern.settings.update({"maillog_file": maillog, "syslog_name": "mymta"})
            tern.write_config(tern.settings)
            result = tern.ternctl("start")  # a daemon: without maillog_file it would log to syslog
            self.assertEqual(result.returncode, 0, result.stderr)
            try:
                wait_for(lambda: all(p in {r["program"] for r in tern.status() if r["state"] == "running"}
                                     for p in PROGRAMS), timeout=15, what="children")
                with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20) as s:
                    s.noop()

                def logged():
                    text = open(maillog).read() if os.path.exists(maillog) else ""
                    return all(re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ mymta/%s\[\d+\]: " % p, text, re.M)
                               for p in ("master", "smtpd")) and "connect from" in text
                wait_for(logged, timeout=15, what="master's and smtpd's lines in maillog_file")
                self.assertNotIn("tern/", open(maillog).read())
            finally:
                self.assertEqual(tern.ternctl("stop").returncode, 0)

    def test_config_show(self):
        with Tern() as tern:
            result = tern.ternctl("config", "show", "-n")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("myhostname = tern.test\n", result.stdout)
            self.assertNotIn("maximal_queue_lifetime", result.stdout)
            result = tern.ternctl("config", "show", "maximal_queue_lifetime", "myorigin")
            self.assertEqual(result.stdout, "maximal_queue_lifetime = 5d\nmyorigin = tern.test\n")


if __name__ == "__main__":
    unittest.main(verbosity=2)
