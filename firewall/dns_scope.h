/* DNS of the container only.  On a user-defined Docker network the
 * upstream is Docker's embedded resolver, 127.0.0.11, and dockerd forwards
 * what it cannot answer from a socket it opens inside the container's
 * network namespace.  Redirected to corral like any other query, that
 * forward would come back to corral, which asks 127.0.0.11 again: a loop,
 * and no allowed name resolves.  Sockets carry the cgroup of the process
 * that created them, and dockerd's is not the container's, so the ruleset
 * redirects and filters the DNS of the container's cgroup only
 * (nft_opts.dns_cgroup). */
#ifndef CORRAL_DNS_SCOPE_H
#define CORRAL_DNS_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"
#include "nft.h"
#include "resolve.h"

/* The cgroup v2 id of a socket this process creates (through sock_diag,
 * which works without the cgroup filesystem, as in a container on a
 * cgroup v1 host).  0 when the kernel does not say, or when it is the
 * root cgroup (id 1): then the host's processes cannot be told apart. */
uint64_t dns_scope_own_cgroup(void);
/* This process's cgroup v2 path, as /proc/self/cgroup gives it (relative
 * to its cgroup namespace), into buf.  0, or -1 (no cgroup v2 line, or
 * longer than len). */
int dns_scope_own_path(char *buf, size_t len);

/* fw_apply, with o->dns_cgroup set to this process's cgroup when the
 * kernel tells cgroups apart (the nftables backend matches its id, the
 * iptables backend its path), checked right after: one unmarked datagram
 * from this process to 127.0.0.1:53 must not count as the host's.  Whenever
 * that cannot be had, the policy is applied again without it (every socket's
 * DNS redirected, as before), with a warning, and o->dns_cgroup is 0.  Call
 * before the forwarder listens. */
int fw_apply_dns_scoped(const struct policy *p, const struct resolved *addrs,
			size_t n_addrs, struct nft_opts *o, int *sock_fd,
			char *err, size_t errlen);

#endif
