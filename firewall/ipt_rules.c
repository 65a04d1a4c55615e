/* The policy as x_tables entries for the iptables backend: the same rules
 * as the nftables backend's (firewall/nft_rules.c, docs/firewall.md), in
 * linear chains instead of sets.  Only kernel ABI structs here; libiptc
 * itself is behind ipt_libiptc.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_cgroup.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "dns_ipc.h"
#include "ipt.h"
#include "nft_int.h"

#define ENTRY_MAX   1024
#define LEARNED_TAG "corral learned until "

const char *const ipt_chain_name[IPT_NCHAINS] = {
    "corral-output", "corral-input", "corral-forward", "corral-learned",
    "corral-dns"};
const char *const ipt_chain_hook[IPT_NCHAINS] = {"OUTPUT", "INPUT", "FORWARD",
						 NULL, "OUTPUT"};

void ipt_blob_free(struct ipt_blob *b)
{
	free(b->buf);
	*b = (struct ipt_blob){0};
}

int ipt_blob_append(struct ipt_blob *b, const void *e, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + len)
			cap *= 2;
		unsigned char *nb = realloc(b->buf, cap);
		if (!nb)
			return -1;
		b->buf = nb;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, e, len);
	b->len += len;
	b->n++;
	return 0;
}

/* An entry being built: header, matches, then the target. */
struct ent {
	unsigned char buf[ENTRY_MAX];
	size_t off, hdr;
};

static void *put(struct ent *e, size_t hdr, const char *name, uint8_t rev,
		 size_t datalen, bool target)
{
	size_t size = XT_ALIGN(hdr + datalen);
	if (e->off + size > sizeof e->buf)
		return NULL;
	unsigned char *p = e->buf + e->off;
	if (target) {
		struct xt_entry_target *t = (struct xt_entry_target *)p;
		t->u.user.target_size = (uint16_t)size;
		snprintf(t->u.user.name, sizeof t->u.user.name, "%s", name);
		t->u.user.revision = rev;
	} else {
		struct xt_entry_match *m = (struct xt_entry_match *)p;
		m->u.user.match_size = (uint16_t)size;
		snprintf(m->u.user.name, sizeof m->u.user.name, "%s", name);
		m->u.user.revision = rev;
	}
	e->off += size;
	return p + hdr;
}

static void *match(struct ent *e, const char *name, uint8_t rev, size_t len)
{
	return put(e, sizeof(struct xt_entry_match), name, rev, len, false);
}

static void *target(struct ent *e, const char *name, uint8_t rev, size_t len)
{
	return put(e, sizeof(struct xt_entry_target), name, rev, len, true);
}

static void iface(const char *name, char *dst, unsigned char *mask)
{
	size_t n = strlen(name);
	memcpy(dst, name, n);
	memset(mask, 0xff, n + 1);
}

static void header(struct ent *e, const struct ipt_rule *r)
{
	if (r->v == 4) {
		struct ipt_entry *h = (struct ipt_entry *)e->buf;
		memcpy(&h->ip.dst, r->dst, 4);
		memcpy(&h->ip.dmsk, r->mask, 4);
		if (r->iif)
			iface(r->iif, h->ip.iniface, h->ip.iniface_mask);
		if (r->oif)
			iface(r->oif, h->ip.outiface, h->ip.outiface_mask);
		h->ip.proto = r->proto;
		e->hdr = sizeof *h;
	} else {
		struct ip6t_entry *h = (struct ip6t_entry *)e->buf;
		memcpy(&h->ipv6.dst, r->dst, 16);
		memcpy(&h->ipv6.dmsk, r->mask, 16);
		if (r->iif)
			iface(r->iif, h->ipv6.iniface, h->ipv6.iniface_mask);
		if (r->oif)
			iface(r->oif, h->ipv6.outiface, h->ipv6.outiface_mask);
		h->ipv6.proto = r->proto;
		if (r->proto)
			h->ipv6.flags |= IP6T_F_PROTO;
		e->hdr = sizeof *h;
	}
	e->off = e->hdr;
}

static bool matches(struct ent *e, const struct ipt_rule *r)
{
	/* First: every packet meets the rule that has it, and the connmark
	 * fails for nearly all of them. */
	if (r->corral_flow) {
		struct xt_connmark_mtinfo1 *c =
		    match(e, "connmark", 1, sizeof *c);
		if (!c)
			return false;
		*c = (struct xt_connmark_mtinfo1){.mark = CORRAL_DNS_MARK,
						  .mask = 0xffffffff};
		struct xt_conntrack_mtinfo3 *s =
		    match(e, "conntrack", 3, sizeof *s);
		if (!s)
			return false;
		/* The flag without its invert bit: ORIGINAL. */
		s->match_flags = XT_CONNTRACK_DIRECTION;
	}
	if (r->mark) {
		struct xt_mark_mtinfo1 *m = match(e, "mark", 1, sizeof *m);
		if (!m)
			return false;
		*m = (struct xt_mark_mtinfo1){.mark = CORRAL_DNS_MARK,
					      .mask = 0xffffffff,
					      .invert = r->mark < 0};
	}
	if (r->established) {
		struct xt_conntrack_mtinfo3 *s =
		    match(e, "conntrack", 3, sizeof *s);
		if (!s)
			return false;
		s->match_flags = XT_CONNTRACK_STATE;
		s->state_mask = XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) |
				XT_CONNTRACK_STATE_BIT(IP_CT_RELATED);
	}
	if (r->dport_lo && r->proto == IPPROTO_TCP) {
		struct xt_tcp *t = match(e, "tcp", 0, sizeof *t);
		if (!t)
			return false;
		*t = (struct xt_tcp){.spts = {0, 0xffff},
				     .dpts = {r->dport_lo, r->dport_hi}};
	} else if (r->dport_lo && r->proto == IPPROTO_UDP) {
		struct xt_udp *u = match(e, "udp", 0, sizeof *u);
		if (!u)
			return false;
		*u = (struct xt_udp){.spts = {0, 0xffff},
				     .dpts = {r->dport_lo, r->dport_hi}};
	}
	if (r->icmp6_type >= 0) {
		struct ip6t_icmp *i = match(e, "icmp6", 0, sizeof *i);
		if (!i)
			return false;
		*i = (struct ip6t_icmp){.type = (uint8_t)r->icmp6_type,
					.code = {0, 0xff}};
	}
	if (r->set >= 0) {
		/* Revision 1: every kernel with ipset has it.  iptables-save
		 * prints only the newest it knows (4) and calls this one
		 * "[unsupported revision]"; corral show prints it. */
		struct xt_set_info_match_v1 *m = match(e, "set", 1, sizeof *m);
		if (!m)
			return false;
		m->match_set = (struct xt_set_info){
		    .index = (ip_set_id_t)r->set, .dim = 1};
	}
	if (r->not_cgroup) {
		/* Revision 2: the path in 512 bytes (revision 1 takes 4096,
		 * more than an entry here).  The kernel resolves it in the
		 * cgroup namespace of the process that loads the rule. */
		struct xt_cgroup_info_v2 *c = match(e, "cgroup", 2, sizeof *c);
		if (!c || strlen(r->not_cgroup) >= sizeof c->path)
			return false;
		c->has_path = 1;
		c->invert_path = 1;
		snprintf(c->path, sizeof c->path, "%s", r->not_cgroup);
	}
	if (r->comment) {
		struct xt_comment_info *c = match(e, "comment", 0, sizeof *c);
		if (!c)
			return false;
		snprintf(c->comment, sizeof c->comment, "%s", r->comment);
	}
	return true;
}

static bool verdict(struct ent *e, const struct ipt_rule *r)
{
	/* libiptc turns a standard target's name (ACCEPT, DROP, a chain)
	 * into the verdict; the int behind it is its to fill. */
	switch (r->verdict) {
	case IPT_ACCEPT:
		return target(e, "ACCEPT", 0, sizeof(int));
	case IPT_DROP:
		return target(e, "DROP", 0, sizeof(int));
	case IPT_RETURN_CALLER:
		return target(e, "RETURN", 0, sizeof(int));
	case IPT_SET_CONNMARK: {
		struct xt_connmark_tginfo1 *c =
		    target(e, "CONNMARK", 1, sizeof *c);
		if (c)
			*c = (struct xt_connmark_tginfo1){
			    .ctmark = CORRAL_DNS_MARK,
			    .ctmask = 0xffffffff,
			    .mode = XT_CONNMARK_SET};
		return c;
	}
	case IPT_JUMP_LEARNED:
		return target(e, ipt_chain_name[IPT_LEARNED], 0, sizeof(int));
	case IPT_REJECT_ADMIN:
	case IPT_REJECT_RESET: {
		bool rst = r->verdict == IPT_REJECT_RESET;
		if (r->v == 4) {
			struct ipt_reject_info *i =
			    target(e, "REJECT", 0, sizeof *i);
			if (i)
				i->with = rst ? IPT_TCP_RESET
					      : IPT_ICMP_ADMIN_PROHIBITED;
			return i;
		}
		struct ip6t_reject_info *i = target(e, "REJECT", 0, sizeof *i);
		if (i)
			i->with =
			    rst ? IP6T_TCP_RESET : IP6T_ICMP6_ADM_PROHIBITED;
		return i;
	}
	case IPT_REDIRECT_53:
		if (r->v == 4) {
			struct nf_nat_ipv4_multi_range_compat *m =
			    target(e, "REDIRECT", 0, sizeof *m);
			if (m) {
				m->rangesize = 1;
				m->range[0].flags =
				    NF_NAT_RANGE_PROTO_SPECIFIED;
				m->range[0].min.udp.port =
				    m->range[0].max.udp.port = htons(53);
			}
			return m;
		} else {
			struct nf_nat_range *m =
			    target(e, "REDIRECT", 0, sizeof *m);
			if (m) {
				m->flags = NF_NAT_RANGE_PROTO_SPECIFIED;
				m->min_proto.udp.port = m->max_proto.udp.port =
				    htons(53);
			}
			return m;
		}
	}
	return false;
}

int ipt_rule_put(struct ipt_blob *b, const struct ipt_rule *r)
{
	static struct ent e;
	memset(&e, 0, sizeof e);
	header(&e, r);
	size_t toff;
	if (!matches(&e, r))
		return errno = EINVAL, -1;
	toff = e.off;
	if (!verdict(&e, r))
		return errno = EINVAL, -1;
	if (r->v == 4) {
		struct ipt_entry *h = (struct ipt_entry *)e.buf;
		h->target_offset = (uint16_t)toff;
		h->next_offset = (uint16_t)e.off;
	} else {
		struct ip6t_entry *h = (struct ip6t_entry *)e.buf;
		h->target_offset = (uint16_t)toff;
		h->next_offset = (uint16_t)e.off;
	}
	return ipt_blob_append(b, e.buf, e.off);
}

/* Each rule for tcp and udp alike (the nftables backend's
 * `meta l4proto { tcp, udp }`). */
static int put_l4(struct ipt_blob *b, struct ipt_rule r)
{
	r.proto = IPPROTO_TCP;
	if (ipt_rule_put(b, &r) < 0)
		return -1;
	r.proto = IPPROTO_UDP;
	return ipt_rule_put(b, &r);
}

static void host_mask(int v, uint8_t *mask, unsigned plen)
{
	memset(mask, 0, 16);
	for (unsigned i = 0; i < plen && i < (v == 4 ? 32u : 128u); i++)
		mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

/* lo..hi (inclusive) as the fewest networks, each put with fill. */
typedef int (*net_fn)(struct ipt_blob *b, struct ipt_rule r, void *arg);

static int each_net(struct ipt_blob *b, struct ipt_rule r, const uint8_t *lo_in,
		    const uint8_t *hi, net_fn fn, void *arg)
{
	size_t alen = r.v == 4 ? 4 : 16;
	unsigned bits = (unsigned)alen * 8;
	uint8_t lo[16];
	memcpy(lo, lo_in, 16);
	for (;;) {
		/* The shortest prefix at lo that stays within hi. */
		unsigned plen = 0;
		for (; plen < bits; plen++) {
			uint8_t top[16];
			bool aligned = true;
			memcpy(top, lo, alen);
			for (unsigned i = plen; i < bits; i++) {
				uint8_t bit = (uint8_t)(0x80 >> (i % 8));
				aligned &= !(lo[i / 8] & bit);
				top[i / 8] |= bit;
			}
			if (aligned && memcmp(top, hi, alen) <= 0)
				break;
		}
		memcpy(r.dst, lo, 16);
		host_mask(r.v, r.mask, plen);
		if (fn(b, r, arg) < 0)
			return -1;
		/* lo = top + 1, stop after hi. */
		for (unsigned i = plen; i < bits; i++)
			lo[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		if (memcmp(lo, hi, alen) >= 0 || !nft_addr_inc(lo, alen))
			return 0;
	}
}

static int net_plain(struct ipt_blob *b, struct ipt_rule r, void *arg)
{
	(void)arg;
	return ipt_rule_put(b, &r);
}

static int net_ports(struct ipt_blob *b, struct ipt_rule r, void *arg)
{
	(void)arg;
	return put_l4(b, r);
}

static const uint8_t icmpv6_out[] = {133, 135, 136, 143};
static const uint8_t icmpv6_in[] = {133, 134, 135, 136};

static int icmp6(struct ipt_blob *b, const uint8_t *types, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ipt_rule r = {.v = 6,
				     .proto = IPPROTO_ICMPV6,
				     .icmp6_type = types[i],
				     .set = -1,
				     .verdict = IPT_ACCEPT};
		if (ipt_rule_put(b, &r) < 0)
			return -1;
	}
	return 0;
}

static struct ipt_rule base(int v, enum ipt_verdict vd)
{
	return (struct ipt_rule){
	    .v = v, .icmp6_type = -1, .set = -1, .verdict = vd};
}

static void host(struct ipt_rule *r, const uint8_t *a)
{
	memcpy(r->dst, a, r->v == 4 ? 4 : 16);
	host_mask(r->v, r->mask, r->v == 4 ? 32 : 128);
}

/* -p tcp|udp --dport 53 -m mark ! --mark M -m cgroup ! --path P -j V:
 * the host's DNS (dns_scope.h). */
static int host_dns(struct ipt_blob *b, int v, const char *cgroup,
		    enum ipt_verdict vd)
{
	struct ipt_rule r = base(v, vd);
	r.mark = -1;
	r.dport_lo = r.dport_hi = 53;
	r.not_cgroup = cgroup;
	return cgroup ? put_l4(b, r) : 0;
}

static int output_chain(const struct nft_norm *n, int vi, const char *cgroup,
			struct ipt_blob *b)
{
	int v = vi == NFT_V4 ? 4 : 6;
	for (size_t i = 0; i < n->n_guard; i++) {
		const struct nft_guard *g = &n->guard[i];
		if (g->v != vi)
			continue;
		struct ipt_rule r = base(v, IPT_REJECT_ADMIN);
		r.mark = -1;
		host(&r, g->addr);
		r.dport_lo = r.dport_hi = g->port;
		if (g->port ? put_l4(b, r) < 0 : ipt_rule_put(b, &r) < 0)
			return -1;
	}
	struct ipt_rule fwd = base(v, IPT_ACCEPT);
	uint8_t local[16] = {0};
	local[v == 4 ? 0 : 15] = v == 4 ? 127 : 1;
	local[3] |= v == 4 ? 1 : 0;
	host(&fwd, local);
	fwd.dport_lo = fwd.dport_hi = 53;
	struct ipt_rule lo = base(v, IPT_ACCEPT), est = base(v, IPT_ACCEPT);
	lo.oif = "lo";
	est.established = true;
	/* As nft_rules.c: corral's flows carry its conntrack mark, and no
	 * other socket may ride on one (dns_port.h). */
	struct ipt_rule ctmark = base(v, IPT_SET_CONNMARK),
			ride = base(v, IPT_REJECT_ADMIN);
	ctmark.mark = 1;
	ride.mark = -1;
	ride.corral_flow = true;
	if (put_l4(b, fwd) < 0 || ipt_rule_put(b, &ctmark) < 0 ||
	    ipt_rule_put(b, &ride) < 0 || ipt_rule_put(b, &lo) < 0 ||
	    ipt_rule_put(b, &est) < 0 ||
	    (v == 6 && icmp6(b, icmpv6_out, sizeof icmpv6_out) < 0))
		return -1;
	for (size_t i = 0; i < n->n_dns[vi]; i++) {
		struct ipt_rule r = base(v, IPT_ACCEPT);
		r.mark = 1;
		host(&r, n->dns[vi][i].lo);
		r.dport_lo = r.dport_hi = n->dns[vi][i].plo;
		if (put_l4(b, r) < 0)
			return -1;
	}
	if (host_dns(b, v, cgroup, IPT_ACCEPT) < 0)
		return -1;
	for (size_t i = 0; i < n->n_net[vi]; i++)
		if (each_net(b, base(v, IPT_ACCEPT), n->net[vi][i].lo,
			     n->net[vi][i].hi, net_plain, NULL) < 0)
			return -1;
	for (size_t i = 0; i < n->n_port[vi]; i++) {
		const struct nft_pelem *pe = &n->port[vi][i];
		struct ipt_rule r = base(v, IPT_ACCEPT);
		r.dport_lo = pe->plo;
		r.dport_hi = pe->phi;
		if (each_net(b, r, pe->lo, pe->hi, net_ports, NULL) < 0)
			return -1;
	}
	struct ipt_rule learned = base(v, IPT_JUMP_LEARNED),
			rst = base(v, IPT_REJECT_RESET);
	struct ipt_rule rej = base(v, IPT_REJECT_ADMIN);
	rst.proto = IPPROTO_TCP;
	return ipt_rule_put(b, &learned) < 0 || ipt_rule_put(b, &rst) < 0 ||
		       ipt_rule_put(b, &rej) < 0
		   ? -1
		   : 0;
}

static int other_chains(int v, const char *cgroup, struct ipt_blob *c)
{
	struct ipt_rule lo = base(v, IPT_ACCEPT), est = base(v, IPT_ACCEPT);
	struct ipt_rule drop = base(v, IPT_DROP),
			redir = base(v, IPT_REDIRECT_53);
	lo.iif = "lo";
	est.established = true;
	redir.mark = -1;
	redir.dport_lo = redir.dport_hi = 53;
	if (ipt_rule_put(&c[IPT_INPUT], &lo) < 0 ||
	    ipt_rule_put(&c[IPT_INPUT], &est) < 0 ||
	    (v == 6 && icmp6(&c[IPT_INPUT], icmpv6_in, sizeof icmpv6_in) < 0) ||
	    ipt_rule_put(&c[IPT_INPUT], &drop) < 0 ||
	    ipt_rule_put(&c[IPT_FORWARD], &drop) < 0)
		return -1;
	if (host_dns(&c[IPT_DNS], v, cgroup, IPT_RETURN_CALLER) < 0)
		return -1;
	return put_l4(&c[IPT_DNS], redir);
}

int ipt_build_static(const struct policy *p, const char *dns_cgroup,
		     struct ipt_blob chains[2][IPT_NCHAINS])
{
	struct nft_norm n;
	if (nft_normalise(p, NULL, 0, &n) < 0)
		return -1;
	int rc = 0;
	for (int vi = NFT_V4; vi <= NFT_V6 && rc == 0; vi++)
		if (output_chain(&n, vi, dns_cgroup, &chains[vi][IPT_OUTPUT]) <
			0 ||
		    other_chains(vi == NFT_V4 ? 4 : 6, dns_cgroup, chains[vi]) <
			0)
			rc = -1;
	nft_norm_free(&n);
	return rc;
}

int ipt_build_learned(const struct policy *p, const struct ipaddr *a,
		      uint16_t spec, uint64_t until, struct ipt_blob *b)
{
	struct nft_prange r[PORTSPEC_MAX_RANGES];
	size_t nr = 0;
	if (spec && nft_spec_ports(p, spec, r, &nr) < 0)
		return -1;
	char comment[64];
	snprintf(comment, sizeof comment, LEARNED_TAG "%" PRIu64, until);
	struct ipt_rule rule = base(a->family == AF_INET ? 4 : 6, IPT_ACCEPT);
	rule.comment = comment;
	host(&rule, a->b);
	if (nr == 0)
		return ipt_rule_put(b, &rule);
	for (size_t i = 0; i < nr; i++) {
		rule.dport_lo = r[i].lo;
		rule.dport_hi = r[i].hi;
		if (put_l4(b, rule) < 0)
			return -1;
	}
	return 0;
}

uint64_t ipt_entry_until(int v, const unsigned char *e, size_t len)
{
	size_t hdr =
	    v == 4 ? sizeof(struct ipt_entry) : sizeof(struct ip6t_entry);
	if (len < hdr)
		return 0;
	size_t toff = v == 4 ? ((const struct ipt_entry *)e)->target_offset
			     : ((const struct ip6t_entry *)e)->target_offset;
	for (size_t off = hdr;
	     off + sizeof(struct xt_entry_match) <= toff && toff <= len;) {
		const struct xt_entry_match *m =
		    (const struct xt_entry_match *)(e + off);
		size_t size = m->u.user.match_size;
		if (size < sizeof *m || off + size > toff)
			return 0;
		if (strcmp(m->u.user.name, "comment") == 0 &&
		    size >= sizeof *m + sizeof(struct xt_comment_info)) {
			const struct xt_comment_info *c = (const void *)m->data;
			char text[XT_MAX_COMMENT_LEN + 1] = {0};
			memcpy(text, c->comment, XT_MAX_COMMENT_LEN);
			if (strncmp(text, LEARNED_TAG, strlen(LEARNED_TAG)) ==
			    0)
				return strtoull(text + strlen(LEARNED_TAG),
						NULL, 10);
		}
		off += size;
	}
	return 0;
}

size_t ipt_entry_len(int v, const unsigned char *e, size_t avail)
{
	size_t hdr =
	    v == 4 ? sizeof(struct ipt_entry) : sizeof(struct ip6t_entry);
	if (avail < hdr)
		return 0;
	size_t len = v == 4 ? ((const struct ipt_entry *)e)->next_offset
			    : ((const struct ip6t_entry *)e)->next_offset;
	return len >= hdr && len <= avail ? len : 0;
}

int ipt_build_learned_sets(const struct policy *p,
			   struct ipt_blob chains[2][IPT_NCHAINS], char *err,
			   size_t errlen)
{
	err[0] = 0;
	struct nft_norm n;
	if (nft_normalise(p, NULL, 0, &n) < 0) {
		snprintf(err, errlen,
			 "building the iptables rules: out of memory");
		return -1;
	}
	int rc = 0;
	for (int vi = 0; vi < 2 && rc == 0; vi++) {
		int v = vi == NFT_V4 ? 4 : 6;
		for (size_t i = 0; i <= n.n_dset && rc == 0; i++) {
			uint16_t spec = i ? n.dset[i - 1].spec : 0, index;
			if (ipt_ipset_prepare(v, spec, &index, err, errlen) <
			    0) {
				rc = -1;
				break;
			}
			struct ipt_rule r = base(v, IPT_ACCEPT);
			r.set = index;
			if (!i) {
				rc = ipt_rule_put(&chains[vi][IPT_LEARNED], &r);
				continue;
			}
			for (size_t k = 0; k < n.dset[i - 1].n && rc == 0;
			     k++) {
				r.dport_lo = n.dset[i - 1].r[k].lo;
				r.dport_hi = n.dset[i - 1].r[k].hi;
				rc = put_l4(&chains[vi][IPT_LEARNED], r);
			}
		}
	}
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "building the iptables rules: %s",
			 strerror(errno));
	nft_norm_free(&n);
	return rc;
}
