/* Building the one batch that replaces table inet corral.  Tables, chains,
 * sets and rules go through libnftnl; set elements are encoded straight
 * with libmnl, many per message, so that 100,000 networks cost no
 * allocation per element and each message stays below 64 KiB. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>

#include "../common/cleanup.h"
#include "nft_int.h"

/* Room for any message but an element chunk (our rules are < 1 KiB). */
#define MSG_RESERVE 16384

struct builder {
	struct nft_msgbuf *m;
	uint32_t seq;
	uint32_t set_id;
};

void nft_msgbuf_free(struct nft_msgbuf *m)
{
	free(m->buf);
	memset(m, 0, sizeof *m);
}

/* libnftnl writes messages without bounds checks, so room for a whole
 * message is made before it is started. */
static char *msg_begin(struct builder *b, size_t room)
{
	struct nft_msgbuf *m = b->m;
	if (m->cap - m->len < room) {
		size_t cap = m->cap ? m->cap : 65536;
		while (cap - m->len < room)
			cap *= 2;
		char *buf = realloc(m->buf, cap);
		if (!buf)
			return NULL;
		m->buf = buf;
		m->cap = cap;
	}
	memset(m->buf + m->len, 0, room);
	return m->buf + m->len;
}

static void msg_end(struct builder *b, const struct nlmsghdr *nlh, size_t room)
{
	/* Overrunning the reserve would already have corrupted the heap. */
	if (nlh->nlmsg_len > room)
		abort();
	b->m->seq_last = nlh->nlmsg_seq;
	b->m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct nlmsghdr *hdr(struct builder *b, char *buf, uint16_t type,
			    uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags | NLM_F_ACK,
				     b->seq++);
}

static int put_table(struct builder *b, uint16_t type, uint16_t flags,
		     bool with_flags, uint32_t tflags)
{
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, CORRAL_TABLE) < 0)
		return -1;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	/* Without the flags attribute an existing table is left as it is. */
	if (with_flags)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, tflags);
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh = hdr(b, buf, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

static int put_chain(struct builder *b, const char *name, uint32_t hook)
{
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter") < 0)
		return -1;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 0);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_DROP);
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    hdr(b, buf, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

static int put_counter(struct builder *b, const char *name)
{
	cleanup_nft_obj struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return -1;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, CORRAL_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	if (!nftnl_obj_is_set(o, NFTNL_OBJ_TABLE) ||
	    !nftnl_obj_is_set(o, NFTNL_OBJ_NAME))
		return -1;
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    hdr(b, buf, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

struct set_def {
	const char *name;
	uint32_t flags, key_type, key_len;
	uint8_t fields[2]; /* concatenation: each field's length */
};

#define CONCAT(a, b) (((a) << NFT_TYPE_BITS) | (b))

/* Index = set number - 1; the order is the order of creation. */
static const struct set_def set_defs[] = {
    {NFT_SET_NET4, NFT_SET_INTERVAL, NFT_TYPE_IPADDR, 4, {0, 0}},
    {NFT_SET_NET6, NFT_SET_INTERVAL, NFT_TYPE_IP6ADDR, 16, {0, 0}},
    {NFT_SET_ADDR4, NFT_SET_TIMEOUT, NFT_TYPE_IPADDR, 4, {0, 0}},
    {NFT_SET_ADDR6, NFT_SET_TIMEOUT, NFT_TYPE_IP6ADDR, 16, {0, 0}},
    {NFT_SET_PORT4,
     NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT,
     CONCAT(NFT_TYPE_IPADDR, NFT_TYPE_INET_SERVICE),
     8,
     {4, 2}},
    {NFT_SET_PORT6,
     NFT_SET_INTERVAL | NFT_SET_CONCAT | NFT_SET_TIMEOUT,
     CONCAT(NFT_TYPE_IP6ADDR, NFT_TYPE_INET_SERVICE),
     20,
     {16, 2}},
    {NFT_SET_DNS4,
     0,
     CONCAT(NFT_TYPE_IPADDR, NFT_TYPE_INET_SERVICE),
     8,
     {0, 0}},
    {NFT_SET_DNS6,
     0,
     CONCAT(NFT_TYPE_IP6ADDR, NFT_TYPE_INET_SERVICE),
     20,
     {0, 0}},
};
enum { S_NET4 = 1, S_NET6, S_ADDR4, S_ADDR6, S_PORT4, S_PORT6, S_DNS4, S_DNS6 };

static int put_set(struct builder *b, const char *name, uint32_t id,
		   uint32_t flags, uint32_t key_type, uint32_t key_len,
		   const uint8_t *fields, uint32_t size)
{
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	if (size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
	if (fields && fields[0] &&
	    nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, 2) < 0)
		return -1;
	if (!(flags & NFT_SET_CONCAT) && key_type < (1u << NFT_TYPE_BITS)) {
		/* As nft does: tells `nft list` the key's byte order. */
		uint8_t ud[6] = {NFTNL_UDATA_SET_KEYBYTEORDER, 4};
		uint32_t order = NFT_BYTEORDER_BIG_ENDIAN;
		memcpy(ud + 2, &order, sizeof order);
		if (nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, sizeof ud) <
		    0)
			return -1;
	}
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    hdr(b, buf, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

/* Element messages, filled until the next element might not fit. */
struct elems {
	struct builder *b;
	const char *set;
	uint32_t set_id;
	struct nlmsghdr *nlh;
	struct nlattr *list;
};

#define ELEM_MAX  96 /* one element with key, key end, flags and userdata */
#define ELEM_ROOM (NFT_ELEM_MSG_MAX + 1024)

static void elems_close(struct elems *w)
{
	if (!w->nlh)
		return;
	mnl_attr_nest_end(w->nlh, w->list);
	msg_end(w->b, w->nlh, ELEM_ROOM);
	w->nlh = NULL;
}

static int elems_room(struct elems *w, size_t n)
{
	if (w->nlh && w->nlh->nlmsg_len + n * ELEM_MAX > NFT_ELEM_MSG_MAX)
		elems_close(w);
	if (w->nlh)
		return 0;
	char *buf = msg_begin(w->b, ELEM_ROOM);
	if (!buf)
		return -1;
	w->nlh = hdr(w->b, buf, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	mnl_attr_put_strz(w->nlh, NFTA_SET_ELEM_LIST_TABLE, CORRAL_TABLE);
	mnl_attr_put_strz(w->nlh, NFTA_SET_ELEM_LIST_SET, w->set);
	mnl_attr_put_u32(w->nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(w->set_id));
	w->list = mnl_attr_nest_start(w->nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	return 0;
}

static void put_data(struct nlmsghdr *nlh, uint16_t type, const void *v,
		     size_t len)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);
	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, v);
	mnl_attr_nest_end(nlh, n);
}

/* open: the interval runs to the top of the address space, which nft
 * marks in the element's userdata to print it as a prefix. */
static void put_elem(struct elems *w, const void *key, const void *key_end,
		     size_t klen, uint32_t flags, bool open)
{
	struct nlattr *e = mnl_attr_nest_start(w->nlh, NFTA_LIST_ELEM);
	put_data(w->nlh, NFTA_SET_ELEM_KEY, key, klen);
	if (key_end)
		put_data(w->nlh, NFTA_SET_ELEM_KEY_END, key_end, klen);
	if (flags)
		mnl_attr_put_u32(w->nlh, NFTA_SET_ELEM_FLAGS, htonl(flags));
	if (open) {
		uint8_t ud[6] = {NFTNL_UDATA_SET_ELEM_FLAGS, 4};
		uint32_t f = NFTNL_SET_ELEM_F_INTERVAL_OPEN;
		memcpy(ud + 2, &f, sizeof f);
		mnl_attr_put(w->nlh, NFTA_SET_ELEM_USERDATA, sizeof ud, ud);
	}
	mnl_attr_nest_end(w->nlh, e);
}

/* Interval set: a start element, and an end element holding last + 1
 * unless the interval reaches the top. */
static int elems_net(struct elems *w, const struct nft_range *r, size_t n,
		     size_t alen)
{
	for (size_t i = 0; i < n; i++) {
		if (elems_room(w, 2) < 0)
			return -1;
		uint8_t end[16];
		memcpy(end, r[i].hi, 16);
		bool top = !nft_addr_inc(end, alen);
		put_elem(w, r[i].lo, NULL, alen, 0, top);
		if (!top)
			put_elem(w, end, NULL, alen, NFT_SET_ELEM_INTERVAL_END,
				 false);
	}
	return 0;
}

static int elems_addr(struct elems *w, const struct nft_addr *a, size_t n,
		      size_t alen)
{
	for (size_t i = 0; i < n; i++) {
		if (elems_room(w, 1) < 0)
			return -1;
		put_elem(w, a[i].b, NULL, alen, 0, false);
	}
	return 0;
}

/* Concatenation: each field padded to 4 bytes, port in network order. */
static void concat_key(uint8_t *k, const uint8_t *addr, size_t alen,
		       uint16_t port)
{
	memset(k, 0, alen + 4);
	memcpy(k, addr, alen);
	uint16_t be = htons(port);
	memcpy(k + alen, &be, 2);
}

static int elems_port(struct elems *w, const struct nft_pelem *e, size_t n,
		      size_t alen, bool interval)
{
	for (size_t i = 0; i < n; i++) {
		if (elems_room(w, 1) < 0)
			return -1;
		uint8_t k[20], kend[20];
		concat_key(k, e[i].lo, alen, e[i].plo);
		concat_key(kend, e[i].hi, alen, e[i].phi);
		put_elem(w, k, interval ? kend : NULL, alen + 4, 0, false);
	}
	return 0;
}

static int put_sets(struct builder *b, const struct nft_norm *n)
{
	for (size_t i = 0; i < sizeof set_defs / sizeof set_defs[0]; i++) {
		const struct set_def *d = &set_defs[i];
		uint32_t id = ++b->set_id;
		if (put_set(b, d->name, id, d->flags, d->key_type, d->key_len,
			    d->fields, 0) < 0)
			return -1;
		struct elems w = {.b = b, .set = d->name, .set_id = id};
		int v = (int)(i % 2), rc;
		size_t alen = nft_alen(v);
		switch (id) {
		case S_NET4:
		case S_NET6:
			rc = elems_net(&w, n->net[v], n->n_net[v], alen);
			break;
		case S_ADDR4:
		case S_ADDR6:
			rc = elems_addr(&w, n->addr[v], n->n_addr[v], alen);
			break;
		case S_PORT4:
		case S_PORT6:
			rc = elems_port(&w, n->port[v], n->n_port[v], alen,
					true);
			break;
		default:
			rc =
			    elems_port(&w, n->dns[v], n->n_dns[v], alen, false);
			break;
		}
		elems_close(&w);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* An anonymous constant set of one-byte keys (protocols, ICMPv6 types),
 * bound to the rule that follows it. */
static int anon_set(struct builder *b, uint32_t key_type, const uint8_t *v,
		    size_t n, uint32_t *id)
{
	*id = ++b->set_id;
	if (put_set(b, "__set%d", *id, NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
		    key_type, 1, NULL, (uint32_t)n) < 0)
		return -1;
	struct elems w = {.b = b, .set = "__set%d", .set_id = *id};
	for (size_t i = 0; i < n; i++) {
		if (elems_room(&w, 1) < 0)
			return -1;
		put_elem(&w, &v[i], NULL, 1, 0, false);
	}
	elems_close(&w);
	return 0;
}

/* Rule expressions.  Each helper adds one to r; false on allocation
 * failure.  The sequences are the ones nft itself generates, so that
 * `nft list` prints our rules in their usual form. */
static bool add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return false;
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return add(r, e);
}

static bool cmp(struct nftnl_rule *r, uint32_t op, const void *v, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, v, len);
	}
	return add(r, e);
}

static bool cmp_u8(struct nftnl_rule *r, uint8_t v)
{
	return cmp(r, NFT_CMP_EQ, &v, 1);
}

static bool payload(struct nftnl_rule *r, uint32_t base, uint32_t off,
		    uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return add(r, e);
}

static bool lookup(struct nftnl_rule *r, const char *set, uint32_t id)
{
	cleanup_nft_expr struct nftnl_expr *e = nftnl_expr_alloc("lookup");
	if (!e || nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set) < 0)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	return add(r, steal_ptr(&e));
}

static bool verdict_accept(struct nftnl_rule *r)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	}
	return add(r, e);
}

static bool reject(struct nftnl_rule *r, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = nftnl_expr_alloc("reject");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
		nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	}
	return add(r, e);
}

static bool counter_ref(struct nftnl_rule *r, const char *name)
{
	cleanup_nft_expr struct nftnl_expr *e = nftnl_expr_alloc("objref");
	if (!e || nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name) < 0)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	return add(r, steal_ptr(&e));
}

static bool ct_established(struct nftnl_rule *r)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) |
			NF_CT_STATE_BIT(IP_CT_RELATED),
		 zero = 0;
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	if (!add(r, e))
		return false;
	e = nftnl_expr_alloc("bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof mask);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof mask);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof zero);
	}
	return add(r, e) && cmp(r, NFT_CMP_NEQ, &zero, sizeof zero);
}

/* ip daddr / ip6 daddr into register 1, after the family check. */
static bool daddr(struct nftnl_rule *r, int v)
{
	return meta(r, NFT_META_NFPROTO, NFT_REG_1) &&
	       cmp_u8(r, v == NFT_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6) &&
	       payload(r, NFT_PAYLOAD_NETWORK_HEADER, v == NFT_V4 ? 16 : 24,
		       (uint32_t)nft_alen(v), NFT_REG_1);
}

enum rule_kind {
	R_IFACE_LO,   /* oif / iif lo accept */
	R_CT,	      /* ct state established,related accept */
	R_ICMPV6,     /* icmpv6 type { ... } accept */
	R_DADDR,      /* ip daddr @set accept */
	R_DADDR_PORT, /* meta l4proto { tcp, udp } ip daddr . th dport @set */
	R_COUNTER,    /* counter name "blocked" */
	R_REJECT_TCP, /* meta l4proto tcp reject with tcp reset */
	R_REJECT,     /* reject with icmpx admin-prohibited */
};

struct rule_spec {
	enum rule_kind kind;
	uint32_t arg; /* R_IFACE_LO: meta key; R_DADDR*: set number */
	const uint8_t *v;
	size_t n;
};

static int put_rule(struct builder *b, const char *chain,
		    const struct rule_spec *s)
{
	static const uint8_t l4[] = {IPPROTO_TCP, IPPROTO_UDP};
	uint32_t anon = 0;
	if (s->kind == R_ICMPV6 &&
	    anon_set(b, NFT_TYPE_ICMP6_TYPE, s->v, s->n, &anon) < 0)
		return -1;
	if (s->kind == R_DADDR_PORT &&
	    anon_set(b, NFT_TYPE_INET_PROTOCOL, l4, sizeof l4, &anon) < 0)
		return -1;
	cleanup_nft_rule struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0)
		return -1;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	bool on_set = s->kind == R_DADDR || s->kind == R_DADDR_PORT;
	const struct set_def *d = on_set ? &set_defs[s->arg - 1] : NULL;
	int v = (int)((s->arg + 1) % 2); /* odd set numbers are IPv4 */
	uint32_t lo = 1;
	bool ok;
	switch (s->kind) {
	case R_IFACE_LO:
		ok = meta(r, s->arg, NFT_REG_1) &&
		     cmp(r, NFT_CMP_EQ, &lo, sizeof lo) && verdict_accept(r);
		break;
	case R_CT:
		ok = ct_established(r) && verdict_accept(r);
		break;
	case R_ICMPV6:
		ok =
		    meta(r, NFT_META_L4PROTO, NFT_REG_1) &&
		    cmp_u8(r, IPPROTO_ICMPV6) &&
		    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) &&
		    lookup(r, "__set%d", anon) && verdict_accept(r);
		break;
	case R_DADDR:
		ok = daddr(r, v) && lookup(r, d->name, s->arg) &&
		     verdict_accept(r);
		break;
	case R_DADDR_PORT:
		/* The port goes into the 32-bit register right after the
		 * address: 9 (NFT_REG32_01) for IPv4, 2 for IPv6. */
		ok = meta(r, NFT_META_L4PROTO, NFT_REG_1) &&
		     lookup(r, "__set%d", anon) && daddr(r, v) &&
		     payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2,
			     v == NFT_V4 ? NFT_REG32_01 : NFT_REG_2) &&
		     lookup(r, d->name, s->arg) && verdict_accept(r);
		break;
	case R_COUNTER:
		ok = counter_ref(r, NFT_COUNTER_BLOCKED);
		break;
	case R_REJECT_TCP:
		ok = meta(r, NFT_META_L4PROTO, NFT_REG_1) &&
		     cmp_u8(r, IPPROTO_TCP) && reject(r, NFT_REJECT_TCP_RST, 0);
		break;
	default:
		ok = reject(r, NFT_REJECT_ICMPX_UNREACH,
			    NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
		break;
	}
	if (!ok)
		return -1;
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    hdr(b, buf, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

/* Neighbour discovery and MLD: IPv6 dies quietly without them. */
static const uint8_t icmpv6_out[] = {133, 135, 136, 143};
static const uint8_t icmpv6_in[] = {133, 134, 135, 136};

static const struct rule_spec output_rules[] = {
    {R_IFACE_LO, NFT_META_OIF, NULL, 0},
    {R_CT, 0, NULL, 0},
    {R_ICMPV6, 0, icmpv6_out, sizeof icmpv6_out},
    {R_DADDR_PORT, S_DNS4, NULL, 0},
    {R_DADDR_PORT, S_DNS6, NULL, 0},
    {R_DADDR, S_NET4, NULL, 0},
    {R_DADDR, S_NET6, NULL, 0},
    {R_DADDR, S_ADDR4, NULL, 0},
    {R_DADDR, S_ADDR6, NULL, 0},
    {R_DADDR_PORT, S_PORT4, NULL, 0},
    {R_DADDR_PORT, S_PORT6, NULL, 0},
    {R_COUNTER, 0, NULL, 0},
    {R_REJECT_TCP, 0, NULL, 0},
    {R_REJECT, 0, NULL, 0},
};

static const struct rule_spec input_rules[] = {
    {R_IFACE_LO, NFT_META_IIF, NULL, 0},
    {R_CT, 0, NULL, 0},
    {R_ICMPV6, 0, icmpv6_in, sizeof icmpv6_in},
};

static int build(struct builder *b, const struct nft_norm *n,
		 const struct nft_opts *o)
{
	char *buf = msg_begin(b, MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh = nftnl_batch_begin(buf, b->seq++);
	msg_end(b, nlh, MSG_RESERVE);
	/* Create if missing, so that the delete cannot fail, then delete and
	 * create afresh: one transaction, no moment without the table. */
	if (put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, false, 0) < 0 ||
	    put_table(b, NFT_MSG_DELTABLE, 0, false, 0) < 0 ||
	    put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, true,
		      o && o->owner ? NFT_TABLE_F_OWNER : 0) < 0 ||
	    put_counter(b, NFT_COUNTER_BLOCKED) < 0 ||
	    put_chain(b, "output", NF_INET_LOCAL_OUT) < 0 ||
	    put_chain(b, "input", NF_INET_LOCAL_IN) < 0 ||
	    put_chain(b, "forward", NF_INET_FORWARD) < 0 || put_sets(b, n) < 0)
		return -1;
	for (size_t i = 0; i < sizeof output_rules / sizeof output_rules[0];
	     i++)
		if (put_rule(b, "output", &output_rules[i]) < 0)
			return -1;
	for (size_t i = 0; i < sizeof input_rules / sizeof input_rules[0]; i++)
		if (put_rule(b, "input", &input_rules[i]) < 0)
			return -1;
	if (!(buf = msg_begin(b, MSG_RESERVE)))
		return -1;
	nlh = nftnl_batch_end(buf, b->seq++);
	/* Kernels since 6.10 acknowledge the end once the commit is done. */
	nlh->nlmsg_flags |= NLM_F_ACK;
	msg_end(b, nlh, MSG_RESERVE);
	return 0;
}

int nft_build_clear(uint32_t seq, struct nft_msgbuf *out)
{
	struct builder b = {.m = out, .seq = seq};
	memset(out, 0, sizeof *out);
	out->seq_first = seq;
	char *buf = msg_begin(&b, MSG_RESERVE);
	if (!buf)
		return -1;
	msg_end(&b, nftnl_batch_begin(buf, b.seq++), MSG_RESERVE);
	if (put_table(&b, NFT_MSG_DELTABLE, 0, false, 0) < 0 ||
	    !(buf = msg_begin(&b, MSG_RESERVE))) {
		nft_msgbuf_free(out);
		return errno = ENOMEM, -1;
	}
	struct nlmsghdr *nlh = nftnl_batch_end(buf, b.seq++);
	nlh->nlmsg_flags |= NLM_F_ACK;
	msg_end(&b, nlh, MSG_RESERVE);
	return 0;
}

static size_t estimate(const struct nft_norm *n)
{
	size_t e = 0;
	for (int v = 0; v < 2; v++)
		e +=
		    2 * n->n_net[v] + n->n_addr[v] + n->n_port[v] + n->n_dns[v];
	return 65536 + e * ELEM_MAX / 2;
}

int nft_build_ruleset(const struct policy *p, const struct resolved *addrs,
		      size_t n_addrs, const struct nft_opts *o, uint32_t seq,
		      struct nft_msgbuf *out)
{
	struct nft_norm n;
	memset(out, 0, sizeof *out);
	if (!p || (n_addrs && !addrs))
		return errno = EINVAL, -1;
	if (nft_normalise(p, addrs, n_addrs, &n) < 0)
		return -1;
	struct builder b = {.m = out, .seq = seq};
	out->seq_first = seq;
	int rc = -1;
	if ((out->buf = malloc(estimate(&n))) != NULL) {
		out->cap = estimate(&n);
		rc = build(&b, &n, o);
	}
	nft_norm_free(&n);
	if (rc < 0) {
		nft_msgbuf_free(out);
		errno = ENOMEM;
	}
	return rc;
}
