#!/usr/bin/python3
"""Send N DNS queries at once and count the answers.

Usage: dns_flood.py SERVER NAME N [TIMEOUT]
Prints "sent N answered M noerror K" and exits 0 when every query got an
answer.  Each query has its own ID and its own socket (so its own source
port), all sent before any answer is read, like N clients asking at once.
"""
import random
import selectors
import socket
import sys
import time

from dnslib import DNSRecord, QTYPE


def main():
    server, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    sel = selectors.DefaultSelector()
    pending = {}
    for i in range(n):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.setblocking(False)
        q = DNSRecord.question(name, "A" if i % 2 == 0 else "AAAA")
        q.header.id = random.randrange(65536)
        s.sendto(q.pack(), (server, 53))
        pending[s] = q
        sel.register(s, selectors.EVENT_READ)
    answered = noerror = 0
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=0.2):
            s = key.fileobj
            try:
                data = s.recv(4096)
                r = DNSRecord.parse(data)
            except Exception:
                continue
            q = pending.get(s)
            if q is None or r.header.id != q.header.id:
                continue
            answered += 1
            if r.header.rcode == 0 and any(rr.rtype in (QTYPE.A, QTYPE.AAAA) for rr in r.rr):
                noerror += 1
            sel.unregister(s)
            s.close()
            del pending[s]
    print("sent %d answered %d noerror %d" % (n, answered, noerror))
    return 0 if answered == n else 1


if __name__ == "__main__":
    sys.exit(main())
