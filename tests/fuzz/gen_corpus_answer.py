#!/usr/bin/env python3
"""Writes the seed corpus for fuzz_dns_answer into
tests/fuzz/corpus/dns_answer/: upstream answers of the shapes the forwarder
must take apart (CNAME chains, loops, a 9-hop chain, rebinding addresses,
records of other owners, glue, EDNS options, more than 64 addresses).
Usage: tests/fuzz/gen_corpus_answer.py [DIR]"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_corpus import A, AAAA, CNAME, MX, NS, QR, RA, RD, SOA, Msg  # noqa: E402

REPLY = QR | RD | RA


def rr_addr(m, owner_ptr, addr, ttl=300):
    m.ptr(owner_ptr)
    if ":" in addr:
        import ipaddress
        m.fixed(AAAA, ttl, 16)
        m.b += ipaddress.IPv6Address(addr).packed
    else:
        m.fixed(A, ttl, 4)
        m.b += bytes(int(x) for x in addr.split("."))


def cname(m, owner_ptr, target, ttl=300):
    """CNAME from the name at owner_ptr to target; returns the target's offset."""
    m.ptr(owner_ptr)
    at = len(m.b) + 10
    m.fixed(CNAME, ttl, 0)
    rd = len(m.b)
    m.name(target)
    struct.pack_into(">H", m.b, rd - 2, len(m.b) - rd)
    return at


def plain():
    m = Msg(1, REPLY, (1, 3, 0, 0))
    q = m.question("api.test", A)
    rr_addr(m, q, "192.0.2.1")
    rr_addr(m, q, "192.0.2.2", 60)
    rr_addr(m, q, "2001:db8::1")
    return m.b


def chain(hops, qtype=A, loop=False):
    m = Msg(2, REPLY, (1, hops + 1, 0, 0))
    at = m.question("n0.test", qtype)
    for i in range(hops):
        target = "n0.test" if loop and i == hops - 1 else "n%d.test" % (i + 1)
        at = cname(m, at, target, 300 - i)
    if loop:
        struct.pack_into(">H", m.b, 6, hops)
    else:
        rr_addr(m, at, "198.51.100.%d" % hops, 100)
    return m.b


def rebinding():
    addrs = ["127.0.0.1", "198.51.100.3", "10.0.0.1", "10.1.2.3",
             "169.254.169.254", "100.64.0.1", "fd00::1", "::ffff:127.0.0.1",
             "fe80::1", "2001:db8::5", "224.0.0.1", "0.0.0.0"]
    m = Msg(3, REPLY, (1, len(addrs), 0, 0))
    q = m.question("evil.test", A)
    for a in addrs:
        rr_addr(m, q, a)
    return m.b


def injected():
    m = Msg(4, REPLY, (1, 2, 1, 3))
    q = m.question("www.Example.test", A)
    rr_addr(m, q, "192.0.2.60")
    m.name("injected.test")
    m.fixed(A, 300, 4)
    m.b += bytes([198, 51, 100, 11])
    m.ptr(q + 4)  # "Example.test"
    m.fixed(NS, 300, 5)
    ns = len(m.b)
    m.b += b"\x02ns"
    m.ptr(q + 4)
    m.ptr(ns)
    m.fixed(A, 300, 4)
    m.b += bytes([192, 0, 2, 53])
    m.ptr(ns)
    m.fixed(AAAA, 300, 16)
    m.b += bytes(16)
    m.opt(4096)
    # An option: a cookie.
    struct.pack_into(">H", m.b, len(m.b) - 2, 12)
    m.b += struct.pack(">HH", 10, 8) + b"cookie!!"
    return m.b


def many():
    m = Msg(5, REPLY, (1, 70, 0, 1))
    q = m.question("many.test", A)
    for i in range(70):
        rr_addr(m, q, "198.51.100.%d" % (i + 1))
    m.opt()
    return m.b


def odd():
    """Two CNAMEs for one owner, class CH, a TTL with the top bit set,
    a duplicate address, an MX on the chain."""
    m = Msg(6, REPLY, (1, 6, 0, 0))
    q = m.question("odd.test", A)
    one = cname(m, q, "one.test")
    cname(m, q, "two.test")
    m.ptr(one)
    m.fixed(A, 0x80000001, 4, rclass=3)
    m.b += bytes([192, 0, 2, 7])
    rr_addr(m, one, "192.0.2.8", 0x80000001)
    rr_addr(m, one, "192.0.2.8", 5)
    m.ptr(one)
    m.fixed(MX, 300, 4)
    m.b += b"\x00\x0a"
    m.ptr(q)
    return m.b


def nodata():
    m = Msg(7, REPLY, (1, 0, 1, 1))
    q = m.question("none.test", AAAA)
    m.ptr(q + 5)
    m.fixed(SOA, 7200, 22)
    m.b += b"\x00\x00" + bytes(20)
    m.opt()
    return m.b


SEEDS = {
    "plain": plain(),
    "chain3": chain(3),
    "chain8": chain(8),
    "chain9": chain(9),
    "loop": chain(3, loop=True),
    "cname_q": chain(1, qtype=CNAME),
    "rebinding": rebinding(),
    "injected": injected(),
    "many": many(),
    "odd": odd(),
    "nodata": nodata(),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "dns_answer")
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
