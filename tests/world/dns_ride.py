#!/usr/bin/python3
"""Ask SERVER for NAME (A, UDP) from the first of PORTS that can be bound.

Usage: dns_ride.py SERVER NAME PORT...
Prints "answer N bytes from port P", "no answer: ERROR from port P", or
"no port free".  The tests use it to send a query from a source port that
corral's own flow to the upstream used (tests/bats/dns.bats).
"""

import socket
import struct
import sys


def query(name):
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)


def main():
    server, name, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
    for port in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("0.0.0.0", int(port)))
        except OSError:
            s.close()
            continue
        # Connected, so that an ICMP error comes back as an exception.
        s.connect((server, 53))
        s.settimeout(2)
        try:
            s.send(query(name))
            print("answer %d bytes from port %s" % (len(s.recv(512)), port))
        except OSError as e:
            print("no answer: %s from port %s" % (type(e).__name__, port))
        return
    print("no port free")


main()
