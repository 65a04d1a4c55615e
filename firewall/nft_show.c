/* Reading table inet corral back from the kernel.  Every reply is parsed
 * defensively: attributes are validated before use and element keys must have
 * the length their set declares. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <endian.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>

#include "../common/cleanup.h"
#include "nft_int.h"

#define RECV_BUF	 65536
#define REPLY_TIMEOUT_MS 10000

static const char *const set_names[NFT_N_SETS] = {
    NFT_SET_NET4,  NFT_SET_NET6, NFT_SET_PORT4,
    NFT_SET_PORT6, NFT_SET_DNS4, NFT_SET_DNS6,
};
/* More learned sets than two per possible port spec are not ours. */
#define MAX_DYN (2 * 65536)

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

int nft_cb_run(const char *buf, size_t n, uint32_t seq, uint32_t portid,
	       mnl_cb_t cb, void *data)
{
	int len = n > INT_MAX ? INT_MAX : (int)n;
	for (const struct nlmsghdr *nlh = (const void *)buf;
	     nft_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq ||
		    (portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
			continue; /* not an answer to this request */
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return errno = EINTR, MNL_CB_ERROR;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return MNL_CB_STOP;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			if (nlh->nlmsg_len <
			    NLMSG_HDRLEN + sizeof(struct nlmsgerr))
				return errno = EBADMSG, MNL_CB_ERROR;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)
				return MNL_CB_STOP; /* the ACK */
			errno = e->error < 0 && e->error > -4096 ? -e->error
								 : EPROTO;
			return MNL_CB_ERROR;
		}
		if (!cb || nlh->nlmsg_type < NLMSG_MIN_TYPE ||
		    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
			continue;
		int r = cb(nlh, data);
		if (r <= MNL_CB_STOP)
			return r;
	}
	return MNL_CB_OK;
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
		struct sockaddr_nl sa;
		struct iovec iov = {buf, RECV_BUF};
		struct msghdr mh = {.msg_name = &sa,
				    .msg_namelen = sizeof sa,
				    .msg_iov = &iov,
				    .msg_iovlen = 1};
		ssize_t n = recvmsg(c->fd, &mh, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (mh.msg_flags & MSG_TRUNC)
			return errno = EMSGSIZE, -1;
		/* Any process may send to our port: only the kernel counts. */
		if (mh.msg_namelen < sizeof sa || sa.nl_pid != 0)
			continue;
		r = nft_cb_run(buf, (size_t)n, req->nlmsg_seq, c->portid, cb,
			       data);
		if (r < 0)
			return -1;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

/* --- callbacks ---
 * Our own small parsers rather than libnftnl's, which abort() the process
 * on some malformed input.  An attribute counts only if it validates. */

#define TB_MAX 32

struct attrs {
	const enum mnl_attr_data_type *policy; /* by type; 0: ignored */
	size_t n;
	const struct nlattr *tb[TB_MAX];
};

static int attr_cb(const struct nlattr *a, void *data)
{
	struct attrs *x = data;
	uint16_t t = mnl_attr_get_type(a);
	if (t < x->n && t < TB_MAX && x->policy[t] != MNL_TYPE_UNSPEC &&
	    mnl_attr_validate(a, x->policy[t]) == 0)
		x->tb[t] = a;
	return MNL_CB_OK;
}

static void parse(const struct nlmsghdr *nlh, struct attrs *x,
		  const enum mnl_attr_data_type *policy, size_t n)
{
	memset(x, 0, sizeof *x);
	x->policy = policy;
	x->n = n;
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, x);
}

#define PARSE(nlh, x, pol) parse(nlh, x, pol, sizeof pol / sizeof pol[0])

static const char *str(const struct attrs *x, int t)
{
	return x->tb[t] ? mnl_attr_get_str(x->tb[t]) : NULL;
}

static uint32_t u32(const struct attrs *x, int t)
{
	return x->tb[t] ? ntohl(mnl_attr_get_u32(x->tb[t])) : 0;
}

static bool ours(const char *table)
{
	return table && strcmp(table, CORRAL_TABLE) == 0;
}

static const enum mnl_attr_data_type table_policy[] = {
    [NFTA_TABLE_NAME] = MNL_TYPE_NUL_STRING,
    [NFTA_TABLE_FLAGS] = MNL_TYPE_U32,
    [NFTA_TABLE_OWNER] = MNL_TYPE_U32,
};

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_show_state *s = data;
	struct attrs x;
	PARSE(nlh, &x, table_policy);
	if (!ours(str(&x, NFTA_TABLE_NAME)))
		return MNL_CB_OK;
	s->owner = u32(&x, NFTA_TABLE_FLAGS) & NFT_TABLE_F_OWNER;
	s->owner_port = u32(&x, NFTA_TABLE_OWNER);
	return MNL_CB_OK;
}

static const enum mnl_attr_data_type chain_policy[] = {
    [NFTA_CHAIN_TABLE] = MNL_TYPE_NUL_STRING,
    [NFTA_CHAIN_NAME] = MNL_TYPE_NUL_STRING,
    [NFTA_CHAIN_HOOK] = MNL_TYPE_NESTED,
    [NFTA_CHAIN_POLICY] = MNL_TYPE_U32,
    [NFTA_CHAIN_TYPE] = MNL_TYPE_NUL_STRING,
};

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_show_state *s = data;
	struct attrs x;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	PARSE(nlh, &x, chain_policy);
	const char *name = str(&x, NFTA_CHAIN_NAME);
	if (!ours(str(&x, NFTA_CHAIN_TABLE)) || !name ||
	    g->nfgen_family != NFPROTO_INET ||
	    s->n_chains == sizeof s->chains / sizeof s->chains[0])
		return MNL_CB_OK;
	struct nft_show_chain *ci = &s->chains[s->n_chains++];
	snprintf(ci->name, sizeof ci->name, "%s", name);
	ci->base = x.tb[NFTA_CHAIN_HOOK] != NULL;
	if (ci->base && x.tb[NFTA_CHAIN_TYPE])
		snprintf(ci->type, sizeof ci->type, "%s",
			 str(&x, NFTA_CHAIN_TYPE));
	ci->policy =
	    x.tb[NFTA_CHAIN_POLICY] ? u32(&x, NFTA_CHAIN_POLICY) : NF_ACCEPT;
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
	struct nft_show_state *s = data;
	struct rule_attrs r = {NULL, NULL};
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), rule_attr_cb, &r) <
		0 ||
	    !ours(r.table) || !r.chain)
		return MNL_CB_OK;
	for (size_t i = 0; i < s->n_chains; i++)
		if (strcmp(s->chains[i].name, r.chain) == 0)
			s->chains[i].rules++;
	return MNL_CB_OK;
}

/* The set of that name, if it is one we show; learned sets are added as
 * they are first seen when add is true. */
static struct nft_show_set *set_find(struct nft_show_state *s, const char *name,
				     bool add)
{
	if (!name)
		return NULL;
	for (int i = 0; i < NFT_N_SETS; i++)
		if (strcmp(name, set_names[i]) == 0)
			return &s->sets[i];
	int v;
	uint16_t spec;
	if (!nft_dyn_set_parse(name, &v, &spec))
		return NULL;
	for (size_t i = 0; i < s->n_dyn; i++)
		if (strcmp(s->dyn[i].name, name) == 0)
			return &s->dyn[i];
	if (!add || s->n_dyn == MAX_DYN)
		return NULL;
	if (s->n_dyn == s->cap_dyn) {
		size_t cap = s->cap_dyn ? s->cap_dyn * 2 : 8;
		struct nft_show_set *d = realloc(s->dyn, cap * sizeof *d);
		if (!d)
			return NULL;
		s->dyn = d;
		s->cap_dyn = cap;
	}
	struct nft_show_set *si = &s->dyn[s->n_dyn++];
	memset(si, 0, sizeof *si);
	snprintf(si->name, sizeof si->name, "%s", name);
	si->v = (uint8_t)v;
	si->spec = spec;
	return si;
}

/* The comment in a set's userdata (type-length-value, as nft writes it),
 * made printable. */
static void udata_comment(const struct nlattr *a, char *out, size_t len)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a);
	out[0] = 0;
	for (size_t off = 0; off + 2 <= n;) {
		uint8_t type = p[off], l = p[off + 1];
		if (l > n - off - 2)
			return;
		const uint8_t *v = p + off + 2;
		off += 2 + (size_t)l;
		if (type != NFTNL_UDATA_SET_COMMENT || l == 0)
			continue;
		size_t k = 0;
		for (; k + 1 < len && k < l && v[k]; k++)
			out[k] = v[k] >= 0x20 && v[k] < 0x7f ? (char)v[k] : '?';
		out[k] = 0;
		return;
	}
}

static const enum mnl_attr_data_type set_policy[] = {
    [NFTA_SET_TABLE] = MNL_TYPE_NUL_STRING,
    [NFTA_SET_NAME] = MNL_TYPE_NUL_STRING,
    [NFTA_SET_FLAGS] = MNL_TYPE_U32,
    [NFTA_SET_KEY_LEN] = MNL_TYPE_U32,
    [NFTA_SET_USERDATA] = MNL_TYPE_BINARY,
};

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_show_state *s = data;
	struct attrs x;
	PARSE(nlh, &x, set_policy);
	if (!ours(str(&x, NFTA_SET_TABLE)))
		return MNL_CB_OK;
	struct nft_show_set *si = set_find(s, str(&x, NFTA_SET_NAME), true);
	if (!si)
		return MNL_CB_OK;
	si->present = true;
	si->key_len = u32(&x, NFTA_SET_KEY_LEN);
	si->flags = u32(&x, NFTA_SET_FLAGS);
	if (x.tb[NFTA_SET_USERDATA])
		udata_comment(x.tb[NFTA_SET_USERDATA], si->comment,
			      sizeof si->comment);
	return MNL_CB_OK;
}

struct elem_parse {
	const struct nlattr *key, *kend, *flags, *timeout, *expires, *list;
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
	case NFTA_SET_ELEM_TIMEOUT:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			p->timeout = a;
		break;
	case NFTA_SET_ELEM_EXPIRATION:
		if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
			p->expires = a;
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

static int add_elem(struct nft_show_set *si, const struct elem_parse *p)
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
		struct nft_show_elem *e = realloc(si->e, cap * sizeof *e);
		if (!e)
			return -1;
		si->e = e;
		si->cap = cap;
	}
	struct nft_show_elem *e = &si->e[si->n++];
	memset(e, 0, sizeof *e);
	memcpy(e->key, mnl_attr_get_payload(p->key), kl);
	e->has_end = p->kend != NULL;
	memcpy(e->kend, mnl_attr_get_payload(p->kend ? p->kend : p->key), kl);
	e->flags = p->flags ? ntohl(mnl_attr_get_u32(p->flags)) : 0;
	e->timeout_ms = p->timeout ? be64toh(mnl_attr_get_u64(p->timeout)) : 0;
	e->expires_ms = p->expires ? be64toh(mnl_attr_get_u64(p->expires)) : 0;
	return 0;
}

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_show_set *si = data;
	struct elem_parse l = {0};
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), elem_list_cb, &l) <
		0 ||
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

static const enum mnl_attr_data_type obj_policy[] = {
    [NFTA_OBJ_TABLE] = MNL_TYPE_NUL_STRING,
    [NFTA_OBJ_NAME] = MNL_TYPE_NUL_STRING,
    [NFTA_OBJ_TYPE] = MNL_TYPE_U32,
    [NFTA_OBJ_DATA] = MNL_TYPE_NESTED,
};

static int packets_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		*(const struct nlattr **)data = a;
	return MNL_CB_OK;
}

static int counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nft_show_state *s = data;
	struct attrs x;
	PARSE(nlh, &x, obj_policy);
	const char *name = str(&x, NFTA_OBJ_NAME);
	const struct nlattr *pk = NULL;
	if (!ours(str(&x, NFTA_OBJ_TABLE)) || !name ||
	    u32(&x, NFTA_OBJ_TYPE) != NFT_OBJECT_COUNTER ||
	    !x.tb[NFTA_OBJ_DATA])
		return MNL_CB_OK;
	bool blocked = strcmp(name, NFT_COUNTER_BLOCKED) == 0;
	if (!blocked && strcmp(name, NFT_COUNTER_HOST_DNS) != 0)
		return MNL_CB_OK;
	mnl_attr_parse_nested(x.tb[NFTA_OBJ_DATA], packets_cb, &pk);
	if (pk && blocked) {
		s->have_counter = true;
		s->blocked = be64toh(mnl_attr_get_u64(pk));
	} else if (pk) {
		s->have_host_dns = true;
		s->host_dns = be64toh(mnl_attr_get_u64(pk));
	}
	return MNL_CB_OK;
}

/* --- reading --- */

static int read_elems(struct conn *c, struct nft_show_set *si)
{
	char buf[256];
	if (!si->present)
		return 0;
	struct nlmsghdr *nlh = request(c, buf, NFT_MSG_GETSETELEM, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, CORRAL_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET,
			  si->name[0] ? si->name : "?");
	return talk(c, nlh, elems_cb, si);
}

static int read_all(struct conn *c, struct nft_show_state *s, int what)
{
	bool learned = what == NFT_READ_LEARNED;
	char buf[1024];
	for (int i = 0; i < NFT_N_SETS; i++)
		snprintf(s->sets[i].name, sizeof s->sets[i].name, "%s",
			 set_names[i]);
	struct nlmsghdr *nlh = request(c, buf, NFT_MSG_GETTABLE, NLM_F_ACK);
	mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, CORRAL_TABLE);
	if (talk(c, nlh, table_cb, s) < 0)
		return -1;
	if (what == NFT_READ_COUNTERS)
		goto counters;
	if (!learned) {
		nlh = request(c, buf, NFT_MSG_GETCHAIN, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, CORRAL_TABLE);
		if (talk(c, nlh, chain_cb, s) < 0)
			return -1;
		nlh = request(c, buf, NFT_MSG_GETRULE, NLM_F_DUMP);
		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, CORRAL_TABLE);
		if (talk(c, nlh, rule_cb, s) < 0)
			return -1;
	}
	nlh = request(c, buf, NFT_MSG_GETSET, NLM_F_DUMP);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, CORRAL_TABLE);
	if (talk(c, nlh, set_cb, s) < 0)
		return -1;
	for (int i = 0; i < NFT_N_SETS && what == NFT_READ_ALL; i++)
		if (read_elems(c, &s->sets[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->n_dyn && what != NFT_READ_RULES; i++)
		if (read_elems(c, &s->dyn[i]) < 0)
			return -1;
counters:;
	/* The counters are cheap and status wants them even in the light
	 * read; dns_host exists only with nft_opts.dns_cgroup. */
	static const char *const counters[] = {NFT_COUNTER_BLOCKED,
					       NFT_COUNTER_HOST_DNS};
	for (size_t i = 0; i < 2; i++) {
		nlh = request(c, buf, NFT_MSG_GETOBJ, NLM_F_ACK);
		mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, CORRAL_TABLE);
		mnl_attr_put_strz(nlh, NFTA_OBJ_NAME, counters[i]);
		mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(NFT_OBJECT_COUNTER));
		if (talk(c, nlh, counter_cb, s) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

void nft_state_free(struct nft_show_state *s)
{
	for (int i = 0; i < NFT_N_SETS; i++)
		free(s->sets[i].e);
	for (size_t i = 0; i < s->n_dyn; i++)
		free(s->dyn[i].e);
	free(s->dyn);
	memset(s, 0, sizeof *s);
}

int nft_read_state(int fd, uint32_t portid, int what,
		   struct nft_show_state *s)
{
	struct conn c = {.fd = fd, .portid = portid, .seq = nft_next_seq(64)};
	int rc;
	/* A dump interrupted by a concurrent change is read again. */
	for (int tries = 0;; tries++) {
		memset(s, 0, sizeof *s);
		rc = read_all(&c, s, what);
		if (rc == 0 || errno != EINTR || tries == 3)
			break;
		nft_state_free(s);
		c.seq = nft_next_seq(64);
	}
	if (rc < 0) {
		int e = errno;
		nft_state_free(s);
		errno = e;
	}
	return rc;
}

static int list_set_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

int nft_show_parse(const void *buf, size_t len, FILE *out)
{
	struct nft_show_state s;
	memset(&s, 0, sizeof s);
	int n = len > INT_MAX ? INT_MAX : (int)len, rc = MNL_CB_OK;
	for (const struct nlmsghdr *nlh = buf;
	     rc >= MNL_CB_OK && nft_nlmsg_ok(nlh, n);
	     nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES ||
		    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
			continue;
		const char *set = NULL;
		struct nft_show_set *si;
		switch (nlh->nlmsg_type & 0xff) {
		case NFT_MSG_NEWTABLE:
			rc = table_cb(nlh, &s);
			break;
		case NFT_MSG_NEWCHAIN:
			rc = chain_cb(nlh, &s);
			break;
		case NFT_MSG_NEWRULE:
			rc = rule_cb(nlh, &s);
			break;
		case NFT_MSG_NEWSET:
			rc = set_cb(nlh, &s);
			break;
		case NFT_MSG_NEWSETELEM:
			mnl_attr_parse(nlh, sizeof(struct nfgenmsg),
				       list_set_cb, &set);
			if ((si = set_find(&s, set, false)) && si->present)
				rc = elems_cb(nlh, si);
			break;
		case NFT_MSG_NEWOBJ:
			rc = counter_cb(nlh, &s);
			break;
		}
	}
	if (rc >= MNL_CB_OK)
		nft_print_state(out, &s);
	nft_state_free(&s);
	return rc >= MNL_CB_OK ? 0 : -1;
}

int nft_show(FILE *out, char *err, size_t errlen)
{
	cleanup_fd int fd = -1;
	uint32_t portid;
	if (nft_sock_open(&fd, &portid, err, errlen) < 0)
		return -1;
	struct nft_show_state s;
	if (nft_read_state(fd, portid, false, &s) < 0) {
		int e = errno;
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
	nft_print_state(out, &s);
	nft_state_free(&s);
	return 0;
}
