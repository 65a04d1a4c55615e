/* The nftables batch, built from hand-made policies and parsed back with
 * libnftnl the way the kernel would read it.  Needs no kernel, no root. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "../../firewall/nft_int.h"
#include "nft_testpol.h"
#include "tap.h"

/* --- the batch, decoded --- */

struct elemrec {
	uint8_t key[20], kend[20];
	uint32_t klen, flags;
	bool has_end, open;
};

struct setrec {
	char name[32];
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
	size_t n_chains;
	struct setrec set[32];
	size_t n_sets;
	struct rulerec rule[32];
	size_t n_rules;
};

static struct setrec *set_by_id(struct batch *b, uint32_t id)
{
	for (size_t i = 0; i < b->n_sets; i++)
		if (b->set[i].id == id)
			return &b->set[i];
	return NULL;
}

static struct setrec *set_by_name(struct batch *b, const char *n)
{
	for (size_t i = 0; i < b->n_sets; i++)
		if (strcmp(b->set[i].name, n) == 0)
			return &b->set[i];
	return NULL;
}

static int elem_cb(struct nftnl_set_elem *e, void *data)
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
	if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
		const uint8_t *ud =
		    nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
		r->open = len == 6 && ud[0] == 1 && ud[1] == 4 && ud[2] == 1;
	}
	return 0;
}

static void decode_msg(struct batch *b, const struct nlmsghdr *nlh)
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
		b->chain[b->n_chains++] = c;
	} else if (t == NFT_MSG_NEWSET) {
		struct nftnl_set *s = nftnl_set_alloc();
		if (nftnl_set_nlmsg_parse(nlh, s) < 0)
			b->parse_ok = false;
		struct setrec *r = &b->set[b->n_sets++];
		snprintf(r->name, sizeof r->name, "%s",
			 nftnl_set_get_str(s, NFTNL_SET_NAME));
		r->id = nftnl_set_get_u32(s, NFTNL_SET_ID);
		r->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
		r->key_type = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
		r->key_len = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
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

static void decode(const struct nft_msgbuf *m, struct batch *b)
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

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n_chains; i++)
		nftnl_chain_free(b->chain[i]);
	for (size_t i = 0; i < b->n_sets; i++)
		free(b->set[i].e);
	for (size_t i = 0; i < b->n_rules; i++)
		nftnl_rule_free(b->rule[i].r);
}

static int build(struct pol *x, bool owner, struct nft_msgbuf *m,
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
static const char *elems_str(const struct setrec *s)
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

/* --- tests --- */

static void test_structure(void)
{
	struct pol x;
	pol_init(&x);
	name(&x, "api.example.test", TARGET_NAME);
	name(&x, "cdn.example.test", TARGET_WILDCARD);
	struct nft_msgbuf m;
	struct batch b;
	ok(build(&x, false, &m, &b) == 0, "empty policy builds");
	ok(b.seq_ok, "sequence numbers run from BATCH_BEGIN to BATCH_END");
	ok(b.parse_ok, "libnftnl parses every message");
	is_int(m.seq_first, 1000, "batch starts at the given seq");
	is_int(b.type[0], NFNL_MSG_BATCH_BEGIN, "first message: BATCH_BEGIN");
	is_int(b.type[b.n_msgs - 1], NFNL_MSG_BATCH_END,
	       "last message: BATCH_END");
	ok(b.flags[b.n_msgs - 1] & NLM_F_ACK, "BATCH_END asks for an ACK");
	bool acks = true;
	for (size_t i = 1; i < b.n_msgs; i++)
		acks = acks && (b.flags[i] & NLM_F_ACK);
	ok(acks, "every message asks for an ACK");
#define T(x) ((NFNL_SUBSYS_NFTABLES << 8) | (x))
	is_int(b.type[1], T(NFT_MSG_NEWTABLE),
	       "then NEWTABLE (create if missing)");
	ok((b.flags[1] & NLM_F_CREATE) && !(b.flags[1] & NLM_F_EXCL),
	   "  with CREATE and without EXCL");
	ok(!b.table_has_flags[0],
	   "  and no flags: an existing table stays as it is");
	is_int(b.type[2], T(NFT_MSG_DELTABLE), "then DELTABLE");
	is_int(b.type[3], T(NFT_MSG_NEWTABLE), "then NEWTABLE afresh");
	ok(b.table_has_flags[2] && b.table_flags[2] == 0,
	   "  without the owner flag");
	is_int(b.type[4], T(NFT_MSG_NEWOBJ), "named counter before the rules");
	is_int(b.n_tables, 3, "three table messages, no other table touched");

	is_int(b.n_chains, 3, "three chains");
	static const struct {
		const char *name;
		uint32_t hook;
	} ch[] = {{"output", NF_INET_LOCAL_OUT},
		  {"input", NF_INET_LOCAL_IN},
		  {"forward", NF_INET_FORWARD}};
	for (size_t i = 0; i < 3 && i < b.n_chains; i++) {
		struct nftnl_chain *c = b.chain[i];
		is_str(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), ch[i].name,
		       "chain %zu is %s", i, ch[i].name);
		ok(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == ch[i].hook &&
		       nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == 0 &&
		       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_DROP &&
		       strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
			      "filter") == 0,
		   "  filter hook %s priority 0 policy drop", ch[i].name);
	}

	static const struct {
		const char *name;
		uint32_t flags, type, len, f0, f1;
	} sets[] = {
	    {"net4", NFT_SET_INTERVAL, 7, 4, 0, 0},
	    {"net6", NFT_SET_INTERVAL, 8, 16, 0, 0},
	    {"addr4", NFT_SET_TIMEOUT, 7, 4, 0, 0},
	    {"addr6", NFT_SET_TIMEOUT, 8, 16, 0, 0},
	    {"port4", NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT,
	     7 << 6 | 13, 8, 4, 2},
	    {"port6", NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT,
	     8 << 6 | 13, 20, 16, 2},
	    {"dns4", 0, 7 << 6 | 13, 8, 0, 0},
	    {"dns6", 0, 8 << 6 | 13, 20, 0, 0},
	};
	for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		struct setrec *s = set_by_name(&b, sets[i].name);
		ok(s && s->flags == sets[i].flags &&
		       s->key_type == sets[i].type &&
		       s->key_len == sets[i].len &&
		       (sets[i].f0 == 0
			    ? s->n_fields == 0
			    : s->n_fields == 2 && s->fields[0] == sets[i].f0 &&
				  s->fields[1] == sets[i].f1),
		   "set %s: key type %u, %u bytes, flags %#x", sets[i].name,
		   sets[i].type, sets[i].len, sets[i].flags);
		ok(s && s->n == 0 && s->msgs == 0, "  created empty");
	}
	ok(set_by_name(&b, "__set%d") != NULL, "anonymous sets for the rules");

	size_t out = 0, in = 0;
	for (size_t i = 0; i < b.n_rules; i++) {
		out += strcmp(b.rule[i].chain, "output") == 0;
		in += strcmp(b.rule[i].chain, "input") == 0;
	}
	is_int(out, 14, "14 rules in output");
	is_int(in, 3, "3 rules in input");
	if (b.n_rules == 17) {
		is_str(b.rule[0].exprs, "meta cmp immediate", "oif lo accept");
		is_str(b.rule[1].exprs, "ct bitwise cmp immediate",
		       "ct state established,related accept");
		is_str(b.rule[2].exprs, "meta cmp payload lookup immediate",
		       "icmpv6 type { ... } accept");
		is_str(b.rule[5].exprs, "meta cmp payload lookup immediate",
		       "ip daddr @net4 accept");
		is_str(b.rule[9].exprs,
		       "meta lookup meta cmp payload payload lookup immediate",
		       "meta l4proto { tcp, udp } ip daddr . th dport @port4 "
		       "accept");
		is_str(b.rule[11].exprs, "objref", "counter name blocked");
		is_str(b.rule[12].exprs, "meta cmp reject", "tcp reset rule");
		is_str(b.rule[13].exprs, "reject", "icmpx reject rule");
		struct nftnl_expr_iter *it =
		    nftnl_expr_iter_create(b.rule[13].r);
		struct nftnl_expr *e = nftnl_expr_iter_next(it);
		ok(e &&
		       nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) ==
			   NFT_REJECT_ICMPX_UNREACH &&
		       nftnl_expr_get_u8(e, NFTNL_EXPR_REJECT_CODE) ==
			   NFT_REJECT_ICMPX_ADMIN_PROHIBITED,
		   "  reject with icmpx admin-prohibited");
		nftnl_expr_iter_destroy(it);
		it = nftnl_expr_iter_create(b.rule[12].r);
		nftnl_expr_iter_next(it);
		nftnl_expr_iter_next(it);
		e = nftnl_expr_iter_next(it);
		ok(e && nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) ==
			    NFT_REJECT_TCP_RST,
		   "  reject with tcp reset");
		nftnl_expr_iter_destroy(it);
		it = nftnl_expr_iter_create(b.rule[5].r);
		for (int i = 0; i < 4; i++)
			e = nftnl_expr_iter_next(it);
		ok(e && strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET),
			       "net4") == 0,
		   "  the lookup names set net4");
		nftnl_expr_iter_destroy(it);
	}
	batch_free(&b);
	nft_msgbuf_free(&m);

	pol_init(&x);
	ok(build(&x, true, &m, &b) == 0, "owned table builds");
	ok(b.table_has_flags[2] && b.table_flags[2] == NFT_TABLE_F_OWNER,
	   "the new table carries NFT_TABLE_F_OWNER");
	ok(!b.table_has_flags[0], "  the create-if-missing one does not");
	batch_free(&b);
	nft_msgbuf_free(&m);
}

static void test_elements(void)
{
	struct pol x;
	pol_init(&x);
	uint16_t https = spec(&x, "443");
	uint16_t ssh_https = spec(&x, "443,22");
	uint16_t messy = spec(&x, "20-30,25-40,41,8000");
	net(&x, "10.1.0.0/16", 0);
	net(&x, "10.0.0.0/8", 0); /* swallows the /16 */
	net(&x, "192.0.2.128/25", 0);
	net(&x, "192.0.2.0/25", 0); /* adjacent: one /24 */
	net(&x, "198.51.100.7", 0);
	net(&x, "198.51.100.7/32", 0); /* duplicate */
	net(&x, "198.51.100.9/32", 0);
	net(&x, "2001:db8:8000::/33", 0);
	net(&x, "2001:db8::/33", 0);
	net(&x, "198.51.100.0/24", https);
	addr(&x, "198.51.100.5", ssh_https); /* inside the /24 above */
	addr(&x, "203.0.113.1", messy);
	addr(&x, "203.0.113.1", messy);
	addr(&x, "2001:db8:1::5", https);
	addr(&x, "192.0.2.77", 0);
	addr(&x, "192.0.2.77", 0);
	addr(&x, "2001:db8:2::1", 0);
	addr(&x, "192.0.2.1", spec(&x, "0-65535")); /* every port after all */
	upstream(&x, "198.51.100.53", 53);
	upstream(&x, "198.51.100.53", 53);
	upstream(&x, "2001:db8::53", 5353);
	struct nft_msgbuf m;
	struct batch b;
	ok(build(&x, false, &m, &b) == 0, "policy with elements builds");
	ok(b.parse_ok && b.seq_ok, "and parses back");
	is_str(
	    elems_str(set_by_name(&b, "net4")),
	    "10.0.0.0, end 11.0.0.0, 192.0.2.0, end 192.0.3.0, "
	    "198.51.100.7, end 198.51.100.8, 198.51.100.9, end 198.51.100.10",
	    "net4: nested and adjacent networks merged, duplicates dropped");
	is_str(elems_str(set_by_name(&b, "net6")), "2001:db8::, end 2001:db9::",
	       "net6: two /33 halves make one /32");
	is_str(elems_str(set_by_name(&b, "addr4")), "192.0.2.1, 192.0.2.77",
	       "addr4: deduplicated, an all-ports spec counts as all ports");
	is_str(elems_str(set_by_name(&b, "addr6")), "2001:db8:2::1", "addr6");
	is_str(elems_str(set_by_name(&b, "port4")),
	       "198.51.100.0 . 443-198.51.100.4 . 443, "
	       "198.51.100.5 . 22-198.51.100.5 . 22, "
	       "198.51.100.5 . 443-198.51.100.5 . 443, "
	       "198.51.100.6 . 443-198.51.100.255 . 443, "
	       "203.0.113.1 . 20-203.0.113.1 . 41, "
	       "203.0.113.1 . 8000-203.0.113.1 . 8000",
	       "port4: address inside a network split out, ports merged");
	is_str(elems_str(set_by_name(&b, "port6")),
	       "2001:db8:1::5 . 443-2001:db8:1::5 . 443", "port6");
	is_str(elems_str(set_by_name(&b, "dns4")), "198.51.100.53 . 53",
	       "dns4: the upstream once");
	is_str(elems_str(set_by_name(&b, "dns6")), "2001:db8::53 . 5353",
	       "dns6: with its port");
	struct setrec *p4 = set_by_name(&b, "port4");
	ok(p4 && p4->n && p4->e[0].klen == 8 && p4->e[0].key[6] == 0 &&
	       p4->e[0].key[7] == 0,
	   "concatenated keys: each field padded to 4 bytes");
	batch_free(&b);
	nft_msgbuf_free(&m);

	pol_init(&x);
	net(&x, "0.0.0.0/0", 0);
	net(&x, "192.0.2.0/24", 0);
	net(&x, "::/0", 0);
	net(&x, "0.0.0.0/0", spec(&x, "443"));
	ok(build(&x, false, &m, &b) == 0, "allow 0.0.0.0/0 builds");
	is_str(elems_str(set_by_name(&b, "net4")), "0.0.0.0 open",
	       "0.0.0.0/0: one start element, no end, marked open");
	is_str(elems_str(set_by_name(&b, "net6")), ":: open", "::/0 likewise");
	is_str(elems_str(set_by_name(&b, "port4")),
	       "0.0.0.0 . 443-255.255.255.255 . 443", "0.0.0.0/0 ports 443");
	batch_free(&b);
	nft_msgbuf_free(&m);

	pol_init(&x);
	net(&x, "255.255.255.0/24", 0);
	net(&x, "ffff::/16", 0);
	ok(build(&x, false, &m, &b) == 0, "networks at the top build");
	is_str(elems_str(set_by_name(&b, "net4")), "255.255.255.0 open",
	       "the top /24 has no end element");
	is_str(elems_str(set_by_name(&b, "net6")), "ffff:: open",
	       "nor ffff::/16");
	batch_free(&b);
	nft_msgbuf_free(&m);
}

static void test_scale(void)
{
	struct pol x;
	pol_init(&x);
	size_t n = 100000;
	x.p.targets = calloc(n, sizeof *x.p.targets);
	for (size_t i = 0; i < n; i++) {
		struct target *t = &x.p.targets[i];
		t->kind = TARGET_NET;
		t->addr.family = AF_INET;
		uint32_t a = htonl(0x0a000000u + (uint32_t)(n - i) * 4);
		memcpy(t->addr.b, &a, 4);
		t->prefix = i % 2 ? 32 : 31;
	}
	x.p.n_targets = n;
	struct nft_msgbuf m;
	struct batch b;
	ok(build(&x, false, &m, &b) == 0, "100,000 networks build");
	struct setrec *s = set_by_name(&b, "net4");
	ok(s && s->n == 2 * n, "200,000 interval elements (start and end)");
	ok(s && s->msgs > 1, "spread over %zu NEWSETELEM messages",
	   s ? s->msgs : 0);
	ok(b.max_elem_msg <= 65536, "none above 64 KiB (largest %zu bytes)",
	   b.max_elem_msg);
	bool sorted = s != NULL;
	for (size_t i = 1; s && i < s->n; i++)
		sorted = sorted && memcmp(s->e[i - 1].key, s->e[i].key, 4) < 0;
	ok(sorted, "elements ascending");
	free(x.p.targets);
	batch_free(&b);
	nft_msgbuf_free(&m);
}

static void test_invalid(void)
{
	struct pol x;
	struct nft_msgbuf m = {0};
	pol_init(&x);
	net(&x, "192.0.2.0/24", 5); /* no such port spec */
	errno = 0;
	ok(nft_build_ruleset(&x.p, NULL, 0, NULL, 1, &m) < 0 && errno == EINVAL,
	   "unknown port spec: EINVAL");
	ok(m.buf == NULL, "  and no batch left behind");
	pol_init(&x);
	net(&x, "192.0.2.0/24", 0);
	x.t[0].prefix = 33;
	ok(nft_build_ruleset(&x.p, NULL, 0, NULL, 1, &m) < 0 && errno == EINVAL,
	   "prefix beyond the address: EINVAL");
	pol_init(&x);
	addr(&x, "192.0.2.1", 0);
	x.r[0].addr.family = 99;
	ok(nft_build_ruleset(&x.p, x.r, 1, NULL, 1, &m) < 0 && errno == EINVAL,
	   "unknown address family: EINVAL");
}

static void test_format(void)
{
	char buf[96];
	uint8_t lo[16] = {192, 0, 2, 0}, hi[16] = {192, 0, 2, 255};
	is_str(nft_range_str(NFT_V4, lo, hi, buf, sizeof buf), "192.0.2.0/24",
	       "a prefix prints as one");
	hi[3] = 5;
	is_str(nft_range_str(NFT_V4, lo, hi, buf, sizeof buf),
	       "192.0.2.0-192.0.2.5", "anything else as a range");
	is_str(nft_range_str(NFT_V4, hi, hi, buf, sizeof buf), "192.0.2.5",
	       "a single address plainly");
	uint8_t k[8] = {198, 51, 100, 3, 0, 22, 0, 0};
	is_str(nft_key_str(k, 8, buf, sizeof buf), "198.51.100.3 . 22",
	       "a concatenated key");
}

int main(void)
{
	test_structure();
	test_elements();
	test_scale();
	test_invalid();
	test_format();
	return tap_done();
}
