/* When each learned (address, ports) element times out, so that a shorter
 * TTL never cuts short a longer one already granted, and so that status
 * can count the live ones.  Open addressing, linear probing; expired
 * entries are dropped when the table is rebuilt. */
#include "dns_expiry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dns_expiry_entry {
	struct ipaddr addr;
	uint16_t portspec;
	bool used;
	double expires; /* monotonic seconds */
	char name[DNS_NAME_MAX + 1];
};

struct dns_expiry {
	struct dns_expiry_entry *v;
	size_t cap, used;
};

static uint64_t hash(const struct ipaddr *a, uint16_t portspec)
{
	uint64_t h = 1469598103934665603ull ^ a->family ^ ((uint64_t)portspec << 8);
	for (size_t i = 0; i < 16; i++)
		h = (h ^ a->b[i]) * 1099511628211ull;
	return h;
}

static bool same(const struct dns_expiry_entry *e, const struct ipaddr *a,
		 uint16_t portspec)
{
	return e->used && e->portspec == portspec && e->addr.family == a->family &&
	       memcmp(e->addr.b, a->b, 16) == 0;
}

struct dns_expiry *dns_expiry_new(void)
{
	struct dns_expiry *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->cap = 64;
	x->v = calloc(x->cap, sizeof *x->v);
	if (!x->v) {
		free(x);
		return NULL;
	}
	return x;
}

void dns_expiry_free(struct dns_expiry *x)
{
	if (x)
		free(x->v);
	free(x);
}

static struct dns_expiry_entry *slot(struct dns_expiry *x, const struct ipaddr *a,
				     uint16_t portspec)
{
	size_t i = hash(a, portspec) & (x->cap - 1);
	while (x->v[i].used && !same(&x->v[i], a, portspec))
		i = (i + 1) & (x->cap - 1);
	return &x->v[i];
}

/* Rebuilds at a size fit for the live entries, dropping expired ones. */
static int rehash(struct dns_expiry *x, double now)
{
	size_t live = 0;
	for (size_t i = 0; i < x->cap; i++)
		if (x->v[i].used && x->v[i].expires > now)
			live++;
	size_t cap = 64;
	while (cap < live * 4)
		cap *= 2;
	struct dns_expiry_entry *old = x->v;
	size_t oldcap = x->cap;
	struct dns_expiry_entry *nv = calloc(cap, sizeof *nv);
	if (!nv)
		return -1;
	x->v = nv;
	x->cap = cap;
	x->used = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (!old[i].used || old[i].expires <= now)
			continue;
		*slot(x, &old[i].addr, old[i].portspec) = old[i];
		x->used++;
	}
	free(old);
	return 0;
}

double dns_expiry_get(struct dns_expiry *x, const struct ipaddr *a,
		      uint16_t portspec)
{
	const struct dns_expiry_entry *e = slot(x, a, portspec);
	return e->used ? e->expires : 0;
}

int dns_expiry_set(struct dns_expiry *x, const struct ipaddr *a,
		   uint16_t portspec, double expires, double now,
		   const char *name)
{
	/* rehash leaves room for 4x the live entries, so this always fits. */
	if ((x->used + 1) * 2 > x->cap && rehash(x, now) < 0)
		return -1;
	struct dns_expiry_entry *e = slot(x, a, portspec);
	if (!e->used) {
		e->used = true;
		e->addr = *a;
		e->portspec = portspec;
		x->used++;
	}
	e->expires = expires;
	snprintf(e->name, sizeof e->name, "%s", name ? name : "");
	return 0;
}

void dns_expiry_each(const struct dns_expiry *x, double now,
		     void (*fn)(void *ctx, const struct ipaddr *a,
				uint16_t portspec, double expires,
				const char *name),
		     void *ctx)
{
	for (size_t i = 0; i < x->cap; i++)
		if (x->v[i].used && x->v[i].expires > now)
			fn(ctx, &x->v[i].addr, x->v[i].portspec, x->v[i].expires,
			   x->v[i].name);
}

size_t dns_expiry_live(const struct dns_expiry *x, double now)
{
	size_t n = 0;
	for (size_t i = 0; i < x->cap; i++)
		if (x->v[i].used && x->v[i].expires > now)
			n++;
	return n;
}
