/* What the kernel says back, without a kernel: show's parsers fed with
 * dump-like messages, the batch's ACKs and errors judged and explained,
 * and both fuzzed with mutated messages (run it under ASan). */
#include <errno.h>
#include <endian.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>

#include "../../firewall/nft_int.h"
#include "nft_testpol.h"
#include "tap.h"

#define PORTID 4242

static void sample(struct pol *x)
{
	pol_init(x);
	net(x, "192.0.2.0/24", 0);
	net(x, "2001:db8::/32", 0);
	net(x, "10.0.0.0/9", 0);
	net(x, "10.128.0.0/9", 0);
	net(x, "198.51.100.3", spec(x, "22,443"));
	net(x, "203.0.113.0/24", spec(x, "8000-8100"));
	addr(x, "198.51.100.1", 0);
	addr(x, "198.51.100.2", 0);
	addr(x, "2001:db8:2::1", 0);
	uint16_t https = spec(x, "443");
	addr(x, "198.51.100.9", https);
	addr(x, "2001:db8::9", https);
	upstream(x, "198.51.100.53", 53);
	upstream(x, "2001:db8::53", 5353);
}

static char *show_of(const void *buf, size_t len, int *rc)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	*rc = nft_show_parse(buf, len, f);
	fclose(f);
	return out;
}

static void test_show_format(void)
{
	struct pol x;
	struct nft_msgbuf m;
	sample(&x);
	ok(nft_build_ruleset(&x.p, x.r, x.n_r, NULL, 1, &m) == 0, "build");
	int rc;
	char *s = show_of(m.buf, m.len, &rc);
	is_int(rc, 0, "our own batch parses as a dump");
	is_str(s,
	       "table inet corral (owner: none)\n"
	       "  chain output       policy drop   rules: 24\n"
	       "  chain input        policy drop   rules: 3\n"
	       "  chain forward      policy drop   rules: 0\n"
	       "  chain dns_redirect policy accept rules: 1\n"
	       "  allowed networks   (3)   10.0.0.0/8  192.0.2.0/24  "
	       "2001:db8::/32\n"
	       "  port-limited       (2)   198.51.100.3 ports 22,443  "
	       "203.0.113.0/24 ports 8000-8100\n"
	       "  learned (dns)      (3)   198.51.100.1 (300s)  198.51.100.2 "
	       "(300s)  2001:db8:2::1 (300s)\n"
	       "  learned ports 443  (2)   198.51.100.9 (300s)  2001:db8::9 "
	       "(300s)\n"
	       "  dns upstreams      (2)   198.51.100.53  2001:db8::53 port "
	       "5353\n"
	       "  dns redirect       every query to port 53 goes to corral's "
	       "forwarder (127.0.0.1:53, [::1]:53)\n",
	       "show summarises it for people");
	free(s);
	nft_msgbuf_free(&m);

	/* A wide list wraps under its first item and stops at 24. */
	pol_init(&x);
	for (int i = 0; i < 30; i++) {
		char a[32];
		snprintf(a, sizeof a, "198.51.100.%d", 2 * i + 1);
		addr(&x, a, 0);
	}
	ok(nft_build_ruleset(&x.p, x.r, x.n_r, NULL, 1, &m) == 0, "build 30");
	s = show_of(m.buf, m.len, &rc);
	ok(s && strstr(s, "  learned (dns)      (30)  198.51.100.1 (300s)  "
			  "198.51.100.3 (300s)"),
	   "the count, then the items");
	ok(s && strstr(s, "\n                           198.51.100."),
	   "continuation lines start under the items");
	ok(s &&
	       strstr(s, "198.51.100.47 (300s)\n                           ... "
			 "and 6 more\n"),
	   "24 shown, the rest counted");
	bool narrow = true;
	for (char *l = s; l && *l;) {
		char *e = strchr(l, '\n');
		narrow = narrow && (size_t)(e - l) <= 100;
		l = e + 1;
	}
	ok(narrow, "no line wider than 100 columns");
	free(s);
	nft_msgbuf_free(&m);
}

/* Offset of the first element of the first NEWSETELEM for set name. */
static const struct nlmsghdr *elem_msg(const struct nft_msgbuf *m,
				       const char *set, uint32_t *offs)
{
	int len = (int)m->len;
	for (const struct nlmsghdr *nlh = (const void *)m->buf;
	     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type !=
		    ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM))
			continue;
		const struct nlattr *name = NULL, *list = NULL;
		const char *end = (const char *)nlh + nlh->nlmsg_len;
		for (const struct nlattr *a =
			 (const void *)((const char *)nlh + NLMSG_HDRLEN +
					sizeof(struct nfgenmsg));
		     mnl_attr_ok(a, (int)(end - (const char *)a));
		     a = mnl_attr_next(a)) {
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_SET)
				name = a;
			if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
				list = a;
		}
		if (name && list && strcmp(mnl_attr_get_str(name), set) == 0) {
			*offs = (uint32_t)((const char *)mnl_attr_get_payload(
					       list) -
					   (const char *)nlh);
			return nlh;
		}
	}
	return NULL;
}

static const struct nlmsghdr *msg_of_type(const struct nft_msgbuf *m,
					  uint16_t type, int nth)
{
	int len = (int)m->len;
	for (const struct nlmsghdr *nlh = (const void *)m->buf;
	     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
		if (nlh->nlmsg_type == type && nth-- == 0)
			return nlh;
	return NULL;
}

/* Appends to r an NLMSG_ERROR answering msg, as the kernel sends it with
 * NETLINK_CAP_ACK and NETLINK_EXT_ACK. */
static void put_err(char *r, size_t *len, const struct nlmsghdr *msg, int err,
		    uint32_t offs, const char *text)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r + *len);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = msg->nlmsg_seq;
	nlh->nlmsg_pid = PORTID;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof *e);
	e->error = -err;
	e->msg = *msg;
	if (offs || text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		if (text)
			mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
		if (offs)
			mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, offs);
	}
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* ACKs for every message of m but the batch begin (and the end unless
 * end). */
static size_t put_acks(char *r, const struct nft_msgbuf *m, bool end)
{
	size_t len = 0;
	int n = (int)m->len;
	for (const struct nlmsghdr *nlh = (const void *)m->buf;
	     mnl_nlmsg_ok(nlh, n); nlh = mnl_nlmsg_next(nlh, &n)) {
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    (!end && nlh->nlmsg_type == NFNL_MSG_BATCH_END))
			continue;
		put_err(r, &len, nlh, 0, 0, NULL);
	}
	return len;
}

static void test_judge(void)
{
	struct pol x;
	struct nft_msgbuf m;
	struct nft_batch_err be;
	char err[512];
	sample(&x);
	ok(nft_build_ruleset(&x.p, x.r, x.n_r, NULL, 0xfffffff0u, &m) == 0,
	   "build with sequence numbers that wrap");
	char *r = calloc(1, 1 << 20);
	size_t len = put_acks(r, &m, true);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) == 0,
	   "every ACK: committed");
	len = put_acks(r, &m, false);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) == 0,
	   "every ACK but the end's (Linux < 6.10): committed");
	len = 0;
	put_err(r, &len, msg_of_type(&m, NFNL_MSG_BATCH_END, 0), 0, 0, NULL);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) == 0,
	   "the end's ACK alone: committed");
	ok(nft_batch_judge(&m, PORTID, r, 0, &be, err, sizeof err) < 0,
	   "no answer: not committed");
	ok(strstr(err, "the kernel confirmed 0 of") != NULL, "  and says so");
	ok(nft_batch_judge(&m, PORTID + 1, r, put_acks(r, &m, true), &be, err,
			   sizeof err) < 0,
	   "answers for another socket do not count");

	const struct nlmsghdr *begin = msg_of_type(&m, NFNL_MSG_BATCH_BEGIN, 0);
	len = 0;
	put_err(r, &len, begin, EPERM, 0, NULL);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) < 0 &&
	       be.err == EPERM,
	   "EPERM on the batch");
	is_str(err,
	       "missing CAP_NET_ADMIN: run as root or start the container "
	       "with --cap-add=NET_ADMIN",
	       "  means no CAP_NET_ADMIN");
	len = 0;
	put_err(r, &len, begin, EOPNOTSUPP, 0, NULL);
	nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err);
	is_str(err,
	       "the kernel has no nf_tables (nf_tables module missing): load "
	       "it with `modprobe nf_tables` or use a kernel with "
	       "CONFIG_NF_TABLES",
	       "EOPNOTSUPP on the batch: no nf_tables");
	len = 0;
	put_err(r, &len, begin, ENOMEM, 0, NULL);
	nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err);
	is_str(err,
	       "committing table inet corral failed: Cannot allocate memory",
	       "a failed commit");

	uint32_t offs = 0;
	const struct nlmsghdr *em = elem_msg(&m, "net4", &offs);
	ok(em != NULL, "find the net4 elements");
	len = put_acks(r, &m, false);
	put_err(r, &len, em, EEXIST, offs, NULL);
	put_err(
	    r, &len,
	    msg_of_type(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE, 5),
	    ENOENT, 0, NULL);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) < 0,
	   "an element refused");
	is_str(err,
	       "adding elements to set net4 failed: File exists "
	       "(element 10.0.0.0) (and 1 more errors)",
	       "  names the set and the element, counts the rest");
	len = 0;
	put_err(r, &len, em, EINVAL, (uint32_t)em->nlmsg_len - 2, "bad");
	nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err);
	is_str(err,
	       "adding elements to set net4 failed: Invalid argument "
	       "(kernel: bad)",
	       "an offset beyond the message is ignored, the text kept");
	len = 0;
	put_err(
	    r, &len,
	    msg_of_type(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWRULE, 22),
	    ENOENT, 0, NULL);
	nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err);
	is_str(err,
	       "adding a rule to chain output failed: No such file or "
	       "directory: the kernel lacks an nftables expression of this "
	       "rule (meta cmp reject): load its nft_* module or use a kernel "
	       "that has it",
	       "a missing expression type");
	len = 0;
	put_err(
	    r, &len,
	    msg_of_type(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, 0),
	    EPERM, 0, NULL);
	nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err);
	is_str(err,
	       "table inet corral is owned by another process (a running "
	       "`corral init`?): it goes away when that process exits",
	       "EPERM on the table: owned by someone else");
	nft_msgbuf_free(&m);

	ok(nft_build_clear(7, &m) == 0, "the clear batch");
	len = 0;
	put_err(
	    r, &len,
	    msg_of_type(&m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE, 0),
	    ENOENT, 0, NULL);
	ok(nft_batch_judge(&m, PORTID, r, len, &be, err, sizeof err) < 0 &&
	       be.err == ENOENT && be.n_errors == 1 &&
	       be.type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_DELTABLE),
	   "clear: ENOENT on DELTABLE is told apart (no table)");
	nft_msgbuf_free(&m);
	free(r);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

static void mutate(uint8_t *b, size_t len)
{
	int n = 1 + (int)(rnd() % 8);
	for (int i = 0; i < n; i++) {
		size_t at = rnd() % len;
		switch (rnd() % 4) {
		case 0:
			b[at] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1:
			b[at] = (uint8_t)rnd();
			break;
		case 2: /* lengths are the interesting part */
			b[at & ~(size_t)3] = (uint8_t)rnd();
			break;
		default:
			b[at] = rnd() % 2 ? 0xff : 0;
			break;
		}
	}
}

static void test_fuzz(void)
{
	struct pol x;
	struct nft_msgbuf m;
	sample(&x);
	ok(nft_build_ruleset(&x.p, x.r, x.n_r, NULL, 1, &m) == 0, "build");
	uint8_t *b = malloc(m.len);
	FILE *null = fopen("/dev/null", "w");
	/* CORRAL_FUZZ_RUNS and CORRAL_FUZZ_SEED for longer runs by hand. */
	const char *env = getenv("CORRAL_FUZZ_RUNS");
	int survived = 0, runs = env ? atoi(env) : 20000;
	if ((env = getenv("CORRAL_FUZZ_SEED")) != NULL)
		rnd_state = (uint32_t)strtoul(env, NULL, 0) | 1;
	for (int i = 0; i < runs; i++) {
		memcpy(b, m.buf, m.len);
		mutate(b, m.len);
		size_t len = rnd() % 8 ? m.len : rnd() % m.len;
		survived += nft_show_parse(b, len, null) == 0;
	}
	ok(survived > 0, "show's parsers survive %d mutated dumps", runs);

	char *r = calloc(1, 1 << 20), err[512];
	size_t len = put_acks(r, &m, false);
	uint32_t offs;
	const struct nlmsghdr *em = elem_msg(&m, "net4", &offs);
	put_err(r, &len, em, EEXIST, offs, "overlap");
	uint8_t *rb = malloc(len);
	struct nft_batch_err be;
	for (int i = 0; i < runs; i++) {
		memcpy(rb, r, len);
		mutate(rb + len - 64, 64); /* mostly the error message */
		if (rnd() % 4 == 0)
			mutate(rb, len);
		nft_batch_judge(&m, PORTID, rb, rnd() % 8 ? len : rnd() % len,
				&be, err, sizeof err);
	}
	ok(true, "the ACK parser survives %d mutated answers", runs);
	fclose(null);
	free(b);
	free(rb);
	free(r);
	nft_msgbuf_free(&m);
}

/* A set and its elements as a dump would bring them, with what the
 * kernel adds (the seconds left) and what a hostile peer might put in. */
static size_t put_dump(char *buf, const char *set, const uint8_t *udata,
		       size_t ulen, const uint64_t *left_ms, size_t n)
{
	size_t len = 0;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(
	    buf, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_MULTI, 1);
	mnl_attr_put_strz(nlh, NFTA_SET_TABLE, "corral");
	mnl_attr_put_strz(nlh, NFTA_SET_NAME, set);
	mnl_attr_put_u32(nlh, NFTA_SET_FLAGS, htonl(NFT_SET_TIMEOUT));
	mnl_attr_put_u32(nlh, NFTA_SET_KEY_LEN, htonl(4));
	if (udata)
		mnl_attr_put(nlh, NFTA_SET_USERDATA, ulen, udata);
	len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlh = nftnl_nlmsg_build_hdr(buf + len, NFT_MSG_NEWSETELEM, NFPROTO_INET,
				    NLM_F_MULTI, 2);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "corral");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	struct nlattr *list =
	    mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (size_t i = 0; i < n; i++) {
		uint8_t k[4] = {203, 0, 113, (uint8_t)(i + 1)};
		struct nlattr *e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		struct nlattr *key =
		    mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, 4, k);
		mnl_attr_nest_end(nlh, key);
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(3600000));
		mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION,
				 htobe64(left_ms[i]));
		mnl_attr_nest_end(nlh, e);
	}
	mnl_attr_nest_end(nlh, list);
	return len + NLMSG_ALIGN(nlh->nlmsg_len);
}

static void test_learned_show(void)
{
	char buf[4096];
	uint64_t left[3] = {283000, 1, 3599001};
	static const uint8_t ud[] = {7,	  11,  'p', 'o', 'r',	 't', 's',
				     ' ', '4', '4', '3', '\x1b', 0};
	size_t len = put_dump(buf, "addr4_p3", ud, sizeof ud, left, 3);
	int rc;
	char *s = show_of(buf, len, &rc);
	ok(rc == 0 && s &&
	       strstr(s, "  learned ports 443? (3)   203.0.113.1 (283s)  "
			 "203.0.113.2 (1s)  203.0.113.3 (3600s)\n"),
	   "learned elements with the seconds left, rounded up; the comment "
	   "made printable");
	if (s && !strstr(s, "203.0.113.2 (1s)"))
		printf("# %s", s);
	free(s);
	static const uint8_t bad[] = {7, 200, 'x', 'y'};
	len = put_dump(buf, "addr4_p9", bad, sizeof bad, left, 1);
	s = show_of(buf, len, &rc);
	ok(rc == 0 && s && strstr(s, "  learned (addr4_p9) (1)"),
	   "a comment whose length runs past the userdata is ignored");
	free(s);
	len = put_dump(buf, "addr4_p07", NULL, 0, left, 1);
	s = show_of(buf, len, &rc);
	ok(rc == 0 && s && !strstr(s, "addr4_p07"),
	   "a set that is not one of ours is not shown");
	free(s);
	len = put_dump(buf, "addr4_p99999", NULL, 0, left, 1);
	s = show_of(buf, len, &rc);
	ok(rc == 0 && s && !strstr(s, "learned ("),
	   "nor one with a port spec beyond 65535");
	free(s);
}

int main(void)
{
	test_show_format();
	test_learned_show();
	test_judge();
	test_fuzz();
	return tap_done();
}
