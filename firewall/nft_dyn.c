/* Addresses learned from DNS into the dynamic sets, on the DNS answer path:
 * one small batch per call, every reply read and judged before the answer
 * may go to the client.  Reading them back for status and reload. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>

#include "../common/cleanup.h"
#include "nft_int.h"

#define NFT_TYPE(t) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))
#define STACK_ITEMS 64

uint32_t nft_dyn_clamp(const struct policy *p, uint32_t ttl)
{
	uint32_t t = ttl;
	if (p && t < p->ttl_min)
		t = p->ttl_min;
	if (p && p->ttl_max && t > p->ttl_max)
		t = p->ttl_max;
	if (t > NFT_TIMEOUT_MAX)
		t = NFT_TIMEOUT_MAX;
	return t ? t : 1;
}

struct item {
	uint8_t v;
	uint16_t set;
	uint8_t b[16];
	uint32_t timeout;
};

static int cmp_item(const void *x, const void *y)
{
	const struct item *a = x, *b = y;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	return memcmp(a->b, b->b, 16);
}

/* Each element in its set; sorted, an address twice keeps the longer
 * timeout.  Returns how many are left, or -1 with err set. */
static ssize_t prepare(const struct policy *p, const struct nft_dyn_elem *e,
		       size_t n, struct item *it, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		int v = e[i].addr.family == AF_INET    ? NFT_V4
			: e[i].addr.family == AF_INET6 ? NFT_V6
						       : -1;
		int set = nft_dyn_set_of(p, e[i].portspec);
		if (v < 0 || set < 0) {
			snprintf(err, errlen,
				 "internal error: learned address %zu has "
				 "%s",
				 i,
				 v < 0 ? "no address family"
				       : "a port spec the policy lacks");
			return -1;
		}
		memset(&it[i], 0, sizeof it[i]);
		it[i].v = (uint8_t)v;
		it[i].set = (uint16_t)set;
		memcpy(it[i].b, e[i].addr.b, nft_alen(v));
		it[i].timeout = e[i].timeout > NFT_TIMEOUT_MAX ? NFT_TIMEOUT_MAX
				: e[i].timeout		       ? e[i].timeout
							       : 1;
	}
	qsort(it, n, sizeof *it, cmp_item);
	size_t k = 0;
	for (size_t i = 1; i < n; i++) {
		if (cmp_item(&it[k], &it[i]) == 0) {
			if (it[i].timeout > it[k].timeout)
				it[k].timeout = it[i].timeout;
		} else {
			it[++k] = it[i];
		}
	}
	return (ssize_t)k + 1;
}

/* One message per step and set: add (create if missing, so that the
 * delete cannot fail), delete, add again with the timeout.  Committed as
 * one, the element is never missing and its timeout is the new one on
 * every kernel. */
static int put_group(struct nft_builder *b, const struct item *it, size_t n,
		     const char *name)
{
	size_t room = 1024 + 256 + n * NFT_ELEM_MAX;
	if (room > NFT_ELEM_MSG_MAX + 1024)
		room = NFT_ELEM_MSG_MAX + 1024;
	static const struct {
		uint16_t type, flags;
		bool timeout;
	} steps[] = {
	    {NFT_MSG_NEWSETELEM, NLM_F_CREATE, false},
	    {NFT_MSG_DELSETELEM, 0, false},
	    {NFT_MSG_NEWSETELEM, NLM_F_CREATE, true},
	};
	for (size_t s = 0; s < 3; s++) {
		struct nft_elems w = {.b = b,
				      .set = name,
				      .type = steps[s].type,
				      .flags = steps[s].flags,
				      .room = room};
		for (size_t i = 0; i < n; i++) {
			if (nft_elems_room(&w, 1) < 0)
				return -1;
			nft_elems_put(&w, &(struct nft_elem){
					      .key = it[i].b,
					      .klen = nft_alen(it[i].v),
					      .timeout = steps[s].timeout
							     ? it[i].timeout
							     : 0});
		}
		nft_elems_close(&w);
	}
	return 0;
}

static int build(const struct item *it, size_t n, uint32_t seq,
		 struct nft_msgbuf *m)
{
	struct nft_builder b = {.m = m, .seq = seq};
	m->seq_first = seq;
	if (nft_put_batch_begin(&b) < 0)
		return -1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && it[j].v == it[i].v && it[j].set == it[i].set)
			j++;
		char name[16];
		nft_dyn_set_name(it[i].v, it[i].set, name, sizeof name);
		if (put_group(&b, it + i, j - i, name) < 0)
			return -1;
		i = j;
	}
	return nft_put_batch_end(&b);
}

int nft_dyn_build(const struct policy *p, const struct nft_dyn_elem *e,
		  size_t n, uint32_t seq, struct nft_msgbuf *m, char *err,
		  size_t errlen)
{
	memset(m, 0, sizeof *m);
	struct item stack_items[STACK_ITEMS];
	cleanup_free struct item *heap = NULL;
	struct item *it = stack_items;
	if (!p || !e || n == 0) {
		snprintf(err, errlen, "internal error: nothing to add");
		return -1;
	}
	if (n > STACK_ITEMS && !(it = heap = calloc(n, sizeof *it))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ssize_t k = prepare(p, e, n, it, err, errlen);
	if (k < 0)
		return -1;
	/* Three messages of up to 1280 bytes of overhead per set. */
	size_t cap = 256 + (size_t)k * (3 * NFT_ELEM_MAX + 3 * 1280);
	m->buf = malloc(cap);
	m->cap = m->buf ? cap : 0;
	if (!m->buf || build(it, (size_t)k, seq, m) < 0) {
		nft_msgbuf_free(m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int use_sock(int *sock_fd, uint32_t *portid, char *err, size_t errlen)
{
	if (!sock_fd) {
		snprintf(err, errlen, "internal error: no socket slot");
		return -1;
	}
	if (*sock_fd >= 0) {
		if (nft_sock_portid(*sock_fd, portid) == 0)
			return 0;
		nft_explain(errno, "using the nftables socket", err, errlen);
		return -1;
	}
	return nft_sock_open(sock_fd, portid, err, errlen);
}

static int set_name_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

/* The set the refused message of our batch was about. */
static const char *refused_set(const struct nft_msgbuf *m, uint32_t seq)
{
	int len = (int)m->len;
	const char *name = "?";
	for (const struct nlmsghdr *nlh = (const void *)m->buf;
	     nft_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_seq == seq)
			mnl_attr_parse(nlh, sizeof(struct nfgenmsg),
				       set_name_cb, &name);
	return name;
}

static void explain(const struct nft_batch_err *be, const struct nft_msgbuf *m,
		    char *err, size_t errlen)
{
	bool elems = be->type == NFT_TYPE(NFT_MSG_NEWSETELEM) ||
		     be->type == NFT_TYPE(NFT_MSG_DELSETELEM);
	if (!elems)
		return; /* the batch as a whole: nft_batch_send said it */
	const char *set = refused_set(m, be->seq);
	switch (be->err) {
	case ENOENT:
		snprintf(err, errlen,
			 "table inet " CORRAL_TABLE " or set %s missing: run "
			 "corral apply first",
			 set);
		break;
	case EPERM:
		snprintf(err, errlen,
			 "table inet " CORRAL_TABLE " is owned by another "
			 "process (a running `corral init`?): only its socket "
			 "may add to set %s",
			 set);
		break;
	case EINVAL:
	case EOPNOTSUPP:
		snprintf(err, errlen,
			 "adding to set %s failed: %s: the set takes no "
			 "timeouts (a table from an older corral?): run "
			 "corral apply again",
			 set, strerror(be->err));
		break;
	default:
		snprintf(err, errlen, "adding to set %s failed: %s", set,
			 strerror(be->err));
		break;
	}
}

int nft_dyn_add(int *sock_fd, const struct policy *p,
		const struct nft_dyn_elem *e, size_t n, char *err,
		size_t errlen)
{
	if (n == 0)
		return 0;
	uint32_t portid;
	cleanup_nft_msgbuf struct nft_msgbuf m = {0};
	if (nft_dyn_build(p, e, n, nft_next_seq(0), &m, err, errlen) < 0 ||
	    use_sock(sock_fd, &portid, err, errlen) < 0)
		return -1;
	/* Keep later batches on this socket clear of these numbers. */
	(void)nft_next_seq(m.seq_last - m.seq_first);
	struct nft_batch_err be;
	if (nft_batch_send(*sock_fd, portid, &m, &be, err, errlen) == 0)
		return 0;
	if (be.err)
		explain(&be, &m, err, errlen);
	return -1;
}

int nft_dyn_list(int *sock_fd, struct resolved **out, size_t *n, char *err,
		 size_t errlen)
{
	*out = NULL;
	*n = 0;
	uint32_t portid;
	if (use_sock(sock_fd, &portid, err, errlen) < 0)
		return -1;
	struct nft_show_state s;
	if (nft_read_state(*sock_fd, portid, true, &s) < 0) {
		if (errno == ENOENT)
			return 1;
		nft_explain(errno, "reading table inet " CORRAL_TABLE, err,
			    errlen);
		return -1;
	}
	size_t total = 0;
	for (size_t i = 0; i < s.n_dyn; i++)
		total += s.dyn[i].n;
	struct resolved *r = calloc(total ? total : 1, sizeof *r);
	if (!r) {
		nft_state_free(&s);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	size_t k = 0;
	for (size_t i = 0; i < s.n_dyn; i++) {
		const struct nft_show_set *si = &s.dyn[i];
		if (si->key_len != nft_alen(si->v))
			continue;
		for (size_t j = 0; j < si->n; j++) {
			const struct nft_show_elem *x = &si->e[j];
			uint64_t ms =
			    x->expires_ms ? x->expires_ms : x->timeout_ms;
			uint64_t secs = (ms + 999) / 1000;
			r[k].addr.family = si->v == NFT_V4 ? AF_INET : AF_INET6;
			memcpy(r[k].addr.b, x->key, si->key_len);
			r[k].ttl =
			    secs > UINT32_MAX ? UINT32_MAX : (uint32_t)secs;
			r[k].portspec = si->spec;
			r[k].target = UINT32_MAX;
			k++;
		}
	}
	nft_state_free(&s);
	*out = r;
	*n = k;
	return 0;
}
