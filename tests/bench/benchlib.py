"""Shared pieces of the Tern-versus-Postfix benchmarks (compare_postfix.py,
smtpd_idle_connections.py): the release build, a Tern instance and a side Postfix instance
with equivalent settings, smtp-sink, free loopback ports in 3500-3599, and process-tree
accounting (CPU seconds and RSS from /proc).

Every process started here is stopped by its owner's stop() (callers use try/finally);
every wait is bounded and raises BenchError on timeout."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
SHARED_BENCH = os.environ.get("TERN_SHARED_BENCH", "/work/shared/bench")
PORT_RANGE = range(3500, 3600)
VUID = 5000
TERN_PROGRAMS = ["lookup", "qmgr", "local", "smtp", "smtpd"]
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def run_main(main):
    """Runs a benchmark's main(): exit 130 on Ctrl-C, 1 with the reason on a BenchError (the
    processes it started are stopped by its own finally blocks either way)."""
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; every process started was stopped")
        sys.exit(130)
    except BenchError as e:
        log("failed: %s" % e)
        sys.exit(1)


def wait_for(predicate, timeout, what, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise BenchError("timed out after %.0fs waiting for %s" % (timeout, what))


# --- build ----------------------------------------------------------------------------------
def build_release(build_dir, source_dir=SOURCE_DIR, retries=3, retry_wait=60):
    """meson setup --buildtype=release + ninja; retries a failed build (the sources may be
    mid-edit by someone else) a few times."""
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        subprocess.run(["meson", "setup", "--buildtype=release", build_dir, source_dir],
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    for attempt in range(1, retries + 1):
        result = subprocess.run(["ninja", "-C", build_dir], capture_output=True, text=True, timeout=3600)
        if result.returncode == 0:
            return
        log("build failed (attempt %d/%d):\n%s" % (attempt, retries, result.stdout[-3000:] + result.stderr[-2000:]))
        if attempt < retries:
            time.sleep(retry_wait)
    raise BenchError("the release build failed %d times" % retries)


# --- ports ----------------------------------------------------------------------------------
def free_ports(count, exclude=()):
    """`count` loopback ports in 3500-3599 that nothing listens on now."""
    found = []
    for port in PORT_RANGE:
        if port in exclude:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            return found
    raise BenchError("not enough free ports in 3500-3599")


def port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


# --- /proc accounting -------------------------------------------------------------------------
def _stat_fields(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def process_tree(root):
    """root and all its live descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = _stat_fields(int(entry))
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu_seconds(root):
    """utime+stime+cutime+cstime summed over the tree (children that exited and were reaped
    inside the tree are in their parent's cutime/cstime)."""
    ticks = 0
    for pid in process_tree(root):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks += sum(int(x) for x in fields[11:15])
    return ticks / CLK_TCK


def tree_kib(root, proc_file, field):
    """Sum over ROOT's process tree of a "<field> N kB" line of /proc/PID/<proc_file>."""
    total = 0
    for pid in process_tree(root):
        try:
            with open("/proc/%d/%s" % (pid, proc_file)) as f:
                for line in f:
                    if line.startswith(field):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def tree_rss_kib(root):
    return tree_kib(root, "status", "VmRSS:")


def read_text(path):
    """A log file's text so far ("" before it exists)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def count_files(*dirs):
    n = 0
    for top in dirs:
        for _, _, files in os.walk(top):
            n += len(files)
    return n


def count_maildir_new(root):
    """Messages in ROOT/*/new (the virtual mailboxes)."""
    n = 0
    try:
        boxes = os.scandir(root)
    except FileNotFoundError:
        return 0
    with boxes:
        for box in boxes:
            try:
                with os.scandir(os.path.join(box.path, "new")) as it:
                    n += sum(1 for e in it if not e.name.startswith("."))
            except (FileNotFoundError, NotADirectoryError):
                pass
    return n


def trash_dir(work_dir):
    """Where the benchmark puts what it retires: WORK_DIR/trash, beside the instances."""
    return os.path.join(work_dir, "trash")


def move_to_trash(path, trash, label):
    """Renames PATH into TRASH (same file system) under LABEL and a unique suffix: how the
    benchmark clears anything before a run (see retire_dir)."""
    os.makedirs(trash, exist_ok=True)
    os.rename(path, os.path.join(trash, "%s-%d" % (label, time.time_ns())))


def retire_dir(path, trash):
    """Empties PATH for the next run by renaming it into TRASH (same file system) and making it
    again with its mode and owner. Deleting thousands of mailbox files right before a run would
    slow that run: ext4 without a journal (this machine's) skips inodes freed in the last 60 to
    300 seconds when it creates a file, scanning past every one, so each new file would pay for
    the deletions. A mail server does not delete its mailboxes' mail in bulk as load starts;
    the trash is emptied once, after all runs (empty_trash)."""
    st = os.stat(path)
    move_to_trash(path, trash, os.path.basename(path))
    os.mkdir(path, st.st_mode & 0o7777)
    os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, st.st_mode & 0o7777)


def isolate_subdirectories(path):
    """Marks PATH as a top of directory hierarchies for ext4's Orlov allocator (chattr +T), so
    that each directory made in it afterwards, and so each MTA instance's files, gets a block
    group of its own instead of its parent's. Without it Tern's and Postfix's instances share
    one: ext4 without a journal (this machine's) makes every file creation skip, one lookup
    each, the inodes freed in that group in the last 5 to 300 seconds, and Postfix frees two or
    three per message, so a Tern run after a Postfix run paid for Postfix's deletions. On a
    real server one MTA has the spool to itself. Returns True when it set the flag just now
    (directories made in PATH before then are still in its group), False when it was set
    already or cannot be set (not ext4)."""
    flags = subprocess.run(["lsattr", "-d", path], capture_output=True, text=True).stdout.split(" ")[0]
    if "T" in flags:
        return False
    return subprocess.run(["chattr", "+T", path], capture_output=True, text=True).returncode == 0


def empty_trash(trash):
    shutil.rmtree(trash, ignore_errors=True)


def vmailbox_lines(count):
    """The virtual_mailbox_maps text peer-postfix.sh generates: "<n>u@bench.test u<n%1000>/"
    for n < count, "u<k>@bench.test u<k>/", and a catch-all."""
    out = ["%du@bench.test\tu%d/\n" % (i, i % 1000) for i in range(count)]
    out += ["u%d@bench.test\tu%d/\n" % (k, k) for k in range(1000)]
    out.append("@bench.test\tcatchall/\n")
    return "".join(out)


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --- Tern ----------------------------------------------------------------------------------
class TernInstance:
    """master -f -c DIR/etc with a spool, virtual Maildirs for bench.test under DIR/maildirs
    and relayhost [127.0.0.1]:sink_port; log in DIR/master.log (master's stderr)."""
    name = "tern"

    def __init__(self, build_dir, root, port, sink_port, map_count=200001, extra=None):
        self.build = os.path.abspath(build_dir)
        self.root = root
        self.port = port
        self.etc = os.path.join(root, "etc")
        self.spool = os.path.join(root, "spool")
        self.maildirs = os.path.join(root, "maildirs")
        self.log_path = os.path.join(root, "master.log")
        self.process = None
        self.log_file = None
        if os.path.exists(root):  # renamed, not deleted: see retire_dir
            move_to_trash(root, trash_dir(os.path.dirname(root)), "tern")
        for d in (self.etc, self.maildirs):
            os.makedirs(d)
        os.chmod(root, 0o755)
        os.chown(self.maildirs, VUID, VUID)
        with open(os.path.join(self.etc, "aliases"), "w") as f:
            f.write("postmaster: root\n")
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            f.write(vmailbox_lines(map_count))
        settings = {
            "myhostname": "bench-tern.localdomain",
            "mydomain": "localdomain",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "inet_interfaces": "127.0.0.1",
            "smtp_listen": "127.0.0.1:%d" % port,
            "submission_listen": "",
            "smtps_listen": "",
            "spool_directory": self.spool,
            "daemon_directory": self.build,
            "tern_user": "tern",
            "alias_maps": os.path.join(self.etc, "aliases"),
            "virtual_mailbox_domains": "bench.test",
            "virtual_mailbox_base": self.maildirs,
            "virtual_mailbox_maps": os.path.join(self.etc, "vmailbox"),
            "virtual_uid_maps": "static:%d" % VUID,
            "virtual_gid_maps": "static:%d" % VUID,
            "virtual_minimum_uid": "100",
            "relayhost": "[127.0.0.1]:%d" % sink_port,
            "smtp_bind_address": "127.0.0.1",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
        }
        settings.update(extra or {})
        with open(os.path.join(self.etc, "tern.conf"), "w") as f:
            f.write("# written by tests/bench/benchlib.py\n")
            for key, value in settings.items():
                f.write("%s = %s\n" % (key, value))

    def ternctl(self, *args, timeout=10):
        return subprocess.run([os.path.join(self.build, "ctl", "ternctl"), "-c", self.etc] + list(args),
                              capture_output=True, text=True, timeout=timeout)

    def log(self):
        return read_text(self.log_path)

    def start(self, timeout=30):
        self.log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen([os.path.join(self.build, "master", "master"), "-f", "-c", self.etc],
                                        stdin=subprocess.DEVNULL, stdout=self.log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)

        def ready():
            if self.process.poll() is not None:
                raise BenchError("tern master exited (%s); log:\n%s" % (self.process.returncode, self.log()[-3000:]))
            result = self.ternctl("status")
            if result.returncode != 0:
                return False
            rows = [line.split() for line in result.stdout.splitlines()[1:]]
            running = {r[0]: int(r[1]) for r in rows if len(r) >= 4 and r[3] == "running"}
            if not all(p in running for p in TERN_PROGRAMS):
                return False
            text = self.log()
            return all("[%d]: daemon started" % pid in text for p, pid in running.items() if p != "master") \
                and port_open(self.port)
        wait_for(ready, timeout, "tern to start")
        return self

    def root_pid(self):
        return self.process.pid

    def queue_files(self):
        return count_files(os.path.join(self.spool, "incoming"), os.path.join(self.spool, "queue"))

    def reset_maildirs(self):
        retire_dir(self.maildirs, trash_dir(os.path.dirname(self.root)))

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                log("tern master did not stop within 20s; killing its session")
        kill_group(self.process.pid)  # anything left in master's session
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.process = None
        self.log_file.close()


# --- Postfix --------------------------------------------------------------------------------
class PostfixInstance:
    """A side Postfix instance made by /work/shared/bench/peer-postfix.sh (never the system
    one): same domains, mailbox map, relayhost and fsync behaviour as TernInstance."""
    name = "postfix"

    def __init__(self, root, port, sink_port, map_count=200001, smtpd_maxproc=600):
        self.root = root
        self.port = port
        self.sink_port = sink_port
        self.maildirs = os.path.join(root, "maildirs")
        self.queue = os.path.join(root, "queue")
        self.log_path = os.path.join(root, "log", "maillog")
        self.env = dict(os.environ, VUID=str(VUID), MAPN=str(map_count), SMTPD_MAXPROC=str(smtpd_maxproc))
        self.started = False
        trash = trash_dir(os.path.dirname(root))
        for d in ("queue", "maildirs", "log"):  # a fresh queue; etc/ stays (its hashed map is slow to build)
            if os.path.exists(os.path.join(root, d)):  # renamed, not deleted: see retire_dir
                move_to_trash(os.path.join(root, d), trash, "postfix-" + d)

    def _script(self, command, timeout=300):
        return subprocess.run([os.path.join(SHARED_BENCH, "peer-postfix.sh"), command, self.root,
                               str(self.port), str(self.sink_port)],
                              env=self.env, capture_output=True, text=True, timeout=timeout)

    def log(self):
        return read_text(self.log_path)

    def start(self, timeout=300):
        self.started = True
        result = self._script("start", timeout)
        if result.returncode != 0:
            raise BenchError("peer-postfix.sh start failed:\n%s%s" % (result.stdout, result.stderr))
        wait_for(self.root_pid, 10, "postfix master pid")
        return self

    def root_pid(self):
        try:
            with open(os.path.join(self.queue, "pid", "master.pid")) as f:
                pid = int(f.read().strip() or 0)
        except (OSError, ValueError):
            return 0
        return pid if os.path.exists("/proc/%d" % pid) else 0

    def queue_files(self):
        return count_files(*(os.path.join(self.queue, d) for d in ("maildrop", "incoming", "active", "deferred")))

    def reset_maildirs(self):
        retire_dir(self.maildirs, trash_dir(os.path.dirname(self.root)))

    def stop(self):
        if not self.started:
            return
        pid = self.root_pid()
        self._script("stop", 60)
        if pid:
            try:
                wait_for(lambda: not os.path.exists("/proc/%d" % pid), 20, "postfix master to exit")
            except BenchError:
                log("postfix master %d still running; killing its process group" % pid)
                kill_group(pid)
        self.started = False


# --- smtp-sink ------------------------------------------------------------------------------
class SmtpSink:
    """smtp-sink on 127.0.0.1:port with a running message counter (-c) in a file."""

    def __init__(self, port, out_path):
        self.port = port
        self.out_path = out_path
        self.process = None

    def start(self):
        self.out = open(self.out_path, "wb")
        self.process = subprocess.Popen(["smtp-sink", "-u", "nobody", "-4", "-c", "-m", "1000",
                                         "127.0.0.1:%d" % self.port, "1024"],
                                        stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_for(lambda: self.process.poll() is not None or port_open(self.port), 10, "smtp-sink to listen")
        if self.process.poll() is not None:
            raise BenchError("smtp-sink exited: %s" % open(self.out_path, "rb").read()[-500:])
        return self

    def messages(self):
        """The last mesg=N counter smtp-sink printed."""
        with open(self.out_path, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 400))
            tail = f.read().decode("ascii", "replace")
        i = tail.rfind("mesg=")
        if i < 0:
            return 0
        digits = ""
        for ch in tail[i + 5:]:
            if not ch.isdigit():
                break
            digits += ch
        return int(digits or 0)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
            self.out.close()
