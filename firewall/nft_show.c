/* Reading table inet corral back from the kernel and printing it for
 * people.  Every reply is parsed defensively: attributes are validated
 * before use and element keys must have the length their set declares. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "../common/cleanup.h"
#include "nft_int.h"

#define RECV_BUF 65536
#define REPLY_TIMEOUT_MS 10000
#define SHOW_MAX_ITEMS 24 /* per line of the summary; `nft list` has all */
#define SHOW_WIDTH 100
#define ITEM_COL 26 /* where the items of a line start */

static const char *const set_names[] = {
	NFT_SET_NET4,  NFT_SET_NET6,  NFT_SET_ADDR4, NFT_SET_ADDR6,
	NFT_SET_PORT4, NFT_SET_PORT6, NFT_SET_DNS4,  NFT_SET_DNS6,
};
enum { N_SETS = sizeof set_names / sizeof set_names[0] };

struct elem {
	uint8_t key[20], kend[20];
	uint32_t flags;
	bool has_end;
};

struct set_info {
	bool present;
	uint32_t key_len, flags;
	struct elem *e;
	size_t n, cap;
	size_t bad; /* elements that did not fit the declared key */
};

struct chain_info {
	char name[NFT_CHAIN_MAXNAMELEN];
	bool base;
	uint32_t policy;
	size_t rules;
};

struct state {
	bool owner;
	uint32_t owner_port;
	struct chain_info chains[8];
	size_t n_chains;
	struct set_info sets[N_SETS];
	bool have_counter;
	uint64_t blocked;
};

/* --- formatting, shared with the error messages of nft_netlink.c --- */

static int v_af(int v)
{
	return v == NFT_V4 ? AF_INET : AF_INET6;
}

/* Prefix length when lo..hi is exactly one prefix, else -1. */
static int prefix_len(const uint8_t *lo, const uint8_t *hi, size_t alen)
{
	size_t bits = alen * 8, p = bits;
	while (p > 0) {
		size_t i = (p - 1) / 8;
		uint8_t bit = (uint8_t)(0x80 >> ((p - 1) % 8));
		if ((lo[i] & bit) || !(hi[i] & bit))
			break;
		p--;
	}
	for (size_t b = 0; b < p; b++) {
		uint8_t bit = (uint8_t)(0x80 >> (b % 8));
		if ((lo[b / 8] & bit) != (hi[b / 8] & bit))
			return -1;
	}
	return (int)p;
}

const char *nft_range_str(int v, const uint8_t *lo, const uint8_t *hi,
			  char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t alen = nft_alen(v);
	inet_ntop(v_af(v), lo, a, sizeof a);
	int p = prefix_len(lo, hi, alen);
	if (p == (int)alen * 8)
		snprintf(buf, len, "%s", a);
	else if (p >= 0)
		snprintf(buf, len, "%s/%d", a, p);
	else
		snprintf(buf, len, "%s-%s", a, inet_ntop(v_af(v), hi, b, sizeof b));
	return buf;
}

const char *nft_key_str(const uint8_t *key, size_t klen, char *buf,
			size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;
	switch (klen) {
	case 1:
		snprintf(buf, len, "%u", key[0]);
		break;
	case 4:
	case 16:
		inet_ntop(klen == 4 ? AF_INET : AF_INET6, key, a, sizeof a);
		snprintf(buf, len, "%s", a);
		break;
	case 8:
	case 20:
		inet_ntop(klen == 8 ? AF_INET : AF_INET6, key, a, sizeof a);
		memcpy(&port, key + klen - 4, 2);
		snprintf(buf, len, "%s . %u", a, ntohs(port));
		break;
	default:
		snprintf(buf, len, "(%zu-byte key)", klen);
		break;
	}
	return buf;
}

/* --- talking --- */

struct conn {
	int fd;
	uint32_t portid, seq;
};

static struct nlmsghdr *request(struct conn *c, char *buf, uint16_t type,
				uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(buf, type, NFPROTO_INET, flags, ++c->seq);
}

/* One request; every reply goes to cb until the dump is done or the ACK
 * arrives.  -1 with errno: the kernel's error or the callback's. */
static int talk(struct conn *c, const struct nlmsghdr *req, mnl_cb_t cb,
		void *data)
{
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	if (sendto(c->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&k,
		   sizeof k) < 0)
		return -1;
	cleanup_free char *buf = malloc(RECV_BUF);
	if (!buf)
		return -1;
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (r == 0)
			return errno = ETIMEDOUT, -1;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		struct iovec iov = {buf, RECV_BUF};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(c->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return errno = EMSGSIZE, -1;
		r = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, c->portid, cb,
			       data);
		if (r < 0)
			return -1;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

/* --- callbacks --- */

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *s = data;
	cleanup_nft_table struct nftnl_table *t = nftnl_table_alloc();
	if (!t)
		return errno = ENOMEM, MNL_CB_ERROR;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0)
		return errno = EPROTO, MNL_CB_ERROR;
	uint32_t flags = nftnl_table_is_set(t, NFTNL_TABLE_FLAGS)
				 ? nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS)
				 : 0;
	s->owner = flags & NFT_TABLE_F_OWNER;
	if (s->owner && nftnl_table_is_set(t, NFTNL_TABLE_OWNER))
		s->owner_port = nftnl_table_get_u32(t, NFTNL_TABLE_OWNER);
	return MNL_CB_OK;
}

static bool ours(const char *table)
{
	return table && strcmp(table, CORRAL_TABLE) == 0;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *s = data;
	cleanup_nft_chain struct nftnl_chain *c = nftnl_chain_alloc();
	if (!c)
		return errno = ENOMEM, MNL_CB_ERROR;
	if (nftnl_chain_nlmsg_parse(nlh, c) < 0)
		return MNL_CB_OK; /* not ours to judge; skip it */
	const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	if (!ours(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) || !name ||
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY) != NFPROTO_INET ||
	    s->n_chains == sizeof s->chains / sizeof s->chains[0])
		return MNL_CB_OK;
	struct chain_info *ci = &s->chains[s->n_chains++];
	snprintf(ci->name, sizeof ci->name, "%s", name);
	ci->base = nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	ci->policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY)
			     ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
			     : NF_ACCEPT;
	return MNL_CB_OK;
}

struct rule_attrs {
	const char *table, *chain;
};

static int rule_attr_cb(const struct nlattr *a, void *data)
{
	struct rule_attrs *r = data;
	uint16_t t = mnl_attr_get_type(a);
	if ((t == NFTA_RULE_TABLE || t == NFTA_RULE_CHAIN) &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
		if (t == NFTA_RULE_TABLE)
			r->table = mnl_attr_get_str(a);
		else
			r->chain = mnl_attr_get_str(a);
	}
	return MNL_CB_OK;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *s = data;
	struct rule_attrs r = {NULL, NULL};
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_attr_cb, &r) < 0 ||
	    !ours(r.table) || !r.chain)
		return MNL_CB_OK;
	for (size_t i = 0; i < s->n_chains; i++)
		if (strcmp(s->chains[i].name, r.chain) == 0)
			s->chains[i].rules++;
	return MNL_CB_OK;
}

static int set_index(const char *name)
{
	for (int i = 0; name && i < N_SETS; i++)
		if (strcmp(name, set_names[i]) == 0)
			return i;
	return -1;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *s = data;
	cleanup_nft_set struct nftnl_set *set = nftnl_set_alloc();
	if (!set)
		return errno = ENOMEM, MNL_CB_ERROR;
	if (nftnl_set_nlmsg_parse(nlh, set) < 0 ||
	    !ours(nftnl_set_get_str(set, NFTNL_SET_TABLE)))
		return MNL_CB_OK;
	int i = set_index(nftnl_set_get_str(set, NFTNL_SET_NAME));
	if (i < 0)
		return MNL_CB_OK;
	s->sets[i].present = true;
	s->sets[i].key_len = nftnl_set_get_u32(set, NFTNL_SET_KEY_LEN);
	s->sets[i].flags = nftnl_set_get_u32(set, NFTNL_SET_FLAGS);
	return MNL_CB_OK;
}

struct elem_parse {
	const struct nlattr *key, *kend, *flags, *list;
};

static int data_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_DATA_VALUE &&
	    mnl_attr_validate(a, MNL_TYPE_BINARY) == 0)
		*(const struct nlattr **)data = a;
	return MNL_CB_OK;
}

static int elem_attr_cb(const struct nlattr *a, void *data)
{
	struct elem_parse *p = data;
	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_KEY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, data_cb, &p->key);
		break;
	case NFTA_SET_ELEM_KEY_END:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
			mnl_attr_parse_nested(a, data_cb, &p->kend);
		break;
	case NFTA_SET_ELEM_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			p->flags = a;
		break;
	}
	return MNL_CB_OK;
}

static int elem_list_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		((struct elem_parse *)data)->list = a;
	return MNL_CB_OK;
}

static int add_elem(struct set_info *si, const struct elem_parse *p)
{
	size_t kl = si->key_len;
	if (!p->key || kl > sizeof si->e[0].key ||
	    mnl_attr_get_payload_len(p->key) != kl ||
	    (p->kend && mnl_attr_get_payload_len(p->kend) != kl)) {
		si->bad++;
		return 0;
	}
	if (si->n == si->cap) {
		size_t cap = si->cap ? si->cap * 2 : 256;
		struct elem *e = realloc(si->e, cap * sizeof *e);
		if (!e)
			return -1;
		si->e = e;
		si->cap = cap;
	}
	struct elem *e = &si->e[si->n++];
	memset(e, 0, sizeof *e);
	memcpy(e->key, mnl_attr_get_payload(p->key), kl);
	e->has_end = p->kend != NULL;
	memcpy(e->kend, mnl_attr_get_payload(p->kend ? p->kend : p->key), kl);
	e->flags = p->flags ? ntohl(mnl_attr_get_u32(p->flags)) : 0;
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct set_info *si = data;
	struct elem_parse l = {0};
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), elem_list_cb, &l) < 0 ||
	    !l.list)
		return MNL_CB_OK;
	const struct nlattr *a;
	nft_attr_for_each_nested(a, l.list)
	{
		struct elem_parse p = {0};
		if (mnl_attr_get_type(a) != NFTA_LIST_ELEM ||
		    mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    mnl_attr_parse_nested(a, elem_attr_cb, &p) < 0)
			continue;
		if (add_elem(si, &p) < 0)
			return errno = ENOMEM, MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct state *s = data;
	cleanup_nft_obj struct nftnl_obj *o = nftnl_obj_alloc();
	if (!o)
		return errno = ENOMEM, MNL_CB_ERROR;
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 &&
	    nftnl_obj_is_set(o, NFTNL_OBJ_CTR_PKTS)) {
		s->have_counter = true;
		s->blocked = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	}
	return MNL_CB_OK;
}

/* --- reading --- */

static int read_all(struct conn *c, struct state *s)
{
	char buf[1024];
	struct nlmsghdr *nlh = request(c, buf, NFT_MSG_GETTABLE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, CORRAL_TABLE);
	if (talk(c, nlh, table_cb, s) < 0)
		return -1;
	nlh = request(c, buf, NFT_MSG_GETCHAIN, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, CORRAL_TABLE);
	if (talk(c, nlh, chain_cb, s) < 0)
		return -1;
	nlh = request(c, buf, NFT_MSG_GETRULE, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, CORRAL_TABLE);
	if (talk(c, nlh, rule_cb, s) < 0)
		return -1;
	nlh = request(c, buf, NFT_MSG_GETSET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, CORRAL_TABLE);
	if (talk(c, nlh, set_cb, s) < 0)
		return -1;
	for (int i = 0; i < N_SETS; i++) {
		if (!s->sets[i].present)
			continue;
		nlh = request(c, buf, NFT_MSG_GETSETELEM, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, CORRAL_TABLE);
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set_names[i]);
		if (talk(c, nlh, elems_cb, &s->sets[i]) < 0)
			return -1;
	}
	nlh = request(c, buf, NFT_MSG_GETOBJ, NLM_F_ACK);
	mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, CORRAL_TABLE);
	mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, NFT_COUNTER_BLOCKED);
	mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
	if (talk(c, nlh, counter_cb, s) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

static void state_free(struct state *s)
{
	for (int i = 0; i < N_SETS; i++)
		free(s->sets[i].e);
	memset(s, 0, sizeof *s);
}

/* --- printing --- */

struct items {
	FILE *out;
	size_t col, shown;
	bool line_empty;
};

static void items_begin(struct items *it, FILE *out, const char *label,
			size_t total)
{
	char count[24];
	snprintf(count, sizeof count, "(%zu)", total);
	int n = fprintf(out, "  %-18s %-5s", label, count);
	it->out = out;
	it->shown = 0;
	it->col = n > 0 ? (size_t)n : ITEM_COL;
	it->line_empty = true;
}

static void items_add(struct items *it, const char *s)
{
	if (it->shown++ >= SHOW_MAX_ITEMS)
		return;
	size_t len = strlen(s);
	if (!it->line_empty && it->col + 2 + len > SHOW_WIDTH) {
		fprintf(it->out, "\n%*s", ITEM_COL, "");
		it->col = ITEM_COL;
		it->line_empty = true;
	}
	fprintf(it->out, "%s%s", it->line_empty ? " " : "  ", s);
	it->col += (it->line_empty ? 1 : 2) + len;
	it->line_empty = false;
}

static void items_end(struct items *it)
{
	if (it->shown > SHOW_MAX_ITEMS)
		fprintf(it->out, "  ... and %zu more", it->shown - SHOW_MAX_ITEMS);
	fputc('\n', it->out);
}

static size_t cmp_len; /* key length for the qsort comparators */

static int cmp_elem(const void *x, const void *y)
{
	const struct elem *a = x, *b = y;
	int c = memcmp(a->key, b->key, cmp_len);
	if (c)
		return c;
	/* An end before a start on the same key. */
	bool ae = a->flags & NFT_SET_ELEM_INTERVAL_END,
	     be = b->flags & NFT_SET_ELEM_INTERVAL_END;
	if (ae != be)
		return ae ? -1 : 1;
	return memcmp(a->kend, b->kend, cmp_len);
}

static void sort_elems(struct set_info *si)
{
	cmp_len = si->key_len;
	if (si->n)
		qsort(si->e, si->n, sizeof *si->e, cmp_elem);
}

/* An interval set matches x when the greatest element <= x is a start:
 * each start covers up to the next element. */
static size_t net_ranges(struct set_info *si, int v, struct nft_range *out)
{
	size_t alen = nft_alen(v), k = 0;
	if (si->key_len != alen)
		return 0;
	sort_elems(si);
	for (size_t i = 0; i < si->n; i++) {
		if (si->e[i].flags & NFT_SET_ELEM_INTERVAL_END)
			continue;
		struct nft_range r;
		memset(&r, 0, sizeof r);
		memcpy(r.lo, si->e[i].key, alen);
		if (i + 1 < si->n) {
			memcpy(r.hi, si->e[i + 1].key, alen);
			if (!nft_addr_dec(r.hi, alen) || memcmp(r.hi, r.lo, 16) < 0)
				continue;
		} else {
			memset(r.hi, 0xff, alen);
		}
		uint8_t next[16];
		if (k) {
			memcpy(next, out[k - 1].hi, 16);
			if (nft_addr_inc(next, alen) && memcmp(next, r.lo, 16) == 0) {
				memcpy(out[k - 1].hi, r.hi, 16);
				continue;
			}
		}
		out[k++] = r;
	}
	return k;
}

static void print_nets(FILE *out, struct state *s)
{
	struct set_info *si[2] = {&s->sets[0], &s->sets[1]};
	size_t cap = si[0]->n + si[1]->n + 1;
	cleanup_free struct nft_range *r = malloc(cap * sizeof *r);
	if (!r)
		return;
	size_t n4 = net_ranges(si[0], NFT_V4, r);
	size_t n6 = net_ranges(si[1], NFT_V6, r + n4);
	struct items it;
	char buf[96];
	items_begin(&it, out, "allowed networks", n4 + n6);
	for (size_t i = 0; i < n4 + n6; i++)
		items_add(&it, nft_range_str(i < n4 ? NFT_V4 : NFT_V6, r[i].lo,
					     r[i].hi, buf, sizeof buf));
	items_end(&it);
}

static void print_addrs(FILE *out, struct state *s)
{
	struct items it;
	char buf[96];
	items_begin(&it, out, "allowed addresses", s->sets[2].n + s->sets[3].n);
	for (int i = 2; i < 4; i++) {
		sort_elems(&s->sets[i]);
		for (size_t j = 0; j < s->sets[i].n; j++)
			items_add(&it, nft_key_str(s->sets[i].e[j].key,
						   s->sets[i].key_len, buf,
						   sizeof buf));
	}
	items_end(&it);
}

static uint16_t port_at(const uint8_t *k, size_t alen)
{
	uint16_t p;
	memcpy(&p, k + alen, 2);
	return ntohs(p);
}

/* "198.51.100.3 ports 22,443": elements grouped by address range. */
static void print_ports(FILE *out, struct state *s)
{
	struct items it;
	size_t groups = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			items_begin(&it, out, "port-limited", groups);
		for (int i = 4; i < 6; i++) {
			struct set_info *si = &s->sets[i];
			int v = i == 4 ? NFT_V4 : NFT_V6;
			size_t alen = nft_alen(v);
			if (si->key_len != alen + 4)
				continue;
			if (!pass)
				sort_elems(si);
			for (size_t j = 0; j < si->n;) {
				size_t k = j;
				char item[512], r[96];
				nft_range_str(v, si->e[j].key, si->e[j].kend, r,
					      sizeof r);
				int len = snprintf(item, sizeof item, "%s ports ", r);
				for (; k < si->n &&
				       memcmp(si->e[k].key, si->e[j].key, alen) == 0 &&
				       memcmp(si->e[k].kend, si->e[j].kend, alen) == 0;
				     k++) {
					uint16_t lo = port_at(si->e[k].key, alen),
						 hi = port_at(si->e[k].kend, alen);
					if (len < 0 || (size_t)len >= sizeof item)
						continue;
					len += snprintf(item + len, sizeof item - (size_t)len,
							lo == hi ? "%s%u" : "%s%u-%u",
							k > j ? "," : "", lo, hi);
				}
				groups += !pass;
				if (pass)
					items_add(&it, item);
				j = k;
			}
		}
	}
	items_end(&it);
}

static void print_dns(FILE *out, struct state *s)
{
	struct items it;
	items_begin(&it, out, "dns upstreams", s->sets[6].n + s->sets[7].n);
	for (int i = 6; i < 8; i++) {
		struct set_info *si = &s->sets[i];
		size_t alen = i == 6 ? 4 : 16;
		if (si->key_len != alen + 4)
			continue;
		sort_elems(si);
		for (size_t j = 0; j < si->n; j++) {
			char a[INET6_ADDRSTRLEN], item[96];
			inet_ntop(i == 6 ? AF_INET : AF_INET6, si->e[j].key, a,
				  sizeof a);
			uint16_t port = port_at(si->e[j].key, alen);
			if (port == 53)
				snprintf(item, sizeof item, "%s", a);
			else
				snprintf(item, sizeof item, "%s port %u", a, port);
			items_add(&it, item);
		}
	}
	items_end(&it);
}

static void print_state(FILE *out, struct state *s)
{
	if (s->owner)
		fprintf(out, "table inet %s (owner: netlink port %" PRIu32 ")\n",
			CORRAL_TABLE, s->owner_port);
	else
		fprintf(out, "table inet %s (owner: none)\n", CORRAL_TABLE);
	for (size_t i = 0; i < s->n_chains; i++) {
		char label[80];
		snprintf(label, sizeof label, "chain %s", s->chains[i].name);
		fprintf(out, "  %-18s %-13s rules: %zu\n", label,
			!s->chains[i].base ? "regular"
			: s->chains[i].policy == NF_DROP ? "policy drop"
							 : "policy accept",
			s->chains[i].rules);
	}
	print_nets(out, s);
	print_addrs(out, s);
	print_ports(out, s);
	print_dns(out, s);
	if (s->have_counter)
		fprintf(out, "  %-18s %" PRIu64 " packets\n", "blocked",
			s->blocked);
	size_t bad = 0;
	for (int i = 0; i < N_SETS; i++)
		bad += s->sets[i].bad;
	if (bad)
		fprintf(out, "  (%zu set elements with unexpected keys skipped)\n",
			bad);
}

int nft_show(FILE *out, char *err, size_t errlen)
{
	struct conn c = {.fd = -1};
	cleanup_fd int fd = -1;
	if (nft_sock_open(&fd, &c.portid, err, errlen) < 0)
		return -1;
	c.fd = fd;
	struct state s;
	int rc;
	/* A dump interrupted by a concurrent change is read again. */
	for (int tries = 0;; tries++) {
		memset(&s, 0, sizeof s);
		rc = read_all(&c, &s);
		if (rc == 0 || errno != EINTR || tries == 3)
			break;
		state_free(&s);
	}
	if (rc < 0) {
		int e = errno;
		state_free(&s);
		if (e == ENOENT)
			return 1;
		if (e == EINVAL) /* a GET to a missing subsystem */
			snprintf(err, errlen,
				 "reading table inet %s failed: %s (does the "
				 "kernel have nf_tables? try `modprobe "
				 "nf_tables`)",
				 CORRAL_TABLE, strerror(e));
		else
			nft_explain(e, "reading table inet " CORRAL_TABLE, err,
				    errlen);
		return -1;
	}
	print_state(out, &s);
	state_free(&s);
	return 0;
}
