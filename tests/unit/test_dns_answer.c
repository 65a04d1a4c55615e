/* What the forwarder takes from an upstream answer and what the client then
 * sees: the CNAME chain from the asked name, its addresses with the
 * smallest TTL along the way, rebinding addresses removed (unless an
 * `allow` network covers them), and the rebuilt reply. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "../../common/policy.h"
#include "../../firewall/dns_answer.h"
#include "../../firewall/dns_msg.h"
#include "tap.h"

/* ---- a small message builder ---- */

struct msg {
	uint8_t b[65536];
	size_t n;
	unsigned an, ns, ar;
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A name in wire form; "@" is a pointer to the question. */
static void m_name(struct msg *m, const char *name)
{
	if (strcmp(name, "@") == 0) {
		put16(m->b + m->n, 0xc00c);
		m->n += 2;
		return;
	}
	const char *p = name;
	while (*p) {
		size_t l = strcspn(p, ".");
		m->b[m->n++] = (uint8_t)l;
		memcpy(m->b + m->n, p, l);
		m->n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	m->b[m->n++] = 0;
}

static void m_init(struct msg *m, uint16_t flags, const char *qname,
		   uint16_t qtype)
{
	memset(m, 0, sizeof *m);
	put16(m->b, 0x4242);
	put16(m->b + 2, flags);
	m->n = 12;
	m_name(m, qname);
	put16(m->b + m->n, qtype);
	put16(m->b + m->n + 2, DNS_CLASS_IN);
	m->n += 4;
}

enum { AN, NS, AR };

static void m_rr(struct msg *m, int sec, const char *owner, uint16_t type,
		 uint16_t cls, uint32_t ttl, const void *rdata, size_t len)
{
	m_name(m, owner);
	put16(m->b + m->n, type);
	put16(m->b + m->n + 2, cls);
	put16(m->b + m->n + 4, ttl >> 16);
	put16(m->b + m->n + 6, ttl & 0xffff);
	put16(m->b + m->n + 8, (unsigned)len);
	memcpy(m->b + m->n + 10, rdata, len);
	m->n += 10 + len;
	if (sec == AN)
		m->an++;
	else if (sec == NS)
		m->ns++;
	else
		m->ar++;
}

static void m_addr(struct msg *m, int sec, const char *owner, const char *a,
		   uint32_t ttl)
{
	uint8_t b[16];
	bool v6 = strchr(a, ':') != NULL;
	inet_pton(v6 ? AF_INET6 : AF_INET, a, b);
	m_rr(m, sec, owner, v6 ? DNS_T_AAAA : DNS_T_A, DNS_CLASS_IN, ttl, b,
	     v6 ? 16 : 4);
}

static void m_cname(struct msg *m, const char *owner, const char *target,
		    uint32_t ttl)
{
	struct msg t;
	t.n = 0;
	m_name(&t, target);
	m_rr(m, AN, owner, DNS_T_CNAME, DNS_CLASS_IN, ttl, t.b, t.n);
}

static void m_opt(struct msg *m, uint16_t udp, const void *opts, size_t len)
{
	m->b[m->n++] = 0;
	put16(m->b + m->n, DNS_T_OPT);
	put16(m->b + m->n + 2, udp);
	put16(m->b + m->n + 4, 0);
	put16(m->b + m->n + 6, 0x8000); /* DO */
	put16(m->b + m->n + 8, (unsigned)len);
	memcpy(m->b + m->n + 10, opts, len);
	m->n += 10 + len;
	m->ar++;
}

static void m_done(struct msg *m)
{
	put16(m->b + 4, 1);
	put16(m->b + 6, m->an);
	put16(m->b + 8, m->ns);
	put16(m->b + 10, m->ar);
}

#define REPLY (DNS_F_QR | DNS_F_RD | DNS_F_RA)

/* ---- helpers over results ---- */

static struct dns_answer ans;
static struct dns_msg pm;

static int collect(struct msg *m, const struct policy *p)
{
	m_done(m);
	int r = dns_parse(&pm, m->b, m->n);
	if (r < 0) {
		printf("# test message does not parse: %s\n", dns_strerror(r));
		return r;
	}
	return dns_answer_collect(&ans, &pm, pm.qname, p);
}

static const char *addr_str(const struct ipaddr *a)
{
	static char buf[4][INET6_ADDRSTRLEN];
	static int k;
	k = (k + 1) % 4;
	inet_ntop(a->family, a->b, buf[k], sizeof buf[k]);
	return buf[k];
}

/* "192.0.2.1/300 2001:db8::1/60" */
static const char *addrs_str(const struct dns_answer *a)
{
	static char buf[4096];
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n_addrs && off < sizeof buf; i++)
		off += (size_t)snprintf(
		    buf + off, sizeof buf - off, "%s%s/%u", i ? " " : "",
		    addr_str(&a->addrs[i].addr), a->addrs[i].ttl);
	return buf;
}

static const char *dropped_str(const struct dns_answer *a)
{
	static char buf[4096];
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < a->n_dropped && off < sizeof buf; i++)
		off += (size_t)snprintf(
		    buf + off, sizeof buf - off, "%s%s:%s", i ? " " : "",
		    addr_str(&a->dropped[i].addr), a->dropped[i].range);
	return buf;
}

/* The answer section of a message as "owner TYPE ttl data" lines. */
static const char *answer_str(const uint8_t *b, size_t n)
{
	static char buf[8192];
	struct dns_msg m;
	struct dns_rr_iter it;
	struct dns_rr rr;
	size_t off = 0;
	buf[0] = '\0';
	if (dns_parse(&m, b, n) < 0)
		return "(does not parse)";
	dns_answers(&m, &it);
	while (dns_rr_next(&it, &rr) > 0 && off < sizeof buf) {
		char data[DNS_NAME_BUF + 64];
		if (rr.type == DNS_T_A || rr.type == DNS_T_AAAA)
			inet_ntop(rr.type == DNS_T_A ? AF_INET : AF_INET6,
				  rr.addr, data, sizeof data);
		else if (rr.type == DNS_T_CNAME)
			snprintf(data, sizeof data, "%s", rr.target);
		else
			snprintf(data, sizeof data, "type%u", rr.type);
		off +=
		    (size_t)snprintf(buf + off, sizeof buf - off,
				     "%s%s %s %u %s", off ? "; " : "", rr.name,
				     rr.type == DNS_T_A	      ? "A"
				     : rr.type == DNS_T_AAAA  ? "AAAA"
				     : rr.type == DNS_T_CNAME ? "CNAME"
							      : "?",
				     rr.ttl, data);
	}
	return buf;
}

static uint8_t out[65536];

static int rebuild(void)
{
	return dns_answer_rebuild(out, sizeof out, &pm, &ans);
}

static int parse(struct policy *p, const char *text)
{
	char err[256];
	memset(p, 0, sizeof *p);
	struct portspec all = {0};
	policy_intern_portspec(p, &all);
	int r = policy_parse_text(p, "test.conf", text, err, sizeof err);
	if (r < 0)
		printf("# policy: %s\n", err);
	return r;
}

/* ---- tests ---- */

static void test_plain(void)
{
	struct msg *m = malloc(sizeof *m);
	m_init(m, REPLY, "api.test", DNS_T_A);
	m_addr(m, AN, "@", "192.0.2.1", 300);
	m_addr(m, AN, "api.test", "192.0.2.2", 200);
	m_addr(m, AN, "@", "2001:db8::1", 60);
	is_int(collect(m, NULL), 0, "a plain answer collects");
	is_str(addrs_str(&ans), "192.0.2.1/300 192.0.2.2/200 2001:db8::1/60",
	       "every A and AAAA of the asked name, with its TTL");
	ok(!ans.rebuild, "nothing to remove: the reply goes out as it came");
	is_int(ans.n_chain, 1, "no CNAME: a chain of one name");

	m_init(m, REPLY, "api.test", DNS_T_A);
	m_addr(m, AN, "@", "192.0.2.1", 300);
	m_addr(m, AN, "@", "192.0.2.1", 30);
	collect(m, NULL);
	is_str(addrs_str(&ans), "192.0.2.1/30",
	       "an address given twice is one address with the smaller TTL");

	m_init(m, REPLY, "api.test", DNS_T_A);
	m_rr(m, AN, "@", DNS_T_A, 3 /* CH */, 300, "\xc0\x00\x02\x05", 4);
	m_addr(m, AN, "API.Test", "192.0.2.6", 300);
	collect(m, NULL);
	is_str(addrs_str(&ans), "192.0.2.6/300",
	       "class CH ignored; the owner's case does not matter");

	m_init(m, REPLY, "api.test", DNS_T_A);
	m_addr(m, AN, "@", "192.0.2.1", 0x80000001u);
	collect(m, NULL);
	is_str(addrs_str(&ans), "192.0.2.1/0",
	       "a TTL with the top bit set is 0");
	free(m);
}

static void test_chain(void)
{
	struct msg *m = malloc(sizeof *m);
	m_init(m, REPLY, "www.test", DNS_T_A);
	m_cname(m, "@", "cdn.elsewhere.test", 100);
	m_addr(m, AN, "other.test", "192.0.2.99", 300);
	m_cname(m, "cdn.elsewhere.test", "edge.cdn.test", 50);
	m_addr(m, AN, "edge.cdn.test", "198.51.100.7", 300);
	m_addr(m, AN, "edge.cdn.test", "198.51.100.8", 20);
	is_int(collect(m, NULL), 0, "a CNAME chain collects");
	is_str(addrs_str(&ans), "198.51.100.7/50 198.51.100.8/20",
	       "the chain's addresses, each with the smallest TTL on its way");
	is_int(ans.n_chain, 3, "three names in the chain");
	is_str(ans.chain[2], "edge.cdn.test", "the chain ends at the edge");
	is_int(ans.n_offchain, 1, "the record of another owner is counted");
	ok(ans.rebuild, "... and forces a rebuild");
	int n = rebuild();
	ok(n > 0, "rebuilt: %s", n < 0 ? dns_strerror(n) : "ok");
	is_str(answer_str(out, (size_t)n),
	       "www.test CNAME 100 cdn.elsewhere.test; "
	       "cdn.elsewhere.test CNAME 50 edge.cdn.test; "
	       "edge.cdn.test A 300 198.51.100.7; edge.cdn.test A 20 "
	       "198.51.100.8",
	       "the rebuilt answer is the chain without the stranger");

	/* A chain given backwards still chains. */
	m_init(m, REPLY, "www.test", DNS_T_AAAA);
	m_addr(m, AN, "b.test", "2001:db8::b", 300);
	m_cname(m, "a.test", "b.test", 300);
	m_cname(m, "@", "a.test", 300);
	collect(m, NULL);
	is_str(addrs_str(&ans), "2001:db8::b/300", "records in any order");
	ok(!ans.rebuild, "nothing off the chain");

	/* Two CNAMEs for one owner: the first is followed. */
	m_init(m, REPLY, "www.test", DNS_T_A);
	m_cname(m, "@", "one.test", 300);
	m_cname(m, "@", "two.test", 300);
	m_addr(m, AN, "one.test", "192.0.2.1", 300);
	m_addr(m, AN, "two.test", "192.0.2.2", 300);
	collect(m, NULL);
	is_str(addrs_str(&ans), "192.0.2.1/300",
	       "first CNAME of an owner wins");
	ok(ans.rebuild, "the other branch's address is removed");
	n = rebuild();
	is_str(answer_str(out, (size_t)n),
	       "www.test CNAME 300 one.test; one.test A 300 192.0.2.1",
	       "the rebuilt reply keeps one CNAME per name");

	/* A loop: a -> b -> a. */
	m_init(m, REPLY, "a.test", DNS_T_A);
	m_cname(m, "@", "b.test", 300);
	m_cname(m, "b.test", "a.test", 300);
	m_addr(m, AN, "b.test", "192.0.2.3", 300);
	is_int(collect(m, NULL), 0, "a CNAME loop does not hang");
	ok(ans.loop, "the loop is noticed");
	is_int(ans.n_chain, 2, "each name once");
	is_str(addrs_str(&ans), "192.0.2.3/300", "addresses on the loop kept");
	n = rebuild();
	ok(n > 0, "a loop rebuilds");

	/* Nine CNAMEs: the ninth is not followed. */
	m_init(m, REPLY, "n0.test", DNS_T_A);
	char from[32], to[32];
	for (int i = 0; i < 9; i++) {
		snprintf(from, sizeof from, "n%d.test", i);
		snprintf(to, sizeof to, "n%d.test", i + 1);
		m_cname(m, i ? from : "@", to, 300);
	}
	m_addr(m, AN, "n8.test", "192.0.2.8", 300);
	m_addr(m, AN, "n9.test", "192.0.2.9", 300);
	collect(m, NULL);
	ok(ans.long_chain, "a chain of 9 CNAMEs is too long");
	is_int(ans.n_chain, 9, "8 CNAMEs followed: 9 names");
	is_str(addrs_str(&ans), "192.0.2.8/300",
	       "the 8th hop's address kept, the 9th's not");
	ok(ans.rebuild, "the 9th hop's address is removed from the reply");
	n = rebuild();
	struct dns_msg r;
	ok(n > 0 && dns_parse(&r, out, (size_t)n) == 0 && r.ancount == 10,
	   "rebuilt: 9 CNAMEs and one address");
	free(m);
}

static void test_rebinding(void)
{
	struct msg *m = malloc(sizeof *m);
	struct policy p;
	parse(&p, "allow evil.test 10.1.0.0/16\n");
	m_init(m, REPLY, "evil.test", DNS_T_A);
	m_addr(m, AN, "@", "127.0.0.1", 300);
	m_addr(m, AN, "@", "198.51.100.3", 300);
	m_addr(m, AN, "@", "10.0.0.1", 300);
	m_addr(m, AN, "@", "169.254.169.254", 300);
	m_addr(m, AN, "@", "fd00::1", 300);
	m_addr(m, AN, "@", "::ffff:127.0.0.1", 300);
	m_addr(m, AN, "@", "10.1.2.3", 300);
	m_addr(m, AN, "@", "127.0.0.1", 300);
	collect(m, &p);
	is_str(addrs_str(&ans), "198.51.100.3/300 10.1.2.3/300",
	       "public and explicitly allowed addresses kept");
	is_str(dropped_str(&ans),
	       "127.0.0.1:loopback 10.0.0.1:private "
	       "169.254.169.254:link-local fd00::1:ULA "
	       "::ffff:127.0.0.1:IPv4-mapped",
	       "rebinding addresses dropped, each once, with its range");
	is_int(ans.n_dropped, 5, "five distinct drops");
	ok(ans.rebuild, "the reply must be rebuilt");
	int n = rebuild();
	is_str(answer_str(out, (size_t)n),
	       "evil.test A 300 198.51.100.3; evil.test A 300 10.1.2.3",
	       "the client sees only what is opened");

	collect(m, NULL);
	is_str(addrs_str(&ans), "198.51.100.3/300",
	       "without the allow line 10.1.2.3 goes too");
	policy_free(&p);
	free(m);
}

static void test_rebuilt_reply(void)
{
	struct msg *m = malloc(sizeof *m);
	static const uint8_t cookie[] = {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
	m_init(m, REPLY | DNS_F_AD, "WwW.Example.TEST", DNS_T_A);
	m_cname(m, "@", "edge.test", 100);
	m_addr(m, AN, "edge.test", "192.0.2.1", 300);
	m_addr(m, AN, "edge.test", "127.0.0.1", 300);
	m_addr(m, AN, "edge.test", "2001:db8::1", 40);
	m_rr(m, NS, "test", DNS_T_NS, DNS_CLASS_IN, 300, "\x02ns\xc0\x18", 5);
	m_addr(m, AR, "ns.test", "192.0.2.53", 300);
	m_opt(m, 4096, cookie, sizeof cookie);
	collect(m, NULL);
	is_int(ans.n_offchain, 1, "the glue address in additional counts");
	ok(ans.have_opt, "the OPT record is found");
	int n = rebuild();
	ok(n > 0, "rebuilt");
	struct dns_msg r;
	is_int(dns_parse(&r, out, (size_t)n), 0, "the rebuilt reply parses");
	is_int(r.id, 0x4242, "ID kept");
	ok(r.qr && r.rcode == DNS_R_NOERROR && !(r.flags & DNS_F_AD) && !r.tc &&
	       (r.flags & DNS_F_RA),
	   "flags kept but AD and TC");
	is_int(r.ancount, 3, "exactly the remaining answer records");
	is_int(r.nscount, 0, "authority dropped");
	is_int(r.arcount, 1, "additional: the OPT record only");
	ok(r.edns && r.edns_udp_size == 4096, "EDNS kept with its size");
	ok(memcmp(out + 12,
		  "\x03WwW\x07"
		  "Example\x04"
		  "TEST",
		  18) == 0,
	   "the question keeps its case");
	ok((size_t)n > sizeof cookie &&
	       memcmp(out + n - sizeof cookie, cookie, sizeof cookie) == 0,
	   "EDNS options copied");
	is_str(answer_str(out, (size_t)n),
	       "www.example.test CNAME 100 edge.test; edge.test A 300 "
	       "192.0.2.1; edge.test AAAA 40 2001:db8::1",
	       "records of the chain, TTLs as received");
	ok(out[12 + 18 + 4] == 0xc0 && out[12 + 18 + 5] == 12,
	   "the first owner points at the question");

	struct dns_answer again;
	is_int(dns_answer_collect(&again, &r, r.qname, NULL), 0,
	       "the rebuilt reply collects");
	ok(!again.rebuild && again.n_addrs == 2,
	   "... to the same two addresses, nothing to remove");
	is_int(dns_cap_ttls(out, (size_t)n, 0, 30), 3, "its TTLs cap");

	int bad = 0;
	for (size_t cap = 0; cap < (size_t)n; cap++)
		if (dns_answer_rebuild(out, cap, &pm, &ans) != DNS_E_SPACE)
			bad++;
	is_int(bad, 0, "every smaller buffer is DNS_E_SPACE");

	struct dns_answer wrong = ans;
	snprintf(wrong.chain[0], sizeof wrong.chain[0], "other.test");
	is_int(dns_answer_rebuild(out, sizeof out, &pm, &wrong), DNS_E_ARG,
	       "a chain that does not start at the question is refused");
	free(m);
}

static void test_many(void)
{
	struct msg *m = malloc(sizeof *m);
	m_init(m, REPLY, "many.test", DNS_T_A);
	for (int i = 0; i < 70; i++) {
		char a[32];
		snprintf(a, sizeof a, "198.51.100.%d", i + 1);
		m_addr(m, AN, "@", a, 300);
	}
	collect(m, NULL);
	is_int(ans.n_addrs, DNS_ANSWER_ADDRS_MAX, "at most 64 addresses kept");
	is_int(ans.n_over, 6, "the rest counted");
	ok(ans.rebuild, "and removed from the reply");
	int n = rebuild();
	struct dns_msg r;
	ok(n > 0 && dns_parse(&r, out, (size_t)n) == 0 &&
	       r.ancount == DNS_ANSWER_ADDRS_MAX,
	   "the rebuilt reply has 64 records");
	free(m);
}

static void test_no_answer(void)
{
	struct msg *m = malloc(sizeof *m);
	m_init(m, REPLY, "none.test", DNS_T_AAAA);
	m_rr(m, NS, "test", DNS_T_SOA, DNS_CLASS_IN, 300,
	     "\x00\x00\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1\0\0\0\1", 22);
	is_int(collect(m, NULL), 0, "NODATA collects");
	ok(ans.n_addrs == 0 && !ans.rebuild, "no address, nothing to remove");

	m_init(m, REPLY, "x.test", DNS_T_A);
	m_rr(m, AR, "y.test", DNS_T_A, DNS_CLASS_IN, 300, "\1\2\3\4\5", 5);
	is_int(collect(m, NULL), 0, "a 5-byte A in additional still parses");
	ok(ans.rebuild, "but it forces a rebuild");

	m_init(m, REPLY, "x.test", DNS_T_A);
	m->n = 12; /* no question */
	m_done(m);
	put16(m->b + 4, 0);
	dns_parse(&pm, m->b, m->n);
	is_int(dns_answer_collect(&ans, &pm, "", NULL), DNS_E_ARG,
	       "no question: DNS_E_ARG");
	free(m);
}

static void test_header_reply(void)
{
	uint8_t q[12] = {0xab, 0xcd, 0x01, 0x00, 0xff, 0xff};
	uint8_t o[12];
	is_int(dns_build_header_reply(o, sizeof o, q, sizeof q, DNS_R_FORMERR),
	       12, "a header-only FORMERR");
	struct dns_msg r;
	ok(dns_parse(&r, o, 12) == 0 && r.id == 0xabcd && r.qr &&
	       r.rcode == DNS_R_FORMERR && (r.flags & DNS_F_RD) &&
	       r.qdcount == 0,
	   "ID and RD kept, no question");
	q[2] = 0x80;
	is_int(dns_build_header_reply(o, sizeof o, q, sizeof q, 1), DNS_E_ARG,
	       "never answer a reply");
	q[2] = 0;
	is_int(dns_build_header_reply(o, sizeof o, q, 11, 1), DNS_E_ARG,
	       "nor a short message");
	is_int(dns_build_header_reply(o, 11, q, 12, 1), DNS_E_SPACE,
	       "small buffer");
}

int main(void)
{
	test_plain();
	test_chain();
	test_rebinding();
	test_rebuilt_reply();
	test_many();
	test_no_answer();
	test_header_reply();
	return tap_done();
}
