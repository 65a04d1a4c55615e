/* The learned sets and their rules, the loopback guards, and the batch
 * nft_dyn_add sends, built from hand-made policies and parsed back with
 * libnftnl (nft_testbatch.h).  Needs no kernel, no root. */
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

#include "../../firewall/nflog.h"
#include "nft_testbatch.h"
#include "tap.h"

static void test_learned(void)
{
	struct pol x;
	pol_init(&x);
	x.p.ttl_min = 60;
	x.p.ttl_max = 3600;
	uint16_t https = spec(&x, "443");
	uint16_t mixed = spec(&x, "8000-8100,22,65000-65535");
	uint16_t all = spec(&x, "0-65535");
	name(&x, "api.example.test", TARGET_NAME);
	addr(&x, "198.51.100.1", 0);
	x.r[x.n_r - 1].ttl = 5; /* below ttl-min */
	addr(&x, "198.51.100.2", 0);
	x.r[x.n_r - 1].ttl = 86400; /* above ttl-max */
	addr(&x, "198.51.100.3", 0);
	x.r[x.n_r - 1].ttl = 120;
	addr(&x, "198.51.100.3", 0);
	x.r[x.n_r - 1].ttl = 600; /* twice: the longer wins */
	addr(&x, "2001:db8::7", 0);
	addr(&x, "198.51.100.9", https);
	addr(&x, "2001:db8::9", https);
	addr(&x, "198.51.100.10", mixed);
	addr(&x, "198.51.100.11", all);
	struct nft_msgbuf m;
	struct batch b;
	ok(build(&x, false, &m, &b) == 0, "learned addresses build");
	ok(b.parse_ok && b.seq_ok, "and parse back");
	is_str(timeouts_str(set_by_name(&b, "addr4")),
	       "198.51.100.1 60s, 198.51.100.2 3600s, 198.51.100.3 600s, "
	       "198.51.100.11 300s",
	       "addr4: TTLs clamped to [ttl-min, ttl-max], the longer of two, "
	       "an all-ports spec here");
	is_str(timeouts_str(set_by_name(&b, "addr6")), "2001:db8::7 300s",
	       "addr6 with its timeout");
	is_str(timeouts_str(set_by_name(&b, "addr4_p1")), "198.51.100.9 300s",
	       "addr4_p1 (443)");
	is_str(timeouts_str(set_by_name(&b, "addr6_p1")), "2001:db8::9 300s",
	       "addr6_p1 (443)");
	is_str(timeouts_str(set_by_name(&b, "addr4_p2")), "198.51.100.10 300s",
	       "addr4_p2 (22,8000-8100,65000-65535)");
	ok(!set_by_name(&b, "addr4_p3") && !set_by_name(&b, "addr6_p3"),
	   "no sets for a spec of every port");
	static const char *const dyn[] = {"addr4_p1", "addr6_p1", "addr4_p2",
					  "addr6_p2"};
	for (size_t i = 0; i < 4; i++) {
		struct setrec *s = set_by_name(&b, dyn[i]);
		ok(s && s->flags == NFT_SET_TIMEOUT &&
		       s->key_type == (dyn[i][4] == '4' ? 7u : 8u) &&
		       s->key_len == (dyn[i][4] == '4' ? 4u : 16u),
		   "set %s: plain hash, flags timeout", dyn[i]);
	}
	is_str(set_by_name(&b, "addr4_p1")
		   ? set_by_name(&b, "addr4_p1")->comment
		   : NULL,
	       "ports 443", "  its comment names the ports");
	is_str(set_by_name(&b, "addr6_p2")
		   ? set_by_name(&b, "addr6_p2")->comment
		   : NULL,
	       "ports 22,8000-8100,65000-65535", "  merged and sorted");

	/* The rules: after port6, before the counter. */
	struct rulerec *r[4];
	for (size_t i = 0; i < 4; i++)
		r[i] = rule_in(&b, "output", 15 + i);
	is_str(r[0] ? r[0]->exprs : NULL,
	       "meta lookup meta cmp payload lookup payload cmp immediate",
	       "meta l4proto { tcp, udp } ip daddr @addr4_p1 th dport 443 "
	       "accept");
	is_str(r[3] ? r[3]->exprs : NULL,
	       "meta lookup meta cmp payload lookup payload lookup immediate",
	       "meta l4proto { tcp, udp } ip6 daddr @addr6_p2 th dport { ... "
	       "} accept");
	for (size_t i = 0; i < 4; i++)
		is_str(r[i] ? nftnl_expr_get_str(expr_at(r[i]->r, 5),
						 NFTNL_EXPR_LOOKUP_SET)
			    : NULL,
		       dyn[i], "  rule %zu looks up %s", i, dyn[i]);
	if (r[0]) {
		uint32_t op, v = cmp_u32(expr_at(r[0]->r, 7), &op);
		ok(op == NFT_CMP_EQ && v == htons(443), "  th dport 443");
		struct nftnl_expr *p = expr_at(r[0]->r, 4);
		ok(nftnl_expr_get_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET) == 16,
		   "  ip daddr");
	}
	if (r[3]) {
		struct setrec *ps = anon_by_id(&b, expr_at(r[3]->r, 7));
		ok(ps &&
		       ps->flags == (NFT_SET_ANONYMOUS | NFT_SET_CONSTANT |
				     NFT_SET_INTERVAL) &&
		       ps->key_type == 13 && ps->key_len == 2,
		   "  the ports: a constant interval set of inet_service");
		is_str(ports_str(ps), "22, end 23, 8000, end 8101, 65000 open",
		       "  22, 8000-8100, 65000-65535");
		struct setrec *l4 = anon_by_id(&b, expr_at(r[3]->r, 1));
		ok(l4 && l4->n == 2 && l4->e[0].key[0] == 6 &&
		       l4->e[1].key[0] == 17,
		   "  meta l4proto { tcp, udp }");
	}
	struct rulerec *c = rule_in(&b, "output", 19);
	is_str(c ? c->exprs : NULL, "objref", "then the counter");
	batch_free(&b);
	nft_msgbuf_free(&m);

	pol_init(&x);
	x.p.ttl_min = 0;
	x.p.ttl_max = 0;
	addr(&x, "198.51.100.1", 0);
	x.r[0].ttl = 0;
	addr(&x, "198.51.100.2", 0);
	x.r[1].ttl = 0xffffffffu;
	ok(build(&x, false, &m, &b) == 0, "ttl-min 0, ttl-max 0");
	is_str(timeouts_str(set_by_name(&b, "addr4")),
	       "198.51.100.1 1s, 198.51.100.2 15552000s",
	       "a timeout is never 0, nor beyond what the kernel takes");
	batch_free(&b);
	nft_msgbuf_free(&m);
	is_int(nft_dyn_clamp(&x.p, 0), 1, "nft_dyn_clamp: 0 becomes 1");
	x.p.ttl_min = 30;
	x.p.ttl_max = 90;
	ok(nft_dyn_clamp(&x.p, 10) == 30 && nft_dyn_clamp(&x.p, 50) == 50 &&
	       nft_dyn_clamp(&x.p, 100) == 90,
	   "nft_dyn_clamp: within [ttl-min, ttl-max]");
}

static void test_guards(void)
{
	struct pol x;
	pol_init(&x);
	upstream(&x, "127.0.0.11", 53);	       /* Docker: every port */
	upstream(&x, "127.0.0.1", 5353);       /* that port */
	upstream(&x, "127.0.0.1", 53);	       /* the forwarder itself: none */
	upstream(&x, "::1", 5353);	       /* that port */
	upstream(&x, "::1", 53);	       /* none */
	upstream(&x, "198.51.100.53", 53);     /* none */
	upstream(&x, "::ffff:127.0.0.53", 53); /* sent as IPv4 */
	struct nft_msgbuf m;
	struct batch b;
	ok(build(&x, false, &m, &b) == 0, "loopback upstreams build");
	static const struct {
		const char *exprs, *what;
		int off, alen;
		uint8_t addr[16];
		uint16_t port;
	} want[] = {
	    {"meta cmp meta cmp payload cmp objref reject",
	     "meta mark != M ip daddr 127.0.0.11 counter reject",
	     16,
	     4,
	     {127, 0, 0, 11},
	     0},
	    {"meta cmp meta lookup meta cmp payload cmp payload cmp objref "
	     "reject",
	     "meta mark != M meta l4proto { tcp, udp } ip daddr 127.0.0.1 th "
	     "dport 5353 counter reject",
	     16,
	     4,
	     {127, 0, 0, 1},
	     5353},
	    {"meta cmp meta lookup meta cmp payload cmp payload cmp objref "
	     "reject",
	     "meta mark != M meta l4proto { tcp, udp } ip6 daddr ::1 th dport "
	     "5353 counter reject",
	     24,
	     16,
	     {[15] = 1},
	     5353},
	    {"meta cmp meta cmp payload cmp objref reject",
	     "meta mark != M ip daddr 127.0.0.53 counter reject (from "
	     "::ffff:127.0.0.53)",
	     16,
	     4,
	     {127, 0, 0, 53},
	     0},
	};
	for (size_t i = 0; i < 4; i++) {
		struct rulerec *r = rule_in(&b, "output", i);
		is_str(r ? r->exprs : NULL, want[i].exprs, "guard %zu: %s", i,
		       want[i].what);
		if (!r || strcmp(r->exprs, want[i].exprs) != 0)
			continue;
		uint32_t op, v = cmp_u32(expr_at(r->r, 1), &op);
		int a = want[i].port ? 7 : 5;
		uint32_t len = 0;
		const void *d =
		    nftnl_expr_get(expr_at(r->r, a), NFTNL_EXPR_CMP_DATA, &len);
		struct nftnl_expr *p = expr_at(r->r, a - 1);
		ok(v == 0x636f7272 && op == NFT_CMP_NEQ && d &&
		       len == (uint32_t)want[i].alen &&
		       memcmp(d, want[i].addr, len) == 0 &&
		       nftnl_expr_get_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET) ==
			   (uint32_t)want[i].off,
		   "  unmarked packets to that address");
		if (want[i].port) {
			v = cmp_u32(expr_at(r->r, 9), &op);
			ok(v == htons(want[i].port) && op == NFT_CMP_EQ,
			   "  and port");
		}
	}
	struct rulerec *lo = rule_in(&b, "output", 8);
	is_str(lo ? lo->exprs : NULL, "meta cmp immediate",
	       "then, after the forwarder's two and the conntrack mark's two, "
	       "oif lo accept");
	is_str(
	    elems_str(set_by_name(&b, "dns4")),
	    "127.0.0.1 . 53, 127.0.0.1 . 5353, 127.0.0.11 . 53, 127.0.0.53 . "
	    "53, 198.51.100.53 . 53",
	    "dns4 holds them all, the mapped one as IPv4");
	is_str(elems_str(set_by_name(&b, "dns6")), "::1 . 53, ::1 . 5353",
	       "dns6");
	batch_free(&b);
	nft_msgbuf_free(&m);
}

/* The batch nft_dyn_add sends: add, delete, add with the timeout. */
static void test_dyn_batch(void)
{
	struct pol x;
	pol_init(&x);
	uint16_t https = spec(&x, "443");
	uint16_t all = spec(&x, "1-65535,0");
	struct nft_dyn_elem e[5];
	memset(e, 0, sizeof e);
	parse_addr("198.51.100.7", &e[0].addr);
	e[0].timeout = 300;
	parse_addr("198.51.100.7", &e[1].addr);
	e[1].timeout = 900; /* the same again: the longer wins */
	parse_addr("2001:db8::7", &e[2].addr);
	e[2].timeout = 0; /* counts as 1 */
	parse_addr("198.51.100.8", &e[3].addr);
	e[3].portspec = https;
	e[3].timeout = 60;
	parse_addr("198.51.100.9", &e[4].addr);
	e[4].portspec = all; /* every port: addr4 */
	e[4].timeout = 60;
	struct nft_msgbuf m;
	char err[256] = "";
	ok(nft_dyn_build(&x.p, e, 5, 77, &m, err, sizeof err) == 0,
	   "the learned-address batch builds");
	int len = (int)m.len;
	char got[1024] = "";
	size_t l = 0;
	uint16_t first = 0;
	for (const struct nlmsghdr *nlh = (const void *)m.buf;
	     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		uint16_t t = nlh->nlmsg_type;
		if (t == NFNL_MSG_BATCH_BEGIN || t == NFNL_MSG_BATCH_END) {
			l += (size_t)snprintf(
			    got + l, sizeof got - l, "%s%s", l ? " | " : "",
			    t == NFNL_MSG_BATCH_END ? "end" : "begin");
			continue;
		}
		struct nftnl_set *s = nftnl_set_alloc();
		if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
			nftnl_set_free(s);
			break;
		}
		if (!first)
			first = nlh->nlmsg_flags;
		struct setrec r = {.n = 0};
		nftnl_set_elem_foreach(s, elem_cb, &r);
		l += (size_t)snprintf(
		    got + l, sizeof got - l, " | %s %s %s%s",
		    (t & 0xff) == NFT_MSG_NEWSETELEM ? "add" : "del",
		    nftnl_set_get_str(s, NFTNL_SET_NAME),
		    r.e && r.e[0].timeout ? timeouts_str(&r) : elems_str(&r),
		    nlh->nlmsg_flags & NLM_F_EXCL ? " EXCL" : "");
		free(r.e);
		nftnl_set_free(s);
	}
	is_str(
	    got,
	    "begin | add addr4 198.51.100.7, 198.51.100.9 | del addr4 "
	    "198.51.100.7, 198.51.100.9 | add addr4 198.51.100.7 900s, "
	    "198.51.100.9 60s | add addr4_p1 198.51.100.8 | del addr4_p1 "
	    "198.51.100.8 | add addr4_p1 198.51.100.8 60s | add addr6 "
	    "2001:db8::7 | del addr6 2001:db8::7 | add addr6 2001:db8::7 1s "
	    "| end",
	    "per set: add (create if missing), delete, add with the timeout");
	ok((first & NLM_F_CREATE) && (first & NLM_F_ACK),
	   "  adds create, every message asks for an ACK");
	is_int(m.seq_first, 77, "  from the given seq");
	nft_msgbuf_free(&m);
	e[4].portspec = 9;
	ok(nft_dyn_build(&x.p, e, 5, 77, &m, err, sizeof err) < 0 &&
	       strstr(err, "port spec"),
	   "a port spec the policy lacks is refused: %s", err);
	e[4].portspec = 0;
	e[4].addr.family = 0;
	ok(nft_dyn_build(&x.p, e, 5, 77, &m, err, sizeof err) < 0 &&
	       strstr(err, "family"),
	   "an address without family is refused: %s", err);
}

/* The output chain's tail: counter, [limit + log], tcp reset, reject. */
static void test_log(void)
{
	struct pol x;
	pol_init(&x);
	name(&x, "api.example.test", TARGET_NAME);
	struct nft_msgbuf m[2];
	struct batch *b = calloc(2, sizeof *b);
	for (int i = 0; i < 2; i++) {
		struct nft_opts o = {.owner = true,
				     .log_group = i ? CORRAL_NFLOG_GROUP : 0};
		ok(nft_build_ruleset(&x.p, x.r, x.n_r, &o, 1000, &m[i]) == 0,
		   "builds with log_group %u", o.log_group);
		decode(&m[i], &b[i]);
		ok(b[i].parse_ok, "... and parses back");
	}
	size_t n0 = 0, n1 = 0;
	while (rule_in(&b[0], "output", n0))
		n0++;
	while (rule_in(&b[1], "output", n1))
		n1++;
	is_int((int)n1, (int)n0 + 1, "logging adds one rule to output");
	bool logs = false;
	for (size_t i = 0; i < n0; i++)
		logs |=
		    strstr(rule_in(&b[0], "output", i)->exprs, "log") != NULL;
	ok(!logs, "without a group nothing logs");
	ok(n1 >= 4, "output has its tail");
	struct rulerec *c = rule_in(&b[1], "output", n1 - 4);
	struct rulerec *l = rule_in(&b[1], "output", n1 - 3);
	is_str(c->exprs, "objref", "the counter counts everything refused");
	is_str(l->exprs, "limit log", "then a rate-limited log");
	is_str(rule_in(&b[1], "output", n1 - 2)->exprs, "meta cmp reject",
	       "then the TCP reset");
	is_str(rule_in(&b[1], "output", n1 - 1)->exprs, "reject",
	       "then the reject");
	struct nftnl_expr *lim = expr_at(l->r, 0), *log = expr_at(l->r, 1);
	ok(lim &&
	       nftnl_expr_get_u64(lim, NFTNL_EXPR_LIMIT_RATE) ==
		   CORRAL_NFLOG_RATE &&
	       nftnl_expr_get_u64(lim, NFTNL_EXPR_LIMIT_UNIT) == 1 &&
	       nftnl_expr_get_u32(lim, NFTNL_EXPR_LIMIT_TYPE) == NFT_LIMIT_PKTS,
	   "limit: %d packets a second", CORRAL_NFLOG_RATE);
	ok(log &&
	       nftnl_expr_get_u16(log, NFTNL_EXPR_LOG_GROUP) ==
		   CORRAL_NFLOG_GROUP &&
	       nftnl_expr_get_u32(log, NFTNL_EXPR_LOG_SNAPLEN) ==
		   CORRAL_NFLOG_SNAPLEN,
	   "log: group %d, snaplen %d", CORRAL_NFLOG_GROUP,
	   CORRAL_NFLOG_SNAPLEN);
	for (int i = 0; i < 2; i++) {
		batch_free(&b[i]);
		nft_msgbuf_free(&m[i]);
	}
	free(b);
}

/* nft_opts.dns_cgroup: DNS of sockets outside the container's cgroup
 * (Docker's embedded resolver forwarding) is left alone (dns_scope.h). */
static void test_dns_scope(void)
{
	struct pol x;
	pol_init(&x);
	name(&x, "api.example.test", TARGET_NAME);
	struct nft_msgbuf m[2];
	struct batch *b = calloc(2, sizeof *b);
	const uint64_t id = 0x1234567890ull;
	for (int i = 0; i < 2; i++) {
		struct nft_opts o = {.owner = true, .dns_cgroup = i ? id : 0};
		ok(nft_build_ruleset(&x.p, x.r, x.n_r, &o, 1000, &m[i]) == 0,
		   "builds with dns_cgroup %s", i ? "set" : "0");
		decode(&m[i], &b[i]);
		ok(b[i].parse_ok, "... and parses back");
	}
	is_int((int)b[0].n_chains, 4, "without it: four chains");
	ok(!rule_in(&b[0], "dns_host", 0), "  and no dns_host rules");
	is_int((int)b[1].n_chains, 5, "with it: a fifth chain");
	struct nftnl_chain *c = b[1].chain[4];
	ok(c &&
	       strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "dns_host") ==
		   0 &&
	       !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	       !nftnl_chain_is_set(c, NFTNL_CHAIN_TYPE),
	   "  dns_host, a regular chain (no hook, no type)");
	size_t n = 0;
	while (rule_in(&b[1], "dns_host", n))
		n++;
	is_int((int)n, NFT_CGROUP_LEVELS + 1,
	       "  one rule per cgroup level, then one");
	bool levels = true;
	for (uint32_t l = 0; l < NFT_CGROUP_LEVELS && l < n; l++) {
		struct rulerec *r = rule_in(&b[1], "dns_host", l);
		struct nftnl_expr *so = expr_at(r->r, 0),
				  *cm = expr_at(r->r, 1),
				  *im = expr_at(r->r, 2);
		uint32_t len = 0;
		const void *v =
		    cm ? nftnl_expr_get(cm, NFTNL_EXPR_CMP_DATA, &len) : NULL;
		uint64_t got = 0;
		if (v && len == sizeof got)
			memcpy(&got, v, sizeof got);
		levels =
		    levels && strcmp(r->exprs, "socket cmp immediate") == 0 &&
		    nftnl_expr_get_u32(so, NFTNL_EXPR_SOCKET_KEY) ==
			NFT_SOCKET_CGROUPV2 &&
		    nftnl_expr_get_u32(so, NFTNL_EXPR_SOCKET_LEVEL) == l + 1 &&
		    got == id &&
		    nftnl_expr_get_u32(cm, NFTNL_EXPR_CMP_OP) == NFT_CMP_EQ &&
		    (int)nftnl_expr_get_u32(im, NFTNL_EXPR_IMM_VERDICT) ==
			NFT_RETURN;
	}
	ok(levels, "  socket cgroupv2 level L <id> return, L = 1..%d",
	   NFT_CGROUP_LEVELS);
	struct rulerec *last = rule_in(&b[1], "dns_host", n - 1);
	is_str(last ? last->exprs : NULL, "objref immediate",
	       "  then counter name dns_host accept");
	/* libnftnl sends the name without its NUL and reads it back up to
	 * the attribute's end: compare the name's length only. */
	ok(last &&
	       strncmp(nftnl_expr_get_str(expr_at(last->r, 0),
					  NFTNL_EXPR_OBJREF_IMM_NAME),
		       "dns_host", 8) == 0 &&
	       nftnl_expr_get_u32(expr_at(last->r, 1),
				  NFTNL_EXPR_IMM_VERDICT) == NF_ACCEPT,
	   "  the counter is dns_host, the verdict accept");
	/* The jump comes first in dns_redirect, and in output before the
	 * tail that refuses. */
	struct rulerec *j = rule_in(&b[1], "dns_redirect", 0);
	is_str(
	    j ? j->exprs : NULL, "meta cmp meta lookup payload cmp immediate",
	    "dns_redirect: meta mark != M ... th dport 53 jump dns_host first");
	ok(j &&
	       (int)nftnl_expr_get_u32(expr_at(j->r, 6),
				       NFTNL_EXPR_IMM_VERDICT) == NFT_JUMP &&
	       strcmp(
		   nftnl_expr_get_str(expr_at(j->r, 6), NFTNL_EXPR_IMM_CHAIN),
		   "dns_host") == 0,
	   "  a jump to dns_host");
	ok(rule_in(&b[1], "dns_redirect", 1) &&
	       strstr(rule_in(&b[1], "dns_redirect", 1)->exprs, "redir"),
	   "  then the redirect");
	size_t n0 = 0, n1 = 0, at = 0;
	while (rule_in(&b[0], "output", n0))
		n0++;
	for (; rule_in(&b[1], "output", n1); n1++)
		if (strcmp(rule_in(&b[1], "output", n1)->exprs,
			   j ? j->exprs : "") == 0)
			at = n1;
	is_int((int)n1, (int)n0 + 1, "output: one more rule, the same jump");
	ok(at > 0 && at < n1 - 3, "  before the counter and the rejects");
	for (int i = 0; i < 2; i++) {
		batch_free(&b[i]);
		nft_msgbuf_free(&m[i]);
	}
	free(b);
}

int main(void)
{
	test_learned();
	test_log();
	test_dns_scope();
	test_guards();
	test_dyn_batch();
	return tap_done();
}
