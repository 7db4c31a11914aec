"""A real Tern instance for integration tests.

Starts `master -f` on a temporary config directory and spool with unprivileged loopback
ports, exposes ternctl and the log, and always cleans up every process it started (master
runs in its own session, which is killed at the end). Every wait is bounded.
"""
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time

BUILD_DIR = os.environ.get("TERN_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))
PROGRAMS = ["lookup", "qmgr", "local", "smtp", "smtpd"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def running_as_root():
    return os.geteuid() == 0


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))


def read_log(path):
    """A log file's text so far ("" before it exists)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def wait_log_line(path, pattern, timeout, what):
    """Waits until the log at `path` has a match of `pattern`; returns the match."""
    regex = re.compile(pattern)
    return wait_for(lambda: regex.search(read_log(path)), timeout, what="%s /%s/" % (what, pattern))


def stop_process(process, timeout=10):
    """SIGTERM, then SIGKILL when it has not ended within `timeout` seconds; always reaped."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


class LogsOnFailure:
    """unittest.TestCase mixin: prints the (title, text) pairs of failure_logs() after a test
    that failed, so a CI log shows what every party said."""

    def failure_logs(self):
        return []

    def run(self, result=None):
        problems = len(result.failures) + len(result.errors) if result is not None else 0
        outcome = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > problems:
            for title, text in self.failure_logs():
                print("---- %s ----\n%s" % (title, text))
        return outcome


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Tern:
    def __init__(self, config=None, smtpd_processes=1):
        self.root = tempfile.mkdtemp(prefix="tern-test-")
        os.chmod(self.root, 0o755)
        self.etc = os.path.join(self.root, "etc")
        self.spool = os.path.join(self.root, "spool")
        self.mail = os.path.join(self.root, "mail")
        os.makedirs(self.etc)
        os.makedirs(self.mail)
        os.chmod(self.mail, 0o755)
        # Local users' mbox files (root's gets the postmaster notices): never the system's
        # /var/mail, where a delivery cut short by a test's end leaves a dotlock that defers
        # the next test's deliveries to that user for 500 s.
        self.mail_spool = os.path.join(self.root, "var-mail")
        os.makedirs(self.mail_spool)
        os.chmod(self.mail_spool, 0o1777)
        self.smtp_port = free_port()
        self.submission_port = free_port()
        self.smtps_port = free_port()
        self.log_path = os.path.join(self.root, "master.log")
        self.process = None
        settings = {
            "myhostname": "tern.test",
            "mydomain": "test",
            "mydestination": "$myhostname, localhost",
            "smtp_listen": "127.0.0.1:%d" % self.smtp_port,
            "submission_listen": "127.0.0.1:%d" % self.submission_port,
            "smtps_listen": "",
            "spool_directory": self.spool,
            "daemon_directory": os.path.abspath(BUILD_DIR),
            "smtpd_process_count": str(smtpd_processes),
            "alias_maps": os.path.join(self.etc, "aliases"),
            "mail_spool_directory": self.mail_spool,
            "daemon_shutdown_timeout": "5s",
            "master_restart_max_backoff": "2s",
        }
        if running_as_root():
            settings["tern_user"] = "tern"
        settings.update(config or {})
        self.settings = settings
        self.write_config(settings)
        with open(os.path.join(self.etc, "aliases"), "w") as f:
            f.write("postmaster: root\n")

    # --- configuration -------------------------------------------------------------------
    def write_config(self, settings, extra_text=""):
        with open(os.path.join(self.etc, "tern.conf"), "w") as f:
            f.write("# written by ternlib.py\n")
            for name, value in settings.items():
                f.write("%s = %s\n" % (name, value))
            f.write(extra_text)

    # --- processes -------------------------------------------------------------------------
    def binary(self, name):
        return os.path.join(os.path.abspath(BUILD_DIR), name, name) if name != "ternctl" else \
            os.path.join(os.path.abspath(BUILD_DIR), "ctl", "ternctl")

    def start(self, wait=True):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [self.binary("master"), "-f", "-c", self.etc],
            stdin=subprocess.DEVNULL, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True)
        if wait:
            self.wait_running()
        return self

    def wait_running(self, timeout=15):
        def all_running():
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError("master exited with %s; log:\n%s" % (self.process.returncode, self.log()))
            rows = self.status()
            if rows is None:
                return False
            running = {r["program"] for r in rows if r["state"] == "running"}
            if not all(p in running for p in ["master"] + PROGRAMS):
                return False
            # Each child logs "daemon started" once it has dropped privileges and serves.
            log = self.log()
            ready = all("tern/%s[%d]: daemon started" % (r["program"], r["pid"]) in log
                        for r in rows if r["program"] != "master")
            return ready and rows
        return wait_for(all_running, timeout, what="all programs running")

    def ternctl(self, *args, check=False, timeout=30, input=None):
        return subprocess.run([self.binary("ternctl"), "-c", self.etc] + list(args),
                              capture_output=True, text=True, check=check, timeout=timeout, input=input)

    def status(self):
        """ternctl status as a list of dicts, or None when master does not answer."""
        result = self.ternctl("status", timeout=10)
        if result.returncode != 0:
            return None
        rows = []
        for line in result.stdout.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 5:
                rows.append({"program": fields[0], "pid": int(fields[1]), "uptime": fields[2],
                             "state": fields[3], "restarts": fields[4]})
        return rows

    def pids(self, program):
        return [r["pid"] for r in self.status() or [] if r["program"] == program and r["pid"] > 0]

    def log(self):
        return read_log(self.log_path)

    def wait_log(self, pattern, timeout=10):
        return wait_log_line(self.log_path, pattern, timeout, "log line")

    def stop(self, timeout=15):
        """SIGTERM to master; returns master's exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("master did not exit within %ss of SIGTERM" % timeout)

    def session_processes(self):
        """Pids of every live process in master's session (master and its children)."""
        if self.process is None:
            return []
        sid = self.process.pid
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid and fields[0] != "Z":
                    out.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
        return out

    def cleanup(self):
        daemon = locked_master_pid(os.path.join(self.spool, "pid", "master.pid"))
        if daemon:
            try:
                os.killpg(daemon, signal.SIGKILL)  # a master started by `ternctl start`
            except ProcessLookupError:
                pass
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            self.log_file.close()
        if os.environ.get("TERN_KEEP_TEST_DIRS") != "1":
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- tern log ----\n" + self.log()[-20000:])
        self.cleanup()


def virtual_maildir_tern(settings=None):
    """A Tern whose domain example.test has one virtual Maildir, sink@ -> example.test/sink/
    under tern.mail, owned by nobody (65534)."""
    tern = Tern()
    with open(os.path.join(tern.etc, "vmailbox"), "w") as f:
        f.write("sink@example.test example.test/sink/\n")
    os.chown(tern.mail, 65534, 65534)
    tern.settings.update({
        "virtual_mailbox_domains": "example.test",
        "virtual_mailbox_base": tern.mail,
        "virtual_mailbox_maps": os.path.join(tern.etc, "vmailbox"),
        "virtual_uid_maps": "static:65534",
        "virtual_gid_maps": "static:65534",
    })
    tern.settings.update(settings or {})
    tern.write_config(tern.settings)
    return tern


def locked_master_pid(path):
    """The pid in master's pid file while a master holds its lock, else 0."""
    import fcntl
    try:
        with open(path) as f:
            try:
                fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
                return 0
            except BlockingIOError:
                return int(f.read().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise AssertionError("no Uid line for pid %d" % pid)


def tern_uid():
    return pwd.getpwnam("tern").pw_uid


# --- queue helpers (qmgr tests) -----------------------------------------------------------------
def enqueue(tern, recipients, sender="alice@example.org", message=None, notify=None, orcpt=None,
            ret=None, age=0):
    """Writes a message into tern's queue/ as smtpd would (tests/integration/enqueue) and wakes
    qmgr; returns the queue id."""
    if message is None:
        message = b"From: <%s>\r\nTo: <%s>\r\nSubject: test message\r\nMessage-ID: <%d@test>\r\n\r\nHello.\r\n" % (
            sender.encode(), recipients[0].encode(), time.monotonic_ns())
    args = [os.path.join(os.path.abspath(BUILD_DIR), "tests", "integration", "enqueue"), tern.spool,
            "-f", sender]
    if notify:
        args += ["-N", notify]
    if orcpt:
        args += ["-O", orcpt]
    if ret:
        args += ["-R", ret]
    if age:
        args += ["-a", str(age)]
    result = subprocess.run(args + list(recipients), input=message, capture_output=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError("enqueue failed: %s" % result.stderr.decode())
    return result.stdout.decode().strip()


class SystemUsers:
    """System users made for a test (root only), each with a home directory under one new
    folder (mode 755); remove() deletes the users, their homes and the folder."""

    def __init__(self, names, prefix, shell="/usr/sbin/nologin"):
        self.names = list(names)
        self.root = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.root, 0o755)
        for user in self.names:
            subprocess.run(["userdel", "-r", user], capture_output=True)
            subprocess.run(["useradd", "-m", "-d", self.home(user), "-s", shell, user], check=True, capture_output=True)

    def home(self, user):
        return os.path.join(self.root, user)

    def remove(self):
        for user in self.names:
            subprocess.run(["userdel", "-r", user], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


def send_mail(tern, recipients, subject, sender="s@example.test"):
    """One message with this Subject through tern's smtpd; returns smtplib's refused dict."""
    body = ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nbody of %s\r\n"
            % (sender, recipients[0], subject, subject)).encode()
    with smtplib.SMTP("127.0.0.1", tern.smtp_port, timeout=20) as s:
        return s.sendmail(sender, recipients, body)


def mailq(tern):
    """Runs ternctl under the name `mailq` (argv[0] dispatch) with MAIL_CONFIG set."""
    link = os.path.join(tern.root, "mailq")
    if not os.path.exists(link):
        os.symlink(tern.binary("ternctl"), link)
    env = dict(os.environ, MAIL_CONFIG=tern.etc)
    return subprocess.run([link], capture_output=True, text=True, timeout=30, env=env)


def queue_ids(tern, subdir="queue"):
    return sorted(os.listdir(os.path.join(tern.spool, subdir)))


def append_status_record(path, index, state):
    """Appends a RecipientStatus record {index, state} to a queue file as qmgr would
    (u32 length, payload, CRC-32 over both)."""
    import struct
    import zlib

    def varint(n):
        out = b""
        while True:
            b = n & 0x7F
            n >>= 7
            if n:
                out += bytes([b | 0x80])
            else:
                return out + bytes([b])
    payload = b""
    if index:
        payload += b"\x08" + varint(index)
    if state:
        payload += b"\x10" + varint(state)
    length = struct.pack(">I", len(payload))
    with open(path, "ab") as f:
        f.write(length + payload + struct.pack(">I", zlib.crc32(length + payload)))


# --- a receiving Tern with virtual Maildirs -------------------------------------------------
def start_virtual_receiver(test_class, myhostname, listen, domains, mailboxes, make_tls):
    """Starts a Tern that takes mail for `domains` into virtual Maildirs under <root>/vmail
    (owned by nobody), STARTTLS offered with the (cert, key) that make_tls(tern) returns;
    `mailboxes` maps each address to its Maildir, relative to vmail. Stopped as a class
    cleanup of test_class. Returns (tern, vmail)."""
    tern = Tern(config={"myhostname": myhostname, "smtp_listen": listen})
    test_class.addClassCleanup(lambda: tern.__exit__(None, None, None))
    vmail = os.path.join(tern.root, "vmail")
    os.makedirs(vmail)
    nobody = pwd.getpwnam("nobody")
    os.chown(vmail, nobody.pw_uid, nobody.pw_gid)
    maps = os.path.join(tern.etc, "vmailbox")
    with open(maps, "w") as f:
        f.writelines("%s %s\n" % (address, box) for address, box in mailboxes)
    cert, key = make_tls(tern)
    tern.settings.update({"virtual_mailbox_domains": ", ".join(domains),
                          "virtual_mailbox_base": vmail, "virtual_mailbox_maps": maps,
                          "virtual_uid_maps": "static:%d" % nobody.pw_uid,
                          "virtual_gid_maps": "static:%d" % nobody.pw_gid,
                          "smtpd_tls_security_level": "may", "smtpd_tls_cert_file": cert,
                          "smtpd_tls_key_file": key})
    tern.write_config(tern.settings)
    tern.start()
    return tern, vmail


def maildir_messages(base, domain, user):
    """The messages in base/domain/user/new, oldest name first."""
    new = os.path.join(base, domain, user, "new")
    if not os.path.isdir(new):
        return []
    out = []
    for name in sorted(os.listdir(new)):
        with open(os.path.join(new, name), "rb") as f:
            out.append(f.read())
    return out


# --- lookup ------------------------------------------------------------------------------
def lookup_query(tern, request_text, timeout=40):
    """Sends lookup one LookupRequest given in protobuf text format (through the
    lookup_query helper) and returns the reply in text format; fails the test when the call
    itself fails."""
    helper = os.path.join(os.path.abspath(BUILD_DIR), "tests", "integration", "lookup_query")
    socket_path = os.path.join(tern.spool, "private", "lookup")
    result = subprocess.run([helper, socket_path, request_text], capture_output=True, text=True,
                            timeout=timeout)
    if result.returncode != 0:
        raise AssertionError("lookup_query %r: exit %d: %s" % (request_text, result.returncode, result.stderr))
    return result.stdout


class Dnsmasq:
    """dnsmasq serving a test zone on 127.0.0.1:<port>, answering only from its command-line
    records (no upstream, no /etc/hosts). `records` are dnsmasq options such as
    "--mx-host=a.example,mx.a.example,10". Stopped (and waited for) on exit."""

    def __init__(self, records, local_ttl=0):
        self.port = free_port()
        self.args = ["dnsmasq", "--keep-in-foreground", "--no-daemon", "--conf-file=/dev/null",
                     "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=127.0.0.1",
                     "--port=%d" % self.port, "--local-ttl=%d" % local_ttl, "--log-queries",
                     "--user=root" if running_as_root() else "--user=%s" % pwd.getpwuid(os.getuid()).pw_name,
                     "--pid-file="] + list(records)
        self.process = None
        self.log_path = tempfile.mktemp(prefix="dnsmasq-", suffix=".log")

    def __enter__(self):
        self.log_file = open(self.log_path, "wb")
        self.process = subprocess.Popen(self.args, stdout=self.log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)

        def answering():
            if self.process.poll() is not None:
                raise AssertionError("dnsmasq exited: %s" % self.log())
            with open(self.log_path, "rb") as f:
                return b"started, version" in f.read()
        wait_for(answering, timeout=10, what="dnsmasq to start")
        return self

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.process is not None:
            stop_process(self.process)

    def __exit__(self, *exc):
        self.stop()
        self.log_file.close()
        os.unlink(self.log_path)
