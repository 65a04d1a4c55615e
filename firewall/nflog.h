/* Blocked connections, as the kernel reports them: the ruleset's last
 * rules send what they refuse (rate-limited) to NFLOG group
 * CORRAL_NFLOG_GROUP, and the privileged side reads the group on a netlink
 * socket.  The packets are the container's own, so anything in it can
 * shape them: every length is checked before it is read, and a packet that
 * does not parse is skipped. */
#ifndef CORRAL_NFLOG_H
#define CORRAL_NFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"

#define CORRAL_NFLOG_GROUP   25455 /* "co" */
#define CORRAL_NFLOG_SNAPLEN 128   /* IPv6 header, extensions, ports */
#define CORRAL_NFLOG_RATE    20	   /* packets a second logged at most */

struct nflog_event {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, ... */
	uint16_t port; /* destination port (TCP, UDP, SCTP, UDP-Lite), or 0 */
	struct ipaddr addr; /* destination */
};

/* Reads a packet from its network header (IPv4 or IPv6, by its version):
 * the destination, the transport protocol (IPv6 extension headers
 * skipped), and the destination port when the transport has one and the
 * packet is not a later fragment.  0, or -1 when it does not parse. */
int nflog_parse_packet(const uint8_t *p, size_t len, struct nflog_event *ev);

/* Walks a buffer of netlink messages as received from the group, and calls
 * fn for every NFULNL_MSG_PACKET whose payload parses.  Returns how many
 * events it reported. */
size_t nflog_parse(const void *buf, size_t len,
		   void (*fn)(void *ctx, const struct nflog_event *ev),
		   void *ctx);

/* A netlink socket bound to group (non-blocking, close-on-exec) that gets
 * the first CORRAL_NFLOG_SNAPLEN bytes of each packet.  Needs
 * CAP_NET_ADMIN.  Returns the fd, or -1 with err set. */
int nflog_open(uint16_t group, char *err, size_t errlen);

/* "tcp", "udp", "icmp", "ipv6-icmp", or the number. */
const char *nflog_proto_str(uint8_t proto, char *buf, size_t len);

#endif
