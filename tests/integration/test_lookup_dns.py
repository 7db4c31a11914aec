"""lookup's DNS answers (mx, address, tlsa) against a real DNS server -- dnsmasq serving a
test zone on a loopback port, named by dns_nameservers -- asked over lookup's IPC socket.

What smtp sees: MX hosts by preference with their addresses, equal preferences shuffled,
implicit MX, null MX, NXDOMAIN as permanent, a broken server as temporary, CNAMEs followed,
TLSA records without an AD bit from an untrusted resolver, and answers served from the TTL
cache once the server is gone.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from ternlib import Dnsmasq, Tern, free_port, lookup_query  # noqa: E402

TLSA_DATA = "ab" * 32

ZONE = [
    "--local=/example/",                                  # NXDOMAIN for unknown names here
    "--mx-host=mx.example,mx1.mx.example,10",
    "--mx-host=mx.example,mx2.mx.example,10",
    "--mx-host=mx.example,backup.mx.example,20",
    "--host-record=mx1.mx.example,127.0.0.2",
    "--host-record=mx2.mx.example,127.0.0.3",
    "--host-record=backup.mx.example,127.0.0.4,::1",
    "--host-record=implicit.example,127.0.0.5",
    "--cname=cname.example,implicit.example",
    "--mx-host=mxcname.example,mxalias.example,5",
    "--cname=mxalias.example,mx1.mx.example",
    "--dns-rr=nullmx.example,15,000000",                  # MX 0 .
    "--dns-rr=_25._tcp.mx1.mx.example,52,030101" + TLSA_DATA,
    "--server=/down.test/127.0.0.1#%d" % free_port(),     # forwards to nothing: no answer
]


def field(reply, name):
    m = re.search(r'^%s: "?(.*?)"?$' % name, reply, re.M)
    return m.group(1) if m else None


def hosts(reply):
    """[(name, preference, [addresses])] in reply order."""
    out = []
    for block in re.findall(r"hosts \{(.*?)\n\}", reply, re.S):
        name = re.search(r'name: "(.*)"', block).group(1)
        pref = re.search(r"preference: (\d+)", block)
        out.append((name, int(pref.group(1)) if pref else 0, re.findall(r'addresses: "(.*)"', block)))
    return out


class LookupDns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = Dnsmasq(ZONE, local_ttl=600).__enter__()
        cls.tern = Tern(config={"dns_nameservers": "127.0.0.1:%d" % cls.dns.port})
        cls.tern.start()

    @classmethod
    def tearDownClass(cls):
        cls.tern.__exit__(None, None, None)
        cls.dns.__exit__(None, None, None)

    def ask(self, text):
        return lookup_query(self.tern, text)

    def test_mx_by_preference_with_addresses_and_shuffled_ties(self):
        orders = set()
        for _ in range(40):
            reply = self.ask('mx { domain: "MX.example." }')
            self.assertIsNone(field(reply, "status"), reply)
            got = hosts(reply)
            self.assertEqual(sorted(got[:2]), [("mx1.mx.example", 10, ["127.0.0.2"]),
                                               ("mx2.mx.example", 10, ["127.0.0.3"])])
            self.assertEqual(got[2], ("backup.mx.example", 20, ["::1", "127.0.0.4"]))
            orders.add(tuple(h[0] for h in got))
        self.assertEqual(len(orders), 2, "equal preferences are never shuffled: %s" % orders)

    def test_implicit_mx_and_cnames(self):
        reply = self.ask('mx { domain: "implicit.example" }')
        self.assertIsNone(field(reply, "status"), reply)
        self.assertEqual(hosts(reply), [("implicit.example", 0, ["127.0.0.5"])])
        reply = self.ask('mx { domain: "cname.example" }')
        self.assertEqual(hosts(reply), [("cname.example", 0, ["127.0.0.5"])], reply)
        reply = self.ask('mx { domain: "mxcname.example" }')
        self.assertEqual(hosts(reply), [("mxalias.example", 5, ["127.0.0.2"])], reply)
        reply = self.ask('address { host: "cname.example" }')
        self.assertEqual(hosts(reply), [("cname.example", 0, ["127.0.0.5"])], reply)

    def test_null_mx_and_nxdomain_are_permanent(self):
        reply = self.ask('mx { domain: "nullmx.example" }')
        self.assertEqual(field(reply, "status"), "DNS_NULLMX", reply)
        self.assertEqual(hosts(reply), [])
        reply = self.ask('mx { domain: "no-such-domain.example" }')
        self.assertEqual(field(reply, "status"), "DNS_NOTFOUND", reply)
        self.assertIn("NXDOMAIN", field(reply, "error"))
        reply = self.ask('address { host: "no-such-host.example" }')
        self.assertEqual(field(reply, "status"), "DNS_NOTFOUND", reply)

    def test_unanswered_query_is_temporary(self):
        reply = self.ask('mx { domain: "broken.down.test" }')
        self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL", reply)
        reply = self.ask('address { host: "broken.down.test" }')
        self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL", reply)

    def test_address_literals_need_no_dns(self):
        reply = self.ask('address { host: "[192.0.2.7]" }')
        self.assertEqual(hosts(reply), [("[192.0.2.7]", 0, ["192.0.2.7"])], reply)

    def test_tlsa_without_trusted_resolver(self):
        reply = self.ask('tlsa { host: "mx1.mx.example" port: 25 }')
        self.assertIsNone(field(reply, "status"), reply)
        self.assertIn("usage: 3", reply)
        self.assertIn("selector: 1", reply)
        self.assertIn("matching: 1", reply)
        self.assertIn('data: "' + "\\253" * 32 + '"', reply)
        self.assertIsNone(field(reply, "authenticated_data"))  # dnsmasq does not validate
        reply = self.ask('tlsa { host: "mx2.mx.example" port: 25 }')
        self.assertEqual(field(reply, "status"), "DNS_NOTFOUND", reply)


class LookupDnsCache(unittest.TestCase):
    def test_answers_outlive_the_server_for_their_ttl(self):
        with Dnsmasq(ZONE, local_ttl=600) as dns, \
                Tern(config={"dns_nameservers": "127.0.0.1:%d" % dns.port}) as tern:
            tern.start()
            first = lookup_query(tern, 'mx { domain: "implicit.example" }')
            self.assertEqual(hosts(first), [("implicit.example", 0, ["127.0.0.5"])])
            negative = lookup_query(tern, 'mx { domain: "gone.example" }')
            self.assertEqual(field(negative, "status"), "DNS_NOTFOUND")
            dns.stop()
            self.assertEqual(hosts(lookup_query(tern, 'mx { domain: "implicit.example" }')), hosts(first))
            self.assertEqual(field(lookup_query(tern, 'mx { domain: "gone.example" }'), "status"), "DNS_NOTFOUND")
            # Not asked before: the server is gone, so a temporary failure.
            reply = lookup_query(tern, 'mx { domain: "mx.example" }')
            self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL", reply)

    def test_ttl_zero_is_not_cached(self):
        with Dnsmasq(ZONE, local_ttl=0) as dns, \
                Tern(config={"dns_nameservers": "127.0.0.1:%d" % dns.port}) as tern:
            tern.start()
            self.assertEqual(hosts(lookup_query(tern, 'address { host: "implicit.example" }')),
                             [("implicit.example", 0, ["127.0.0.5"])])
            dns.stop()
            reply = lookup_query(tern, 'address { host: "implicit.example" }')
            self.assertEqual(field(reply, "status"), "DNS_TEMPFAIL", reply)


if __name__ == "__main__":
    unittest.main()
