/* The nftables backend against the real kernel, inside a network namespace
 * of its own (nft_testkern.h): apply, show, clear, atomicity, ownership.
 * The learned addresses and the DNS redirect are test_nft_dyn.c's. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "../../firewall/nft_int.h"
#include "nft_testkern.h"
#include "nft_testpol.h"
#include "tap.h"

/* nft_show's output as a string, and its return code. */
static char *show(int *rc)
{
	char *buf = NULL, err[512] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	*rc = nft_show(f, err, sizeof err);
	fclose(f);
	if (*rc < 0)
		printf("# show: %s\n", err);
	return buf;
}

static void sample(struct pol *x)
{
	pol_init(x);
	uint16_t ssh_https = spec(x, "22,443");
	net(x, "192.0.2.0/24", 0);
	net(x, "2001:db8::/32", 0);
	net(x, "198.51.100.3", ssh_https);
	name(x, "api.example.test", TARGET_NAME);
	addr(x, "198.51.100.1", 0);
	addr(x, "198.51.100.2", 0);
	addr(x, "2001:db8:2::1", 0);
	addr(x, "198.51.100.1", 0);
	upstream(x, "198.51.100.53", 53);
}

static const char sample_show[] =
    "table inet corral (owner: none)\n"
    "  chain output       policy drop   rules: 20\n"
    "  chain input        policy drop   rules: 3\n"
    "  chain forward      policy drop   rules: 0\n"
    "  chain dns_redirect policy accept rules: 1\n"
    "  allowed networks   (2)   192.0.2.0/24  2001:db8::/32\n"
    "  port-limited       (1)   198.51.100.3 ports 22,443\n"
    "  learned (dns)      (3)   198.51.100.1 (300s)  198.51.100.2 (300s)  "
    "2001:db8:2::1 (300s)\n"
    "  dns upstreams      (1)   198.51.100.53\n"
    "  dns redirect       every query to port 53 goes to corral's "
    "forwarder (127.0.0.1:53, [::1]:53)\n"
    "  blocked            0 packets\n";

/* Time passes between apply and show: "expires 4m59s992ms" goes, and
 * "(299s)" left of 300 counts as "(300s)". */
static char *unexpire(char *s)
{
	for (char *p = s ? strstr(s, " expires ") : NULL; p;
	     p = strstr(p, " expires ")) {
		char *e = p + 9;
		while (*e && strchr("0123456789dhms", *e))
			e++;
		memmove(p, e, strlen(e) + 1);
	}
	for (char *p = s ? strchr(s, '(') : NULL; p; p = strchr(p + 1, '(')) {
		unsigned n;
		char tail[3];
		if (sscanf(p, "(%3u%2[s)]", &n, tail) == 2 &&
		    strcmp(tail, "s)") == 0 && n >= 290 && n <= 300 &&
		    p[4] == 's')
			memcpy(p + 1, "300", 3);
	}
	return s;
}

static int apply(const struct pol *x, const struct nft_opts *o, int *fd,
		 char *err, size_t errlen)
{
	static const struct nft_opts none = {false};
	return nft_apply(&x->p, x->r, x->n_r, o ? o : &none, fd, err, errlen);
}

static void test_apply_show(void)
{
	char err[512] = "";
	int rc;
	ok(nft_clear(err, sizeof err) == 0, "clear without a table succeeds");
	free(show(&rc));
	is_int(rc, 1, "show without a table returns 1");

	struct pol x;
	sample(&x);
	rc = apply(&x, NULL, NULL, err, sizeof err);
	ok(rc == 0, "apply the sample policy");
	if (rc)
		printf("# %s\n", err);
	char *s = unexpire(show(&rc));
	is_int(rc, 0, "show returns 0");
	is_str(s, sample_show, "show prints the policy in force");
	free(s);

	if (!have_nft)
		return;
	char *t = nft_list("table");
	ok(t != NULL, "nft list table inet corral parses our table");
	static const char *const want[] = {
	    "type filter hook output priority filter; policy drop;",
	    "type filter hook input priority filter; policy drop;",
	    "type filter hook forward priority filter; policy drop;",
	    "oif \"lo\" accept",
	    "ct state established,related accept",
	    ("icmpv6 type { nd-router-solicit, nd-neighbor-solicit, "
	     "nd-neighbor-advert, mld2-listener-report } accept"),
	    "meta mark 0x636f7272 meta l4proto { tcp, udp } ip daddr . th "
	    "dport @dns4 accept",
	    "ip daddr @net4 accept",
	    "ip6 daddr @net6 accept",
	    "ip daddr @addr4 accept",
	    "ip6 daddr @addr6 accept",
	    "meta l4proto { tcp, udp } ip6 daddr . th dport @port6 accept",
	    "counter name \"blocked\"",
	    "meta l4proto tcp reject with tcp reset",
	    "reject with icmpx admin-prohibited",
	    "elements = { 192.0.2.0/24 }",
	    "elements = { 2001:db8::/32 }",
	    "198.51.100.1 timeout 5m",
	    "flags timeout",
	    "comment \"ports 22,443\"",
	    "meta l4proto { tcp, udp } ip daddr @addr4_p1 th dport { 22, 443 } "
	    "accept",
	    "meta mark 0x636f7272 meta l4proto { tcp, udp } ip6 daddr . th "
	    "dport @dns6 accept",
	    "type nat hook output priority -101; policy accept;",
	    "meta mark != 0x636f7272 meta l4proto { tcp, udp } th dport 53 "
	    "redirect to :53",
	    "type ipv4_addr . inet_service",
	    "198.51.100.3 . 22",
	    "elements = { 198.51.100.53 . 53 }",
	};
	for (size_t i = 0; t && i < sizeof want / sizeof want[0]; i++)
		ok(strstr(t, want[i]) != NULL, "nft list shows: %s", want[i]);
	if (t)
		printf("# nft list table inet corral:\n# %s\n", t);
	free(t);
}

/* Overlapping, nested and duplicate entries: what the kernel would refuse
 * unless they are normalised first. */
static void test_messy(void)
{
	struct pol x;
	char err[512] = "";
	int rc;
	pol_init(&x);
	uint16_t https = spec(&x, "443");
	net(&x, "10.1.0.0/16", 0);
	net(&x, "10.0.0.0/8", 0);
	net(&x, "192.0.2.128/25", 0);
	net(&x, "192.0.2.0/25", 0);
	net(&x, "198.51.100.7", 0);
	net(&x, "198.51.100.7/32", 0);
	net(&x, "2001:db8:8000::/33", 0);
	net(&x, "2001:db8::/33", 0);
	net(&x, "198.51.100.0/24", https);
	net(&x, "198.51.100.0/25", spec(&x, "443,8443"));
	addr(&x, "198.51.100.5", spec(&x, "22,443"));
	addr(&x, "203.0.113.1", spec(&x, "20-30,25-40,41,8000"));
	addr(&x, "203.0.113.1", 3); /* 22,443 on top */
	addr(&x, "2001:db8:1::5", https);
	addr(&x, "192.0.2.77", 0);
	addr(&x, "192.0.2.77", 0);
	upstream(&x, "198.51.100.53", 53);
	upstream(&x, "2001:db8::53", 5353);
	rc = apply(&x, NULL, NULL, err, sizeof err);
	ok(rc == 0, "the kernel takes overlapping and duplicate entries");
	if (rc)
		printf("# %s\n", err);
	char *s = unexpire(show(&rc));
	const char *want =
	    "  allowed networks   (4)   10.0.0.0/8  192.0.2.0/24  198.51.100.7"
	    "  2001:db8::/32\n"
	    "  port-limited       (2)   198.51.100.0/25 ports 443,8443"
	    "  198.51.100.128/25 ports 443\n"
	    "  learned (dns)      (1)   192.0.2.77 (300s)\n"
	    "  learned ports 443  (1)   2001:db8:1::5 (300s)\n"
	    "  learned ports 22,443 (2) 198.51.100.5 (300s)  203.0.113.1 "
	    "(300s)\n"
	    "  learned ports 20-41,8000 (1)  203.0.113.1 (300s)\n"
	    "  dns upstreams      (2)   198.51.100.53  2001:db8::53 port "
	    "5353\n";
	ok(s && strstr(s, want), "show prints them merged and split apart");
	if (s && !strstr(s, want))
		printf("# got:\n%s", s);
	free(s);
}

static void test_idempotent(void)
{
	struct pol x;
	char err[512];
	int rc;
	sample(&x);
	net(&x, "0.0.0.0/0", 0);
	net(&x, "::/0", spec(&x, "443"));
	ok(apply(&x, NULL, NULL, err, sizeof err) == 0, "apply with 0.0.0.0/0");
	char *a = unexpire(show(&rc)),
	     *na = unexpire(have_nft ? nft_list("ruleset") : NULL);
	ok(a && strstr(a, "0.0.0.0/0") && strstr(a, "::/0 ports 443"),
	   "0.0.0.0/0 and ::/0 ports 443 are in force");
	ok(apply(&x, NULL, NULL, err, sizeof err) == 0, "apply it again");
	char *b = unexpire(show(&rc)),
	     *nb = unexpire(have_nft ? nft_list("ruleset") : NULL);
	is_str(b, a, "show prints the same");
	if (have_nft)
		ok(na && nb && strcmp(na, nb) == 0,
		   "nft list ruleset is byte for byte the same");
	free(a);
	free(b);
	free(na);
	free(nb);
}

/* The sample batch plus one more element message that overlaps 192.0.2.0/24
 * in net4, just before BATCH_END. */
static int broken_batch(struct nft_msgbuf *m)
{
	struct pol x;
	sample(&x);
	if (nft_build_ruleset(&x.p, x.r, x.n_r, NULL, 5000, m) < 0)
		return -1;
	char *nb = realloc(m->buf, m->len + 4096);
	if (!nb)
		return -1;
	m->buf = nb;
	size_t end_len =
	    NLMSG_ALIGN(((struct nlmsghdr *)(m->buf + m->len - 20))->nlmsg_len);
	m->len -= end_len; /* drop BATCH_END */
	uint32_t seq = m->seq_last;
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(
	    m->buf + m->len, NFT_MSG_NEWSETELEM, NFPROTO_INET,
	    NLM_F_CREATE | NLM_F_ACK, seq++);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, "corral");
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, "net4");
	struct nlattr *list =
	    mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	uint8_t k[2][4] = {{192, 0, 2, 128}, {192, 0, 3, 128}};
	for (int i = 0; i < 2; i++) {
		struct nlattr *e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
		struct nlattr *key =
		    mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
		mnl_attr_put(nlh, NFTA_DATA_VALUE, 4, k[i]);
		mnl_attr_nest_end(nlh, key);
		if (i)
			mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS,
					 htonl(NFT_SET_ELEM_INTERVAL_END));
		mnl_attr_nest_end(nlh, e);
	}
	mnl_attr_nest_end(nlh, list);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
	nlh = nftnl_batch_end(m->buf + m->len, seq);
	nlh->nlmsg_flags |= NLM_F_ACK;
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
	m->seq_last = seq;
	return 0;
}

static void test_atomic(void)
{
	struct pol x;
	char err[512] = "";
	int rc;
	pol_init(&x);
	net(&x, "203.0.113.0/24", 0);
	addr(&x, "198.51.100.77", spec(&x, "8443"));
	ok(apply(&x, NULL, NULL, err, sizeof err) == 0, "apply policy B");
	char *before = unexpire(show(&rc)),
	     *nbefore = unexpire(have_nft ? nft_list("ruleset") : NULL);

	struct nft_msgbuf m = {0};
	ok(broken_batch(&m) == 0, "build a batch that breaks at its end");
	int fd = -1;
	uint32_t portid;
	struct nft_batch_err be;
	err[0] = 0;
	ok(nft_sock_open(&fd, &portid, err, sizeof err) == 0, "open a socket");
	rc = nft_batch_send(fd, portid, &m, &be, err, sizeof err);
	ok(rc < 0, "the kernel refuses it");
	printf("# error: %s\n", err);
	ok(strstr(err, "adding elements to set net4 failed") != NULL,
	   "the error names the set");
	ok(strstr(err, "(element 192.0.2.128)") != NULL,
	   "and the element the kernel refused");
	close(fd);
	nft_msgbuf_free(&m);
	char *after = unexpire(show(&rc)),
	     *nafter = unexpire(have_nft ? nft_list("ruleset") : NULL);
	is_str(after, before, "show: policy B is still in force, untouched");
	if (have_nft)
		ok(nbefore && nafter && strcmp(nbefore, nafter) == 0,
		   "nft list ruleset unchanged");
	free(before);
	free(after);
	free(nbefore);
	free(nafter);
}

static void test_owner(void)
{
	struct pol x;
	char err[512] = "";
	int rc;
	sample(&x);
	struct nft_opts own = {.owner = true};
	ok(apply(&x, &own, NULL, err, sizeof err) < 0,
	   "an owned table needs the caller to keep the socket");
	int fd = -1;
	rc = apply(&x, &own, &fd, err, sizeof err);
	ok(rc == 0 && fd >= 0, "apply an owned table");
	char *s = show(&rc);
	ok(s && strstr(s, "(owner: netlink port "), "show names the owner");
	free(s);
	rc = apply(&x, NULL, NULL, err, sizeof err);
	ok(rc < 0, "another socket cannot replace it");
	is_str(err,
	       "table inet corral is owned by another process (a running "
	       "`corral init`?): it goes away when that process exits",
	       "  and the error says why");
	int same = fd;
	ok(apply(&x, &own, &same, err, sizeof err) == 0 && same == fd,
	   "the owner's socket can replace it");
	close(fd);
	free(show(&rc));
	is_int(rc, 1, "the table is gone with the socket");
}

/* As nobody: every capability gone. */
static void test_eperm(void)
{
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		char err[512] = "", err2[512] = "";
		struct pol x;
		sample(&x);
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(2);
		int a = apply(&x, NULL, NULL, err, sizeof err);
		FILE *f = fopen("/dev/null", "w");
		int s = nft_show(f, err2, sizeof err2);
		fclose(f);
		dprintf(p[1], "%d|%s|%d|%s", a, err, s, err2);
		_exit(0);
	}
	close(p[1]);
	char buf[2048] = "";
	ssize_t n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	const char *adv = "missing CAP_NET_ADMIN: run as root or start the "
			  "container with --cap-add=NET_ADMIN";
	char want[1024];
	snprintf(want, sizeof want, "-1|%s|-1|%s", adv, adv);
	is_str(buf, want,
	       "without CAP_NET_ADMIN apply and show say what to do");
}

/* Random, non-adjacent /24s and /32s in 10.0.0.0/8, /48s and /128s in
 * 2001:db8::/32: even blocks whole, odd blocks one host inside. */
static void big_policy(struct policy *p, size_t n)
{
	memset(p, 0, sizeof *p);
	p->targets = calloc(n, sizeof *p->targets);
	uint32_t *idx = malloc(65536 * sizeof *idx);
	for (int v = 0; v < 2; v++) {
		for (uint32_t i = 0; i < 65536; i++)
			idx[i] = i;
		for (uint32_t i = 65535; i > 0; i--) {
			uint32_t j = (uint32_t)random() % (i + 1), t = idx[i];
			idx[i] = idx[j];
			idx[j] = t;
		}
		for (size_t i = 0; i < n / 2; i++) {
			struct target *t = &p->targets[p->n_targets++];
			uint32_t b = idx[i];
			t->kind = TARGET_NET;
			if (v == 0) {
				t->addr.family = AF_INET;
				t->addr.b[0] = 10;
				t->addr.b[1] = (uint8_t)(b >> 8);
				t->addr.b[2] = (uint8_t)b;
				t->addr.b[3] =
				    b & 1 ? (uint8_t)(1 + random() % 254) : 0;
				t->prefix = b & 1 ? 32 : 24;
			} else {
				t->addr.family = AF_INET6;
				memcpy(t->addr.b, "\x20\x01\x0d\xb8", 4);
				t->addr.b[4] = (uint8_t)(b >> 8);
				t->addr.b[5] = (uint8_t)b;
				t->addr.b[15] = b & 1 ? 1 : 0;
				t->prefix = b & 1 ? 128 : 48;
			}
		}
	}
	free(idx);
}

static void test_scale(void)
{
	char err[512] = "";
	struct policy p;
	int rc;
	srandom(42);
	big_policy(&p, 100000);
	struct nft_opts o = {false};
	double t0 = now_ms();
	rc = nft_apply(&p, NULL, 0, &o, NULL, err, sizeof err);
	double t1 = now_ms();
	ok(rc == 0, "apply 100,000 networks");
	if (rc)
		printf("# %s\n", err);
	printf("# 100,000 networks applied in %.0f ms\n", t1 - t0);
	rc = nft_apply(&p, NULL, 0, &o, NULL, err, sizeof err);
	printf("# and replaced by themselves in %.0f ms\n", now_ms() - t1);
	ok(rc == 0, "replace them by the same");
	char *s = show(&rc);
	ok(s && strstr(s, "allowed networks   (100000)"),
	   "show counts 100000 networks");
	ok(s && strstr(s, "... and 99976 more"), "and keeps the line short");
	free(s);
	if (have_nft) {
		t0 = now_ms();
		char *t = nft_list("table");
		ok(t && strstr(t, "10."), "nft list parses the big table");
		printf("# nft list took %.0f ms\n", now_ms() - t0);
		free(t);
	}
	free(p.targets);
}

static void test_clear(void)
{
	char err[512] = "";
	int rc;
	ok(nft_clear(err, sizeof err) == 0, "clear");
	free(show(&rc));
	is_int(rc, 1, "the table is gone");
	ok(nft_clear(err, sizeof err) == 0, "clear again: nothing to do");
	if (have_nft) {
		char *r = nft_list("ruleset");
		is_str(r, "", "no table left in the namespace");
		free(r);
	}
}

static void all(void)
{
	test_apply_show();
	test_messy();
	test_idempotent();
	test_atomic();
	test_owner();
	test_eperm();
	test_scale();
	test_clear();
}

int main(void)
{
	return in_netns(all);
}
