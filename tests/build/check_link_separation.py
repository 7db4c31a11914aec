"""Build check: no executable may load both BoringSSL and OpenSSL 3 (which ldns links).

Their symbols clash in one process (DESIGN.md §1), so TLS lives only in smtpd/smtp and DNS
only in lookup. This reads each program's full dependency closure with ldd and fails when
one closure holds both libraries; it also fails when a program loads a library its role
forbids (ldns outside lookup, BoringSSL outside smtpd and smtp).
"""
import os
import subprocess
import sys

build = sys.argv[1]
programs = {
    "master/master": set(), "qmgr/qmgr": set(), "local/local": set(), "ctl/ternctl": set(),
    "lookup/lookup": {"dns"}, "smtpd/smtpd": {"tls"}, "smtp/smtp": {"tls"},
}


def loaded(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.splitlines():
        target = line.split("=>")[-1].strip().split(" ")[0]
        name = os.path.basename(target)
        if "/android/" in target and name.startswith(("libssl", "libcrypto")):
            found.add("tls")
        elif name.startswith(("libssl.so.3", "libcrypto.so.3")):
            found.add("openssl3")
        elif name.startswith("libldns"):
            found.add("dns")
    return found


failures = []
for rel, allowed in programs.items():
    path = os.path.join(build, rel)
    if not os.path.exists(path):
        failures.append("%s: not built" % rel)
        continue
    libs = loaded(path)
    if "tls" in libs and ({"dns", "openssl3"} & libs):
        failures.append("%s loads both BoringSSL and OpenSSL 3/ldns: %s" % (rel, sorted(libs)))
    extra = {lib for lib in libs if lib in ("tls", "dns") and lib not in allowed}
    if extra:
        failures.append("%s loads %s, which its role forbids" % (rel, sorted(extra)))
    print("%-16s %s" % (rel, ", ".join(sorted(libs)) or "-"))

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
