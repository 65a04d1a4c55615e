/* The nftables backend: the whole policy as ONE atomic netlink batch into
 * table "inet corral", built with libnftnl and sent with libmnl. */
#ifndef CORRAL_NFT_H
#define CORRAL_NFT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/policy.h"
#include "resolve.h"

#define CORRAL_TABLE "corral"

/* Names in table inet corral; later issues (the DNS-aware forwarder,
 * status) add to or read them by name.
 * Static, from the config, no timeouts:
 *   net4, net6    ipv4_addr / ipv6_addr, interval: networks and addresses,
 *                 every port
 *   port4, port6  ipv4_addr / ipv6_addr . inet_service, interval:
 *                 port-limited networks and addresses
 *   dns4, dns6    ipv4_addr / ipv6_addr . inet_service: the upstreams,
 *                 open only to packets carrying CORRAL_DNS_MARK
 * Dynamic, learned from DNS, plain hash sets with flags timeout, every
 * element with its own timeout:
 *   addr4, addr6  every port
 *   addr4_pN, addr6_pN  for port spec N >= 1 of the policy (unless it
 *                 covers every port): tcp and udp to those ports only; the
 *                 set's comment is "ports 22,443" for people
 * Chains: output, input, forward (filter, policy drop) and dns_redirect
 * (nat, hook output, priority -101: unmarked port-53 traffic to the
 * forwarder on 127.0.0.1:53 / [::1]:53); the named counter of refused
 * packets. */
#define NFT_SET_NET4	    "net4"
#define NFT_SET_NET6	    "net6"
#define NFT_SET_ADDR4	    "addr4"
#define NFT_SET_ADDR6	    "addr6"
#define NFT_SET_PORT4	    "port4"
#define NFT_SET_PORT6	    "port6"
#define NFT_SET_DNS4	    "dns4"
#define NFT_SET_DNS6	    "dns6"
#define NFT_SET_ADDR_PORTS  "addr%d_p%u" /* 4 or 6, port spec index */
#define NFT_CHAIN_DNS	    "dns_redirect"
#define NFT_DNS_PRIORITY    (-101) /* before dstnat (-100): Docker's DNAT */
#define NFT_COUNTER_BLOCKED "blocked"
/* With nft_opts.dns_cgroup: the regular chain both DNS rules jump to, and
 * its counter of the port-53 packets it let pass for the host. */
#define NFT_CHAIN_HOST_DNS   "dns_host"
#define NFT_COUNTER_HOST_DNS "dns_host"
/* cgroup v2 levels dns_host looks at: a container nested deeper than this
 * is not recognised, which dns_scope.c's self-test catches. */
#define NFT_CGROUP_LEVELS     16
#define NFT_CGROUP_LEVELS_STR "16"

struct nft_opts {
	bool owner; /* NFT_TABLE_F_OWNER: table lives as long as the socket */
	uint16_t log_group; /* > 0: what is refused goes to this NFLOG group
			       (rate-limited; nflog.h) */
	/* > 0: the cgroup v2 id of the container (corral's own).  Only its
	 * sockets' DNS goes to the forwarder; port-53 traffic of sockets
	 * outside it (host processes that entered the netns, such as
	 * Docker's embedded resolver forwarding a query) is neither redirected
	 * nor refused.  0: every socket's DNS is redirected. */
	uint64_t dns_cgroup;
};

/* A batch of netlink messages, ready to send. */
struct nft_msgbuf {
	char *buf;
	size_t len, cap;
	uint32_t seq_first, seq_last; /* BATCH_BEGIN's and BATCH_END's seq */
};

/* Builds the batch that replaces table inet corral with the policy:
 * create-if-missing, delete, create with chains, sets, elements and rules,
 * all between one BATCH_BEGIN and BATCH_END, so the kernel applies it whole
 * or not at all.  Overlapping networks are merged and duplicates dropped.
 * addrs (learned from DNS) go into the dynamic sets with the timeout
 * nft_dyn_clamp(p, ttl); an address listed twice keeps the longer one.
 * Needs no kernel.  Returns 0, or -1 with errno ENOMEM, or EINVAL when a
 * target, address or port spec is malformed. */
int nft_build_ruleset(const struct policy *p, const struct resolved *addrs,
		      size_t n_addrs, const struct nft_opts *o, uint32_t seq,
		      struct nft_msgbuf *out);
void nft_msgbuf_free(struct nft_msgbuf *m);

/* Builds and commits the ruleset, waits for every ACK.  On failure the
 * previous ruleset is untouched and err holds one line saying what to do
 * (missing CAP_NET_ADMIN, no nf_tables in the kernel, ...).
 * sock_fd may be NULL unless o->owner.  If *sock_fd >= 0 on entry that
 * netlink socket is used (the one that owns the table, to replace it);
 * otherwise a new one is opened and, with o->owner, handed back in *sock_fd
 * (close-on-exec; the caller keeps it open as long as the table shall
 * live).  Without o->owner a socket opened here is closed again. */
int nft_apply(const struct policy *p, const struct resolved *addrs,
	      size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	      size_t errlen);

/* Prints the policy in force, read back from the kernel, for people.
 * Returns 0, 1 when there is no table, -1 on error (err set). */
int nft_show(FILE *out, char *err, size_t errlen);

/* Reads table inet corral back from the kernel on a fresh socket and
 * checks that the policy is in force: output, input and forward are base
 * chains with policy drop, output has rules, DNS is redirected, and (with
 * owner) the table is owned.  Returns 0, or -1 with err set. */
int nft_verify(bool owner, char *err, size_t errlen);
/* Packets the ruleset refused so far (counter "blocked"). */
int nft_blocked_packets(uint64_t *packets, char *err, size_t errlen);
/* Packets counted by dns_host (nft_opts.dns_cgroup); -1 when the table or
 * the counter is missing. */
int nft_host_dns_packets(uint64_t *packets, char *err, size_t errlen);

/* Does the kernel take nftables messages?  A request that changes
 * nothing (NFT_MSG_GETGEN) on a fresh socket.  Returns 0 yes; 1 no (no
 * nfnetlink or no nf_tables: err says so); -1 other failures such as a
 * missing CAP_NET_ADMIN (err says what to do). */
int nft_probe(char *err, size_t errlen);

/* Removes table inet corral.  Returns 0 (also when it was absent) or -1. */
int nft_clear(char *err, size_t errlen);

#endif
