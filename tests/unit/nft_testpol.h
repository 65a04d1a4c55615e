/* Hand-made policies for the nftables tests, without the config parser. */
#ifndef CORRAL_NFT_TESTPOL_H
#define CORRAL_NFT_TESTPOL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "../../common/policy.h"
#include "../../firewall/resolve.h"

struct pol {
	struct policy p;
	struct target t[64];
	struct portspec spec[8];
	struct resolved r[64];
	size_t n_r;
};

static inline void pol_init(struct pol *x)
{
	memset(x, 0, sizeof *x);
	x->p.targets = x->t;
	x->p.portspecs = x->spec;
	x->p.n_portspecs = 1; /* index 0: all ports */
}

static inline void parse_addr(const char *s, struct ipaddr *a)
{
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(a->family, s, a->b) != 1)
		abort();
}

/* "22,443,8000-8100" as a new port spec; returns its index. */
static inline uint16_t spec(struct pol *x, const char *ports)
{
	struct portspec *s = &x->spec[x->p.n_portspecs];
	char buf[128];
	snprintf(buf, sizeof buf, "%s", ports);
	for (char *save, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned lo, hi;
		if (sscanf(tok, "%u-%u", &lo, &hi) != 2)
			hi = lo = (unsigned)atoi(tok);
		s->r[s->n++] = (struct port_range){(uint16_t)lo, (uint16_t)hi};
	}
	return (uint16_t)x->p.n_portspecs++;
}

static inline void net(struct pol *x, const char *cidr, uint16_t portspec)
{
	struct target *t = &x->t[x->p.n_targets++];
	char buf[64];
	snprintf(buf, sizeof buf, "%s", cidr);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	t->kind = TARGET_NET;
	t->portspec = portspec;
	parse_addr(buf, &t->addr);
	t->prefix = (uint8_t)(slash			  ? atoi(slash + 1)
			      : t->addr.family == AF_INET ? 32
							  : 128);
	x->p.n_nets++;
}

static inline void name(struct pol *x, const char *n, uint8_t kind)
{
	struct target *t = &x->t[x->p.n_targets++];
	t->kind = kind;
	t->name = (char *)(uintptr_t)n;
}

static inline void addr(struct pol *x, const char *a, uint16_t portspec)
{
	struct resolved *r = &x->r[x->n_r++];
	parse_addr(a, &r->addr);
	r->portspec = portspec;
	r->ttl = 300;
}

static inline void upstream(struct pol *x, const char *a, uint16_t port)
{
	struct upstream *u = &x->p.upstreams[x->p.n_upstreams++];
	parse_addr(a, &u->addr);
	u->port = port;
}

#endif
