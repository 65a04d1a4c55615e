/* The chain, the addresses, the rebuilt reply; see dns_answer.h.
 * Reads go through dns_rr_next (bounds-checked, on a message dns_parse
 * accepted); every write checks the room left as "cap - w < n" with
 * w <= cap known, so nothing can wrap. */
#include "dns_answer.h"

#include <string.h>
#include <sys/socket.h>

#include "rebind.h"

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static bool is_addr(const struct dns_rr *rr)
{
	return rr->rclass == DNS_CLASS_IN &&
	       (rr->type == DNS_T_A || rr->type == DNS_T_AAAA);
}

static struct ipaddr rr_ip(const struct dns_rr *rr)
{
	struct ipaddr ip;
	memset(&ip, 0, sizeof ip);
	ip.family = rr->type == DNS_T_A ? AF_INET : AF_INET6;
	memcpy(ip.b, rr->addr, rr->type == DNS_T_A ? 4 : 16);
	return ip;
}

static bool same_ip(const struct ipaddr *x, const struct ipaddr *y)
{
	return x->family == y->family &&
	       memcmp(x->b, y->b, x->family == AF_INET ? 4 : 16) == 0;
}

/* Index of name in the chain, or -1. */
static int chain_index(const struct dns_answer *a, const char *name)
{
	for (size_t i = 0; i < a->n_chain; i++)
		if (strcmp(a->chain[i], name) == 0)
			return (int)i;
	return -1;
}

static bool kept(const struct dns_answer *a, const struct ipaddr *ip)
{
	for (size_t i = 0; i < a->n_addrs; i++)
		if (same_ip(&a->addrs[i].addr, ip))
			return true;
	return false;
}

static void add_addr(struct dns_answer *a, const struct policy *p,
		     const struct ipaddr *ip, uint32_t ttl)
{
	for (size_t i = 0; i < a->n_addrs; i++) {
		if (same_ip(&a->addrs[i].addr, ip)) {
			if (ttl < a->addrs[i].ttl)
				a->addrs[i].ttl = ttl;
			return;
		}
	}
	const char *range = rebind_range(ip);
	if (range && !(p && policy_allows_address(p, ip))) {
		size_t n = a->n_dropped < DNS_ANSWER_ADDRS_MAX
			       ? a->n_dropped
			       : DNS_ANSWER_ADDRS_MAX;
		for (size_t i = 0; i < n; i++)
			if (same_ip(&a->dropped[i].addr, ip))
				return;
		if (a->n_dropped < DNS_ANSWER_ADDRS_MAX) {
			a->dropped[a->n_dropped].addr = *ip;
			a->dropped[a->n_dropped].range = range;
		}
		a->n_dropped++;
		return;
	}
	if (a->n_addrs == DNS_ANSWER_ADDRS_MAX) {
		a->n_over++;
		return;
	}
	a->addrs[a->n_addrs].addr = *ip;
	a->addrs[a->n_addrs].ttl = ttl;
	a->n_addrs++;
}

/* One pass over the answer section for chain[h]: its addresses, and the
 * target of its first CNAME into next (left "" when it has none). */
static int walk_name(struct dns_answer *a, const struct dns_msg *m,
		     const struct policy *p, size_t h, uint32_t ttl, char *next,
		     uint32_t *next_ttl)
{
	struct dns_rr_iter it;
	struct dns_rr rr;
	int r;
	next[0] = '\0';
	bool cname = false;
	dns_answers(m, &it);
	while ((r = dns_rr_next(&it, &rr)) > 0) {
		if (rr.rclass != DNS_CLASS_IN || strcmp(rr.name, a->chain[h]))
			continue;
		if (is_addr(&rr)) {
			struct ipaddr ip = rr_ip(&rr);
			add_addr(a, p, &ip, rr.ttl < ttl ? rr.ttl : ttl);
		} else if (rr.type == DNS_T_CNAME && !cname) {
			cname = true;
			memcpy(next, rr.target, DNS_NAME_BUF);
			*next_ttl = rr.ttl;
		}
	}
	return r;
}

/* Counts the A/AAAA records the client would see that are not the
 * chain's, and finds the OPT record on the way. */
static int scan_rest(struct dns_answer *a, const struct dns_msg *m)
{
	struct dns_rr_iter it;
	struct dns_rr rr;
	int r;
	dns_answers(m, &it);
	while ((r = dns_rr_next(&it, &rr)) > 0)
		if (is_addr(&rr) && chain_index(a, rr.name) < 0)
			a->n_offchain++;
	if (r < 0)
		return r;
	/* The iterator walks on into authority and additional: dns_rr_next
	 * reads a record the same way whatever its section.  dns_parse
	 * checked those sections for structure only, so a record there may
	 * still fail to decode (a name with a byte we refuse to print, an A
	 * record of 5 bytes): then the reply is rebuilt without them. */
	unsigned rest = (unsigned)m->nscount + m->arcount;
	it.left = rest;
	for (unsigned i = 0; i < rest; i++) {
		r = dns_rr_next(&it, &rr);
		if (r <= 0) {
			a->n_offchain++;
			break;
		}
		if (is_addr(&rr))
			a->n_offchain++;
		else if (rr.type == DNS_T_OPT && i >= m->nscount &&
			 !rr.name[0] && !a->have_opt && rr.rdata_off >= 10) {
			a->have_opt = true;
			a->opt_off = rr.rdata_off - 10;
			a->opt_len = 10u + rr.rdlength;
		}
	}
	return 0;
}

int dns_answer_collect(struct dns_answer *a, const struct dns_msg *reply,
		       const char *qname, const struct policy *p)
{
	memset(a, 0, sizeof *a);
	if (reply->qdcount != 1 || strlen(qname) > DNS_NAME_MAX)
		return DNS_E_ARG;
	memcpy(a->chain[0], qname, strlen(qname) + 1);
	a->n_chain = 1;
	uint32_t ttl = UINT32_MAX;
	for (size_t h = 0;; h++) {
		char next[DNS_NAME_BUF];
		uint32_t next_ttl = 0;
		int r = walk_name(a, reply, p, h, ttl, next, &next_ttl);
		if (r < 0)
			return r;
		if (!next[0])
			break;
		if (chain_index(a, next) >= 0) {
			a->loop = true;
			break;
		}
		if (h == DNS_ANSWER_HOPS_MAX) {
			a->long_chain = true;
			break;
		}
		memcpy(a->chain[h + 1], next, sizeof next);
		a->n_chain++;
		if (next_ttl < ttl)
			ttl = next_ttl;
	}
	int r = scan_rest(a, reply);
	if (r < 0)
		return r;
	a->rebuild = a->n_dropped || a->n_over || a->n_offchain;
	return 0;
}

/* Writes a name (presentation form as dns_parse gives it) uncompressed. */
static int put_name(uint8_t *out, size_t cap, size_t *w, const char *name)
{
	size_t i = 0, n = strlen(name);
	if (n > DNS_NAME_MAX)
		return DNS_E_ARG;
	while (i < n) {
		size_t l = strcspn(name + i, ".");
		if (l == 0 || l > DNS_LABEL_MAX)
			return DNS_E_ARG;
		if (cap - *w < l + 1)
			return DNS_E_SPACE;
		out[(*w)++] = (uint8_t)l;
		memcpy(out + *w, name + i, l);
		*w += l;
		i += l;
		if (i < n)
			i++; /* the dot */
	}
	if (cap - *w < 1)
		return DNS_E_SPACE;
	out[(*w)++] = 0;
	return 0;
}

/* Owner of a record of chain[h]: a pointer to where that name was written
 * whole (a pointer reaches only the first 16 KiB), else the name itself. */
static int put_owner(uint8_t *out, size_t cap, size_t *w, size_t at,
		     const char *name)
{
	if (at && at < 0x4000) {
		if (cap - *w < 2)
			return DNS_E_SPACE;
		put16(out + *w, (uint16_t)(0xc000 | at));
		*w += 2;
		return 0;
	}
	return put_name(out, cap, w, name);
}

/* Writes the records of chain[h]; sets name_at[h + 1] when its CNAME
 * introduces the next name of the chain. */
static int put_records(uint8_t *out, size_t cap, size_t *w,
		       const struct dns_msg *m, const struct dns_answer *a,
		       size_t h, size_t *name_at, unsigned *an)
{
	struct dns_rr_iter it;
	struct dns_rr rr;
	bool cname = false;
	int r;
	dns_answers(m, &it);
	while ((r = dns_rr_next(&it, &rr)) > 0) {
		if (rr.rclass != DNS_CLASS_IN || strcmp(rr.name, a->chain[h]))
			continue;
		bool is_cname = rr.type == DNS_T_CNAME;
		if (is_cname ? cname : !is_addr(&rr))
			continue;
		if (!is_cname) {
			struct ipaddr ip = rr_ip(&rr);
			if (!kept(a, &ip))
				continue;
		}
		if ((r = put_owner(out, cap, w, name_at[h], rr.name)) < 0)
			return r;
		if (cap - *w < 10)
			return DNS_E_SPACE;
		uint8_t *fixed = out + *w;
		put16(fixed, rr.type);
		put16(fixed + 2, rr.rclass);
		put32(fixed + 4, rr.ttl);
		*w += 10;
		size_t rdata = *w;
		if (is_cname) {
			cname = true;
			if ((r = put_name(out, cap, w, rr.target)) < 0)
				return r;
			if (h + 1 < a->n_chain && !name_at[h + 1] &&
			    strcmp(rr.target, a->chain[h + 1]) == 0)
				name_at[h + 1] = rdata;
		} else {
			size_t len = rr.type == DNS_T_A ? 4 : 16;
			if (cap - *w < len)
				return DNS_E_SPACE;
			memcpy(out + *w, rr.addr, len);
			*w += len;
		}
		put16(fixed + 8, (uint16_t)(*w - rdata));
		(*an)++;
	}
	return r;
}

int dns_answer_rebuild(uint8_t *out, size_t cap, const struct dns_msg *reply,
		       const struct dns_answer *a)
{
	const struct dns_msg *m = reply;
	if (m->qdcount != 1 || m->q_end < DNS_HEADER_LEN || m->q_end > m->len ||
	    a->n_chain < 1 || a->n_chain > DNS_ANSWER_HOPS_MAX + 1 ||
	    strcmp(m->qname, a->chain[0]) != 0)
		return DNS_E_ARG;
	if (a->have_opt &&
	    (a->opt_off > m->len || m->len - a->opt_off < a->opt_len))
		return DNS_E_ARG;
	size_t w = m->q_end;
	if (cap < w)
		return DNS_E_SPACE;
	memcpy(out, m->buf, m->q_end);
	put16(out + 2, (uint16_t)(get16(m->buf + 2) & ~(DNS_F_TC | DNS_F_AD)));
	put16(out + 4, 1);
	put16(out + 8, 0);
	/* Where each chain name lies whole: the question for the asked name,
	 * then the CNAME target that introduced each next one. */
	size_t name_at[DNS_ANSWER_HOPS_MAX + 1] = {DNS_HEADER_LEN};
	unsigned an = 0;
	for (size_t h = 0; h < a->n_chain; h++) {
		int r = put_records(out, cap, &w, m, a, h, name_at, &an);
		if (r < 0)
			return r;
	}
	unsigned ar = 0;
	if (a->have_opt) {
		if (cap - w < 1 + a->opt_len)
			return DNS_E_SPACE;
		out[w++] = 0; /* root owner */
		memcpy(out + w, m->buf + a->opt_off, a->opt_len);
		w += a->opt_len;
		ar = 1;
	}
	if (an > 0xffff || w > 0xffff)
		return DNS_E_SPACE;
	put16(out + 6, (uint16_t)an);
	put16(out + 10, (uint16_t)ar);
	return (int)w;
}

int dns_build_header_reply(uint8_t *out, size_t cap, const uint8_t *query,
			   size_t len, uint8_t rcode)
{
	if (len < DNS_HEADER_LEN || rcode > 15)
		return DNS_E_ARG;
	uint16_t flags = get16(query + 2);
	if (flags & DNS_F_QR)
		return DNS_E_ARG;
	if (cap < DNS_HEADER_LEN)
		return DNS_E_SPACE;
	uint16_t id = get16(query);
	memset(out, 0, DNS_HEADER_LEN);
	put16(out, id);
	put16(out + 2, (uint16_t)(DNS_F_QR | (flags & (0xf << 11)) |
				  (flags & DNS_F_RD) | DNS_F_RA | rcode));
	return DNS_HEADER_LEN;
}
