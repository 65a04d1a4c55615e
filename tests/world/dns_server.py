#!/usr/bin/python3
"""Authoritative-looking, recursive-acting DNS server for the test world.

Run with /usr/bin/python3 (it needs Debian's python3-dnslib).  It answers
on UDP and TCP port 53 of the addresses given with --listen, from the zone
file WORLD_DIR/zone ("NAME TYPE VALUE TTL" per line), in the mode named in
WORLD_DIR/dns_mode.  Both files are re-read when they change (checked on
every query), so the shell side can rewrite them atomically with mv and
the next query sees the change.

Every query is appended to WORLD_DIR/dns_queries.log as "NAME TYPE
transport", whatever the mode.  Malformed packets are logged to stderr
(the server log) and otherwise ignored: the server must never die of what
a client sends, because hostile-client tests aim at the code under test,
not at the world.
"""

import argparse
import asyncio
import os
import socket
import struct
import sys
import time

from dnslib import AAAA, CNAME, EDNS0, QTYPE, RCODE, RR, A, DNSRecord

MAX_CNAME_HOPS = 8
TCP_IDLE_TIMEOUT = 10.0
SUPPORTED = ("A", "AAAA", "CNAME")


def log(msg):
    sys.stderr.write("%s dns: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def norm(name):
    name = name.lower()
    return name[:-1] if name.endswith(".") and name != "." else name


class WatchedFile:
    """Content of a small file, re-parsed only when its identity changes."""

    def __init__(self, path, parse, default):
        self.path, self.parse, self.default = path, parse, default
        self.key, self.value = None, default

    def get(self):
        try:
            st = os.stat(self.path)
            key = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        if key != self.key:
            self.key = key
            try:
                with open(self.path, encoding="utf-8", errors="replace") as f:
                    self.value = self.parse(f.read())
            except FileNotFoundError:
                self.value = self.default
            except Exception as e:  # a bad file must not kill the server
                log("cannot read %s: %r" % (self.path, e))
                self.value = self.default
        return self.value


def parse_zone(text):
    zone = {}
    for n, line in enumerate(text.splitlines(), 1):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        try:
            name, rtype, value = norm(f[0]), f[1].upper(), f[2]
            ttl = int(f[3]) if len(f) > 3 else 300
            if rtype not in SUPPORTED:
                raise ValueError("type %s" % rtype)
            if rtype == "CNAME":
                value = norm(value)
            rec = (rtype, value, ttl)
            recs = zone.setdefault(name, [])
            if rec not in recs:
                recs.append(rec)
        except (IndexError, ValueError) as e:
            log("zone line %d ignored (%s): %r" % (n, e, line))
    return zone


# Hostile modes: the address an injected record claims, and where a
# wrong-source reply comes from (world service addresses, port 53 unused).
INJECT_ADDR = "198.51.100.11"
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
WRONG_SRC4 = "198.51.100.12"
WRONG_SRC6 = "2001:db8:2::12"


def parse_mode(text):
    f = text.split()
    if not f:
        return ("normal", 0)
    if f[0] == "delay":
        try:
            return ("delay", max(0, int(f[1])))
        except (IndexError, ValueError):
            log("bad delay mode %r, using normal" % text)
            return ("normal", 0)
    return (f[0], 0)


def make_rr(name, rtype, value, ttl):
    rdata = {"A": A, "AAAA": AAAA, "CNAME": CNAME}[rtype](value)
    return RR(name, getattr(QTYPE, rtype), rdata=rdata, ttl=ttl)


class Server:
    def __init__(self, wdir):
        self.zone = WatchedFile(os.path.join(wdir, "zone"), parse_zone, {})
        self.mode = WatchedFile(os.path.join(wdir, "dns_mode"), parse_mode,
                                ("normal", 0))
        self.qlog = os.path.join(wdir, "dns_queries.log")

    def log_query(self, name, qtype, transport):
        # Open per line: the shell may truncate the log between queries.
        with open(self.qlog, "a", encoding="utf-8") as f:
            f.write("%s %s %s\n" % (name, qtype, transport))

    def answer(self, req):
        """Fill in a reply the way a recursive resolver would."""
        reply = self.reply_to(req)
        q = req.q
        zone = self.zone.get()
        name = norm(str(q.qname))
        if name not in zone:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        owner = q.qname
        for _ in range(MAX_CNAME_HOPS + 1):
            recs = zone.get(name)
            if recs is None:  # chain ends outside the zone
                reply.header.rcode = RCODE.NXDOMAIN
                return reply
            cnames = [r for r in recs if r[0] == "CNAME"]
            if cnames and q.qtype not in (QTYPE.CNAME, QTYPE.ANY):
                rtype, target, ttl = cnames[0]
                reply.add_answer(make_rr(owner, rtype, target, ttl))
                owner, name = target, target
                continue
            for rtype, value, ttl in recs:
                if q.qtype == QTYPE.ANY or getattr(QTYPE, rtype) == q.qtype:
                    reply.add_answer(make_rr(owner, rtype, value, ttl))
            return reply
        log("CNAME chain longer than %d at %s" % (MAX_CNAME_HOPS, name))
        return reply

    @staticmethod
    def reply_to(req):
        # Answer as a recursive resolver does: not authoritative, and no
        # DNSSEC claims (dnslib would copy AD from the query).
        reply = req.reply(ra=1, aa=0)
        reply.header.ad = 0
        return reply

    def handle(self, data, transport):
        """Return (delay_seconds, reply_bytes) or None to stay silent."""
        try:
            req = DNSRecord.parse(data)
        except Exception as e:
            log("malformed %s query (%d bytes): %r" % (transport, len(data), e))
            return None
        if not req.questions:
            log("%s query without question, id %d" % (transport, req.header.id))
            reply = self.reply_to(req)
            reply.header.rcode = RCODE.FORMERR
            return (0, reply.pack())
        q = req.q
        name = norm(str(q.qname)) or "."
        self.log_query(name, QTYPE.get(q.qtype, str(q.qtype)), transport)
        mode, arg = self.mode.get()
        if mode == "drop":
            return None
        if mode == "servfail":
            reply = self.reply_to(req)
            reply.header.rcode = RCODE.SERVFAIL
            return (0, reply.pack())
        if mode == "truncate" and transport == "udp":
            reply = self.reply_to(req)
            reply.header.tc = 1
            return (0, reply.pack())
        if mode == "badptr":
            return (0, self.badptr(req))
        reply = self.answer(req)
        edns = [r for r in req.ar if r.rtype == QTYPE.OPT]
        limit = 512
        if edns:
            limit = max(512, edns[0].edns_len)
            reply.add_ar(EDNS0(udp_len=1232))
        out = reply.pack()
        if transport == "udp" and len(out) > limit:
            short = self.reply_to(req)
            short.header.tc = 1
            out = short.pack()
        if mode == "wrongid":
            out = struct.pack("!H", (req.header.id + 1) & 0xFFFF) + out[2:]
        if mode == "inject":
            # An extra record for another owner, as a cache-poisoning
            # attempt would add: it must never be believed.
            reply.add_answer(make_rr("injected.test", "A", INJECT_ADDR, 300))
            out = reply.pack()
        if mode == "wrongsrc" and transport == "udp":
            return (0, ("wrongsrc", out))
        return (arg / 1000.0 if mode == "delay" else 0, out)

    @staticmethod
    def badptr(req):
        """A reply whose answer name is a compression pointer to itself."""
        base = bytearray(Server.reply_to(req).pack())
        struct.pack_into("!H", base, 6, 1)  # ANCOUNT = 1
        here = len(base)
        base += struct.pack("!H", 0xC000 | here)
        base += struct.pack("!HHIH", QTYPE.A, 1, 300, 4) + bytes([192, 0, 2, 99])
        return bytes(base)


class UDP(asyncio.DatagramProtocol):
    def __init__(self, server):
        self.server = server
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        try:
            res = self.server.handle(data, "udp")
        except Exception as e:
            log("udp handler error: %r" % e)
            return
        if res is None:
            return
        delay, out = res
        loop = asyncio.get_running_loop()
        loop.call_later(delay, self.send, out, addr)

    def send(self, out, addr):
        try:
            if isinstance(out, tuple):  # wrongsrc: answer from another address
                fam = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
                src = WRONG_SRC6 if fam == socket.AF_INET6 else WRONG_SRC4
                with socket.socket(fam, socket.SOCK_DGRAM) as s:
                    s.bind((src, 53))
                    s.sendto(out[1], addr[:2])
                return
            self.transport.sendto(out, addr)
        except Exception as e:
            log("udp send to %s failed: %r" % (addr, e))

    def error_received(self, exc):
        log("udp error: %r" % exc)


async def serve_tcp(server, reader, writer):
    try:
        while True:
            head = await asyncio.wait_for(reader.readexactly(2), TCP_IDLE_TIMEOUT)
            (n,) = struct.unpack("!H", head)
            data = await asyncio.wait_for(reader.readexactly(n), TCP_IDLE_TIMEOUT)
            res = server.handle(data, "tcp")
            if res is None:
                continue  # drop: keep reading, never answer
            delay, out = res
            if delay:
                await asyncio.sleep(delay)
            writer.write(struct.pack("!H", len(out)) + out)
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
        pass
    except Exception as e:
        log("tcp handler error: %r" % e)
    finally:
        writer.close()


def bound_socket(addr, port, kind):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if kind == socket.SOCK_DGRAM:
        # A burst of a thousand queries must not overflow the default
        # buffer: the world stands for a resolver that keeps up.
        try:
            s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        except OSError:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(64)
    s.setblocking(False)
    return s


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--port", type=int, default=53)
    args = ap.parse_args()
    server = Server(args.dir)
    loop = asyncio.get_running_loop()
    keep = []  # hold the servers for the life of the process
    for addr in args.listen:
        keep.append(await loop.create_datagram_endpoint(
            lambda: UDP(server), sock=bound_socket(addr, args.port, socket.SOCK_DGRAM)))
        keep.append(await asyncio.start_server(
            lambda r, w: serve_tcp(server, r, w),
            sock=bound_socket(addr, args.port, socket.SOCK_STREAM)))
    log("listening on %s port %d" % (" ".join(args.listen), args.port))
    ready = os.path.join(args.dir, "dns.ready")
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
