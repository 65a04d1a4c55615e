/* The NFLOG parser (firewall/nflog.c): packets from the container itself,
 * so hostile ones too.  Every input is copied into a buffer of exactly its
 * length (ASan in `make asan` sees a read past it); needs no kernel. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "../../firewall/nflog.h"
#include "tap.h"

static int parse(const uint8_t *p, size_t len, struct nflog_event *ev)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, p, len);
	int rc = nflog_parse_packet(copy, len, ev);
	free(copy);
	return rc;
}

static const char *ev_str(const struct nflog_event *ev)
{
	static char out[96];
	char ip[INET6_ADDRSTRLEN] = "?";
	inet_ntop(ev->addr.family, ev->addr.b, ip, sizeof ip);
	snprintf(out, sizeof out, "%u %s %u", ev->proto, ip, ev->port);
	return out;
}

/* IPv4 header (20 bytes) + 4 bytes of transport (ports). */
static size_t ip4(uint8_t *p, uint8_t proto, const char *dst, uint16_t port)
{
	memset(p, 0, 24);
	p[0] = 0x45;
	p[9] = proto;
	inet_pton(AF_INET, "192.0.2.2", p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[20] = 0xc3;
	p[22] = (uint8_t)(port >> 8);
	p[23] = (uint8_t)port;
	return 24;
}

static size_t ip6(uint8_t *p, uint8_t nh, const char *dst)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = nh;
	inet_pton(AF_INET6, "2001:db8:1::2", p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	return 40;
}

static void test_ipv4(void)
{
	uint8_t p[128];
	struct nflog_event ev;
	size_t n = ip4(p, IPPROTO_TCP, "198.51.100.4", 8080);
	ok(parse(p, n, &ev) == 0, "IPv4 TCP parses");
	is_str(ev_str(&ev), "6 198.51.100.4 8080", "... its address and port");
	n = ip4(p, IPPROTO_UDP, "192.0.2.9", 53);
	ok(parse(p, n, &ev) == 0 && ev.port == 53 && ev.proto == IPPROTO_UDP,
	   "IPv4 UDP");
	n = ip4(p, IPPROTO_ICMP, "192.0.2.9", 1234);
	ok(parse(p, n, &ev) == 0 && ev.port == 0, "ICMP has no port");
	n = ip4(p, IPPROTO_TCP, "198.51.100.4", 80);
	p[6] = 0x00, p[7] = 0x10; /* fragment offset 16 */
	ok(parse(p, n, &ev) == 0 && ev.port == 0,
	   "a later fragment: no port (its bytes are not a header)");
	n = ip4(p, IPPROTO_TCP, "198.51.100.4", 80);
	ok(parse(p, 21, &ev) < 0, "TCP header cut short: refused");
	ok(parse(p, 19, &ev) < 0, "IPv4 header cut short: refused");
	p[0] = 0x4f; /* IHL 60 bytes in a 24-byte packet */
	ok(parse(p, n, &ev) < 0, "IHL past the end: refused");
	p[0] = 0x44; /* IHL 16 bytes */
	ok(parse(p, n, &ev) < 0, "IHL below 20: refused");
	n = ip4(p, IPPROTO_TCP, "198.51.100.4", 443);
	memmove(p + 24, p + 20, 4); /* 4 bytes of options */
	p[0] = 0x46;
	ok(parse(p, 28, &ev) == 0 && ev.port == 443, "IPv4 options skipped");
}

static void test_ipv6(void)
{
	uint8_t p[256];
	struct nflog_event ev;
	size_t n = ip6(p, IPPROTO_TCP, "2001:db8:2::3");
	p[n + 2] = 0x01, p[n + 3] = 0xbb;
	ok(parse(p, n + 4, &ev) == 0, "IPv6 TCP parses");
	is_str(ev_str(&ev), "6 2001:db8:2::3 443", "... its address and port");
	/* hop-by-hop (8 bytes), destination options (16), then UDP. */
	n = ip6(p, IPPROTO_HOPOPTS, "2001:db8:2::3");
	memset(p + n, 0, 32);
	p[n] = IPPROTO_DSTOPTS;
	p[n + 8] = IPPROTO_UDP, p[n + 9] = 1;
	p[n + 24 + 2] = 0x00, p[n + 24 + 3] = 0x35;
	ok(parse(p, n + 28, &ev) == 0 && ev.proto == IPPROTO_UDP &&
	       ev.port == 53,
	   "extension headers are skipped");
	ok(parse(p, n + 26, &ev) < 0, "... and a port cut short refused");
	p[n + 9] = 200; /* destination options longer than the packet */
	ok(parse(p, n + 28, &ev) < 0, "an extension header past the end");
	/* A fragment header, later fragment. */
	n = ip6(p, IPPROTO_FRAGMENT, "2001:db8:2::3");
	memset(p + n, 0, 12);
	p[n] = IPPROTO_TCP;
	p[n + 3] = 0x08; /* offset 1 (8 bytes) */
	ok(parse(p, n + 12, &ev) == 0 && ev.proto == IPPROTO_TCP &&
	       ev.port == 0,
	   "a later IPv6 fragment: protocol, no port");
	ok(parse(p, n + 7, &ev) < 0, "a fragment header cut short");
	/* 20 hop-by-hop headers: beyond the limit. */
	n = ip6(p, IPPROTO_HOPOPTS, "2001:db8:2::3");
	memset(p + n, 0, 8 * 20 + 4);
	for (int i = 0; i < 20; i++)
		p[n + 8 * (size_t)i] = IPPROTO_HOPOPTS;
	ok(parse(p, n + 8 * 20 + 4, &ev) < 0,
	   "a chain of extension headers is cut off");
	ok(parse(p, 39, &ev) < 0, "IPv6 header cut short");
	uint8_t v5 = 0x50;
	ok(parse(&v5, 1, &ev) < 0, "IP version 5: refused");
	ok(nflog_parse_packet(NULL, 0, &ev) < 0, "nothing: refused");
}

/* One NFULNL_MSG_PACKET with payload p. */
static size_t nl_packet(uint8_t *out, const uint8_t *p, size_t plen)
{
	size_t off = NLMSG_HDRLEN;
	struct nfgenmsg g = {.nfgen_family = AF_INET, .version = NFNETLINK_V0};
	memcpy(out + off, &g, sizeof g);
	off += NLMSG_ALIGN(sizeof g);
	struct nlattr a = {.nla_len = NLA_HDRLEN + 4,
			   .nla_type = NFULA_PACKET_HDR};
	memcpy(out + off, &a, sizeof a);
	memset(out + off + NLA_HDRLEN, 0, 4);
	off += NLA_ALIGN(a.nla_len);
	a.nla_len = (uint16_t)(NLA_HDRLEN + plen);
	a.nla_type = NFULA_PAYLOAD;
	memcpy(out + off, &a, sizeof a);
	memcpy(out + off + NLA_HDRLEN, p, plen);
	off += NLA_ALIGN(a.nla_len);
	struct nlmsghdr h = {.nlmsg_len = (uint32_t)off,
			     .nlmsg_type =
				 NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET};
	memcpy(out, &h, sizeof h);
	return NLMSG_ALIGN(off);
}

static size_t n_seen;
static struct nflog_event seen;

static void count(void *ctx, const struct nflog_event *ev)
{
	(void)ctx;
	n_seen++;
	seen = *ev;
}

static size_t walk(const uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	memcpy(copy, buf, len);
	n_seen = 0;
	size_t n = nflog_parse(copy, len, count, NULL);
	free(copy);
	return n;
}

static void test_netlink(void)
{
	uint8_t pkt[64], buf[1024];
	size_t plen = ip4(pkt, IPPROTO_TCP, "198.51.100.4", 8080);
	size_t n = nl_packet(buf, pkt, plen);
	size_t n2 = n + nl_packet(buf + n, pkt, plen);
	ok(walk(buf, n2) == 2 && n_seen == 2,
	   "two packet messages, two events");
	is_str(ev_str(&seen), "6 198.51.100.4 8080", "... as sent");
	/* Another message type is skipped. */
	struct nlmsghdr h;
	memcpy(&h, buf + n, sizeof h);
	h.nlmsg_type = NLMSG_ERROR;
	memcpy(buf + n, &h, sizeof h);
	ok(walk(buf, n2) == 1, "other message types are skipped");
	ok(walk(buf, n2 - 1) == 1, "a message cut short is not read");
	/* nlmsg_len larger than the buffer, or below a header. */
	memcpy(&h, buf, sizeof h);
	h.nlmsg_len = 100000;
	memcpy(buf, &h, sizeof h);
	ok(walk(buf, n2) == 0, "nlmsg_len past the end: nothing read");
	h.nlmsg_len = 3;
	memcpy(buf, &h, sizeof h);
	ok(walk(buf, n2) == 0, "nlmsg_len below a header: nothing read");
	/* Attribute lengths: 0, and past the message. */
	n = nl_packet(buf, pkt, plen);
	size_t attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
	struct nlattr a;
	memcpy(&a, buf + attr, sizeof a);
	a.nla_len = 0;
	memcpy(buf + attr, &a, sizeof a);
	ok(walk(buf, n) == 0, "an attribute of length 0 ends the message");
	a.nla_len = 2000;
	memcpy(buf + attr, &a, sizeof a);
	ok(walk(buf, n) == 0, "an attribute past the message ends it");
	/* A payload that is not a packet. */
	n = nl_packet(buf, (const uint8_t *)"\x45", 1);
	ok(walk(buf, n) == 0, "a payload that does not parse is skipped");
	ok(walk(buf, 0) == 0 && walk(buf, 10) == 0, "short buffers");
	/* Random bytes and flipped valid messages: nothing crashes. */
	srand(7);
	size_t events = 0;
	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)rand() % 200;
		n = nl_packet(buf, pkt, plen);
		if (i & 1)
			for (size_t k = 0; k < len && k < sizeof buf; k++)
				buf[k] = (uint8_t)rand();
		else
			buf[(size_t)rand() % n] ^=
			    (uint8_t)(1u << (rand() % 8));
		events += walk(buf, i & 1 ? len : n);
	}
	ok(1, "200,000 hostile buffers parsed without a crash (%zu events)",
	   events);
}

int main(void)
{
	test_ipv4();
	test_ipv6();
	test_netlink();
	return tap_done();
}
