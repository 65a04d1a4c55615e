/* The rules of table inet corral, with the anonymous sets they use.  The
 * expression sequences are the ones nft itself generates, so that `nft
 * list` prints our rules in their usual form.  The ruleset is
 * docs/firewall.md's "The ruleset". */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "../common/cleanup.h"
#include "dns_ipc.h"
#include "nflog.h"
#include "nft_int.h"

#define ANON_SET "__set%d"

/* --- expressions: each helper adds one or a few to r; false on
 * allocation failure --- */

static bool add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return false;
	nftnl_rule_add_expr(r, e);
	return true;
}

static bool meta(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
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

/* meta mark == / != CORRAL_DNS_MARK */
static bool mark(struct nftnl_rule *r, uint32_t op)
{
	uint32_t m = CORRAL_DNS_MARK;
	return meta(r, NFT_META_MARK) && cmp(r, op, &m, sizeof m);
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

/* th dport into dreg. */
static bool dport(struct nftnl_rule *r, uint32_t dreg)
{
	return payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
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

static bool reject_admin(struct nftnl_rule *r)
{
	return reject(r, NFT_REJECT_ICMPX_UNREACH,
		      NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}

static bool counter_named(struct nftnl_rule *r, const char *name)
{
	cleanup_nft_expr struct nftnl_expr *e = nftnl_expr_alloc("objref");
	if (!e || nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name) < 0)
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	return add(r, steal_ptr(&e));
}

static bool counter_ref(struct nftnl_rule *r)
{
	return counter_named(r, NFT_COUNTER_BLOCKED);
}

/* jump CHAIN / return */
static bool verdict_chain(struct nftnl_rule *r, int verdict, const char *chain)
{
	cleanup_nft_expr struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (!e ||
	    (chain && nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0))
		return false;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
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

/* ct KEY into register 1 */
static bool ct_load(struct nftnl_rule *r, uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	return add(r, e);
}

/* ip daddr / ip6 daddr into register 1, after the family check. */
static bool daddr(struct nftnl_rule *r, int v)
{
	return meta(r, NFT_META_NFPROTO) &&
	       cmp_u8(r, v == NFT_V4 ? NFPROTO_IPV4 : NFPROTO_IPV6) &&
	       payload(r, NFT_PAYLOAD_NETWORK_HEADER, v == NFT_V4 ? 16 : 24,
		       (uint32_t)nft_alen(v), NFT_REG_1);
}

/* redirect to :port (the kernel picks 127.0.0.1 or ::1 for output). */
static bool redirect(struct nftnl_rule *r, uint16_t port)
{
	uint16_t be = htons(port);
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &be, sizeof be);
	}
	if (!add(r, e))
		return false;
	e = nftnl_expr_alloc("redir");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_REG_PROTO_MIN,
				   NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_REDIR_FLAGS,
				   NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	return add(r, e);
}

/* --- anonymous sets, bound to the rule that follows them --- */

/* Constant one-byte keys (protocols, ICMPv6 types). */
static int anon_bytes(struct nft_builder *b, uint32_t key_type,
		      const uint8_t *v, size_t n, uint32_t *id)
{
	*id = ++b->set_id;
	struct nft_set_def d = {.name = ANON_SET,
				.id = *id,
				.flags = NFT_SET_ANONYMOUS | NFT_SET_CONSTANT,
				.key_type = key_type,
				.key_len = 1,
				.size = (uint32_t)n};
	if (nft_put_set(b, &d) < 0)
		return -1;
	struct nft_elems w = {
	    .b = b, .set = ANON_SET, .set_id = *id, .flags = NLM_F_CREATE};
	for (size_t i = 0; i < n; i++) {
		if (nft_elems_room(&w, 1) < 0)
			return -1;
		nft_elems_put(&w, &(struct nft_elem){.key = &v[i], .klen = 1});
	}
	nft_elems_close(&w);
	return 0;
}

static int anon_l4(struct nft_builder *b, uint32_t *id)
{
	static const uint8_t l4[] = {IPPROTO_TCP, IPPROTO_UDP};
	return anon_bytes(b, NFT_TYPE_INET_PROTOCOL, l4, sizeof l4, id);
}

/* th dport { 22, 443, 8000-8100 }: an interval set of ports. */
static int anon_ports(struct nft_builder *b, const struct nft_dynset *d,
		      uint32_t *id)
{
	uint32_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->r[i].hi == 0xffff ? 1 : 2;
	*id = ++b->set_id;
	struct nft_set_def def = {.name = ANON_SET,
				  .id = *id,
				  .flags = NFT_SET_ANONYMOUS |
					   NFT_SET_CONSTANT | NFT_SET_INTERVAL,
				  .key_type = NFT_TYPE_INET_SERVICE,
				  .key_len = 2,
				  .size = n};
	if (nft_put_set(b, &def) < 0)
		return -1;
	struct nft_elems w = {
	    .b = b, .set = ANON_SET, .set_id = *id, .flags = NLM_F_CREATE};
	for (size_t i = 0; i < d->n; i++) {
		uint16_t lo = htons(d->r[i].lo), hi = htons(d->r[i].hi);
		if (nft_elems_interval(&w, (const uint8_t *)&lo,
				       (const uint8_t *)&hi, 2) < 0)
			return -1;
	}
	nft_elems_close(&w);
	return 0;
}

/* --- rules --- */

static struct nftnl_rule *rule_new(const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, CORRAL_TABLE) < 0 ||
	    nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain) < 0) {
		if (r)
			nftnl_rule_free(r);
		return NULL;
	}
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	return r;
}

static int rule_put(struct nft_builder *b, struct nftnl_rule *r)
{
	char *buf = nft_msg_begin(b, NFT_MSG_RESERVE);
	if (!buf)
		return -1;
	struct nlmsghdr *nlh =
	    nft_msg_hdr(b, buf, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nft_msg_end(b, nlh, NFT_MSG_RESERVE);
	return 0;
}

/* Builds one rule with fill(r, arg), then appends it to chain. */
typedef bool (*fill_fn)(struct nftnl_rule *r, const void *arg, uint32_t anon);

static int rule(struct nft_builder *b, const char *chain, fill_fn fill,
		const void *arg, uint32_t anon)
{
	cleanup_nft_rule struct nftnl_rule *r = rule_new(chain);
	if (!r || !fill(r, arg, anon))
		return -1;
	return rule_put(b, r);
}

struct set_ref {
	const char *name;
	uint32_t id;
	int v;
};

/* meta mark != M [meta l4proto { tcp, udp }] ip daddr A [th dport P]
 * counter name "blocked" reject with icmpx admin-prohibited */
static bool fill_guard(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	const struct nft_guard *g = arg;
	uint16_t port = htons(g->port);
	return mark(r, NFT_CMP_NEQ) &&
	       (!g->port ||
		(meta(r, NFT_META_L4PROTO) && lookup(r, ANON_SET, anon))) &&
	       daddr(r, g->v) &&
	       cmp(r, NFT_CMP_EQ, g->addr, (uint32_t)nft_alen(g->v)) &&
	       (!g->port ||
		(dport(r, NFT_REG_1) && cmp(r, NFT_CMP_EQ, &port, 2))) &&
	       counter_ref(r) && reject_admin(r);
}

/* meta mark M ct mark set M: the flows of corral's own sockets carry its
 * mark in conntrack, for the rule below. */
static bool fill_ct_mark(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	uint32_t m = CORRAL_DNS_MARK;
	if (!mark(r, NFT_CMP_EQ))
		return false;
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_1);
		nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, &m, sizeof m);
	}
	if (!add(r, e))
		return false;
	e = nftnl_expr_alloc("ct");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_MARK);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_SREG, NFT_REG_1);
	}
	return add(r, e);
}

/* ct mark M ct direction original meta mark != M counter name "blocked"
 * reject: a packet of another socket with the tuple of one of corral's
 * flows (a source port it bound on purpose) would follow that flow past
 * the redirect (NAT is decided on a flow's first packet) and, being
 * established, past the filter.  Every packet meets this rule, so the
 * test that fails for nearly all of them comes first. */
static bool fill_ct_collision(struct nftnl_rule *r, const void *arg,
			      uint32_t anon)
{
	(void)arg;
	(void)anon;
	uint8_t orig = IP_CT_DIR_ORIGINAL;
	uint32_t m = CORRAL_DNS_MARK;
	return ct_load(r, NFT_CT_MARK) && cmp(r, NFT_CMP_EQ, &m, sizeof m) &&
	       ct_load(r, NFT_CT_DIRECTION) &&
	       cmp(r, NFT_CMP_EQ, &orig, sizeof orig) && mark(r, NFT_CMP_NEQ) &&
	       counter_ref(r) && reject_admin(r);
}

/* meta l4proto { tcp, udp } ip daddr 127.0.0.1 th dport 53 accept (and
 * ::1): a query redirected to the forwarder keeps the output interface it
 * was routed to first (meta oif is the hook's, not the new route's), so
 * `oif lo accept` does not see it. */
static bool fill_forwarder(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	int v = *(const int *)arg;
	uint8_t a[16] = {0};
	uint16_t port = htons(53);
	if (v == NFT_V4) {
		a[0] = 127;
		a[3] = 1;
	} else {
		a[15] = 1;
	}
	return meta(r, NFT_META_L4PROTO) && lookup(r, ANON_SET, anon) &&
	       daddr(r, v) && cmp(r, NFT_CMP_EQ, a, (uint32_t)nft_alen(v)) &&
	       dport(r, NFT_REG_1) && cmp(r, NFT_CMP_EQ, &port, sizeof port) &&
	       verdict_accept(r);
}

/* oif / iif lo accept */
static bool fill_lo(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)anon;
	uint32_t lo = 1;
	return meta(r, *(const uint32_t *)arg) &&
	       cmp(r, NFT_CMP_EQ, &lo, sizeof lo) && verdict_accept(r);
}

static bool fill_ct(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	return ct_established(r) && verdict_accept(r);
}

/* icmpv6 type { ... } accept */
static bool fill_icmpv6(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	return meta(r, NFT_META_L4PROTO) && cmp_u8(r, IPPROTO_ICMPV6) &&
	       payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1) &&
	       lookup(r, ANON_SET, anon) && verdict_accept(r);
}

/* ip daddr @set accept */
static bool fill_daddr(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)anon;
	const struct set_ref *s = arg;
	return daddr(r, s->v) && lookup(r, s->name, s->id) && verdict_accept(r);
}

/* meta l4proto { tcp, udp } ip daddr . th dport @set accept: the port goes
 * into the 32-bit register right after the address, 9 (NFT_REG32_01) for
 * IPv4, 2 for IPv6. */
static bool daddr_port(struct nftnl_rule *r, const struct set_ref *s,
		       uint32_t anon)
{
	return meta(r, NFT_META_L4PROTO) && lookup(r, ANON_SET, anon) &&
	       daddr(r, s->v) &&
	       dport(r, s->v == NFT_V4 ? NFT_REG32_01 : NFT_REG_2) &&
	       lookup(r, s->name, s->id) && verdict_accept(r);
}

static bool fill_daddr_port(struct nftnl_rule *r, const void *arg,
			    uint32_t anon)
{
	return daddr_port(r, arg, anon);
}

/* meta mark M meta l4proto { tcp, udp } ip daddr . th dport @dns4 accept */
static bool fill_dns(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	return mark(r, NFT_CMP_EQ) && daddr_port(r, arg, anon);
}

struct dyn_ref {
	struct set_ref set;
	const struct nft_dynset *d;
	uint32_t ports; /* anonymous set of the ports, 0: a single port */
};

/* meta l4proto { tcp, udp } ip daddr @addr4_pN th dport { ... } accept */
static bool fill_dyn(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	const struct dyn_ref *x = arg;
	uint16_t port = htons(x->d->r[0].lo);
	return meta(r, NFT_META_L4PROTO) && lookup(r, ANON_SET, anon) &&
	       daddr(r, x->set.v) && lookup(r, x->set.name, x->set.id) &&
	       dport(r, NFT_REG_1) &&
	       (x->ports ? lookup(r, ANON_SET, x->ports)
			 : cmp(r, NFT_CMP_EQ, &port, sizeof port)) &&
	       verdict_accept(r);
}

static bool fill_counter(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	return counter_ref(r);
}

/* limit rate 20/second burst 20 packets log group G snaplen 128: over the
 * rate the rule stops at the limit, and the packet goes on to the rejects
 * unlogged. */
static bool fill_log(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)anon;
	const uint16_t *group = arg;
	struct nftnl_expr *l = nftnl_expr_alloc("limit");
	if (l) {
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_RATE, CORRAL_NFLOG_RATE);
		nftnl_expr_set_u64(l, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_BURST,
				   CORRAL_NFLOG_RATE);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(l, NFTNL_EXPR_LIMIT_FLAGS, 0);
	}
	if (!add(r, l))
		return false;
	struct nftnl_expr *e = nftnl_expr_alloc("log");
	if (e) {
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, *group);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOG_SNAPLEN,
				   CORRAL_NFLOG_SNAPLEN);
	}
	return add(r, e);
}

/* meta l4proto tcp reject with tcp reset */
static bool fill_reset(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	return meta(r, NFT_META_L4PROTO) && cmp_u8(r, IPPROTO_TCP) &&
	       reject(r, NFT_REJECT_TCP_RST, 0);
}

static bool fill_reject(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	return reject_admin(r);
}

/* meta mark != M meta l4proto { tcp, udp } th dport 53 redirect to :53 */
static bool fill_redirect(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	uint16_t port = htons(53);
	return mark(r, NFT_CMP_NEQ) && meta(r, NFT_META_L4PROTO) &&
	       lookup(r, ANON_SET, anon) && dport(r, NFT_REG_1) &&
	       cmp(r, NFT_CMP_EQ, &port, sizeof port) && redirect(r, 53);
}

/* meta mark != M meta l4proto { tcp, udp } th dport 53 jump dns_host */
static bool fill_to_host_dns(struct nftnl_rule *r, const void *arg,
			     uint32_t anon)
{
	(void)arg;
	uint16_t port = htons(53);
	return mark(r, NFT_CMP_NEQ) && meta(r, NFT_META_L4PROTO) &&
	       lookup(r, ANON_SET, anon) && dport(r, NFT_REG_1) &&
	       cmp(r, NFT_CMP_EQ, &port, sizeof port) &&
	       verdict_chain(r, NFT_JUMP, NFT_CHAIN_HOST_DNS);
}

struct cgroup_level {
	uint64_t id;
	uint32_t level;
};

/* socket cgroupv2 level L ID return: a socket of the container (its
 * cgroup or one below) goes back to the redirect or the filter.  The
 * level of the container's cgroup in the whole hierarchy is not visible
 * from inside a cgroup namespace, and an id is unique, so every level is
 * asked; a socket at a shallower level than L does not match. */
static bool fill_cgroup_level(struct nftnl_rule *r, const void *arg,
			      uint32_t anon)
{
	(void)anon;
	const struct cgroup_level *c = arg;
	struct nftnl_expr *e = nftnl_expr_alloc("socket");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_KEY,
				   NFT_SOCKET_CGROUPV2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_SOCKET_LEVEL, c->level);
	}
	return add(r, e) && cmp(r, NFT_CMP_EQ, &c->id, sizeof c->id) &&
	       verdict_chain(r, NFT_RETURN, NULL);
}

/* counter name "dns_host" accept: what is left is the host's (a socket of
 * another cgroup, which no process of the container can join). */
static bool fill_host_dns(struct nftnl_rule *r, const void *arg, uint32_t anon)
{
	(void)arg;
	(void)anon;
	return counter_named(r, NFT_COUNTER_HOST_DNS) && verdict_accept(r);
}

static int host_dns_rules(struct nft_builder *b)
{
	for (uint32_t l = 1; l <= NFT_CGROUP_LEVELS; l++) {
		struct cgroup_level c = {b->dns_cgroup, l};
		if (rule(b, NFT_CHAIN_HOST_DNS, fill_cgroup_level, &c, 0) < 0)
			return -1;
	}
	return rule(b, NFT_CHAIN_HOST_DNS, fill_host_dns, NULL, 0);
}

/* Neighbour discovery and MLD: IPv6 dies quietly without them. */
static const uint8_t icmpv6_out[] = {133, 135, 136, 143};
static const uint8_t icmpv6_in[] = {133, 134, 135, 136};

static int with_l4(struct nft_builder *b, const char *chain, fill_fn fill,
		   const void *arg)
{
	uint32_t anon;
	if (anon_l4(b, &anon) < 0)
		return -1;
	return rule(b, chain, fill, arg, anon);
}

static int with_icmpv6(struct nft_builder *b, const char *chain,
		       const uint8_t *types, size_t n)
{
	uint32_t anon;
	if (anon_bytes(b, NFT_TYPE_ICMP6_TYPE, types, n, &anon) < 0)
		return -1;
	return rule(b, chain, fill_icmpv6, NULL, anon);
}

static const struct set_ref set_refs[] = {
    {NFT_SET_NET4, NFT_ID_NET4, NFT_V4},
    {NFT_SET_NET6, NFT_ID_NET6, NFT_V6},
    {NFT_SET_ADDR4, NFT_ID_ADDR4, NFT_V4},
    {NFT_SET_ADDR6, NFT_ID_ADDR6, NFT_V6},
    {NFT_SET_PORT4, NFT_ID_PORT4, NFT_V4},
    {NFT_SET_PORT6, NFT_ID_PORT6, NFT_V6},
    {NFT_SET_DNS4, NFT_ID_DNS4, NFT_V4},
    {NFT_SET_DNS6, NFT_ID_DNS6, NFT_V6},
};

static int dyn_rules(struct nft_builder *b, const struct nft_norm *n)
{
	for (size_t i = 0; i < n->n_dset; i++) {
		const struct nft_dynset *d = &n->dset[i];
		for (int v = 0; v < 2; v++) {
			char name[16];
			struct dyn_ref x = {
			    .set = {nft_dyn_set_name(v, d->spec, name,
						     sizeof name),
				    NFT_ID_DYN + 2 * (uint32_t)i + (uint32_t)v,
				    v},
			    .d = d};
			uint32_t l4;
			if (anon_l4(b, &l4) < 0)
				return -1;
			bool single = d->n == 1 && d->r[0].lo == d->r[0].hi;
			if (!single && anon_ports(b, d, &x.ports) < 0)
				return -1;
			if (rule(b, "output", fill_dyn, &x, l4) < 0)
				return -1;
		}
	}
	return 0;
}

static int output_rules(struct nft_builder *b, const struct nft_norm *n)
{
	static const uint32_t oif = NFT_META_OIF;
	static const int v4 = NFT_V4, v6 = NFT_V6;
	for (size_t i = 0; i < n->n_guard; i++) {
		const struct nft_guard *g = &n->guard[i];
		int rc = g->port ? with_l4(b, "output", fill_guard, g)
				 : rule(b, "output", fill_guard, g, 0);
		if (rc < 0)
			return -1;
	}
	/* The conntrack mark before anything accepts corral's packets (oif
	 * lo does for a loopback upstream), the check before anything
	 * accepts an established flow. */
	if (with_l4(b, "output", fill_forwarder, &v4) < 0 ||
	    with_l4(b, "output", fill_forwarder, &v6) < 0 ||
	    rule(b, "output", fill_ct_mark, NULL, 0) < 0 ||
	    rule(b, "output", fill_ct_collision, NULL, 0) < 0 ||
	    rule(b, "output", fill_lo, &oif, 0) < 0 ||
	    rule(b, "output", fill_ct, NULL, 0) < 0 ||
	    with_icmpv6(b, "output", icmpv6_out, sizeof icmpv6_out) < 0 ||
	    with_l4(b, "output", fill_dns, &set_refs[6]) < 0 ||
	    with_l4(b, "output", fill_dns, &set_refs[7]) < 0 ||
	    (b->dns_cgroup && with_l4(b, "output", fill_to_host_dns, NULL) < 0))
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (rule(b, "output", fill_daddr, &set_refs[i], 0) < 0)
			return -1;
	if (with_l4(b, "output", fill_daddr_port, &set_refs[4]) < 0 ||
	    with_l4(b, "output", fill_daddr_port, &set_refs[5]) < 0 ||
	    dyn_rules(b, n) < 0)
		return -1;
	return rule(b, "output", fill_counter, NULL, 0) < 0 ||
		       (b->log_group &&
			rule(b, "output", fill_log, &b->log_group, 0) < 0) ||
		       rule(b, "output", fill_reset, NULL, 0) < 0 ||
		       rule(b, "output", fill_reject, NULL, 0) < 0
		   ? -1
		   : 0;
}

int nft_put_rules(struct nft_builder *b, const struct nft_norm *n)
{
	static const uint32_t iif = NFT_META_IIF;
	if (output_rules(b, n) < 0 || rule(b, "input", fill_lo, &iif, 0) < 0 ||
	    rule(b, "input", fill_ct, NULL, 0) < 0 ||
	    with_icmpv6(b, "input", icmpv6_in, sizeof icmpv6_in) < 0)
		return -1;
	if (b->dns_cgroup &&
	    (host_dns_rules(b) < 0 ||
	     with_l4(b, NFT_CHAIN_DNS, fill_to_host_dns, NULL) < 0))
		return -1;
	return with_l4(b, NFT_CHAIN_DNS, fill_redirect, NULL);
}
