/* DNS-rebinding protection: addresses a public name must never open. */
#ifndef CORRAL_REBIND_H
#define CORRAL_REBIND_H

#include "../common/policy.h"

/* Names the special-purpose range a falls in ("loopback", "private",
 * "link-local", "CGNAT", "ULA", "multicast", "reserved", ...), or NULL for
 * an address a public name may resolve to.  Documentation ranges
 * (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are not
 * special here: they route nowhere on the internet, and the test world
 * lives in them. */
const char *rebind_range(const struct ipaddr *a);

/* True when an `allow` network of the policy contains a, which makes a
 * special-range address acceptable in an answer (e.g. allow 10.1.0.0/16). */
bool policy_allows_address(const struct policy *p, const struct ipaddr *a);

#endif
