/* Building the one batch that replaces table inet corral: its table,
 * chains, counter and sets with their elements (the rules are in
 * nft_rules.c).  Tables, chains and sets go through libnftnl; set elements
 * are encoded straight with libmnl, many per message, so that 100,000
 * networks cost no allocation per element and each message stays below
 * 64 KiB.  nft_dyn.c builds its element batches with the same writer. */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>

#include "../common/cleanup.h"
#include "nft_int.h"

#define ELEM_ROOM (NFT_ELEM_MSG_MAX + 1024)

void nft_msgbuf_free(struct nft_msgbuf *m)
{
	free(m->buf);
	memset(m, 0, sizeof *m);
}

char *nft_msg_begin(struct nft_builder *b, size_t room)
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

void nft_msg_end(struct nft_builder *b, const struct nlmsghdr *nlh, size_t room)
{
	/* Overrunning the reserve would already have corrupted the heap. */
	if (nlh->nlmsg_len > room)
		abort();
	b->m->seq_last = nlh->nlmsg_seq;
	b->m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

struct nlmsghdr *nft_msg_hdr(struct nft_builder *b, char *buf, uint16_t type,
			     uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags | NLM_F_ACK,
				     b->seq++);
}

int nft_put_batch_begin(struct nft_builder *b)
{
	char *buf = nft_msg_begin(b, 64);
	if (!buf)
		return -1;
	nft_msg_end(b, nftnl_batch_begin(buf, b->seq++), 64);
	return 0;
}

int nft_put_batch_end(struct nft_builder *b)
{
	char *buf = nft_msg_begin(b, 64);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh = nftnl_batch_end(buf, b->seq++);
	/* Kernels since 6.10 acknowledge the end once the commit is done. */
	nlh->nlmsg_flags |= NLM_F_ACK;
	nft_msg_end(b, nlh, 64);
	return 0;
}

static int put_table(struct nft_builder *b, uint16_t type, uint16_t flags,
		     bool with_flags, uint32_t tflags)
{
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, CORRAL_TABLE) < 0)
		return -1;
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	/* Without the flags attribute an existing table is left as it is. */
	if (with_flags)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, tflags);
	char *buf = nft_msg_begin(b, NFT_MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh = nft_msg_hdr(b, buf, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nft_msg_end(b, nlh, NFT_MSG_RESERVE);
	return 0;
}

struct chain_def {
	const char *name, *type;
	uint32_t hook;
	int32_t prio;
	uint32_t policy;
};

static const struct chain_def chains[] = {
    {"output", "filter", NF_INET_LOCAL_OUT, 0, NF_DROP},
    {"input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP},
    {"forward", "filter", NF_INET_FORWARD, 0, NF_DROP},
    /* A nat chain must accept what it does not rewrite. */
    {NFT_CHAIN_DNS, "nat", NF_INET_LOCAL_OUT, NFT_DNS_PRIORITY, NF_ACCEPT},
};

static int put_chain(struct nft_builder *b, const struct chain_def *d)
{
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c || nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name) < 0)
		return -1;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	/* No type: a regular chain, reached only by jumps. */
	if (d->type) {
		if (nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type) < 0)
			return -1;
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, d->policy);
	}
	char *buf = nft_msg_begin(b, NFT_MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    nft_msg_hdr(b, buf, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nft_msg_end(b, nlh, NFT_MSG_RESERVE);
	return 0;
}

static int put_counter(struct nft_builder *b, const char *name)
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
	char *buf = nft_msg_begin(b, NFT_MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    nft_msg_hdr(b, buf, NFT_MSG_NEWOBJ, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nft_msg_end(b, nlh, NFT_MSG_RESERVE);
	return 0;
}

/* The set's userdata as nft writes it: the key's byte order, so that `nft
 * list` prints the keys right, and a comment. */
static int set_udata(struct nftnl_set *s, const struct nft_set_def *d)
{
	uint8_t ud[6 + 2 + 64];
	size_t len = 0;
	if (!(d->flags & NFT_SET_CONCAT) &&
	    d->key_type < (1u << NFT_TYPE_BITS)) {
		uint32_t order = NFT_BYTEORDER_BIG_ENDIAN;
		ud[len++] = NFTNL_UDATA_SET_KEYBYTEORDER;
		ud[len++] = sizeof order;
		memcpy(ud + len, &order, sizeof order);
		len += sizeof order;
	}
	if (d->comment) {
		size_t cl = strlen(d->comment) + 1;
		if (cl > 64)
			return -1;
		ud[len++] = NFTNL_UDATA_SET_COMMENT;
		ud[len++] = (uint8_t)cl;
		memcpy(ud + len, d->comment, cl);
		len += cl;
	}
	if (len &&
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, ud, (uint32_t)len) < 0)
		return -1;
	return 0;
}

int nft_put_set(struct nft_builder *b, const struct nft_set_def *d)
{
	cleanup_nft_set struct nftnl_set *s = nftnl_set_alloc();
	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, d->name) < 0)
		return -1;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, d->flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, d->key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, d->key_len);
	nftnl_set_set_u32(s, NFTNL_SET_ID, d->id);
	if (d->size)
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, d->size);
	if (d->fields && d->fields[0] &&
	    nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, d->fields, 2) < 0)
		return -1;
	if (set_udata(s, d) < 0)
		return -1;
	char *buf = nft_msg_begin(b, NFT_MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    nft_msg_hdr(b, buf, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nft_msg_end(b, nlh, NFT_MSG_RESERVE);
	return 0;
}

/* --- elements --- */

void nft_elems_close(struct nft_elems *w)
{
	if (!w->nlh)
		return;
	mnl_attr_nest_end(w->nlh, w->list);
	nft_msg_end(w->b, w->nlh, w->room ? w->room : ELEM_ROOM);
	w->nlh = NULL;
}

int nft_elems_room(struct nft_elems *w, size_t n)
{
	size_t room = w->room ? w->room : ELEM_ROOM;
	if (w->nlh && w->nlh->nlmsg_len + n * NFT_ELEM_MAX > room - 1024)
		nft_elems_close(w);
	if (w->nlh)
		return 0;
	char *buf = nft_msg_begin(w->b, room);
	if (!buf)
		return -1;
	w->nlh = nft_msg_hdr(w->b, buf, w->type ? w->type : NFT_MSG_NEWSETELEM,
			     w->flags);
	mnl_attr_put_strz(w->nlh, NFTA_SET_ELEM_LIST_TABLE, CORRAL_TABLE);
	mnl_attr_put_strz(w->nlh, NFTA_SET_ELEM_LIST_SET, w->set);
	if (w->set_id)
		mnl_attr_put_u32(w->nlh, NFTA_SET_ELEM_LIST_SET_ID,
				 htonl(w->set_id));
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

void nft_elems_put(struct nft_elems *w, const struct nft_elem *e)
{
	struct nlattr *a = mnl_attr_nest_start(w->nlh, NFTA_LIST_ELEM);
	put_data(w->nlh, NFTA_SET_ELEM_KEY, e->key, e->klen);
	if (e->key_end)
		put_data(w->nlh, NFTA_SET_ELEM_KEY_END, e->key_end, e->klen);
	if (e->flags)
		mnl_attr_put_u32(w->nlh, NFTA_SET_ELEM_FLAGS, htonl(e->flags));
	if (e->timeout)
		mnl_attr_put_u64(w->nlh, NFTA_SET_ELEM_TIMEOUT,
				 htobe64((uint64_t)e->timeout * 1000));
	if (e->open) {
		/* nft marks an interval to the top to print it as a prefix. */
		uint8_t ud[6] = {NFTNL_UDATA_SET_ELEM_FLAGS, 4};
		uint32_t f = NFTNL_SET_ELEM_F_INTERVAL_OPEN;
		memcpy(ud + 2, &f, sizeof f);
		mnl_attr_put(w->nlh, NFTA_SET_ELEM_USERDATA, sizeof ud, ud);
	}
	mnl_attr_nest_end(w->nlh, a);
}

int nft_elems_interval(struct nft_elems *w, const uint8_t *lo,
		       const uint8_t *hi, size_t klen)
{
	if (nft_elems_room(w, 2) < 0)
		return -1;
	uint8_t end[16];
	memcpy(end, hi, klen);
	bool top = !nft_addr_inc(end, klen);
	nft_elems_put(w,
		      &(struct nft_elem){.key = lo, .klen = klen, .open = top});
	if (!top)
		nft_elems_put(
		    w, &(struct nft_elem){.key = end,
					  .klen = klen,
					  .flags = NFT_SET_ELEM_INTERVAL_END});
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

static int elems_port(struct nft_elems *w, const struct nft_pelem *e, size_t n,
		      size_t alen, bool interval)
{
	for (size_t i = 0; i < n; i++) {
		if (nft_elems_room(w, 1) < 0)
			return -1;
		uint8_t k[20], kend[20];
		concat_key(k, e[i].lo, alen, e[i].plo);
		concat_key(kend, e[i].hi, alen, e[i].phi);
		nft_elems_put(
		    w, &(struct nft_elem){.key = k,
					  .key_end = interval ? kend : NULL,
					  .klen = alen + 4});
	}
	return 0;
}

/* --- sets --- */

#define CONCAT(a, b) (((a) << NFT_TYPE_BITS) | (b))

static const uint8_t fields4[2] = {4, 2}, fields6[2] = {16, 2};

/* Index = set id - 1, the order of creation. */
static const struct nft_set_def set_defs[] = {
    {NFT_SET_NET4, NFT_ID_NET4, NFT_SET_INTERVAL, NFT_TYPE_IPADDR, 4, NULL, 0,
     NULL},
    {NFT_SET_NET6, NFT_ID_NET6, NFT_SET_INTERVAL, NFT_TYPE_IP6ADDR, 16, NULL, 0,
     NULL},
    {NFT_SET_ADDR4, NFT_ID_ADDR4, NFT_SET_TIMEOUT, NFT_TYPE_IPADDR, 4, NULL, 0,
     NULL},
    {NFT_SET_ADDR6, NFT_ID_ADDR6, NFT_SET_TIMEOUT, NFT_TYPE_IP6ADDR, 16, NULL,
     0, NULL},
    {NFT_SET_PORT4, NFT_ID_PORT4, NFT_SET_INTERVAL | NFT_SET_CONCAT,
     CONCAT(NFT_TYPE_IPADDR, NFT_TYPE_INET_SERVICE), 8, fields4, 0, NULL},
    {NFT_SET_PORT6, NFT_ID_PORT6, NFT_SET_INTERVAL | NFT_SET_CONCAT,
     CONCAT(NFT_TYPE_IP6ADDR, NFT_TYPE_INET_SERVICE), 20, fields6, 0, NULL},
    {NFT_SET_DNS4, NFT_ID_DNS4, 0,
     CONCAT(NFT_TYPE_IPADDR, NFT_TYPE_INET_SERVICE), 8, NULL, 0, NULL},
    {NFT_SET_DNS6, NFT_ID_DNS6, 0,
     CONCAT(NFT_TYPE_IP6ADDR, NFT_TYPE_INET_SERVICE), 20, NULL, 0, NULL},
};

/* The learned addresses of one dynamic set (n->dyn is sorted by set). */
static int elems_dyn(struct nft_elems *w, const struct nft_norm *n, int v,
		     uint16_t set)
{
	for (size_t i = 0; i < n->n_dyn[v]; i++) {
		const struct nft_dyn_addr *d = &n->dyn[v][i];
		if (d->set != set)
			continue;
		if (nft_elems_room(w, 1) < 0)
			return -1;
		nft_elems_put(w, &(struct nft_elem){.key = d->b,
						    .klen = nft_alen(v),
						    .timeout = d->timeout});
	}
	return 0;
}

static int put_static_sets(struct nft_builder *b, const struct nft_norm *n)
{
	for (size_t i = 0; i < sizeof set_defs / sizeof set_defs[0]; i++) {
		const struct nft_set_def *d = &set_defs[i];
		if (nft_put_set(b, d) < 0)
			return -1;
		struct nft_elems w = {.b = b,
				      .set = d->name,
				      .set_id = d->id,
				      .flags = NLM_F_CREATE};
		int v = (int)(i % 2), rc = 0;
		size_t alen = nft_alen(v);
		switch (d->id) {
		case NFT_ID_NET4:
		case NFT_ID_NET6:
			for (size_t j = 0; j < n->n_net[v] && rc == 0; j++)
				rc = nft_elems_interval(&w, n->net[v][j].lo,
							n->net[v][j].hi, alen);
			break;
		case NFT_ID_ADDR4:
		case NFT_ID_ADDR6:
			rc = elems_dyn(&w, n, v, 0);
			break;
		case NFT_ID_PORT4:
		case NFT_ID_PORT6:
			rc = elems_port(&w, n->port[v], n->n_port[v], alen,
					true);
			break;
		default:
			rc =
			    elems_port(&w, n->dns[v], n->n_dns[v], alen, false);
			break;
		}
		nft_elems_close(&w);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* "ports 22,443,8000-8100", the comment of a port-limited dynamic set. */
static void ports_comment(const struct nft_dynset *d, char *buf, size_t len)
{
	size_t l = (size_t)snprintf(buf, len, "ports ");
	for (size_t i = 0; i < d->n && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l,
				      d->r[i].lo == d->r[i].hi ? "%s%u"
							       : "%s%u-%u",
				      i ? "," : "", d->r[i].lo, d->r[i].hi);
	if (l >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

static int put_dyn_sets(struct nft_builder *b, const struct nft_norm *n)
{
	for (size_t i = 0; i < n->n_dset; i++) {
		char comment[64];
		ports_comment(&n->dset[i], comment, sizeof comment);
		for (int v = 0; v < 2; v++) {
			char name[16];
			nft_dyn_set_name(v, n->dset[i].spec, name, sizeof name);
			struct nft_set_def d = {
			    .name = name,
			    .id = NFT_ID_DYN + 2 * (uint32_t)i + (uint32_t)v,
			    .flags = NFT_SET_TIMEOUT,
			    .key_type = v == NFT_V4 ? NFT_TYPE_IPADDR
						    : NFT_TYPE_IP6ADDR,
			    .key_len = (uint32_t)nft_alen(v),
			    .comment = comment};
			if (nft_put_set(b, &d) < 0)
				return -1;
			struct nft_elems w = {.b = b,
					      .set = name,
					      .set_id = d.id,
					      .flags = NLM_F_CREATE};
			int rc = elems_dyn(&w, n, v, n->dset[i].spec);
			nft_elems_close(&w);
			if (rc < 0)
				return -1;
		}
	}
	b->set_id = NFT_ID_DYN + 2 * (uint32_t)n->n_dset;
	return 0;
}

static int build(struct nft_builder *b, const struct nft_norm *n,
		 const struct nft_opts *o)
{
	if (nft_put_batch_begin(b) < 0)
		return -1;
	/* Create if missing, so that the delete cannot fail, then delete and
	 * create afresh: one transaction, no moment without the table. */
	if (put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE, false, 0) < 0 ||
	    put_table(b, NFT_MSG_DELTABLE, 0, false, 0) < 0 ||
	    put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, true,
		      o && o->owner ? NFT_TABLE_F_OWNER : 0) < 0 ||
	    put_counter(b, NFT_COUNTER_BLOCKED) < 0)
		return -1;
	for (size_t i = 0; i < sizeof chains / sizeof chains[0]; i++)
		if (put_chain(b, &chains[i]) < 0)
			return -1;
	static const struct chain_def host_dns = {.name = NFT_CHAIN_HOST_DNS};
	if (b->dns_cgroup && (put_counter(b, NFT_COUNTER_HOST_DNS) < 0 ||
			      put_chain(b, &host_dns) < 0))
		return -1;
	if (put_static_sets(b, n) < 0 || put_dyn_sets(b, n) < 0 ||
	    nft_put_rules(b, n) < 0)
		return -1;
	return nft_put_batch_end(b);
}

int nft_build_clear(uint32_t seq, struct nft_msgbuf *out)
{
	struct nft_builder b = {.m = out, .seq = seq};
	memset(out, 0, sizeof *out);
	out->seq_first = seq;
	if (nft_put_batch_begin(&b) < 0 ||
	    put_table(&b, NFT_MSG_DELTABLE, 0, false, 0) < 0 ||
	    nft_put_batch_end(&b) < 0) {
		nft_msgbuf_free(out);
		return errno = ENOMEM, -1;
	}
	return 0;
}

static size_t estimate(const struct nft_norm *n)
{
	size_t e = 0;
	for (int v = 0; v < 2; v++)
		e += 2 * n->n_net[v] + n->n_dyn[v] + n->n_port[v] + n->n_dns[v];
	return 65536 + n->n_dset * 4096 + e * NFT_ELEM_MAX / 2;
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
	struct nft_builder b = {.m = out,
				.seq = seq,
				.log_group = o ? o->log_group : 0,
				.dns_cgroup = o ? o->dns_cgroup : 0};
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
