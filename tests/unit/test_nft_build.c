/* The nftables batch, built from hand-made policies and parsed back with
 * libnftnl (nft_testbatch.h): its structure, the static sets' elements,
 * scale, malformed input.  Needs no kernel, no root.  The learned sets,
 * the loopback guards and nft_dyn's batch are test_nft_rules.c's. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft_testbatch.h"
#include "tap.h"

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

	is_int(b.n_chains, 4, "four chains");
	static const struct {
		const char *name, *type;
		uint32_t hook;
		int32_t prio;
		uint32_t policy;
	} ch[] = {{"output", "filter", NF_INET_LOCAL_OUT, 0, NF_DROP},
		  {"input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP},
		  {"forward", "filter", NF_INET_FORWARD, 0, NF_DROP},
		  {"dns_redirect", "nat", NF_INET_LOCAL_OUT, -101, NF_ACCEPT}};
	for (size_t i = 0; i < 4 && i < b.n_chains; i++) {
		struct nftnl_chain *c = b.chain[i];
		is_str(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), ch[i].name,
		       "chain %zu is %s", i, ch[i].name);
		ok(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == ch[i].hook &&
		       nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == ch[i].prio &&
		       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) ==
			   ch[i].policy &&
		       strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE),
			      ch[i].type) == 0,
		   "  type %s hook %u priority %d policy %s", ch[i].type,
		   ch[i].hook, ch[i].prio,
		   ch[i].policy == NF_DROP ? "drop" : "accept");
	}

	static const struct {
		const char *name;
		uint32_t flags, type, len, f0, f1;
	} sets[] = {
	    {"net4", NFT_SET_INTERVAL, 7, 4, 0, 0},
	    {"net6", NFT_SET_INTERVAL, 8, 16, 0, 0},
	    {"addr4", NFT_SET_TIMEOUT, 7, 4, 0, 0},
	    {"addr6", NFT_SET_TIMEOUT, 8, 16, 0, 0},
	    {"port4", NFT_SET_INTERVAL | NFT_SET_CONCAT, 7 << 6 | 13, 8, 4, 2},
	    {"port6", NFT_SET_INTERVAL | NFT_SET_CONCAT, 8 << 6 | 13, 20, 16,
	     2},
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
	ok(set_by_name(&b, "addr4_p1") == NULL,
	   "no port-limited learned sets without port specs");

	size_t out = 0, in = 0, dns = 0;
	for (size_t i = 0; i < b.n_rules; i++) {
		out += strcmp(b.rule[i].chain, "output") == 0;
		in += strcmp(b.rule[i].chain, "input") == 0;
		dns += strcmp(b.rule[i].chain, "dns_redirect") == 0;
	}
	is_int(out, 18, "18 rules in output (no loopback upstream)");
	is_int(in, 3, "3 rules in input");
	is_int(dns, 1, "1 rule in dns_redirect");
	if (b.n_rules == 22) {
		is_str(
		    b.rule[0].exprs,
		    "meta lookup meta cmp payload cmp payload cmp immediate",
		    "meta l4proto { tcp, udp } ip daddr 127.0.0.1 th dport 53 "
		    "accept: redirected queries keep their first oif");
		uint32_t op4, a4 = cmp_u32(expr_at(b.rule[0].r, 5), &op4);
		uint32_t len6 = 0;
		const uint8_t *a6 = nftnl_expr_get(expr_at(b.rule[1].r, 5),
						   NFTNL_EXPR_CMP_DATA, &len6);
		uint32_t opp, p53 = cmp_u32(expr_at(b.rule[1].r, 7), &opp);
		ok(a4 == htonl(0x7f000001) && op4 == NFT_CMP_EQ && a6 &&
		       len6 == 16 && a6[15] == 1 && a6[0] == 0 &&
		       p53 == htons(53) && opp == NFT_CMP_EQ,
		   "  and ip6 daddr ::1 th dport 53 accept");
		is_str(b.rule[2].exprs, "meta cmp immediate ct",
		       "meta mark M ct mark set M: corral's flows marked");
		is_int((int)nftnl_expr_get_u32(expr_at(b.rule[2].r, 3),
					       NFTNL_EXPR_CT_KEY),
		       NFT_CT_MARK, "  the ct expression sets the mark");
		is_str(b.rule[3].exprs, "ct cmp ct cmp meta cmp objref reject",
		       "ct mark M ct direction original meta mark != M "
		       "counter reject: no ride on corral's flows");
		uint32_t opm, vm = cmp_u32(expr_at(b.rule[3].r, 1), &opm);
		uint32_t opk, vk = cmp_u32(expr_at(b.rule[3].r, 5), &opk);
		ok(nftnl_expr_get_u32(expr_at(b.rule[3].r, 0),
				      NFTNL_EXPR_CT_KEY) == NFT_CT_MARK &&
		       nftnl_expr_get_u32(expr_at(b.rule[3].r, 2),
					  NFTNL_EXPR_CT_KEY) ==
			   NFT_CT_DIRECTION &&
		       vm == 0x636f7272 && opm == NFT_CMP_EQ &&
		       vk == 0x636f7272 && opk == NFT_CMP_NEQ,
		   "  the ct mark first (it fails for nearly every packet), "
		   "then the original direction, then no socket mark");
		is_str(b.rule[4].exprs, "meta cmp immediate", "oif lo accept");
		is_str(b.rule[5].exprs, "ct bitwise cmp immediate",
		       "ct state established,related accept");
		is_str(b.rule[6].exprs, "meta cmp payload lookup immediate",
		       "icmpv6 type { ... } accept");
		is_str(b.rule[7].exprs,
		       "meta cmp meta lookup meta cmp payload payload lookup "
		       "immediate",
		       "meta mark M meta l4proto { tcp, udp } ip daddr . th "
		       "dport @dns4 accept");
		uint32_t op, v = cmp_u32(expr_at(b.rule[7].r, 1), &op);
		ok(nftnl_expr_get_u32(expr_at(b.rule[7].r, 0),
				      NFTNL_EXPR_META_KEY) == NFT_META_MARK &&
		       v == 0x636f7272 && op == NFT_CMP_EQ,
		   "  the upstream rule needs meta mark 0x636f7272");
		is_str(nftnl_expr_get_str(expr_at(b.rule[7].r, 8),
					  NFTNL_EXPR_LOOKUP_SET),
		       "dns4", "  and looks up dns4");
		is_str(b.rule[9].exprs, "meta cmp payload lookup immediate",
		       "ip daddr @net4 accept");
		is_str(b.rule[13].exprs,
		       "meta lookup meta cmp payload payload lookup immediate",
		       "meta l4proto { tcp, udp } ip daddr . th dport @port4 "
		       "accept");
		is_str(b.rule[15].exprs, "objref", "counter name blocked");
		is_str(b.rule[16].exprs, "meta cmp reject", "tcp reset rule");
		is_str(b.rule[17].exprs, "reject", "icmpx reject rule");
		struct nftnl_expr *e = expr_at(b.rule[17].r, 0);
		ok(e &&
		       nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) ==
			   NFT_REJECT_ICMPX_UNREACH &&
		       nftnl_expr_get_u8(e, NFTNL_EXPR_REJECT_CODE) ==
			   NFT_REJECT_ICMPX_ADMIN_PROHIBITED,
		   "  reject with icmpx admin-prohibited");
		e = expr_at(b.rule[16].r, 2);
		ok(e && nftnl_expr_get_u32(e, NFTNL_EXPR_REJECT_TYPE) ==
			    NFT_REJECT_TCP_RST,
		   "  reject with tcp reset");
		e = expr_at(b.rule[9].r, 3);
		ok(e && strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET),
			       "net4") == 0,
		   "  the lookup names set net4");
	}
	struct rulerec *rd = rule_in(&b, "dns_redirect", 0);
	is_str(rd ? rd->exprs : NULL,
	       "meta cmp meta lookup payload cmp immediate redir",
	       "meta mark != M meta l4proto { tcp, udp } th dport 53 redirect "
	       "to :53");
	if (rd) {
		uint32_t op, v = cmp_u32(expr_at(rd->r, 1), &op);
		ok(v == 0x636f7272 && op == NFT_CMP_NEQ,
		   "  only packets without the forwarder's mark");
		v = cmp_u32(expr_at(rd->r, 5), &op);
		struct nftnl_expr *p = expr_at(rd->r, 4);
		ok(op == NFT_CMP_EQ && v == htons(53) &&
		       nftnl_expr_get_u32(p, NFTNL_EXPR_PAYLOAD_BASE) ==
			   NFT_PAYLOAD_TRANSPORT_HEADER &&
		       nftnl_expr_get_u32(p, NFTNL_EXPR_PAYLOAD_OFFSET) == 2,
		   "  to th dport 53");
		uint32_t len = 0;
		struct nftnl_expr *im = expr_at(rd->r, 6);
		const uint16_t *port =
		    nftnl_expr_get(im, NFTNL_EXPR_IMM_DATA, &len);
		struct nftnl_expr *rx = expr_at(rd->r, 7);
		ok(len == 2 && port && *port == htons(53) &&
		       nftnl_expr_get_u32(im, NFTNL_EXPR_IMM_DREG) ==
			   nftnl_expr_get_u32(rx,
					      NFTNL_EXPR_REDIR_REG_PROTO_MIN) &&
		       nftnl_expr_get_u32(rx, NFTNL_EXPR_REDIR_FLAGS) ==
			   NF_NAT_RANGE_PROTO_SPECIFIED &&
		       !nftnl_expr_is_set(rx, NFTNL_EXPR_REDIR_REG_PROTO_MAX),
		   "  redirected to port 53 of the host itself");
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
	       "addr4: learned, deduplicated, an all-ports spec counts as all "
	       "ports");
	is_str(elems_str(set_by_name(&b, "addr6")), "2001:db8:2::1", "addr6");
	is_str(elems_str(set_by_name(&b, "addr4_p2")), "198.51.100.5",
	       "addr4_p2: learned for 443,22 (inside a static network: both)");
	is_str(elems_str(set_by_name(&b, "addr4_p3")), "203.0.113.1",
	       "addr4_p3: learned for 20-41,8000, once");
	is_str(elems_str(set_by_name(&b, "addr6_p1")), "2001:db8:1::5",
	       "addr6_p1: learned for 443");
	ok(set_by_name(&b, "addr4_p4") == NULL,
	   "no set for the spec that covers every port");
	is_str(elems_str(set_by_name(&b, "port4")),
	       "198.51.100.0 . 443-198.51.100.255 . 443",
	       "port4: only the static network");
	is_str(elems_str(set_by_name(&b, "port6")), "", "port6: empty");
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
