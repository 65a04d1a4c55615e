/* See nflog.h.  No libmnl here on purpose: the parser is small, takes
 * nothing on trust, and builds alone into the fuzz harness. */
#include "nflog.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define IPV6_HEADER	40
#define EXT_HEADERS_MAX 8 /* IPv6 extension headers followed */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

/* The transport header at off: its destination port, when it has one. */
static int transport(const uint8_t *p, size_t len, size_t off, bool later_frag,
		     struct nflog_event *ev)
{
	ev->port = 0;
	if (later_frag || !has_ports(ev->proto))
		return 0;
	if (off > len || len - off < 4)
		return -1;
	ev->port = get16(p + off + 2);
	return 0;
}

static int parse4(const uint8_t *p, size_t len, struct nflog_event *ev)
{
	if (len < 20)
		return -1;
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < 20 || ihl > len)
		return -1;
	bool later_frag = (get16(p + 6) & 0x1fff) != 0;
	ev->proto = p[9];
	ev->addr.family = AF_INET;
	memset(ev->addr.b, 0, sizeof ev->addr.b);
	memcpy(ev->addr.b, p + 16, 4);
	return transport(p, len, ihl, later_frag, ev);
}

static int parse6(const uint8_t *p, size_t len, struct nflog_event *ev)
{
	if (len < IPV6_HEADER)
		return -1;
	ev->addr.family = AF_INET6;
	memcpy(ev->addr.b, p + 24, 16);
	uint8_t nh = p[6];
	size_t off = IPV6_HEADER;
	bool later_frag = false;
	for (int k = 0;; k++) {
		if (k > EXT_HEADERS_MAX)
			return -1;
		if (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
		    nh == IPPROTO_DSTOPTS || nh == IPPROTO_AH) {
			if (len - off < 2)
				return -1;
			size_t hl = nh == IPPROTO_AH
					? ((size_t)p[off + 1] + 2) * 4
					: ((size_t)p[off + 1] + 1) * 8;
			nh = p[off];
			if (hl > len - off)
				return -1;
			off += hl;
		} else if (nh == IPPROTO_FRAGMENT) {
			if (len - off < 8)
				return -1;
			later_frag = (get16(p + off + 2) & 0xfff8) != 0;
			nh = p[off];
			off += 8;
			if (later_frag)
				break;
		} else {
			break;
		}
	}
	ev->proto = nh;
	return transport(p, len, off, later_frag, ev);
}

int nflog_parse_packet(const uint8_t *p, size_t len, struct nflog_event *ev)
{
	memset(ev, 0, sizeof *ev);
	if (!p || len < 1)
		return -1;
	switch (p[0] >> 4) {
	case 4:
		return parse4(p, len, ev);
	case 6:
		return parse6(p, len, ev);
	default:
		return -1;
	}
}

/* The payload attribute of one NFULNL_MSG_PACKET (after its nlmsghdr). */
static bool payload(const uint8_t *body, size_t len, const uint8_t **data,
		    size_t *dlen)
{
	if (len < sizeof(struct nfgenmsg))
		return false;
	size_t off = NLMSG_ALIGN(sizeof(struct nfgenmsg));
	while (off <= len && len - off >= NLA_HDRLEN) {
		struct nlattr a;
		memcpy(&a, body + off, sizeof a);
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off)
			return false;
		if ((a.nla_type & NLA_TYPE_MASK) == NFULA_PAYLOAD) {
			*data = body + off + NLA_HDRLEN;
			*dlen = a.nla_len - NLA_HDRLEN;
			return true;
		}
		off += NLA_ALIGN(a.nla_len);
	}
	return false;
}

size_t nflog_parse(const void *buf, size_t len,
		   void (*fn)(void *ctx, const struct nflog_event *ev),
		   void *ctx)
{
	const uint8_t *b = buf;
	size_t off = 0, n = 0;
	while (off <= len && len - off >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		memcpy(&h, b + off, sizeof h);
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len - off)
			break;
		const uint8_t *data;
		size_t dlen;
		struct nflog_event ev;
		if (h.nlmsg_type ==
			(NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET) &&
		    payload(b + off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN,
			    &data, &dlen) &&
		    nflog_parse_packet(data, dlen, &ev) == 0) {
			fn(ctx, &ev);
			n++;
		}
		if (NLMSG_ALIGN(h.nlmsg_len) > len - off)
			break;
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return n;
}

/* ---- the socket ---- */

static int config(int fd, uint16_t group, uint16_t attr, const void *val,
		  size_t vlen, uint32_t seq)
{
	union {
		struct nlmsghdr h;
		uint8_t b[NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) +
			  NLA_HDRLEN + 16];
	} m;
	memset(&m, 0, sizeof m);
	size_t alen = NLA_HDRLEN + vlen;
	m.h.nlmsg_len =
	    (uint32_t)(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)) +
		       NLA_ALIGN(alen));
	m.h.nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG;
	m.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	m.h.nlmsg_seq = seq;
	struct nfgenmsg g = {.nfgen_family = AF_UNSPEC,
			     .version = NFNETLINK_V0,
			     .res_id = htons(group)};
	memcpy(m.b + NLMSG_HDRLEN, &g, sizeof g);
	struct nlattr a = {.nla_len = (uint16_t)alen, .nla_type = attr};
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof g);
	memcpy(m.b + off, &a, sizeof a);
	memcpy(m.b + off + NLA_HDRLEN, val, vlen);
	if (send(fd, m.b, m.h.nlmsg_len, 0) < 0)
		return -errno;
	/* The ACK, within a second (the socket is non-blocking). */
	for (int tries = 0; tries < 10; tries++) {
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (poll(&pf, 1, 100) <= 0)
			continue;
		union {
			struct nlmsghdr h;
			uint8_t b[512];
		} r;
		ssize_t n = recv(fd, r.b, sizeof r.b, 0);
		if (n < (ssize_t)NLMSG_HDRLEN || r.h.nlmsg_seq != seq)
			continue;
		if (r.h.nlmsg_type != NLMSG_ERROR ||
		    (size_t)n < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
			continue;
		struct nlmsgerr e;
		memcpy(&e, r.b + NLMSG_HDRLEN, sizeof e);
		return e.error;
	}
	return -ETIMEDOUT;
}

int nflog_open(uint16_t group, char *err, size_t errlen)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_NETFILTER);
	if (fd < 0) {
		snprintf(err, errlen, "NFLOG socket: %s", strerror(errno));
		return -1;
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, errlen, "NFLOG socket: bind: %s",
			 strerror(errno));
		close(fd);
		return -1;
	}
	struct nfulnl_msg_config_cmd cmd = {.command = NFULNL_CFG_CMD_BIND};
	struct nfulnl_msg_config_mode mode = {.copy_range =
						  htonl(CORRAL_NFLOG_SNAPLEN),
					      .copy_mode = NFULNL_COPY_PACKET};
	/* Each packet at once (the default waits for 100, or a second). */
	uint32_t qthresh = htonl(1);
	int rc = config(fd, group, NFULA_CFG_CMD, &cmd, sizeof cmd, 1);
	if (rc == 0)
		rc = config(fd, group, NFULA_CFG_MODE, &mode, sizeof mode, 2);
	if (rc == 0)
		rc = config(fd, group, NFULA_CFG_QTHRESH, &qthresh,
			    sizeof qthresh, 3);
	if (rc != 0) {
		snprintf(
		    err, errlen, "NFLOG group %u: %s%s", group, strerror(-rc),
		    rc == -EBUSY ? " (another process reads that group)" : "");
		close(fd);
		return -1;
	}
	return fd;
}

const char *nflog_proto_str(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_UDPLITE:
		return "udplite";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}
