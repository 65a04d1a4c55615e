#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_dns_msg into tests/fuzz/corpus/dns_msg/:
small, mostly valid DNS messages of the shapes resolvers send (compression,
CNAME chains, SOA, glue, OPT, truncation), plus a few broken ones.
Usage: tests/fuzz/gen_corpus.py [DIR]"""
import base64
import os
import struct
import sys

QR, AA, TC, RD, RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
A, NS, CNAME, SOA, MX, TXT, AAAA, OPT = 1, 2, 5, 6, 15, 16, 28, 41


class Msg:
    def __init__(self, ident, flags, counts):
        self.b = bytearray(struct.pack(">6H", ident, flags, *counts))

    def labels(self, name):
        at = len(self.b)
        for label in name.split("."):
            if label:
                self.b += bytes([len(label)]) + label.encode()
        return at

    def name(self, name):
        at = self.labels(name)
        self.b += b"\0"
        return at

    def ptr(self, off):
        self.b += struct.pack(">H", 0xC000 | off)

    def question(self, name, qtype):
        at = self.name(name)
        self.b += struct.pack(">HH", qtype, 1)
        return at

    def fixed(self, rtype, ttl, rdlen, rclass=1):
        self.b += struct.pack(">HHIH", rtype, rclass, ttl, rdlen)

    def opt(self, size=1232):
        self.b += b"\0" + struct.pack(">HHIH", OPT, size, 0, 0)


def query(name, qtype, edns=True):
    m = Msg(0x1234, RD, (1, 0, 0, 1 if edns else 0))
    m.question(name, qtype)
    if edns:
        m.opt()
    return m.b


def answer_a():
    m = Msg(0x1234, QR | RD | RA, (1, 2, 0, 1))
    q = m.question("api.Example.test", A)
    for last in (1, 2):
        m.ptr(q)
        m.fixed(A, 300, 4)
        m.b += bytes([192, 0, 2, last])
    m.opt()
    return m.b


def answer_aaaa():
    m = Msg(0x2222, QR | RD | RA, (1, 1, 0, 0))
    q = m.question("v6.test", AAAA)
    m.ptr(q)
    m.fixed(AAAA, 60, 16)
    m.b += bytes.fromhex("20010db8000000000000000000000001")
    return m.b


def cname_chain():
    m = Msg(7, QR | RD | RA, (1, 3, 0, 0))
    q = m.question("www.example.test", A)
    m.ptr(q)
    m.fixed(CNAME, 300, 6)
    t1 = m.labels("cdn")
    m.ptr(q + 4)
    m.ptr(t1)
    m.fixed(CNAME, 60, 7)
    t2 = m.labels("edge")
    m.ptr(t1)
    m.ptr(t2)
    m.fixed(A, 20, 4)
    m.b += bytes([192, 0, 2, 9])
    return m.b


def cname_nodata():
    m = Msg(8, QR | RD | RA, (1, 1, 0, 0))
    q = m.question("chain.test", AAAA)
    m.ptr(q)
    m.fixed(CNAME, 120, 7)
    m.labels("tail")
    m.ptr(q + 6)
    return m.b


def nxdomain_soa(rcode=3):
    m = Msg(9, QR | RD | RA | rcode, (1, 0, 1, 1))
    q = m.question("nx.example.test", A)
    m.ptr(q + 3)
    m.fixed(SOA, 900, 3 + 2 + 11 + 2 + 20)
    m.labels("ns")
    m.ptr(q + 3)
    m.labels("hostmaster")
    m.ptr(q + 3)
    m.b += struct.pack(">5I", 1, 2, 3, 4, 5)
    m.opt(4096)
    return m.b


def truncated():
    m = Msg(10, QR | RD | RA | TC, (1, 0, 0, 0))
    m.question("big.test", A)
    return m.b


def glue():
    m = Msg(11, QR | AA, (1, 1, 1, 2))
    q = m.question("Host.Zone.test", A)
    m.ptr(q)
    m.fixed(A, 3600, 4)
    m.b += bytes([198, 51, 100, 7])
    m.ptr(q + 5)
    m.fixed(NS, 3600, 6)
    ns = m.labels("ns1")
    m.ptr(q + 5)
    m.ptr(ns)
    m.fixed(A, 3600, 4)
    m.b += bytes([198, 51, 100, 53])
    m.opt()
    return m.b


def misc_types():
    m = Msg(12, QR | RD | RA, (1, 3, 0, 0))
    q = m.question("mIxEd.TeSt", MX)
    m.ptr(q)
    m.fixed(MX, 5, 4)
    m.b += struct.pack(">H", 10)
    m.ptr(q)
    m.ptr(q)
    m.fixed(TXT, 5, 6)
    m.b += b"\x05hello"
    m.ptr(q)
    m.fixed(A, 5, 4, rclass=3)  # class CH
    m.b += bytes([127, 0, 0, 1])
    return m.b


def long_name():
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])
    return query(name, A)


def pointer_chain():
    """Each owner a pointer to the previous owner, as far as is allowed."""
    m = Msg(13, QR | RD | RA, (1, 6, 0, 0))
    prev = m.question("p.test", A)
    for _ in range(5):
        at = len(m.b)
        m.ptr(prev)
        m.fixed(TXT, 1, 2)
        m.b += b"\x01x"
        prev = at
    m.ptr(prev)
    m.fixed(A, 1, 4)
    m.b += bytes([192, 0, 2, 13])
    return m.b


def forward_pointer():
    m = Msg(14, QR, (1, 1, 0, 0))
    m.question("f.test", A)
    m.ptr(len(m.b) + 2)
    m.fixed(A, 1, 4)
    m.b += bytes([192, 0, 2, 14])
    return m.b


# Found by the fuzzer: an owner name pointing into an earlier record's TTL,
# which rewriting that TTL would have changed.  Rejected since.
REGRESS_PTR_INTO_TTL = base64.b64decode(
    "AAeBgAABAAMAAAAAA3d3dwdleGFtcGxlBHRlc3QAAAEAAcAMAAUAAQBAASwABgNjZG7AEMAq"
    "AAUAAQAAADwABwRlZGdlwC7AQAABAAEAAAAUAATAAAIJ"
)

SEEDS = {
    "query_a": query("example.test", A),
    "query_aaaa_noedns": query("Example.TEST", AAAA, edns=False),
    "answer_a": answer_a(),
    "answer_aaaa": answer_aaaa(),
    "cname_chain": cname_chain(),
    "cname_nodata": cname_nodata(),
    "nxdomain_soa": nxdomain_soa(),
    "servfail": nxdomain_soa(2),
    "truncated_tc": truncated(),
    "authority_glue": glue(),
    "misc_types": misc_types(),
    "long_name": long_name(),
    "pointer_chain": pointer_chain(),
    "bad_forward_pointer": forward_pointer(),
    "regress_ptr_into_ttl": REGRESS_PTR_INTO_TTL,
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "dns_msg")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
