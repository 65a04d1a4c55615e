/* Expiry times of the addresses the DNS forwarder opened. */
#ifndef CORRAL_DNS_EXPIRY_H
#define CORRAL_DNS_EXPIRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"

struct dns_expiry;

struct dns_expiry *dns_expiry_new(void);
void dns_expiry_free(struct dns_expiry *x);
/* When (monotonic seconds) the element times out; 0 when unknown. */
double dns_expiry_get(struct dns_expiry *x, const struct ipaddr *a,
		      uint16_t portspec);
/* Records a new expiry, and the name whose answer opened the address (for
 * reload, which keeps what the new policy still allows); may drop entries
 * that expired before now. */
int dns_expiry_set(struct dns_expiry *x, const struct ipaddr *a,
		   uint16_t portspec, double expires, double now,
		   const char *name);
/* Calls fn for every entry live at now. */
void dns_expiry_each(const struct dns_expiry *x, double now,
		     void (*fn)(void *ctx, const struct ipaddr *a,
				uint16_t portspec, double expires,
				const char *name),
		     void *ctx);
size_t dns_expiry_live(const struct dns_expiry *x, double now);

#endif
