"""ternctl import-postfix, as an administrator switching from Postfix uses it.

The main.cf that Debian 12's postfix package writes ("Internet Site") and a hand-written one
with virtual domains, a relayhost and TLS (tests/unit/import_postfix/) are converted with the
real ternctl; each printed tern.conf is then checked with `ternctl -c DIR config check`.
"""
import os
import shutil
import subprocess
import tempfile
import unittest

from ternlib import Tern  # noqa: F401  (BUILD_DIR resolution lives there)
import ternlib

SOURCE_DIR = os.environ.get("TERN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(os.path.abspath(SOURCE_DIR), "tests", "unit", "import_postfix")
TERNCTL = os.path.join(os.path.abspath(ternlib.BUILD_DIR), "ctl", "ternctl")


def ternctl(*args, config_dir=None):
    argv = [TERNCTL] + (["-c", config_dir] if config_dir else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


class ImportPostfixTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tern-import-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def import_and_check(self, fixture):
        """Converts FIXTURES/fixture/main.cf; returns (tern.conf text, config check result)."""
        result = ternctl("import-postfix", os.path.join(FIXTURES, fixture, "main.cf"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        with open(os.path.join(self.dir, "tern.conf"), "w") as f:
            f.write(result.stdout)
        check = ternctl("config", "check", config_dir=self.dir)
        return result.stdout, check

    def test_debian_default_main_cf_passes_config_check(self):
        text, check = self.import_and_check("debian12")
        self.assertEqual(check.returncode, 0, check.stderr + "\n" + text)
        self.assertIn("tern.conf: ok", check.stdout)
        self.assertNotIn("error", check.stderr.lower())
        self.assertIn("smtpd_tls_cert_file=/etc/ssl/certs/ssl-cert-snakeoil.pem\n", text)
        self.assertIn("# import-postfix: not carried over: Postfix's backwards-compatibility", text)
        self.assertIn("\nsmtp_listen = 0.0.0.0:25 [::]:25\n", text)
        self.assertIn("\nsubmission_listen =\n", text)

    def test_virtual_relayhost_tls_main_cf_passes_config_check(self):
        text, check = self.import_and_check("virtual")
        self.assertEqual(check.returncode, 0, check.stderr + "\n" + text)
        self.assertNotIn("error", check.stderr.lower())
        shown = ternctl("config", "show", "relayhost", "virtual_mailbox_base", "smtps_listen",
                        "spool_directory", config_dir=self.dir)
        self.assertEqual(shown.returncode, 0, shown.stderr)
        self.assertEqual(shown.stdout.splitlines(), [
            "relayhost = [smtp.provider.example]:587",
            "smtps_listen = 127.0.0.1:465 192.0.2.10:465",
            "spool_directory = /var/spool/tern",
            "virtual_mailbox_base = /srv/vmail",
        ])

    def test_missing_main_cf_is_reported(self):
        result = ternctl("import-postfix", os.path.join(self.dir, "no-such-main.cf"))
        self.assertEqual(result.returncode, 66)
        self.assertIn("no-such-main.cf: No such file or directory", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_usage(self):
        result = ternctl("import-postfix", "a", "b")
        self.assertEqual(result.returncode, 64)
        self.assertIn("usage: ternctl import-postfix", result.stderr)


if __name__ == "__main__":
    unittest.main()
