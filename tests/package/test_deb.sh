#!/usr/bin/env bash
# Builds Tern's .deb with dpkg-buildpackage, runs lintian on it, installs it with apt into a
# clean Debian 12 root (debootstrap) and checks what an administrator would find: files and
# links in place, a working rpath for BoringSSL, `ternctl config check` passing, the tern
# user, the spool's owners and modes, and a start/status/stop of the installed programs.
#
# Slow (a full build plus a debootstrap: 10+ minutes on 2 cores), so it is not a meson
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
work=$(mktemp -d /tmp/tern-deb-XXXXXX)
root="$work/root"
mounted=""
cleanup() {
  [ -n "$mounted" ] && umount "$root/proc" 2>/dev/null || true
  if [ "${TERN_DEB_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap, chroot, dpkg)"
for tool in dpkg-buildpackage dh lintian debootstrap readelf; do
  command -v "$tool" >/dev/null || fail "$tool missing: apt-get install dpkg-dev debhelper lintian debootstrap binutils"
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

step "lintian"
lintian --tag-display-limit 0 "$deb" > "$work/lintian.log" 2>&1 || true
cat "$work/lintian.log"
if grep -q '^E:' "$work/lintian.log"; then fail "lintian reports errors"; fi

step "a clean Debian 12 root"
if [ -n "${TERN_DEB_ROOT_TGZ:-}" ] && [ -f "$TERN_DEB_ROOT_TGZ" ]; then
  mkdir "$root" && tar -C "$root" -xzf "$TERN_DEB_ROOT_TGZ"
else
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian > "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; fail "debootstrap failed"; }
  [ -n "${TERN_DEB_ROOT_TGZ:-}" ] && tar -C "$root" -czf "$TERN_DEB_ROOT_TGZ" .
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc" && mounted=1
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

step "install with apt (dependencies from Debian's mirror)"
cp "$deb" "$root/tmp/"
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/'"$(basename "$deb")" \
    > "$work/install.log" 2>&1 || { tail -30 "$work/install.log"; fail "apt-get install failed"; }

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

step "the tern user and the spool"
in_root getent passwd tern >/dev/null || fail "no tern user"
check_mode() {  # path owner:group mode
  got=$(in_root stat -c '%U:%G %a' "$1")
  [ "$got" = "$2 $3" ] || fail "$1 is $got, want $2 $3"
}
check_mode /var/spool/tern root:root 755
for d in incoming queue hold corrupt private; do check_mode "/var/spool/tern/$d" tern:tern 700; done
check_mode /var/spool/tern/public tern:tern 755
check_mode /var/spool/tern/maildrop tern:tern 1733
check_mode /var/spool/tern/pid root:root 755

step "ternctl config check"
in_root ternctl config check || fail "config check of the installed tern.conf fails"
in_root ternctl --help | grep -q import-postfix || fail "ternctl --help lacks import-postfix"

step "start, status, stop (on spare loopback ports: the host's network is shared)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$root/tmp/tc"
{ cat "$root/etc/tern/tern.conf"; printf 'smtp_listen = 127.0.0.1:%s\nsubmission_listen =\nsmtps_listen =\nmyhostname = tern.test\n' "$port"; } \
    > "$root/tmp/tc/tern.conf"
cp "$root/etc/tern/aliases" "$root/tmp/tc/aliases"
in_root ternctl -c /tmp/tc start || fail "ternctl start fails"
ok=""
for _ in $(seq 1 50); do
  if in_root ternctl -c /tmp/tc status > "$work/status" 2>&1 && [ "$(grep -c running "$work/status")" -ge 6 ]; then ok=1; break; fi
  sleep 0.2
done
cat "$work/status"
banner=$(timeout 5 python3 -c "import socket; s=socket.create_connection(('127.0.0.1',$port),3); print(s.recv(200).decode().strip())" || true)
echo "banner: $banner"
in_root ternctl -c /tmp/tc stop || fail "ternctl stop fails"
[ -n "$ok" ] || fail "not every program was running"
case "$banner" in 220*) ;; *) fail "no 220 greeting on port $port";; esac

echo "PASS: $deb"
