/* Talking to nf_tables: the socket, sending a batch, reading every ACK and
 * error, and turning errors into one line that says what to do. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "nft_int.h"

#define ADVICE_CAP                                                             \
	"missing CAP_NET_ADMIN: run as root or start the container with "      \
	"--cap-add=NET_ADMIN"
#define ADVICE_NO_NFT                                                          \
	"the kernel has no nf_tables (nf_tables module missing): load it "     \
	"with "                                                                \
	"`modprobe nf_tables` or use a kernel with CONFIG_NF_TABLES"
#define RECV_BUF	 65536
#define REPLY_TIMEOUT_MS 10000

#define NFT_TYPE(t) ((uint16_t)((NFNL_SUBSYS_NFTABLES << 8) | (t)))

void nft_explain(int e, const char *what, char *err, size_t errlen)
{
	switch (e) {
	case EPERM:
		snprintf(err, errlen, "%s", ADVICE_CAP);
		break;
	case EPROTONOSUPPORT: /* socket(): no nfnetlink */
	case EAFNOSUPPORT:
		snprintf(err, errlen, "%s", ADVICE_NO_NFT);
		break;
	default:
		snprintf(err, errlen, "%s failed: %s", what, strerror(e));
		break;
	}
}

int nft_sock_portid(int fd, uint32_t *portid)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	if (len < sizeof sa || sa.nl_family != AF_NETLINK)
		return errno = ENOTSOCK, -1;
	*portid = sa.nl_pid;
	return 0;
}

int nft_sock_open(int *fdp, uint32_t *portid, char *err, size_t errlen)
{
	cleanup_fd int fd =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		nft_explain(errno, "opening the nftables netlink socket", err,
			    errlen);
		return -1;
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    nft_sock_portid(fd, portid) < 0) {
		nft_explain(errno, "binding the nftables netlink socket", err,
			    errlen);
		return -1;
	}
	/* Errors without a copy of our (up to 60 KiB) message, but with the
	 * kernel's pointer to the attribute it refused. */
	int one = 1;
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	*fdp = steal_fd(&fd);
	return 0;
}

/* The kernel takes the batch in one skb, so the send buffer must hold it
 * all.  Only CAP_NET_ADMIN in the initial user namespace may pass
 * net.core.[wr]mem_max (SO_*BUFFORCE); elsewhere we get what we get. */
static int grow_buf(int fd, int force, int plain, size_t want)
{
	int cur = 0;
	socklen_t l = sizeof cur;
	if (getsockopt(fd, SOL_SOCKET, plain, &cur, &l) == 0 && cur >= 0 &&
	    (size_t)cur >= want)
		return cur;
	int v = want / 2 + 1 > INT_MAX / 2 ? INT_MAX / 2 : (int)(want / 2 + 1);
	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof v) < 0)
		(void)setsockopt(fd, SOL_SOCKET, plain, &v, sizeof v);
	l = sizeof cur;
	if (getsockopt(fd, SOL_SOCKET, plain, &cur, &l) < 0)
		cur = 0;
	return cur;
}

struct reply_state {
	const struct nft_msgbuf *m;
	uint32_t portid;
	uint8_t *answered; /* per message: ACK or error seen */
	struct nft_batch_err *be;
	char ext_msg[160]; /* the kernel's extended ACK text, if any */
	uint32_t ext_offs; /* offset of the refused attribute, 0 = none */
	bool overrun, truncated;
};

struct ext_ack {
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
};

static int ext_ack_cb(const struct nlattr *a, void *data)
{
	struct ext_ack *x = data;
	uint16_t type = mnl_attr_get_type(a);
	if (type == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		x->tb[type] = a;
	else if (type == NLMSGERR_ATTR_OFFS &&
		 mnl_attr_validate(a, MNL_TYPE_U32) == 0)
		x->tb[type] = a;
	return MNL_CB_OK;
}

static void on_error_msg(struct reply_state *st, const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
		return;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	uint32_t i = nlh->nlmsg_seq - st->m->seq_first;
	st->answered[i] = 1;
	if (e->error == 0)
		return;
	int code = e->error < 0 && e->error > -4096 ? -e->error : EPROTO;
	struct nft_batch_err *be = st->be;
	be->n_errors++;
	/* The first failure explains; later ones tend to follow from it. */
	if (be->err && i >= be->seq - st->m->seq_first)
		return;
	be->err = code;
	be->seq = nlh->nlmsg_seq;
	be->type = e->msg.nlmsg_type;
	st->ext_msg[0] = 0;
	st->ext_offs = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	size_t off = sizeof *e;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	if (off >= nlh->nlmsg_len - NLMSG_HDRLEN)
		return;
	struct ext_ack x = {{0}};
	if (mnl_attr_parse(nlh, (unsigned)off, ext_ack_cb, &x) < 0)
		return;
	if (x.tb[NLMSGERR_ATTR_MSG])
		snprintf(st->ext_msg, sizeof st->ext_msg, "%s",
			 mnl_attr_get_str(x.tb[NLMSGERR_ATTR_MSG]));
	if (x.tb[NLMSGERR_ATTR_OFFS])
		st->ext_offs = mnl_attr_get_u32(x.tb[NLMSGERR_ATTR_OFFS]);
}

static void take(struct reply_state *st, const char *buf, size_t n)
{
	int len = n > INT_MAX ? INT_MAX : (int)n;
	for (const struct nlmsghdr *nlh = (const void *)buf;
	     nft_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		/* Unsigned differences: seq may wrap. */
		if (nlh->nlmsg_seq - st->m->seq_first >
			st->m->seq_last - st->m->seq_first ||
		    (nlh->nlmsg_pid && nlh->nlmsg_pid != st->portid))
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR)
			on_error_msg(st, nlh);
	}
}

/* Reads what is queued.  The kernel handles a batch inside sendmsg(), so
 * every answer is queued by the time it returns; waiting is a safeguard. */
static int drain(int fd, struct reply_state *st, char *buf, int wait_ms)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = {buf, RECV_BUF};
		struct msghdr mh = {.msg_name = &sa,
				    .msg_namelen = sizeof sa,
				    .msg_iov = &iov,
				    .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				st->overrun = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (wait_ms <= 0)
				return 0;
			struct pollfd p = {.fd = fd, .events = POLLIN};
			int r = poll(&p, 1, wait_ms);
			if (r < 0 && errno != EINTR)
				return -1;
			if (r == 0)
				return 0;
			wait_ms = 0; /* one extra wait at most */
			continue;
		}
		if (mh.msg_flags & MSG_TRUNC)
			st->truncated = true;
		/* Any process may send to our port: only the kernel counts. */
		if (mh.msg_namelen < sizeof sa || sa.nl_pid != 0)
			continue;
		take(st, buf, (size_t)n);
	}
}

static const struct nlmsghdr *find_msg(const struct nft_msgbuf *m, uint32_t seq)
{
	int len = m->len > INT_MAX ? INT_MAX : (int)m->len;
	for (const struct nlmsghdr *nlh = (const void *)m->buf;
	     nft_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_seq == seq)
			return nlh;
	return NULL;
}

struct msg_attrs {
	uint16_t name_type; /* which attribute names the object */
	bool rule;
	const char *name; /* chain/set/object name; a rule's chain */
	char exprs[96];	  /* rule: its expressions, "meta cmp reject" */
};

static int expr_name_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_EXPR_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
		char *s = data;
		size_t l = strlen(s);
		snprintf(s + l, 96 - l, "%s%s", l ? " " : "",
			 mnl_attr_get_str(a));
	}
	return MNL_CB_OK;
}

static int msg_attr_cb(const struct nlattr *a, void *data)
{
	struct msg_attrs *x = data;
	uint16_t t = mnl_attr_get_type(a);
	if (t == x->name_type && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		x->name = mnl_attr_get_str(a);
	if (x->rule && t == NFTA_RULE_EXPRESSIONS &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) == 0) {
		const struct nlattr *e;
		nft_attr_for_each_nested(e, a)
		{
			if (mnl_attr_get_type(e) == NFTA_LIST_ELEM &&
			    mnl_attr_validate(e, MNL_TYPE_NESTED) == 0)
				mnl_attr_parse_nested(e, expr_name_cb,
						      x->exprs);
		}
	}
	return MNL_CB_OK;
}

static void parse_msg(const struct nlmsghdr *nlh, struct msg_attrs *x)
{
	switch (nlh->nlmsg_type) {
	case NFT_TYPE(NFT_MSG_NEWCHAIN):
		x->name_type = NFTA_CHAIN_NAME;
		break;
	case NFT_TYPE(NFT_MSG_NEWSET):
		x->name_type = NFTA_SET_NAME;
		break;
	case NFT_TYPE(NFT_MSG_NEWSETELEM):
		x->name_type = NFTA_SET_ELEM_LIST_SET;
		break;
	case NFT_TYPE(NFT_MSG_NEWOBJ):
		x->name_type = NFTA_OBJ_NAME;
		break;
	case NFT_TYPE(NFT_MSG_NEWRULE):
		x->name_type = NFTA_RULE_CHAIN;
		x->rule = true;
		break;
	default:
		return;
	}
	mnl_attr_parse(nlh, sizeof(struct nfgenmsg), msg_attr_cb, x);
}

struct elem_key {
	const struct nlattr *key;
};

static int elem_data_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_DATA_VALUE &&
	    mnl_attr_validate(a, MNL_TYPE_BINARY) == 0)
		((struct elem_key *)data)->key = a;
	return MNL_CB_OK;
}

static int elem_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		mnl_attr_parse_nested(a, elem_data_cb, data);
	return MNL_CB_OK;
}

/* The element the kernel pointed at (extended ACK offset), for people. */
static void refused_elem(const struct nlmsghdr *nlh, uint32_t offs, char *buf,
			 size_t len)
{
	buf[0] = 0;
	if (offs < NLMSG_HDRLEN + sizeof(struct nfgenmsg) || offs % 4 ||
	    offs > nlh->nlmsg_len - sizeof(struct nlattr))
		return;
	const struct nlattr *a = (const void *)((const char *)nlh + offs);
	if (a->nla_len < sizeof *a || a->nla_len > nlh->nlmsg_len - offs ||
	    mnl_attr_get_type(a) != NFTA_LIST_ELEM)
		return;
	struct elem_key k = {NULL};
	mnl_attr_parse_nested(a, elem_cb, &k);
	if (!k.key)
		return;
	char s[128];
	nft_key_str(mnl_attr_get_payload(k.key),
		    mnl_attr_get_payload_len(k.key), s, sizeof s);
	snprintf(buf, len, " (element %s)", s);
}

static void describe_failure(const struct reply_state *st, char *err,
			     size_t errlen)
{
	const struct nft_batch_err *be = st->be;
	const struct nlmsghdr *nlh = find_msg(st->m, be->seq);
	uint16_t type = nlh ? nlh->nlmsg_type : NFNL_MSG_BATCH_BEGIN;
	struct msg_attrs x = {0, false, NULL, ""};
	if (nlh)
		parse_msg(nlh, &x);
	const char *name = x.name ? x.name : "?";
	char what[256], more[48] = "", elem[160] = "", ext[192] = "";
	if (be->n_errors > 1)
		snprintf(more, sizeof more, " (and %d more errors)",
			 be->n_errors - 1);
	if (st->ext_msg[0])
		snprintf(ext, sizeof ext, " (kernel: %s)", st->ext_msg);
	switch (type) {
	case NFNL_MSG_BATCH_BEGIN:
	case NFNL_MSG_BATCH_END:
		/* The batch as a whole: no permission, no subsystem, or the
		 * commit itself failed. */
		if (be->err == EPERM)
			snprintf(err, errlen, "%s", ADVICE_CAP);
		else if (be->err == EOPNOTSUPP)
			snprintf(err, errlen, "%s", ADVICE_NO_NFT);
		else
			snprintf(err, errlen,
				 "committing table inet " CORRAL_TABLE
				 " failed: %s%s",
				 strerror(be->err), ext);
		return;
	case NFT_TYPE(NFT_MSG_NEWTABLE):
	case NFT_TYPE(NFT_MSG_DELTABLE):
		if (be->err == EPERM) {
			snprintf(err, errlen,
				 "table inet " CORRAL_TABLE " is owned by "
				 "another process (a running `corral init`?): "
				 "it goes away when that process exits");
			return;
		}
		if (be->err == EOPNOTSUPP) {
			snprintf(
			    err, errlen,
			    "replacing table inet " CORRAL_TABLE
			    " failed: %s: the kernel refused the table "
			    "flags (owned tables need Linux 5.12 or later)",
			    strerror(be->err));
			return;
		}
		if (be->err == EAFNOSUPPORT) {
			snprintf(err, errlen,
				 "the kernel's nf_tables has no inet family: "
				 "use a kernel with CONFIG_NF_TABLES_INET");
			return;
		}
		snprintf(what, sizeof what, "replacing table inet %s",
			 CORRAL_TABLE);
		break;
	case NFT_TYPE(NFT_MSG_NEWCHAIN):
		snprintf(what, sizeof what, "creating chain %s", name);
		if ((be->err == ENOENT || be->err == EOPNOTSUPP) &&
		    strcmp(name, NFT_CHAIN_DNS) == 0) {
			snprintf(
			    err, errlen,
			    "%s failed: %s: the kernel lacks NAT for "
			    "nftables' inet family (CONFIG_NFT_NAT, Linux "
			    "5.2 or later), needed to send DNS to corral's "
			    "forwarder",
			    what, strerror(be->err));
			return;
		}
		if (be->err == ENOENT || be->err == EOPNOTSUPP) {
			snprintf(err, errlen,
				 "%s failed: %s: the kernel lacks the inet "
				 "filter chain type (CONFIG_NF_TABLES_INET)",
				 what, strerror(be->err));
			return;
		}
		break;
	case NFT_TYPE(NFT_MSG_NEWSET):
		snprintf(what, sizeof what, "creating set %s", name);
		if (be->err == EOPNOTSUPP) {
			snprintf(
			    err, errlen,
			    "%s failed: %s: the kernel has no set type for "
			    "it (concatenated intervals need Linux 5.6 or "
			    "later)",
			    what, strerror(be->err));
			return;
		}
		break;
	case NFT_TYPE(NFT_MSG_NEWSETELEM):
		snprintf(what, sizeof what, "adding elements to set %s", name);
		refused_elem(nlh, st->ext_offs, elem, sizeof elem);
		break;
	case NFT_TYPE(NFT_MSG_NEWOBJ):
		snprintf(what, sizeof what, "creating counter %s", name);
		break;
	case NFT_TYPE(NFT_MSG_NEWRULE):
		snprintf(what, sizeof what, "adding a rule to chain %s", name);
		if (be->err == ENOENT || be->err == EOPNOTSUPP) {
			/* An expression type the kernel cannot load. */
			snprintf(err, errlen,
				 "%s failed: %s: the kernel lacks an nftables "
				 "expression of this rule (%s): load its nft_* "
				 "module or use a kernel that has it",
				 what, strerror(be->err), x.exprs);
			return;
		}
		break;
	default:
		snprintf(what, sizeof what, "nftables message %u", type);
		break;
	}
	snprintf(err, errlen, "%s failed: %s%s%s%s", what, strerror(be->err),
		 elem, ext, more);
}

/* 1: the answer is incomplete, wait for more; 0: committed; -1: not. */
static int judge(const struct reply_state *st, bool last_chance, char *err,
		 size_t errlen)
{
	const struct nft_batch_err *be = st->be;
	size_t nmsg = (size_t)(st->m->seq_last - st->m->seq_first) + 1,
	       acked = 0;
	for (size_t i = 1; i + 1 < nmsg; i++)
		acked += st->answered[i];
	/* Committed: the end was acknowledged (Linux >= 6.10), or every
	 * message was and no error followed. */
	bool end = st->answered[nmsg - 1];
	if (!be->err && !end && acked != nmsg - 2) {
		if (!last_chance)
			return 1;
		snprintf(err, errlen,
			 "the kernel confirmed %zu of %zu nftables messages: "
			 "check the result with `corral show`",
			 acked, nmsg - 2);
		return -1;
	}
	debug("nftables: %s", be->err ? "batch refused"
			      : end   ? "commit acknowledged"
				      : "every message acknowledged");
	if (st->overrun || st->truncated) {
		snprintf(err, errlen,
			 "answers from the kernel were lost (receive buffer "
			 "too small): check the result with `corral show`");
		return -1;
	}
	if (be->err) {
		describe_failure(st, err, errlen);
		return -1;
	}
	return 0;
}

static bool batch_ok(const struct nft_msgbuf *m, char *err, size_t errlen)
{
	if (m->buf && m->seq_last - m->seq_first >= 2 &&
	    m->seq_last - m->seq_first <= 1u << 24)
		return true;
	snprintf(err, errlen, "internal error: malformed nftables batch");
	return false;
}

int nft_batch_judge(const struct nft_msgbuf *m, uint32_t portid,
		    const void *replies, size_t len, struct nft_batch_err *be,
		    char *err, size_t errlen)
{
	memset(be, 0, sizeof *be);
	if (!batch_ok(m, err, errlen))
		return -1;
	cleanup_free uint8_t *answered =
	    calloc((size_t)(m->seq_last - m->seq_first) + 1, 1);
	if (!answered) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct reply_state st = {
	    .m = m, .portid = portid, .answered = answered, .be = be};
	take(&st, replies, len);
	return judge(&st, true, err, errlen);
}

int nft_batch_send(int fd, uint32_t portid, const struct nft_msgbuf *m,
		   struct nft_batch_err *be, char *err, size_t errlen)
{
	memset(be, 0, sizeof *be);
	if (!batch_ok(m, err, errlen))
		return -1;
	size_t nmsg = (size_t)(m->seq_last - m->seq_first) + 1;
	int sndbuf = grow_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, m->len + 4096);
	grow_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, nmsg * 2048 + 262144);
	cleanup_free uint8_t *answered = calloc(nmsg, 1);
	cleanup_free char *buf = malloc(RECV_BUF);
	if (!answered || !buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct reply_state st = {
	    .m = m, .portid = portid, .answered = answered, .be = be};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};
	ssize_t r;
	do
		r = sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&k,
			   sizeof k);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EMSGSIZE) {
		snprintf(err, errlen,
			 "the ruleset (%zu bytes) does not fit the netlink "
			 "send buffer (%d bytes): run corral as root of the "
			 "host's user namespace or raise net.core.wmem_max",
			 m->len, sndbuf);
		return -1;
	}
	if (r < 0 || (size_t)r != m->len) {
		nft_explain(r < 0 ? errno : EMSGSIZE, "sending the ruleset",
			    err, errlen);
		return -1;
	}
	for (int pass = 0;; pass++) {
		if (drain(fd, &st, buf, pass ? REPLY_TIMEOUT_MS : 0) < 0) {
			nft_explain(errno, "reading the kernel's answer", err,
				    errlen);
			return -1;
		}
		int rc = judge(&st, pass > 0, err, errlen);
		if (rc <= 0)
			return rc;
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Sequence numbers only need to differ between batches on one socket. */
uint32_t nft_next_seq(size_t n)
{
	static uint32_t seq;
	if (!seq)
		seq = (uint32_t)time(NULL);
	uint32_t s = seq;
	seq += (uint32_t)n + 1;
	return s;
}

int nft_apply(const struct policy *p, const struct resolved *addrs,
	      size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	      size_t errlen)
{
	bool owner = o && o->owner;
	if (owner && !sock_fd) {
		snprintf(err, errlen,
			 "internal error: an owned table needs "
			 "the caller to keep its socket");
		return -1;
	}
	double t0 = now_ms();
	cleanup_nft_msgbuf struct nft_msgbuf m = {0};
	if (nft_build_ruleset(p, addrs, n_addrs, o, nft_next_seq(0), &m) < 0) {
		if (errno == EINVAL)
			snprintf(err, errlen,
				 "internal error: the policy holds "
				 "a malformed address or port list");
		else
			nft_explain(errno, "building the ruleset", err, errlen);
		return -1;
	}
	/* Keep later batches on this socket clear of these numbers. */
	(void)nft_next_seq(m.seq_last - m.seq_first);
	double t1 = now_ms();
	cleanup_fd int own = -1;
	int fd;
	uint32_t portid;
	if (sock_fd && *sock_fd >= 0) {
		fd = *sock_fd;
		if (nft_sock_portid(fd, &portid) < 0) {
			nft_explain(errno, "using the nftables socket", err,
				    errlen);
			return -1;
		}
	} else {
		if (nft_sock_open(&own, &portid, err, errlen) < 0)
			return -1;
		fd = own;
	}
	struct nft_batch_err be;
	if (nft_batch_send(fd, portid, &m, &be, err, errlen) < 0)
		return -1;
	debug("nftables: %u messages, %zu bytes: built in %.1f ms, "
	      "committed in %.1f ms",
	      m.seq_last - m.seq_first + 1, m.len, t1 - t0, now_ms() - t1);
	if (owner && own >= 0)
		*sock_fd = steal_fd(&own);
	return 0;
}

int nft_clear(char *err, size_t errlen)
{
	cleanup_nft_msgbuf struct nft_msgbuf m = {0};
	if (nft_build_clear(nft_next_seq(2), &m) < 0) {
		nft_explain(errno, "building the batch", err, errlen);
		return -1;
	}
	cleanup_fd int fd = -1;
	uint32_t portid;
	if (nft_sock_open(&fd, &portid, err, errlen) < 0)
		return -1;
	struct nft_batch_err be;
	if (nft_batch_send(fd, portid, &m, &be, err, errlen) == 0)
		return 0;
	/* No table: nothing to clear. */
	if (be.err == ENOENT && be.n_errors == 1 &&
	    be.type == NFT_TYPE(NFT_MSG_DELTABLE)) {
		err[0] = 0;
		return 0;
	}
	return -1;
}

int nft_probe(char *err, size_t errlen)
{
	cleanup_fd int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	if (fd < 0) {
		int e = errno;
		nft_explain(e, "opening the nftables netlink socket", err, errlen);
		return e == EPROTONOSUPPORT || e == EAFNOSUPPORT ? 1 : -1;
	}
	char buf[8192] __attribute__((aligned(8))) = {0};
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFT_TYPE(NFT_MSG_GETGEN);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof *g);
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	struct timeval tv = {.tv_sec = 2};
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		nft_explain(errno, "asking nf_tables", err, errlen);
		return -1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0) {
			nft_explain(errno, "asking nf_tables", err, errlen);
			return -1;
		}
		int rc = nft_cb_run(buf, (size_t)n, 1, 0, NULL, NULL);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0) {
			int e = errno;
			nft_explain(e, "asking nf_tables", err, errlen);
			if (e == EOPNOTSUPP || e == ENOENT || e == EPROTONOSUPPORT) {
				snprintf(err, errlen, "%s", ADVICE_NO_NFT);
				return 1;
			}
			return -1;
		}
	}
}
