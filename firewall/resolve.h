/* Resolving the allowed names once, through the upstream(s), at apply time. */
#ifndef CORRAL_RESOLVE_H
#define CORRAL_RESOLVE_H

#include <stdint.h>

#include "../common/policy.h"

/* One address learned for one allowed name. */
struct resolved {
	struct ipaddr addr;
	uint32_t ttl;      /* smallest TTL along the CNAME chain, seconds */
	uint16_t portspec; /* copied from the target */
	uint32_t target;   /* index into policy.targets */
};

struct resolve_result {
	struct resolved *v;
	size_t n, cap;
	size_t names_ok;     /* names that gave at least one address */
	size_t names_failed; /* names that gave none (each logged as a warning) */
};

/* Resolves every TARGET_NAME of p (A and AAAA, following CNAME chains, at
 * most 8 hops) through p->upstreams: all queries in flight at once over UDP,
 * retried over TCP when truncated, failing over between upstreams.
 * timeout_ms bounds the whole call.  A name that does not resolve is a
 * warning, never an error.  Returns 0, or -1 with err set when no query
 * could be sent at all (no upstream, no socket). */
int resolve_policy(const struct policy *p, int timeout_ms,
		   struct resolve_result *out, char *err, size_t errlen);
void resolve_result_free(struct resolve_result *r);

/* When mark is not 0, every socket resolve_policy opens from now on gets
 * SO_MARK mark (needs CAP_NET_ADMIN; failing that is logged with debug and
 * the socket used as it is).  `corral apply` passes CORRAL_DNS_MARK, so
 * that under a DNS redirect already in force its queries still reach the
 * upstreams. */
void resolve_set_mark(uint32_t mark);

#endif
