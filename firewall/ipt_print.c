/* corral show for the iptables backend: an entry read back from the
 * kernel, in the words of iptables-save. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_cgroup.h>
#include <linux/netfilter/xt_comment.h>
#include <linux/netfilter/xt_connmark.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_mark.h>
#include <linux/netfilter/xt_set.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "ipt.h"

struct out {
	char *buf;
	size_t len, off;
};

__attribute__((format(printf, 2, 3))) static void say(struct out *o,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->off,
			  o->off < o->len ? o->len - o->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

static unsigned prefix_len(const uint8_t *m, size_t alen)
{
	unsigned n = 0;
	for (size_t i = 0; i < alen; i++)
		n += (unsigned)__builtin_popcount(m[i]);
	return n;
}

static void addr(struct out *o, int v, const void *a, const void *m)
{
	size_t alen = v == 4 ? 4 : 16;
	unsigned plen = prefix_len(m, alen);
	if (plen == 0)
		return;
	char s[INET6_ADDRSTRLEN];
	inet_ntop(v == 4 ? AF_INET : AF_INET6, a, s, sizeof s);
	if (plen == alen * 8)
		say(o, "-d %s ", s);
	else
		say(o, "-d %s/%u ", s, plen);
}

static void ports(struct out *o, const uint16_t *p)
{
	if (p[0] == p[1])
		say(o, "--dport %u ", p[0]);
	else
		say(o, "--dport %u:%u ", p[0], p[1]);
}

static void one_match(struct out *o, const struct xt_entry_match *m,
		      size_t size)
{
	const char *name = m->u.user.name;
	size_t dlen = size - sizeof *m;
	if (strcmp(name, "mark") == 0 &&
	    dlen >= sizeof(struct xt_mark_mtinfo1)) {
		const struct xt_mark_mtinfo1 *x = (const void *)m->data;
		say(o, "-m mark %s--mark 0x%x ", x->invert ? "! " : "",
		    x->mark);
	} else if (strcmp(name, "tcp") == 0 && dlen >= sizeof(struct xt_tcp)) {
		ports(o, ((const struct xt_tcp *)(const void *)m->data)->dpts);
	} else if (strcmp(name, "udp") == 0 && dlen >= sizeof(struct xt_udp)) {
		ports(o, ((const struct xt_udp *)(const void *)m->data)->dpts);
	} else if (strcmp(name, "conntrack") == 0 &&
		   dlen >= sizeof(struct xt_conntrack_mtinfo3)) {
		const struct xt_conntrack_mtinfo3 *c = (const void *)m->data;
		if (c->match_flags & XT_CONNTRACK_STATE)
			say(o, "-m conntrack --ctstate RELATED,ESTABLISHED ");
		else if (c->match_flags & XT_CONNTRACK_DIRECTION)
			say(o, "-m conntrack --ctdir %s ",
			    c->invert_flags & XT_CONNTRACK_DIRECTION
				? "REPLY"
				: "ORIGINAL");
	} else if (strcmp(name, "connmark") == 0 &&
		   dlen >= sizeof(struct xt_connmark_mtinfo1)) {
		const struct xt_connmark_mtinfo1 *c = (const void *)m->data;
		say(o, "-m connmark %s--mark 0x%x ", c->invert ? "! " : "",
		    c->mark);
	} else if (strcmp(name, "icmp6") == 0 &&
		   dlen >= sizeof(struct ip6t_icmp)) {
		say(o, "--icmpv6-type %u ",
		    ((const struct ip6t_icmp *)(const void *)m->data)->type);
	} else if (strcmp(name, "set") == 0) {
		say(o, "-m set --match-set #%u dst ",
		    ((const struct xt_set_info *)(const void *)m->data)->index);
	} else if (strcmp(name, "cgroup") == 0 &&
		   dlen >= offsetof(struct xt_cgroup_info_v2, priv)) {
		const struct xt_cgroup_info_v2 *c = (const void *)m->data;
		say(o, "-m cgroup %s--path \"%.*s\" ",
		    c->invert_path ? "! " : "", (int)sizeof c->path, c->path);
	} else if (strcmp(name, "comment") != 0) {
		say(o, "-m %.*s ", (int)sizeof m->u.user.name, name);
	}
}

void ipt_entry_describe(int v, const unsigned char *e, size_t len, char *buf,
			size_t buflen)
{
	struct out o = {buf, buflen, 0};
	buf[0] = 0;
	size_t hdr, toff;
	uint16_t proto;
	const char *in, *outif;
	if (v == 4) {
		const struct ipt_entry *h = (const void *)e;
		addr(&o, 4, &h->ip.dst, &h->ip.dmsk);
		hdr = sizeof *h;
		toff = h->target_offset;
		proto = h->ip.proto;
		in = h->ip.iniface;
		outif = h->ip.outiface;
	} else {
		const struct ip6t_entry *h = (const void *)e;
		addr(&o, 6, &h->ipv6.dst, &h->ipv6.dmsk);
		hdr = sizeof *h;
		toff = h->target_offset;
		proto = h->ipv6.proto;
		in = h->ipv6.iniface;
		outif = h->ipv6.outiface;
	}
	if (in[0])
		say(&o, "-i %.*s ", IFNAMSIZ, in);
	if (outif[0])
		say(&o, "-o %.*s ", IFNAMSIZ, outif);
	if (proto)
		say(&o, "-p %s ",
		    proto == IPPROTO_TCP   ? "tcp"
		    : proto == IPPROTO_UDP ? "udp"
					   : "icmpv6");
	if (toff > len)
		toff = len;
	for (size_t off = hdr; off + sizeof(struct xt_entry_match) <= toff;) {
		const struct xt_entry_match *m = (const void *)(e + off);
		size_t size = m->u.user.match_size;
		if (size < sizeof *m || off + size > toff)
			break;
		one_match(&o, m, size);
		off += size;
	}
	if (toff + sizeof(struct xt_entry_target) <= len) {
		const struct xt_entry_target *t = (const void *)(e + toff);
		say(&o, "-j %.*s", (int)sizeof t->u.user.name, t->u.user.name);
		if (strcmp(t->u.user.name, "REJECT") == 0 &&
		    toff + sizeof *t + 4 <= len) {
			uint32_t with;
			memcpy(&with, t->data, sizeof with);
			bool rst = v == 4 ? with == IPT_TCP_RESET
					  : with == IP6T_TCP_RESET;
			say(&o, " --reject-with %s",
			    rst ? "tcp-reset" : "admin-prohibited");
		} else if (strcmp(t->u.user.name, "REDIRECT") == 0) {
			say(&o, " --to-ports 53");
		} else if (strcmp(t->u.user.name, "CONNMARK") == 0 &&
			   toff + sizeof *t +
				   sizeof(struct xt_connmark_tginfo1) <=
			       len) {
			struct xt_connmark_tginfo1 c;
			memcpy(&c, t->data, sizeof c);
			say(&o, " --set-xmark 0x%x/0x%x", c.ctmark, c.ctmask);
		}
	}
}
