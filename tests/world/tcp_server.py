#!/usr/bin/python3
"""TCP/HTTP and UDP services of the test world, in one asyncio process.

On every --addr it listens on:
  --ports (TCP)       answer "HTTP/1.0 200 OK\\r\\n\\r\\nhello from ADDR PORT\\n"
                      to curl and to a raw connect alike, then close;
  --echo-port (TCP)   echo lines back and keep the connection open, for
                      "an established connection survives" tests;
  --udp-echo-port     echo each datagram back.
Sockets are bound per address, not to the wildcard, so a connect to a
world address that is not a service address is refused, and a UDP reply
always leaves from the address the client sent to.

Each connection or datagram is logged to WORLD_DIR/conn.log as
"PROTO PEER ADDR PORT", so a test can tell whether traffic reached the
world at all.
"""

import argparse
import asyncio
import os
import socket
import sys
import time

FIRST_LINE_TIMEOUT = 0.3  # a raw connect that sends nothing still gets hello
HEADERS_TIMEOUT = 2.0
LINGER_TIMEOUT = 1.0


def log(msg):
    sys.stderr.write("%s tcp: %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


class ConnLog:
    def __init__(self, path):
        self.path = path

    def __call__(self, proto, peer, addr, port):
        with open(self.path, "a", encoding="utf-8") as f:
            f.write("%s %s %s %d\n" % (proto, peer, addr, port))


def looks_like_http(line):
    f = line.split()
    return len(f) == 3 and f[2].startswith(b"HTTP/")


async def hello(conn_log, reader, writer):
    addr, port = writer.get_extra_info("sockname")[:2]
    peer = writer.get_extra_info("peername")[0]
    try:
        conn_log("tcp", peer, addr, port)
        try:
            line = await asyncio.wait_for(reader.readline(), FIRST_LINE_TIMEOUT)
        except asyncio.TimeoutError:
            line = b""
        if looks_like_http(line):
            # Read the headers too: closing with unread data would make
            # the kernel send RST, and curl could lose the reply.
            async def headers():
                for _ in range(100):
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        return
            try:
                await asyncio.wait_for(headers(), HEADERS_TIMEOUT)
            except asyncio.TimeoutError:
                pass
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nhello from %s %d\n"
                     % (addr.encode(), port))
        await writer.drain()
        writer.write_eof()

        async def drain():
            while await reader.read(4096):
                pass
        try:
            await asyncio.wait_for(drain(), LINGER_TIMEOUT)
        except asyncio.TimeoutError:
            pass
    except (ConnectionError, ValueError, asyncio.LimitOverrunError):
        pass
    except Exception as e:
        log("hello %s %d: %r" % (addr, port, e))
    finally:
        writer.close()


async def echo(conn_log, reader, writer):
    addr, port = writer.get_extra_info("sockname")[:2]
    peer = writer.get_extra_info("peername")[0]
    try:
        conn_log("tcp", peer, addr, port)
        while True:
            line = await reader.readline()
            if not line:
                break
            writer.write(line)
            await writer.drain()
    except (ConnectionError, ValueError, asyncio.LimitOverrunError):
        pass
    except Exception as e:
        log("echo %s %d: %r" % (addr, port, e))
    finally:
        writer.close()


class UDPEcho(asyncio.DatagramProtocol):
    def __init__(self, conn_log, addr, port):
        self.conn_log, self.addr, self.port = conn_log, addr, port
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, peer):
        try:
            self.conn_log("udp", peer[0], self.addr, self.port)
            self.transport.sendto(data, peer)
        except Exception as e:
            log("udp echo %s: %r" % (self.addr, e))

    def error_received(self, exc):
        log("udp error on %s: %r" % (self.addr, exc))


def bound_socket(addr, port, kind):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    if kind == socket.SOCK_STREAM:
        s.listen(128)
    s.setblocking(False)
    return s


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--addr", action="append", required=True)
    ap.add_argument("--ports", default="22,80,443,8080,8443")
    ap.add_argument("--echo-port", type=int, default=9000)
    ap.add_argument("--udp-echo-port", type=int, default=7)
    args = ap.parse_args()
    conn_log = ConnLog(os.path.join(args.dir, "conn.log"))
    loop = asyncio.get_running_loop()
    ports = [int(p) for p in args.ports.split(",") if p]

    def on_hello(r, w):
        return hello(conn_log, r, w)

    def on_echo(r, w):
        return echo(conn_log, r, w)

    keep = []  # hold the servers for the life of the process
    for addr in args.addr:
        for port in ports:
            keep.append(await asyncio.start_server(
                on_hello, sock=bound_socket(addr, port, socket.SOCK_STREAM)))
        keep.append(await asyncio.start_server(
            on_echo, sock=bound_socket(addr, args.echo_port, socket.SOCK_STREAM)))
        keep.append(await loop.create_datagram_endpoint(
            lambda a=addr: UDPEcho(conn_log, a, args.udp_echo_port),
            sock=bound_socket(addr, args.udp_echo_port, socket.SOCK_DGRAM)))
    log("listening on %d addresses, tcp %s, echo %d, udp echo %d"
        % (len(args.addr), args.ports, args.echo_port, args.udp_echo_port))
    ready = os.path.join(args.dir, "tcp.ready")
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
