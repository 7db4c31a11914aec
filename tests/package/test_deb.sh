#!/usr/bin/env bash
# Builds Tern's .deb with dpkg-buildpackage, runs lintian on it, installs it with apt into a
# clean Debian 12 root (debootstrap) and checks what an administrator would find: files and
# links in place, a working rpath for BoringSSL, `ternctl config check` passing, a valid
# systemd unit, the tern user, the spool's owners and modes. Then, with Debian's mailutils
# installed beside it and Tern started by `ternctl start` with the installed tern.conf (in a
# network namespace of its own, so port 25 is Tern's and nothing leaves loopback):
# `mail -s SUBJECT alice` lands in /var/mail/alice, the log says status=sent, `mailq` is
# empty, `ternctl stop` leaves no process in the root, and `apt-get purge tern` stops a
# running Tern and removes it. A second root with postfix installed checks that installing
# the .deb replaces postfix (Conflicts/Replaces: mail-transport-agent).
#
# Slow (a full build plus a debootstrap: 10-20 minutes on 2 cores), so it is not a meson
# test; run it by hand as root:
#   tests/package/test_deb.sh
# Environment:
#   TERN_DEB_ROOT_TGZ=FILE  a tarball of a `debootstrap --variant=minbase bookworm` root to
#                           start from (made and kept at FILE if it does not exist yet)
#   TERN_DEB_CHECK=1        also run the unit tests during the package build
#   TERN_DEB_KEEP=1         keep the work directory (printed at the end)
#   TERN_DEB_FILE=FILE      test this already built .deb instead of building one
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(realpath "$(mktemp -d /tmp/tern-deb-XXXXXX)")
root="$work/root"          # the clean root: install, mail, purge
pf_root="$work/pf-root"    # a root with postfix, for the replacement
ns="tern-deb-$$"           # network namespace Tern runs in
ns_made=""
syslog_pid=""
mounted=()

procs_in() {  # pids of the processes whose root directory is $1
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$1" ] && echo "${p#/proc/}"
  done
  return 0
}
show_procs() { ps -o pid=,user=,args= -p "$(echo "$@" | tr ' ' ,)" 2>/dev/null || true; }
cleanup() {
  local r pids
  for r in "${mounted[@]}"; do
    # Only processes this script started live in its roots; end them by pid.
    pids=$(procs_in "$r")
    if [ -n "$pids" ]; then
      kill $pids 2>/dev/null || true; sleep 1
      pids=$(procs_in "$r"); [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
    fi
    umount "$r/proc" 2>/dev/null || true
  done
  [ -n "$syslog_pid" ] && kill "$syslog_pid" 2>/dev/null
  [ -n "$ns_made" ] && ip netns delete "$ns" 2>/dev/null
  if [ "${TERN_DEB_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }
wait_for() {  # tenths-of-a-second bound, then a command; true once the command succeeds
  local bound=$1; shift
  for _ in $(seq 1 "$bound"); do "$@" && return 0; sleep 0.1; done
  return 1
}

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap, chroot, dpkg, ip netns)"
for tool in dpkg-buildpackage dh lintian debootstrap readelf ip python3 ps; do
  command -v "$tool" >/dev/null || fail "$tool missing: apt-get install dpkg-dev debhelper lintian debootstrap binutils iproute2 python3 procps"
done

if [ -n "${TERN_DEB_FILE:-}" ]; then
  deb=$(realpath "$TERN_DEB_FILE")
else
  step "build the package from a copy of $src"
  mkdir "$work/src"
  tar -C "$src" --exclude=./.git --exclude=./build --exclude=./dev --exclude='./obj-*' \
      --exclude=./debian/tern --exclude=./debian/.debhelper -cf - . | tar -C "$work/src" -xf -
  opts="nocheck"
  [ "${TERN_DEB_CHECK:-0}" = 1 ] && opts=""
  (cd "$work/src" && DEB_BUILD_OPTIONS="$opts parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
      > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "dpkg-buildpackage failed"; }
  deb=$(ls "$work"/tern_*_amd64.deb)
fi
echo "built $deb"
debname=$(basename "$deb")

step "lintian"
lintian --tag-display-limit 0 "$deb" > "$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
if grep -q '^E:' "$work/lintian.log"; then fail "lintian reports errors"; fi
echo "lintian: $(grep -c '^E:' "$work/lintian.log" || true) errors, $(grep -c '^W:' "$work/lintian.log" || true) warnings"

step "a clean Debian 12 root"
tgz=${TERN_DEB_ROOT_TGZ:-$work/root.tgz}
if [ ! -f "$tgz" ]; then
  debootstrap --variant=minbase bookworm "$work/bootstrap" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  tar -C "$work/bootstrap" -czf "$tgz" . && rm -rf "$work/bootstrap"
fi
make_root() {  # a fresh root at $1 from the tarball, /proc mounted, no service starts
  mkdir "$1" && tar -C "$1" -xzf "$tgz"
  cp /etc/resolv.conf "$1/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' > "$1/usr/sbin/policy-rc.d" && chmod +x "$1/usr/sbin/policy-rc.d"
  mount -t proc proc "$1/proc" && mounted+=("$1")
  cp "$deb" "$1/tmp/"
}
make_root "$root"
in_chroot() {  # root, then a command run there with a clean environment
  local r=$1; shift
  chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root "$@"
}
in_root() { in_chroot "$root" "$@"; }
apt_in() {  # root, log name, apt-get arguments (output kept in the log, shown on failure)
  local r=$1 log="$work/$2.log"; shift 2
  in_chroot "$r" env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@" > "$log" 2>&1 \
      || { tail -30 "$log"; fail "apt-get $* failed"; }
}

step "install with apt (dependencies from Debian's mirror)"
in_root apt-get update -qq > "$work/update.log" 2>&1 || { tail -20 "$work/update.log"; fail "apt-get update failed"; }
apt_in "$root" install install "/tmp/$debname"

step "files in place"
for f in /usr/lib/tern/master /usr/lib/tern/smtpd /usr/lib/tern/qmgr /usr/lib/tern/smtp \
         /usr/lib/tern/local /usr/lib/tern/lookup /usr/sbin/ternctl /etc/tern/tern.conf \
         /etc/tern/aliases /lib/systemd/system/tern.service /usr/share/man/man8/ternctl.8.gz \
         /usr/share/man/man5/tern.conf.5.gz /usr/share/man/man1/sendmail.1.gz; do
  [ -e "$root$f" ] || fail "$f missing"
done
for l in /usr/sbin/sendmail /usr/bin/mailq /usr/bin/newaliases /usr/lib/sendmail; do
  [ "$(readlink -f "$root$l")" = "$root/usr/sbin/ternctl" ] || fail "$l is not a link to ternctl"
done
in_root dpkg-query -W -f='${Conffiles}\n' tern | grep -q '/etc/tern/tern.conf' || fail "tern.conf is not a conffile"
in_root dpkg-query -W -f='${Conffiles}\n' tern | grep -q '/etc/tern/aliases' || fail "aliases is not a conffile"
in_root dpkg-query -W -f='${Provides}\n' tern | grep -q 'mail-transport-agent' || fail "no Provides: mail-transport-agent"

step "every program finds its libraries (BoringSSL through its rpath)"
for p in master smtpd qmgr smtp local lookup; do
  if in_root ldd "/usr/lib/tern/$p" | grep -q 'not found'; then
    in_root ldd "/usr/lib/tern/$p"; fail "/usr/lib/tern/$p: a library is not found"
  fi
done
in_root ldd /usr/sbin/ternctl | grep -q 'not found' && fail "ternctl: a library is not found"
echo "rpath/runpath: $(readelf -d "$root/usr/lib/tern/smtpd" | grep -iE 'rpath|runpath' || echo none)"

step "the systemd unit"
if command -v systemd-analyze >/dev/null; then
  # The root has no systemd (minbase): the host's systemd-analyze reads the unit from the
  # root and checks its syntax and that its Exec programs exist there. That the root lacks
  # systemd's own targets (sysinit.target, ...) is the only complaint allowed.
  systemd-analyze verify --man=no --root="$root" tern.service > "$work/verify.log" 2>&1 || true
  cat "$work/verify.log"
  if grep -v -E 'Unit [a-z-]+\.target not found\.$' "$work/verify.log" | grep -q .; then
    fail "systemd-analyze verify complains about tern.service"
  fi
  echo "systemd-analyze verify: tern.service ok"
else
  echo "systemd-analyze not found: unit not verified"
fi
grep -q '^ExecStart=/usr/sbin/ternctl start$' "$root/lib/systemd/system/tern.service" || fail "tern.service does not start through ternctl"

step "the tern user and the spool"
in_root getent passwd tern >/dev/null || fail "no tern user"
check_mode() {  # path owner:group mode
  got=$(in_root stat -c '%U:%G %a' "$1")
  [ "$got" = "$2 $3" ] || fail "$1 is $got, want $2 $3"
}
check_mode /var/spool/tern root:root 755
for d in incoming queue hold corrupt private; do check_mode "/var/spool/tern/$d" tern:tern 700; done
check_mode /var/spool/tern/public tern:tern 755
check_mode /var/spool/tern/maildrop tern:tern 3733
check_mode /var/spool/tern/pid root:root 755

step "ternctl config check"
in_root ternctl config check || fail "config check of the installed tern.conf fails"
in_root ternctl --help | grep -q import-postfix || fail "ternctl --help lacks import-postfix"

step "Debian's mailutils beside Tern (Tern stays the MTA)"
apt_in "$root" mailutils install mailutils
in_root dpkg-query -W -f='${db:Status-Abbrev}' tern | grep -q '^ii' || fail "installing mailutils removed tern"
in_root dpkg-query -W -f='${db:Status-Abbrev}\n' 'exim4*' 2>/dev/null | grep -q '^ii' && fail "installing mailutils pulled in exim4"
[ -x "$root/usr/bin/mail" ] || fail "mailutils installed no /usr/bin/mail"

step "start with the installed tern.conf, in a network namespace of its own"
ip netns add "$ns" && ns_made=1
ip -n "$ns" link set lo up
in_ns() { ip netns exec "$ns" chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 HOME=/root "$@"; }
# A syslog socket for the root: Tern started by ternctl logs there, in Postfix's shape.
python3 - "$root/dev/log" "$work/maillog" <<'PY' &
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
if os.path.lexists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
PY
syslog_pid=$!
wait_for 50 test -S "$root/dev/log" || fail "no syslog socket at $root/dev/log"
in_ns ternctl start > "$work/start.log" 2>&1 || { cat "$work/start.log"; fail "ternctl start fails"; }
cat "$work/start.log"
all_running() { in_ns ternctl status > "$work/status" 2>&1 && [ "$(grep -c ' running ' "$work/status")" -ge 6 ]; }
wait_for 100 all_running || { cat "$work/status"; fail "not every program is running"; }
cat "$work/status"
greeting() {  # port: the first line the server sends on 127.0.0.1:port in Tern's namespace
  ip netns exec "$ns" timeout 10 python3 -c \
      "import socket; s=socket.create_connection(('127.0.0.1',$1),5); print(s.recv(512).decode(errors='replace').splitlines()[0])" || true
}
for port in 25 587; do
  banner=$(greeting "$port")
  echo "port $port: $banner"
  case "$banner" in 220*) ;; *) fail "no 220 greeting on port $port";; esac
done

step "mail(1) from mailutils through /usr/sbin/sendmail into a local mbox"
in_root useradd -m -s /bin/sh alice
token="tern-deb-$$-$(date +%s)"
mbox=/var/mail/alice
printf 'Hello Alice,\nthis is %s.\n' "$token" \
    | in_ns timeout 30 mail -s "package test $token" alice || fail "mail(1) failed"
wait_for 300 grep -q "this is $token\." "$root$mbox" \
    || { tail -30 "$work/maillog"; in_ns mailq || true; fail "no message in $mbox within 30 s"; }
echo "--- $mbox"; cat "$root$mbox"; echo "---"
head -1 "$root$mbox" | grep -q '^From ' || fail "$mbox does not start with an mbox From line"
grep -qx "Subject: package test $token" "$root$mbox" || fail "$mbox lacks the subject"
[ "$(grep -c "this is $token\." "$root$mbox")" = 1 ] || fail "$mbox holds the message more than once"
check_mode "$mbox" alice:alice 600
mailq_empty() { in_ns mailq > "$work/mailq" 2>&1 && grep -qx 'Mail queue is empty' "$work/mailq"; }
wait_for 100 mailq_empty || { cat "$work/mailq"; fail "mailq is not empty after delivery"; }
echo "mailq: $(cat "$work/mailq")"
sent() { grep -E "to=<alice@[^>]*>.*status=sent" "$work/maillog"; }
wait_for 50 sent >/dev/null || { tail -30 "$work/maillog"; fail "no status=sent line for alice in the log"; }
echo "log: $(sent | tail -1)"

step "ternctl stop leaves no process in the root"
in_ns ternctl stop || fail "ternctl stop fails"
no_procs() { [ -z "$(procs_in "$root")" ]; }
wait_for 100 no_procs || { show_procs $(procs_in "$root"); fail "processes left in the root after ternctl stop"; }
in_ns ternctl status > /dev/null 2>&1 && fail "ternctl status says running after stop"
echo "no process left"

step "apt-get purge tern stops a running Tern"
in_ns ternctl start > "$work/start2.log" 2>&1 || { cat "$work/start2.log"; fail "second ternctl start fails"; }
wait_for 100 all_running || { cat "$work/status"; fail "not every program is running (second start)"; }
[ -n "$(procs_in "$root")" ] || fail "no process in the root after the second start"
apt_in "$root" purge purge tern
cat "$work/purge.log" | grep -i -E 'tern|stop' || true
wait_for 50 no_procs || { show_procs $(procs_in "$root"); fail "processes left in the root after apt-get purge tern"; }
in_root dpkg-query -W -f='${db:Status-Abbrev}' tern 2>/dev/null | grep -q '^[ir]' \
    && fail "tern still known to dpkg after purge: $(in_root dpkg-query -W -f='${db:Status-Abbrev}' tern)"
for f in /var/spool/tern /etc/tern /usr/sbin/ternctl /usr/sbin/sendmail /usr/lib/tern; do
  [ -e "$root$f" ] && fail "$f is still there after purge"
done
echo "purged: no process, no spool, no /etc/tern"

step "installing over postfix replaces it"
make_root "$pf_root"
in_chroot "$pf_root" apt-get update -qq > "$work/pf-update.log" 2>&1 || { tail -20 "$work/pf-update.log"; fail "apt-get update failed"; }
echo "postfix postfix/main_mailer_type select No configuration" | in_chroot "$pf_root" debconf-set-selections
apt_in "$pf_root" pf-postfix install postfix
in_chroot "$pf_root" dpkg-query -W -f='${db:Status-Abbrev}' postfix | grep -q '^ii' || fail "postfix did not install"
[ "$(readlink -f "$pf_root/usr/sbin/sendmail")" = "$pf_root/usr/sbin/sendmail" ] || fail "postfix's sendmail is not in place"
apt_in "$pf_root" pf-tern install "/tmp/$debname"
grep -A3 'REMOVED' "$work/pf-tern.log" || fail "apt did not say it removes postfix"
in_chroot "$pf_root" dpkg-query -W -f='${db:Status-Abbrev}' postfix | grep -q '^ii' && fail "postfix is still installed beside tern"
in_chroot "$pf_root" dpkg-query -W -f='${db:Status-Abbrev}' tern | grep -q '^ii' || fail "tern is not installed"
[ "$(readlink -f "$pf_root/usr/sbin/sendmail")" = "$pf_root/usr/sbin/ternctl" ] || fail "/usr/sbin/sendmail is not tern's after replacing postfix"
in_chroot "$pf_root" ternctl config check || fail "config check fails after replacing postfix"
echo "postfix: $(in_chroot "$pf_root" dpkg-query -W -f='${db:Status-Abbrev}' postfix) (removed), tern installed"

echo "PASS: $deb"
