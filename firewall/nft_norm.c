/* The policy as set elements the kernel accepts.  Interval sets refuse
 * overlapping elements and the concatenated (pipapo) sets refuse partial
 * overlaps, so everything is sorted, deduplicated and merged here, in
 * userspace, before one element reaches the batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nft_int.h"

/* A port-limited entry: an address range and its merged port ranges. */
struct pitem {
	struct nft_range a;
	size_t roff, rn; /* into the shared prange pool */
};

struct vec {
	void *v;
	size_t n, cap, size;
};

static void *vec_push(struct vec *x)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		void *v = realloc(x->v, cap * x->size);
		if (!v)
			return NULL;
		x->v = v;
		x->cap = cap;
	}
	return (char *)x->v + x->n++ * x->size;
}

bool nft_addr_inc(uint8_t *a, size_t alen)
{
	for (size_t i = alen; i-- > 0;)
		if (++a[i] != 0)
			return true;
	return false;
}

bool nft_addr_dec(uint8_t *a, size_t alen)
{
	for (size_t i = alen; i-- > 0;)
		if (a[i]-- != 0)
			return true;
	return false;
}

bool nft_addr_is_max(const uint8_t *a, size_t alen)
{
	for (size_t i = 0; i < alen; i++)
		if (a[i] != 0xff)
			return false;
	return true;
}

/* lo..hi of a prefix; host bits of the given address are ignored. */
static void prefix_range(const uint8_t *addr, unsigned prefix, size_t alen,
			 struct nft_range *r)
{
	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < alen; i++) {
		unsigned bits = prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));
		r->lo[i] = addr[i] & mask;
		r->hi[i] = (uint8_t)(r->lo[i] | (uint8_t)~mask);
	}
}

static int fam_index(const struct ipaddr *a)
{
	if (a->family == AF_INET)
		return NFT_V4;
	if (a->family == AF_INET6)
		return NFT_V6;
	return -1;
}

static int cmp_range(const void *x, const void *y)
{
	const struct nft_range *a = x, *b = y;
	int c = memcmp(a->lo, b->lo, 16);
	return c ? c : memcmp(a->hi, b->hi, 16);
}

static int cmp_prange(const void *x, const void *y)
{
	const struct nft_prange *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->hi > b->hi) - (a->hi < b->hi);
}

static int cmp_pitem(const void *x, const void *y)
{
	return memcmp(((const struct pitem *)x)->a.lo,
		      ((const struct pitem *)y)->a.lo, 16);
}

static int cmp_addr16(const void *x, const void *y)
{
	return memcmp(x, y, 16);
}

/* Sorts and merges overlapping or adjacent port ranges in place. */
static size_t merge_ports(struct nft_prange *r, size_t n)
{
	if (n == 0)
		return 0;
	qsort(r, n, sizeof *r, cmp_prange);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if ((uint32_t)r[i].lo <= (uint32_t)r[k].hi + 1) {
			if (r[i].hi > r[k].hi)
				r[k].hi = r[i].hi;
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

/* Sorts and merges overlapping or adjacent address ranges in place. */
static size_t merge_ranges(struct nft_range *r, size_t n, size_t alen)
{
	if (n == 0)
		return 0;
	qsort(r, n, sizeof *r, cmp_range);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		uint8_t next[16];
		memcpy(next, r[k].hi, 16);
		bool top = !nft_addr_inc(next, alen);
		if (top || memcmp(r[i].lo, next, 16) <= 0) {
			if (memcmp(r[i].hi, r[k].hi, 16) > 0)
				memcpy(r[k].hi, r[i].hi, 16);
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

static size_t uniq(void *base, size_t n, size_t size,
		   int (*cmp)(const void *, const void *))
{
	if (n == 0)
		return 0;
	qsort(base, n, size, cmp);
	char *b = base;
	size_t k = 0;
	for (size_t i = 1; i < n; i++)
		if (cmp(b + k * size, b + i * size) != 0) {
			k++;
			if (k != i)
				memcpy(b + k * size, b + i * size, size);
		}
	return k + 1;
}

int nft_spec_ports(const struct policy *p, uint16_t idx, struct nft_prange *r,
		   size_t *n)
{
	*n = 0;
	if (idx == 0)
		return 0;
	if (idx >= p->n_portspecs || !p->portspecs)
		return errno = EINVAL, -1;
	const struct portspec *s = &p->portspecs[idx];
	if (s->n > PORTSPEC_MAX_RANGES)
		return errno = EINVAL, -1;
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].lo > s->r[i].hi)
			return errno = EINVAL, -1;
		r[i].lo = s->r[i].lo;
		r[i].hi = s->r[i].hi;
	}
	*n = merge_ports(r, s->n);
	/* Every port after all: the cheaper all-ports sets will do. */
	if (*n == 1 && r[0].lo == 0 && r[0].hi == 0xffff)
		*n = 0;
	return 0;
}

int nft_dyn_set_of(const struct policy *p, uint16_t idx)
{
	struct nft_prange r[PORTSPEC_MAX_RANGES];
	size_t n;
	if (nft_spec_ports(p, idx, r, &n) < 0)
		return -1;
	return n ? idx : 0;
}

const char *nft_dyn_set_name(int v, uint16_t set, char *buf, size_t len)
{
	if (set == 0)
		snprintf(buf, len, "%s",
			 v == NFT_V4 ? NFT_SET_ADDR4 : NFT_SET_ADDR6);
	else
		snprintf(buf, len, NFT_SET_ADDR_PORTS, v == NFT_V4 ? 4 : 6,
			 (unsigned)set);
	return buf;
}

bool nft_dyn_set_parse(const char *name, int *v, uint16_t *set)
{
	if (strncmp(name, "addr", 4) != 0 || (name[4] != '4' && name[4] != '6'))
		return false;
	*v = name[4] == '4' ? NFT_V4 : NFT_V6;
	*set = 0;
	if (name[5] == 0)
		return true;
	if (name[5] != '_' || name[6] != 'p' || name[7] < '1' || name[7] > '9')
		return false;
	unsigned long x = 0;
	for (const char *c = name + 7; *c; c++) {
		if (*c < '0' || *c > '9' || c - name > 11)
			return false;
		x = x * 10 + (unsigned long)(*c - '0');
	}
	if (x > 0xffff)
		return false;
	*set = (uint16_t)x;
	return true;
}

/* Merged port ranges of a spec appended to the pool; 0 = all ports. */
static int spec_ports(const struct policy *p, uint16_t idx, struct vec *pool,
		      size_t *off, size_t *n)
{
	struct nft_prange r[PORTSPEC_MAX_RANGES];
	*off = pool->n;
	if (nft_spec_ports(p, idx, r, n) < 0)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		struct nft_prange *d = vec_push(pool);
		if (!d)
			return -1;
		*d = r[i];
	}
	return 0;
}

struct seg {
	uint8_t lo[16], hi[16];
	struct vec ports; /* struct nft_prange */
	bool used;
};

static int seg_emit(const struct seg *s, struct vec *out)
{
	const struct nft_prange *r = s->ports.v;
	for (size_t i = 0; i < s->ports.n; i++) {
		struct nft_pelem *e = vec_push(out);
		if (!e)
			return -1;
		memcpy(e->lo, s->lo, 16);
		memcpy(e->hi, s->hi, 16);
		e->plo = r[i].lo;
		e->phi = r[i].hi;
	}
	return 0;
}

/* Splits the address space at every entry's start and end so that each
 * piece has one set of covering entries, gives the piece the union of
 * their ports, and joins neighbouring pieces with equal ports.  The
 * result never overlaps, which is what the pipapo set insists on. */
static int sweep_ports(struct pitem *it, size_t n,
		       const struct nft_prange *pool, size_t alen,
		       struct vec *out)
{
	int rc = -1;
	struct vec pts = {.size = 16}, act = {.size = sizeof(size_t)};
	struct seg pend = {.ports = {.size = sizeof(struct nft_prange)}};
	struct vec cur = {.size = sizeof(struct nft_prange)};
	if (n == 0)
		return 0;
	qsort(it, n, sizeof *it, cmp_pitem);
	for (size_t i = 0; i < n; i++) {
		uint8_t *q = vec_push(&pts);
		if (!q)
			goto out;
		memcpy(q, it[i].a.lo, 16);
		uint8_t end[16];
		memcpy(end, it[i].a.hi, 16);
		if (nft_addr_inc(end, alen)) {
			if (!(q = vec_push(&pts)))
				goto out;
			memcpy(q, end, 16);
		}
	}
	pts.n = uniq(pts.v, pts.n, 16, cmp_addr16);
	size_t next = 0;
	for (size_t i = 0; i < pts.n; i++) {
		const uint8_t *pt = (const uint8_t *)pts.v + i * 16;
		size_t *a = act.v, k = 0;
		for (size_t j = 0; j < act.n; j++)
			if (memcmp(it[a[j]].a.hi, pt, 16) >= 0)
				a[k++] = a[j];
		act.n = k;
		while (next < n && memcmp(it[next].a.lo, pt, 16) == 0) {
			size_t *s = vec_push(&act);
			if (!s)
				goto out;
			*s = next++;
		}
		if (act.n == 0)
			continue;
		cur.n = 0;
		a = act.v;
		for (size_t j = 0; j < act.n; j++)
			for (size_t r = 0; r < it[a[j]].rn; r++) {
				struct nft_prange *d = vec_push(&cur);
				if (!d)
					goto out;
				*d = pool[it[a[j]].roff + r];
			}
		cur.n = merge_ports(cur.v, cur.n);
		uint8_t lo[16], hi[16];
		memcpy(lo, pt, 16);
		if (i + 1 < pts.n) {
			memcpy(hi, (const uint8_t *)pts.v + (i + 1) * 16, 16);
			nft_addr_dec(hi, alen);
		} else {
			memset(hi, 0, 16);
			memset(hi, 0xff, alen);
		}
		uint8_t after[16];
		memcpy(after, pend.hi, 16);
		bool adjacent = pend.used && nft_addr_inc(after, alen) &&
				memcmp(after, lo, 16) == 0;
		if (adjacent && pend.ports.n == cur.n &&
		    memcmp(pend.ports.v, cur.v,
			   cur.n * sizeof(struct nft_prange)) == 0) {
			memcpy(pend.hi, hi, 16);
			continue;
		}
		if (pend.used && seg_emit(&pend, out) < 0)
			goto out;
		struct vec t = pend.ports;
		pend.ports = cur;
		cur = t;
		memcpy(pend.lo, lo, 16);
		memcpy(pend.hi, hi, 16);
		pend.used = true;
	}
	if (pend.used && seg_emit(&pend, out) < 0)
		goto out;
	rc = 0;
out:
	free(pts.v);
	free(act.v);
	free(pend.ports.v);
	free(cur.v);
	return rc;
}

struct collect {
	struct vec net[2], item[2], dns[2], dyn[2], dset, pool;
	struct nft_guard *guard;
	size_t n_guard;
};

static int add_entry(const struct policy *p, struct collect *c, int v,
		     const struct nft_range *r, uint16_t spec)
{
	size_t off, n;
	if (spec_ports(p, spec, &c->pool, &off, &n) < 0)
		return -1;
	if (n == 0) {
		struct nft_range *d = vec_push(&c->net[v]);
		if (!d)
			return -1;
		*d = *r;
		return 0;
	}
	struct pitem *it = vec_push(&c->item[v]);
	if (!it)
		return -1;
	it->a = *r;
	it->roff = off;
	it->rn = n;
	return 0;
}

static int add_learned(const struct policy *p, struct collect *c,
		       const struct resolved *r)
{
	int v = fam_index(&r->addr), set = nft_dyn_set_of(p, r->portspec);
	if (v < 0 || set < 0)
		return errno = EINVAL, -1;
	struct nft_dyn_addr *d = vec_push(&c->dyn[v]);
	if (!d)
		return -1;
	memset(d, 0, sizeof *d);
	memcpy(d->b, r->addr.b, nft_alen(v));
	d->set = (uint16_t)set;
	d->timeout = nft_dyn_clamp(p, r->ttl);
	return 0;
}

/* An upstream's address; ::ffff:a.b.c.d is sent as IPv4, so it is one. */
static int upstream_addr(const struct upstream *u, uint8_t *b)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	int v = fam_index(&u->addr);
	memset(b, 0, 16);
	if (v == NFT_V6 && memcmp(u->addr.b, mapped, 12) == 0) {
		memcpy(b, u->addr.b + 12, 4);
		return NFT_V4;
	}
	if (v >= 0)
		memcpy(b, u->addr.b, nft_alen(v));
	return v;
}

/* Docker's embedded DNS is 127.0.0.11:53, DNATed inside the container to
 * 127.0.0.11:<random port> before our filter sees it, where `oif lo
 * accept` would let anybody talk to it: unmarked packets to a loopback
 * upstream are refused first.  127.0.0.1:53 and [::1]:53 are the
 * forwarder itself. */
static void add_guard(struct collect *c, int v, const uint8_t *b, uint16_t port)
{
	static const uint8_t lo6[16] = {[15] = 1};
	bool one = v == NFT_V4 ? memcmp(b, "\x7f\0\0\x01", 4) == 0
			       : memcmp(b, lo6, 16) == 0;
	if (v == NFT_V4 ? b[0] != 127 : !one)
		return;
	if (one && port == 53)
		return;
	struct nft_guard g = {.v = (uint8_t)v, .port = one ? port : 0};
	memcpy(g.addr, b, 16);
	for (size_t i = 0; i < c->n_guard; i++)
		if (memcmp(&c->guard[i], &g, sizeof g) == 0)
			return;
	c->guard[c->n_guard++] = g;
}

static int collect(const struct policy *p, const struct resolved *addrs,
		   size_t n_addrs, struct collect *c)
{
	for (size_t i = 0; i < p->n_targets; i++) {
		const struct target *t = &p->targets[i];
		if (t->kind != TARGET_NET)
			continue;
		int v = fam_index(&t->addr);
		if (v < 0 || t->prefix > nft_alen(v) * 8)
			return errno = EINVAL, -1;
		struct nft_range r;
		prefix_range(t->addr.b, t->prefix, nft_alen(v), &r);
		if (add_entry(p, c, v, &r, t->portspec) < 0)
			return -1;
	}
	for (size_t i = 0; i < n_addrs; i++)
		if (add_learned(p, c, &addrs[i]) < 0)
			return -1;
	for (size_t i = 1; i < p->n_portspecs; i++) {
		struct nft_dynset d = {.spec = (uint16_t)i};
		size_t n;
		if (i > 0xffff || nft_spec_ports(p, (uint16_t)i, d.r, &n) < 0)
			return errno = EINVAL, -1;
		if (n == 0) /* every port: addr4/addr6 */
			continue;
		d.n = (uint8_t)n;
		struct nft_dynset *x = vec_push(&c->dset);
		if (!x)
			return -1;
		*x = d;
	}
	size_t nu = p->n_upstreams < POLICY_MAX_UPSTREAMS
			? p->n_upstreams
			: POLICY_MAX_UPSTREAMS;
	for (size_t i = 0; i < nu; i++) {
		const struct upstream *u = &p->upstreams[i];
		uint8_t b[16];
		int v = upstream_addr(u, b);
		if (v < 0)
			return errno = EINVAL, -1;
		struct nft_pelem *e = vec_push(&c->dns[v]);
		if (!e)
			return -1;
		memset(e, 0, sizeof *e);
		memcpy(e->lo, b, 16);
		memcpy(e->hi, b, 16);
		e->plo = e->phi = u->port ? u->port : 53;
		add_guard(c, v, b, e->plo);
	}
	return 0;
}

static int cmp_pelem(const void *x, const void *y)
{
	const struct nft_pelem *a = x, *b = y;
	int c = memcmp(a->lo, b->lo, 16);
	if (c)
		return c;
	return (a->plo > b->plo) - (a->plo < b->plo);
}

static int cmp_dyn(const void *x, const void *y)
{
	const struct nft_dyn_addr *a = x, *b = y;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return memcmp(a->b, b->b, 16);
}

/* Sorted by set and address; an address twice keeps the longer timeout. */
static size_t uniq_dyn(struct nft_dyn_addr *d, size_t n)
{
	if (n == 0)
		return 0;
	qsort(d, n, sizeof *d, cmp_dyn);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (cmp_dyn(&d[k], &d[i]) == 0) {
			if (d[i].timeout > d[k].timeout)
				d[k].timeout = d[i].timeout;
		} else {
			d[++k] = d[i];
		}
	}
	return k + 1;
}

int nft_normalise(const struct policy *p, const struct resolved *addrs,
		  size_t n_addrs, struct nft_norm *out)
{
	struct collect c;
	memset(out, 0, sizeof *out);
	memset(&c, 0, sizeof c);
	c.pool.size = sizeof(struct nft_prange);
	c.dset.size = sizeof(struct nft_dynset);
	c.guard = out->guard;
	for (int v = 0; v < 2; v++) {
		c.net[v].size = sizeof(struct nft_range);
		c.item[v].size = sizeof(struct pitem);
		c.dns[v].size = sizeof(struct nft_pelem);
		c.dyn[v].size = sizeof(struct nft_dyn_addr);
	}
	int rc = collect(p, addrs, n_addrs, &c);
	out->n_guard = c.n_guard;
	out->dset = c.dset.v;
	out->n_dset = c.dset.n;
	for (int v = 0; v < 2 && rc == 0; v++) {
		struct vec port = {.size = sizeof(struct nft_pelem)};
		rc = sweep_ports(c.item[v].v, c.item[v].n, c.pool.v,
				 nft_alen(v), &port);
		out->port[v] = port.v;
		out->n_port[v] = port.n;
		out->net[v] = c.net[v].v;
		out->n_net[v] =
		    merge_ranges(c.net[v].v, c.net[v].n, nft_alen(v));
		out->dyn[v] = c.dyn[v].v;
		out->n_dyn[v] = uniq_dyn(c.dyn[v].v, c.dyn[v].n);
		out->dns[v] = c.dns[v].v;
		out->n_dns[v] = uniq(c.dns[v].v, c.dns[v].n,
				     sizeof(struct nft_pelem), cmp_pelem);
		c.net[v].v = c.dyn[v].v = c.dns[v].v = NULL;
	}
	for (int v = 0; v < 2; v++) {
		free(c.net[v].v);
		free(c.item[v].v);
		free(c.dns[v].v);
		free(c.dyn[v].v);
	}
	free(c.pool.v);
	if (rc < 0) {
		int e = errno;
		nft_norm_free(out);
		errno = e;
	}
	return rc;
}

void nft_norm_free(struct nft_norm *n)
{
	for (int v = 0; v < 2; v++) {
		free(n->net[v]);
		free(n->port[v]);
		free(n->dns[v]);
		free(n->dyn[v]);
	}
	free(n->dset);
	memset(n, 0, sizeof *n);
}
