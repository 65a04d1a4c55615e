#!/usr/bin/python3
"""Send one DNS query (A, over UDP) to SERVER and print what came back.

Usage: dnsq.py SERVER NAME
Prints "rcode=N answers=ADDR,ADDR" or "timeout".  Exit 0 when an answer
arrived, 1 on a timeout.  Plain Python (no dnslib): it runs in the dev
container, where a test asks a server other than the configured one.
"""

import random
import socket
import struct
import sys


def query(name):
    qid = random.randrange(65536)
    head = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return qid, head + qname + struct.pack(">HH", 1, 1)


def skip_name(msg, off):
    while off < len(msg):
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n
    raise ValueError("name runs past the end")


def answers(msg):
    qd, an = struct.unpack(">HH", msg[4:8])
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    out = []
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        if rtype == 1 and rdlen == 4:
            out.append(socket.inet_ntoa(msg[off:off + 4]))
        off += rdlen
    return out


def main():
    server, name = sys.argv[1], sys.argv[2]
    qid, pkt = query(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(pkt, (server, 53))
    try:
        msg, _ = s.recvfrom(4096)
    except socket.timeout:
        print("timeout")
        return 1
    if len(msg) < 12 or struct.unpack(">H", msg[:2])[0] != qid:
        print("bad reply")
        return 1
    print("rcode=%d answers=%s" % (msg[3] & 0x0F, ",".join(answers(msg))))
    return 0


sys.exit(main())
