/* The nftables batch decoded with libnftnl the way the kernel would read
 * it, for the tests that need no kernel (test_nft_build.c,
 * test_nft_rules.c).  Test code: libnftnl's parsers are fine here, the
 * input is our own. */
#ifndef CORRAL_NFT_TESTBATCH_H
#define CORRAL_NFT_TESTBATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/udata.h>

#include "../../firewall/nft_int.h"
#include "nft_testpol.h"

struct elemrec {
	uint8_t key[20], kend[20];
	uint32_t klen, flags;
	uint64_t timeout;
	bool has_end, open;
};

struct setrec {
	char name[32], comment[64];
	uint32_t id, flags, key_type, key_len, n_fields;
	uint8_t fields[4];
	struct elemrec *e;
	size_t n, cap, msgs;
};

struct rulerec {
	char chain[16], exprs[160];
	struct nftnl_rule *r;
};

struct batch {
	uint16_t type[8192];
	uint16_t flags[8192];
	size_t n_msgs, max_elem_msg;
	bool seq_ok, parse_ok;
	int n_tables;
	bool table_has_flags[3];
	uint32_t table_flags[3];
	struct nftnl_chain *chain[8];
	uint16_t elem_type[8192]; /* NEWSETELEM / DELSETELEM in order */
	size_t n_chains;
	struct setrec set[160];
	size_t n_sets;
	struct rulerec rule[96];
	size_t n_rules;
};

static inline struct setrec *set_by_id(struct batch *b, uint32_t id)
{
	for (size_t i = 0; i < b->n_sets; i++)
		if (b->set[i].id == id)
			return &b->set[i];
	return NULL;
}

static inline struct setrec *set_by_name(struct batch *b, const char *n)
{
	for (size_t i = 0; i < b->n_sets; i++)
		if (strcmp(b->set[i].name, n) == 0)
			return &b->set[i];
	return NULL;
}

static inline int elem_cb(struct nftnl_set_elem *e, void *data)
{
	struct setrec *s = data;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->e = realloc(s->e, s->cap * sizeof *s->e);
		if (!s->e)
			abort();
	}
	struct elemrec *r = &s->e[s->n++];
	memset(r, 0, sizeof *r);
	uint32_t len = 0;
	const void *k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (k && len <= sizeof r->key)
		memcpy(r->key, k, len);
	r->klen = len;
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END)) {
		k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len);
		if (k && len <= sizeof r->kend)
			memcpy(r->kend, k, len);
		r->has_end = true;
	}
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
		r->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
		r->timeout = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
		const uint8_t *ud =
		    nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
		r->open = len == 6 && ud[0] == 1 && ud[1] == 4 && ud[2] == 1;
	}
	return 0;
}

static inline void decode_msg(struct batch *b, const struct nlmsghdr *nlh)
{
	uint16_t t = nlh->nlmsg_type & 0xff;
	if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES)
		return;
	if (t == NFT_MSG_NEWTABLE || t == NFT_MSG_DELTABLE) {
		struct nftnl_table *tb = nftnl_table_alloc();
		if (nftnl_table_nlmsg_parse(nlh, tb) < 0 ||
		    strcmp(nftnl_table_get_str(tb, NFTNL_TABLE_NAME), "corral"))
			b->parse_ok = false;
		if (b->n_tables < 3) {
			b->table_has_flags[b->n_tables] =
			    nftnl_table_is_set(tb, NFTNL_TABLE_FLAGS);
			b->table_flags[b->n_tables] =
			    nftnl_table_get_u32(tb, NFTNL_TABLE_FLAGS);
		}
		b->n_tables++;
		nftnl_table_free(tb);
	} else if (t == NFT_MSG_NEWCHAIN) {
		struct nftnl_chain *c = nftnl_chain_alloc();
		if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
			b->parse_ok = false;
		if (b->n_chains < 8)
			b->chain[b->n_chains++] = c;
		else
			nftnl_chain_free(c), b->parse_ok = false;
	} else if (t == NFT_MSG_NEWSET) {
		struct nftnl_set *s = nftnl_set_alloc();
		if (nftnl_set_nlmsg_parse(nlh, s) < 0)
			b->parse_ok = false;
		if (b->n_sets == sizeof b->set / sizeof b->set[0])
			abort();
		struct setrec *r = &b->set[b->n_sets++];
		snprintf(r->name, sizeof r->name, "%s",
			 nftnl_set_get_str(s, NFTNL_SET_NAME));
		r->id = nftnl_set_get_u32(s, NFTNL_SET_ID);
		r->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
		r->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
		r->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
		if (nftnl_set_is_set(s, NFTNL_SET_USERDATA)) {
			uint32_t len = 0;
			const uint8_t *u =
			    nftnl_set_get_data(s, NFTNL_SET_USERDATA, &len);
			for (uint32_t o = 0; o + 2 <= len; o += 2u + u[o + 1])
				if (u[o] == NFTNL_UDATA_SET_COMMENT &&
				    o + 2u + u[o + 1] <= len)
					snprintf(r->comment, sizeof r->comment,
						 "%.*s", u[o + 1],
						 (const char *)u + o + 2);
		}
		if (nftnl_set_is_set(s, NFTNL_SET_DESC_CONCAT)) {
			uint32_t len = 0;
			const uint8_t *f =
			    nftnl_set_get_data(s, NFTNL_SET_DESC_CONCAT, &len);
			for (uint32_t i = 0; i < len && i < 4 && f[i]; i++)
				r->fields[r->n_fields++] = f[i];
		}
		nftnl_set_free(s);
	} else if (t == NFT_MSG_NEWSETELEM) {
		struct nftnl_set *s = nftnl_set_alloc();
		if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0)
			b->parse_ok = false;
		struct setrec *r =
		    set_by_id(b, nftnl_set_get_u32(s, NFTNL_SET_ID));
		if (!r || strcmp(r->name, nftnl_set_get_str(s, NFTNL_SET_NAME)))
			b->parse_ok = false;
		else {
			nftnl_set_elem_foreach(s, elem_cb, r);
			r->msgs++;
		}
		if (nlh->nlmsg_len > b->max_elem_msg)
			b->max_elem_msg = nlh->nlmsg_len;
		nftnl_set_free(s);
	} else if (t == NFT_MSG_NEWRULE) {
		if (b->n_rules == sizeof b->rule / sizeof b->rule[0])
			abort();
		struct rulerec *r = &b->rule[b->n_rules++];
		r->r = nftnl_rule_alloc();
		if (nftnl_rule_nlmsg_parse(nlh, r->r) < 0)
			b->parse_ok = false;
		snprintf(r->chain, sizeof r->chain, "%s",
			 nftnl_rule_get_str(r->r, NFTNL_RULE_CHAIN));
		struct nftnl_expr_iter *it = nftnl_expr_iter_create(r->r);
		for (struct nftnl_expr *e = nftnl_expr_iter_next(it); e;
		     e = nftnl_expr_iter_next(it)) {
			size_t l = strlen(r->exprs);
			snprintf(r->exprs + l, sizeof r->exprs - l, "%s%s",
				 l ? " " : "",
				 nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
		}
		nftnl_expr_iter_destroy(it);
	}
}

static inline void decode(const struct nft_msgbuf *m, struct batch *b)
{
	memset(b, 0, sizeof *b);
	b->seq_ok = b->parse_ok = true;
	int len = (int)m->len;
	uint32_t seq = m->seq_first;
	const struct nlmsghdr *nlh = (const void *)m->buf;
	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq++)
			b->seq_ok = false;
		b->type[b->n_msgs] = nlh->nlmsg_type;
		b->flags[b->n_msgs] = nlh->nlmsg_flags;
		b->n_msgs++;
		decode_msg(b, nlh);
	}
	if (len != 0 || seq - 1 != m->seq_last)
		b->seq_ok = false;
}

static inline void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n_chains; i++)
		nftnl_chain_free(b->chain[i]);
	for (size_t i = 0; i < b->n_sets; i++)
		free(b->set[i].e);
	for (size_t i = 0; i < b->n_rules; i++)
		nftnl_rule_free(b->rule[i].r);
}

static inline int build(struct pol *x, bool owner, struct nft_msgbuf *m,
			struct batch *b)
{
	struct nft_opts o = {.owner = owner};
	int rc = nft_build_ruleset(&x->p, x->r, x->n_r, &o, 1000, m);
	memset(b, 0, sizeof *b);
	if (rc == 0)
		decode(m, b);
	return rc;
}

/* Elements of a set as text: "192.0.2.0", "end 192.0.3.0", "a . p-b . q". */
static inline const char *elems_str(const struct setrec *s)
{
	static char out[4096];
	size_t l = 0;
	out[0] = 0;
	for (size_t i = 0; s && i < s->n && l < sizeof out - 200; i++) {
		char k[96], e[96];
		nft_key_str(s->e[i].key, s->e[i].klen, k, sizeof k);
		if (s->e[i].has_end) {
			nft_key_str(s->e[i].kend, s->e[i].klen, e, sizeof e);
			l += (size_t)snprintf(out + l, sizeof out - l,
					      "%s%s-%s", l ? ", " : "", k, e);
		} else {
			l += (size_t)snprintf(
			    out + l, sizeof out - l, "%s%s%s%s", l ? ", " : "",
			    s->e[i].flags & NFT_SET_ELEM_INTERVAL_END ? "end "
								      : "",
			    k, s->e[i].open ? " open" : "");
		}
	}
	return out;
}

/* The expressions of rule r as text, and the i-th expression itself. */
static inline struct nftnl_expr *expr_at(struct nftnl_rule *r, int i)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e = nftnl_expr_iter_next(it);
	while (e && i-- > 0)
		e = nftnl_expr_iter_next(it);
	nftnl_expr_iter_destroy(it);
	return e;
}

static inline uint32_t cmp_u32(struct nftnl_expr *e, uint32_t *op)
{
	uint32_t len = 0, v = 0;
	const void *d = e ? nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len) : NULL;
	if (d && len <= sizeof v)
		memcpy(&v, d, len);
	*op = e ? nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP) : 99;
	return v;
}

static inline struct rulerec *rule_in(struct batch *b, const char *chain,
				      size_t nth)
{
	for (size_t i = 0; i < b->n_rules; i++)
		if (strcmp(b->rule[i].chain, chain) == 0 && nth-- == 0)
			return &b->rule[i];
	return NULL;
}

/* "192.0.2.1 60s, ..." : keys with their timeouts. */
static inline const char *timeouts_str(const struct setrec *s)
{
	static char out[2048];
	size_t l = 0;
	out[0] = 0;
	for (size_t i = 0; s && i < s->n && l < sizeof out - 100; i++) {
		char k[96];
		nft_key_str(s->e[i].key, s->e[i].klen, k, sizeof k);
		l += (size_t)snprintf(
		    out + l, sizeof out - l, "%s%s %llus", l ? ", " : "", k,
		    (unsigned long long)s->e[i].timeout / 1000);
	}
	return out;
}

/* An anonymous set of ports: "22, end 23, 8000, end 8101". */
static inline const char *ports_str(const struct setrec *s)
{
	static char out[512];
	size_t l = 0;
	out[0] = 0;
	for (size_t i = 0; s && i < s->n && l < sizeof out - 32; i++) {
		uint16_t p;
		memcpy(&p, s->e[i].key, 2);
		l += (size_t)snprintf(
		    out + l, sizeof out - l, "%s%s%u%s", l ? ", " : "",
		    s->e[i].flags & NFT_SET_ELEM_INTERVAL_END ? "end " : "",
		    ntohs(p), s->e[i].open ? " open" : "");
	}
	return out;
}

static inline struct setrec *anon_by_id(struct batch *b,
					struct nftnl_expr *lookup)
{
	return lookup ? set_by_id(b, nftnl_expr_get_u32(
					 lookup, NFTNL_EXPR_LOOKUP_SET_ID))
		      : NULL;
}

#endif
