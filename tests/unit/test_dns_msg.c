/* DNS wire format: queries and replies round trip, real-world compression is
 * read, and every malformed message is rejected, each for the right reason,
 * from a buffer of exactly its length (so ASan sees any read past it). */
#include <stdint.h>
#include <stdlib.h>

#include "../../firewall/dns_msg.h"
#include "tap.h"

struct pkt {
	uint8_t b[2048];
	size_t n;
};

static void u8(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (uint8_t)v;
}

static void u16(struct pkt *p, unsigned v)
{
	u8(p, v >> 8);
	u8(p, v & 0xff);
}

static void u32(struct pkt *p, uint32_t v)
{
	u16(p, v >> 16);
	u16(p, v & 0xffff);
}

static void bytes(struct pkt *p, const void *d, size_t n)
{
	memcpy(p->b + p->n, d, n);
	p->n += n;
}

static void hdr(struct pkt *p, unsigned id, unsigned flags, unsigned qd,
		unsigned an, unsigned ns, unsigned ar)
{
	p->n = 0;
	u16(p, id);
	u16(p, flags);
	u16(p, qd);
	u16(p, an);
	u16(p, ns);
	u16(p, ar);
}

/* Writes the labels of a dotted name, without the final zero; returns where
 * they start. */
static size_t labels(struct pkt *p, const char *name)
{
	size_t at = p->n;
	while (*name) {
		size_t l = strcspn(name, ".");
		u8(p, (unsigned)l);
		bytes(p, name, l);
		name += l + (name[l] == '.');
	}
	return at;
}

static size_t name(struct pkt *p, const char *n)
{
	size_t at = labels(p, n);
	u8(p, 0);
	return at;
}

static void ptr(struct pkt *p, size_t off)
{
	u16(p, 0xc000 | (unsigned)off);
}

static void fixed(struct pkt *p, unsigned type, uint32_t ttl, unsigned rdlen)
{
	u16(p, type);
	u16(p, DNS_CLASS_IN);
	u32(p, ttl);
	u16(p, rdlen);
}

static void question(struct pkt *p, const char *n, unsigned type)
{
	name(p, n);
	u16(p, type);
	u16(p, DNS_CLASS_IN);
}

/* Parses from a copy of exactly n bytes, and checks dns_cap_ttls agrees and
 * leaves a message it rejects untouched. */
static int parse_exact(const uint8_t *b, size_t n)
{
	uint8_t *copy = malloc(n ? n : 1);
	memcpy(copy, b, n);
	struct dns_msg m;
	int r = dns_parse(&m, copy, n);
	int c = dns_cap_ttls(copy, n, 0, 1);
	if ((r < 0) != (c < 0) || (c < 0 && memcmp(copy, b, n) != 0))
		r = 1000;
	free(copy);
	return r;
}

#define rejects(p, want, ...)                                                  \
	do {                                                                   \
		int r_ = parse_exact((p)->b, (p)->n);                          \
		ok(r_ == (want), __VA_ARGS__);                                 \
		if (r_ != (want))                                              \
			printf("#   got %d (%s), want %d (%s)\n", r_,          \
			       dns_strerror(r_), want, dns_strerror(want));    \
	} while (0)

static void test_query(void)
{
	uint8_t b[DNS_QUERY_MAX];
	struct dns_msg m;
	int n = dns_build_query(b, sizeof b, 0xbeef, "Api.Example.TEST",
				DNS_T_A, true);
	is_int(n, 12 + 18 + 4 + 11, "query length with EDNS");
	is_int(dns_parse(&m, b, (size_t)n), 0, "own query parses");
	is_int(m.id, 0xbeef, "ID kept");
	ok(!m.qr && (m.flags & DNS_F_RD) && m.opcode == 0, "QR clear, RD set");
	ok(m.qdcount == 1 && m.ancount == 0 && m.arcount == 1, "counts");
	is_str(m.qname, "api.example.test", "name comes back in lower case");
	ok(m.qtype == DNS_T_A && m.qclass == DNS_CLASS_IN, "type and class");
	ok(m.edns && m.edns_udp_size == 1232, "OPT offers 1232");
	ok(memcmp(b + 13, "Api", 3) == 0, "case kept on the wire (0x20)");

	n = dns_build_query(b, sizeof b, 1, "x.test.", DNS_T_AAAA, false);
	ok(n == 12 + 8 + 4 && dns_parse(&m, b, (size_t)n) == 0 && !m.edns &&
	       m.arcount == 0 && strcmp(m.qname, "x.test") == 0,
	   "final dot accepted, no OPT without edns");
	n = dns_build_query(b, sizeof b, 1, "", DNS_T_A, false);
	ok(n == 17 && dns_parse(&m, b, (size_t)n) == 0 && m.qname[0] == 0,
	   "root is \"\"");

	char longest[254];
	memset(longest, 'a', 253);
	longest[253] = 0;
	for (int i = 63; i < 253; i += 64)
		longest[i] = '.';
	n = dns_build_query(b, sizeof b, 1, longest, DNS_T_A, true);
	ok(n == DNS_QUERY_MAX && dns_parse(&m, b, (size_t)n) == 0 &&
	       strcmp(m.qname, longest) == 0,
	   "253-character name round trips; query is DNS_QUERY_MAX long");
	char label64[70];
	memset(label64, 'b', 64);
	strcpy(label64 + 64, ".test");
	const char *bad[][2] = {
	    {"a..b", "an empty label"},	  {".a", "a leading dot"},
	    {"..", "only dots"},	  {"a b", "a space"},
	    {"a\\.b", "a backslash"},	  {"\x01", "a control byte"},
	    {label64, "a 64-byte label"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		is_int(
		    dns_build_query(b, sizeof b, 1, bad[i][0], DNS_T_A, true),
		    DNS_E_ARG, "refuses to build a name with %s", bad[i][1]);
	char toolong[256];
	memcpy(toolong, longest, 254);
	strcat(toolong, "a");
	is_int(dns_build_query(b, sizeof b, 1, toolong, DNS_T_A, true),
	       DNS_E_ARG, "refuses a 254-character name");
	is_int(dns_build_query(b, 20, 1, "example.test", DNS_T_A, true),
	       DNS_E_SPACE, "refuses a buffer too small");
	is_int(dns_build_query(b, 5, 1, "x", DNS_T_A, true), DNS_E_SPACE,
	       "refuses a buffer smaller than the header");
}

/* A reply as a recursive resolver writes it: question in mixed case,
 * owners compressed to the question, a CNAME chain whose targets are
 * compressed into each other, an SOA in authority, OPT in additional. */
static void build_chain(struct pkt *p, unsigned id)
{
	hdr(p, id, DNS_F_QR | DNS_F_RD | DNS_F_RA, 1, 5, 1, 1);
	size_t q = name(p, "WWW.Example.test");
	u16(p, DNS_T_A);
	u16(p, DNS_CLASS_IN);
	ptr(p, q); /* www.example.test CNAME cdn.example.test */
	fixed(p, DNS_T_CNAME, 300, 6);
	size_t t1 = labels(p, "cdn");
	ptr(p, q + 4);
	ptr(p, t1); /* cdn.example.test CNAME edge.cdn.example.test */
	fixed(p, DNS_T_CNAME, 60, 7);
	size_t t2 = labels(p, "edge");
	ptr(p, t1);
	ptr(p, t2); /* edge...: A 192.0.2.1, A 192.0.2.2 */
	fixed(p, DNS_T_A, 0x80000000u, 4);
	bytes(p, "\xc0\x00\x02\x01", 4);
	ptr(p, t2);
	fixed(p, DNS_T_A, 20, 4);
	bytes(p, "\xc0\x00\x02\x02", 4);
	ptr(p, t2); /* and an AAAA, to be skipped by a caller asking A */
	fixed(p, DNS_T_AAAA, 20, 16);
	bytes(p, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	ptr(p, q + 4); /* example.test SOA ... */
	fixed(p, DNS_T_SOA, 900, 27);
	u8(p, 0x02); /* a space in a name outside the answer: structure only */
	bytes(p, "n ", 2);
	ptr(p, q + 4);
	ptr(p, q + 4);
	for (uint32_t i = 1; i <= 5; i++)
		u32(p, i); /* serial, refresh, retry, expire, minimum */
	u8(p, 0);	   /* OPT */
	u16(p, DNS_T_OPT);
	u16(p, 4096);
	u32(p, 0x8000);
	u16(p, 0);
}

static void test_chain(void)
{
	struct pkt p;
	struct dns_msg m;
	build_chain(&p, 7);
	is_int(dns_parse(&m, p.b, p.n), 0, "compressed CNAME chain parses");
	ok(m.qr && m.rcode == 0 && !m.tc, "QR set, NOERROR");
	is_str(m.qname, "www.example.test", "question name lowered");
	ok(m.edns && m.edns_udp_size == 4096, "reply's OPT seen");

	struct dns_rr_iter it;
	struct dns_rr rr;
	dns_answers(&m, &it);
	is_int(dns_rr_next(&it, &rr), 1, "first record");
	is_str(rr.name, "www.example.test", "owner from pointer");
	ok(rr.type == DNS_T_CNAME && rr.ttl == 300, "CNAME ttl 300");
	is_str(rr.target, "cdn.example.test", "target label + pointer");
	is_int(dns_rr_next(&it, &rr), 1, "second record");
	is_str(rr.name, "cdn.example.test", "owner points into rdata");
	is_str(rr.target, "edge.cdn.example.test", "two-hop target");
	is_int(dns_rr_next(&it, &rr), 1, "third record");
	is_str(rr.name, "edge.cdn.example.test", "A owner");
	ok(rr.type == DNS_T_A && memcmp(rr.addr, "\xc0\x00\x02\x01", 4) == 0,
	   "A 192.0.2.1");
	is_int(rr.ttl, 0, "TTL with the top bit set reads as 0");
	is_int(dns_rr_next(&it, &rr), 1, "fourth record");
	ok(rr.ttl == 20 && rr.addr[3] == 2 && rr.rdlength == 4 &&
	       p.b[rr.rdata_off + 3] == 2,
	   "A 192.0.2.2, rdata bounds");
	is_int(dns_rr_next(&it, &rr), 1, "fifth record");
	ok(rr.type == DNS_T_AAAA && rr.addr[15] == 1 && rr.addr[1] == 1,
	   "AAAA 2001:db8::1");
	is_int(dns_rr_next(&it, &rr), 0, "end of the answer section");
	is_int(dns_rr_next(&it, &rr), 0, "and it stays at the end");

	/* Every strict prefix is rejected, read from an exact-size copy. */
	int bad = 0;
	for (size_t n = 0; n < p.n; n++)
		bad += parse_exact(p.b, n) >= 0;
	is_int(bad, 0, "all %zu truncations rejected", p.n);
}

static void test_match(void)
{
	uint8_t qb[DNS_QUERY_MAX];
	struct dns_msg q, r, q2;
	struct pkt p;
	int n = dns_build_query(qb, sizeof qb, 7, "www.EXAMPLE.test", DNS_T_A,
				true);
	dns_parse(&q, qb, (size_t)n);
	build_chain(&p, 7);
	dns_parse(&r, p.b, p.n);
	ok(dns_reply_matches(&r, &q), "reply matches, name case-insensitively");
	ok(!dns_reply_matches(&q, &q), "a query does not answer itself");
	ok(!dns_reply_matches(&r, &r), "a reply is no query");
	build_chain(&p, 8);
	dns_parse(&r, p.b, p.n);
	ok(!dns_reply_matches(&r, &q), "other ID: no match");
	n = dns_build_query(qb, sizeof qb, 7, "www.example.test", DNS_T_AAAA,
			    true);
	dns_parse(&q2, qb, (size_t)n);
	build_chain(&p, 7);
	dns_parse(&r, p.b, p.n);
	ok(!dns_reply_matches(&r, &q2), "other type: no match");
	n = dns_build_query(qb, sizeof qb, 7, "ww.example.test", DNS_T_A, true);
	dns_parse(&q2, qb, (size_t)n);
	ok(!dns_reply_matches(&r, &q2), "other name: no match");
	n = dns_build_query(qb, sizeof qb, 7, "www.example.test", DNS_T_A,
			    true);
	dns_parse(&q2, qb, (size_t)n);
	ok(dns_reply_matches(&r, &q2), "same question: match");
	p.b[2] &= 0x7f; /* clear QR */
	dns_parse(&r, p.b, p.n);
	ok(!dns_reply_matches(&r, &q2), "QR clear: no match");
	build_chain(&p, 7);
	p.b[2] |= 0x10; /* opcode 2 */
	dns_parse(&r, p.b, p.n);
	ok(!dns_reply_matches(&r, &q2), "other opcode: no match");
	hdr(&p, 7, DNS_F_QR, 0, 0, 0, 0);
	dns_parse(&r, p.b, p.n);
	ok(!dns_reply_matches(&r, &q2), "no question: no match");
	hdr(&p, 7, DNS_F_QR, 1, 0, 0, 0);
	name(&p, "www.example.test");
	u16(&p, DNS_T_A);
	u16(&p, 3); /* class CH */
	is_int(dns_parse(&r, p.b, p.n), 0, "class CH reply parses");
	ok(!dns_reply_matches(&r, &q2), "other class: no match");
}

static void test_ttl_and_reply(void)
{
	struct pkt p;
	struct dns_msg m;
	build_chain(&p, 9);
	/* TTLs: 300, 60, top bit, 20, 20 | SOA 900 | OPT */
	is_int(dns_cap_ttls(p.b, p.n, 30, 120), 5, "five TTLs changed");
	dns_parse(&m, p.b, p.n);
	struct dns_rr_iter it;
	struct dns_rr rr;
	uint32_t got[5] = {0};
	dns_answers(&m, &it);
	for (int i = 0; i < 5 && dns_rr_next(&it, &rr) > 0; i++)
		got[i] = rr.ttl;
	ok(got[0] == 120 && got[1] == 60 && got[2] == 30 && got[3] == 30 &&
	       got[4] == 30,
	   "answer TTLs capped and floored");
	ok(memcmp(p.b + p.n - 6, "\0\0\x80\0\0\0", 6) == 0,
	   "OPT's flags are not a TTL");
	ok(memcmp(p.b + p.n - 11 - 27 - 6, "\0\0\0\x78", 4) == 0,
	   "authority TTL capped");
	is_int(dns_cap_ttls(p.b, p.n, 30, 120), 0, "idempotent");

	uint8_t qb[DNS_QUERY_MAX + 20];
	struct dns_msg q, r;
	int n = dns_build_query(qb, sizeof qb, 0x4242, "Blocked.TEST",
				DNS_T_AAAA, true);
	qb[3] |= DNS_F_CD;
	dns_parse(&q, qb, (size_t)n);
	uint8_t out[512];
	int rn = dns_build_reply(out, sizeof out, &q, DNS_R_NXDOMAIN);
	is_int(rn, n, "NXDOMAIN reply as long as the query (with OPT)");
	ok(dns_parse(&r, out, (size_t)rn) == 0 && r.qr && r.id == 0x4242 &&
	       r.rcode == DNS_R_NXDOMAIN && r.ancount == 0 && r.edns,
	   "reply parses: QR, ID, NXDOMAIN, OPT");
	ok((r.flags & DNS_F_RD) && (r.flags & DNS_F_CD) &&
	       (r.flags & DNS_F_RA) && !(r.flags & DNS_F_AA),
	   "RD and CD copied, RA set");
	ok(memcmp(out + 12, qb + 12, 14) == 0, "question copied, case kept");
	ok(dns_reply_matches(&r, &q), "and it matches the query");
	rn = dns_build_reply(qb, sizeof qb, &q, DNS_R_REFUSED);
	ok(rn == n && dns_parse(&r, qb, (size_t)rn) == 0 &&
	       r.rcode == DNS_R_REFUSED && strcmp(r.qname, "blocked.test") == 0,
	   "REFUSED built in place over the query");
	is_int(dns_build_reply(out, sizeof out, &r, DNS_R_SERVFAIL), DNS_E_ARG,
	       "no reply to a reply");
	n = dns_build_query(qb, sizeof qb, 1, "x.test", DNS_T_A, false);
	dns_parse(&q, qb, (size_t)n);
	rn = dns_build_reply(out, sizeof out, &q, DNS_R_SERVFAIL);
	ok(rn == n && dns_parse(&r, out, (size_t)rn) == 0 && !r.edns &&
	       r.rcode == DNS_R_SERVFAIL,
	   "SERVFAIL without OPT for a query without");
	is_int(dns_build_reply(out, 12, &q, DNS_R_SERVFAIL), DNS_E_SPACE,
	       "reply refuses a buffer too small");
}

static void test_malformed(void)
{
	struct pkt p;
	hdr(&p, 1, 0, 0, 0, 0, 0);
	int bad = 0;
	for (size_t n = 0; n < 12; n++)
		bad += parse_exact(p.b, n) != DNS_E_TRUNC;
	is_int(bad, 0, "headers of 0..11 bytes: truncated");
	is_int(parse_exact(p.b, 12), 0, "an empty 12-byte message parses");

	hdr(&p, 1, DNS_F_QR, 1, 0xffff, 0, 0);
	question(&p, "a.test", DNS_T_A);
	rejects(&p, DNS_E_COUNT, "ancount 65535 in a small message");
	hdr(&p, 1, DNS_F_QR, 0xffff, 0, 0, 0);
	rejects(&p, DNS_E_COUNT, "qdcount 65535 and no question");
	hdr(&p, 1, DNS_F_QR, 1, 2, 0, 0);
	question(&p, "a.test", DNS_T_A);
	ptr(&p, 12);
	fixed(&p, DNS_T_A, 1, 4);
	u32(&p, 0xc0000201);
	for (int i = 0; i < 11; i++)
		u8(&p, 0x7f);
	rejects(&p, DNS_E_LABEL, "ancount 2, one record and garbage");
	hdr(&p, 1, DNS_F_QR, 1, 0, 1, 0);
	question(&p, "a.test", DNS_T_A);
	rejects(&p, DNS_E_COUNT, "nscount with no room for a record");
	hdr(&p, 1, 0, 2, 0, 0, 0);
	question(&p, "a.test", DNS_T_A);
	question(&p, "b.test", DNS_T_A);
	rejects(&p, DNS_E_QDCOUNT, "two questions");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	ptr(&p, 20);
	u32(&p, 0x00010001);
	u8(&p, 0);
	u32(&p, 0);
	rejects(&p, DNS_E_POINTER, "question name pointing forward");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	ptr(&p, 12);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_POINTER, "pointer to itself");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	labels(&p, "a");
	ptr(&p, 12);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_POINTER, "pointer back to its own name's start");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	ptr(&p, 4);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_POINTER, "pointer into the header");

	/* Two names pointing at each other: the second is forward. */
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a.test", DNS_T_A); /* 12..23 */
	size_t o1 = p.n;		 /* owner: label, then ptr to rdata */
	labels(&p, "x");
	ptr(&p, o1 + 14);
	fixed(&p, DNS_T_TXT, 1, 4);
	labels(&p, "y");
	ptr(&p, o1);
	rejects(&p, DNS_E_POINTER, "pointer loop between two names");

	/* Each owner a pointer to the previous owner: a chain of pointers,
	 * each strictly backwards to a prior name. */
	for (int hops = 31; hops <= 33; hops++) {
		hdr(&p, 1, DNS_F_QR, 1, (unsigned)hops, 0, 0);
		question(&p, "a.test", DNS_T_A);
		size_t prev = 12;
		for (int i = 0; i < hops; i++) {
			size_t at = p.n;
			ptr(&p, prev);
			fixed(&p, DNS_T_TXT, 1, 0);
			prev = at;
		}
		rejects(&p, hops <= DNS_PTR_HOPS_MAX ? 0 : DNS_E_POINTER,
			"chain of %d pointers", hops);
	}

	/* Pointers that go backwards, but not to a name. */
	static const struct {
		size_t to;
		const char *what;
	} nowhere[] = {
	    {13, "into the middle of a label"},
	    {16, "to the question's type"},
	    {26, "into a record's TTL"},
	    {32, "into a TXT's rdata"},
	};
	for (size_t i = 0; i < sizeof nowhere / sizeof *nowhere; i++) {
		hdr(&p, 1, DNS_F_QR, 1, 2, 0, 0);
		question(&p, "ab", DNS_T_A);	     /* 12..19, type at 16 */
		ptr(&p, 12);			     /* 20 */
		fixed(&p, DNS_T_TXT, 0x01780000, 3); /* TTL at 26..29 */
		bytes(&p, "\x01x\0", 3);	     /* 32..34 */
		ptr(&p, nowhere[i].to);
		fixed(&p, DNS_T_A, 1, 4);
		u32(&p, 0xc0000201);
		/* Each target reads as a fine name ("", "x", "x") but is none.
		 */
		rejects(&p, DNS_E_POINTER, "pointer %s", nowhere[i].what);
	}

	/* ... and pointers to names in NS, MX, SOA rdata, which are fine. */
	hdr(&p, 1, DNS_F_QR, 1, 1, 2, 2);
	question(&p, "zone.test", DNS_T_MX); /* 12 */
	ptr(&p, 12);
	fixed(&p, DNS_T_MX, 60, 2 + 5 + 2);
	u16(&p, 10);
	size_t mx = labels(&p, "mail");
	ptr(&p, 12);
	ptr(&p, 12);
	fixed(&p, DNS_T_NS, 60, 6);
	size_t ns = labels(&p, "ns1");
	ptr(&p, 12);
	ptr(&p, 12);
	fixed(&p, DNS_T_SOA, 60, 2 + 7 + 20);
	ptr(&p, ns);
	labels(&p, "host");
	ptr(&p, mx);
	for (int i = 0; i < 5; i++)
		u32(&p, 1);
	ptr(&p, ns);
	fixed(&p, DNS_T_A, 60, 4);
	u32(&p, 0xc0000235);
	ptr(&p, mx);
	fixed(&p, DNS_T_A, 60, 4);
	u32(&p, 0xc0000219);
	rejects(&p, 0, "glue pointing into NS and MX rdata");
	p.b[41] = 63; /* the MX's first label now runs past its rdata */
	rejects(&p, DNS_E_RDATA, "MX whose name runs past its rdata");
	hdr(&p, 1, DNS_F_QR, 1, 0, 1, 0);
	question(&p, "zone.test", DNS_T_A);
	ptr(&p, 12);
	fixed(&p, DNS_T_SOA, 60, 4 + 19);
	ptr(&p, 12);
	ptr(&p, 12);
	for (int i = 0; i < 19; i++)
		u8(&p, 0);
	rejects(&p, DNS_E_RDATA, "SOA with 19 bytes after its names");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	u8(&p, 64);
	for (int i = 0; i < 64; i++)
		u8(&p, 'a');
	u8(&p, 0);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_LABEL, "label of 64 bytes");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	u8(&p, 0x41);
	u8(&p, 0);
	u8(&p, 0);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_LABEL, "label type 0x40 (EDNS0 extended label)");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	u8(&p, 0x81);
	u8(&p, 0);
	u8(&p, 0);
	u32(&p, 0x00010001);
	rejects(&p, DNS_E_LABEL, "label type 0x80");

	char l63[64], l61[62];
	memset(l63, 'x', 63);
	l63[63] = 0;
	memset(l61, 'y', 61);
	l61[61] = 0;
	char n255[300], n257[300];
	snprintf(n255, sizeof n255, "%s.%s.%s.%s", l63, l63, l63, l61);
	snprintf(n257, sizeof n257, "%s.%s.%s.%s", l63, l63, l63, l63);
	hdr(&p, 1, 0, 1, 0, 0, 0);
	question(&p, n255, DNS_T_A);
	rejects(&p, 0, "255-byte wire name parses");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	question(&p, n257, DNS_T_A);
	rejects(&p, DNS_E_NAMELEN, "257-byte wire name");
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	snprintf(n257, sizeof n257, "%s.%s.%s", l63, l63, l63);
	question(&p, n257, DNS_T_A);
	u8(&p, 63);
	bytes(&p, l63, 63);
	ptr(&p, 12);
	fixed(&p, DNS_T_A, 1, 4);
	u32(&p, 0xc0000201);
	rejects(&p, DNS_E_NAMELEN, "name over 255 bytes through a pointer");

	struct {
		const char *label;
		size_t len;
		const char *what;
	} chars[] = {
	    {"a.b", 3, "a dot inside a label"},
	    {"a\0b", 3, "a NUL inside a label"},
	    {"a b", 3, "a space"},
	    {"a\\b", 3, "a backslash"},
	    {"a\x7f", 2, "DEL"},
	    {"\xc3\xa9t\xc3\xa9", 6, "UTF-8"},
	    {"\n", 1, "a newline"},
	};
	for (size_t i = 0; i < sizeof chars / sizeof *chars; i++) {
		hdr(&p, 1, 0, 1, 0, 0, 0);
		u8(&p, (unsigned)chars[i].len);
		bytes(&p, chars[i].label, chars[i].len);
		u8(&p, 0);
		u32(&p, 0x00010001);
		rejects(&p, DNS_E_NAMECHAR, "question name with %s",
			chars[i].what);
	}
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a.test", DNS_T_A);
	u8(&p, 3);
	bytes(&p, "a b", 3);
	ptr(&p, 12);
	fixed(&p, DNS_T_A, 1, 4);
	u32(&p, 0xc0000201);
	rejects(&p, DNS_E_NAMECHAR, "answer owner with a space");
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a.test", DNS_T_CNAME);
	ptr(&p, 12);
	fixed(&p, DNS_T_CNAME, 1, 5);
	bytes(&p, "\x03x.y\0", 5);
	rejects(&p, DNS_E_NAMECHAR, "CNAME target with a dot in a label");

	hdr(&p, 1, 0, 1, 0, 0, 0);
	name(&p, "a.test");
	u16(&p, 1);
	rejects(&p, DNS_E_TRUNC, "question cut in its class");
	hdr(&p, 1, 0, 1, 0, 0, 0);
	u8(&p, 10);
	bytes(&p, "abcdef", 6);
	rejects(&p, DNS_E_TRUNC, "label running past the end");
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a", DNS_T_A);
	labels(&p, "b.b.b.b");
	u8(&p, 0xc0);
	rejects(&p, DNS_E_TRUNC, "record whose name ends in half a pointer");
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a", DNS_T_A);
	labels(&p, "b");
	for (int i = 0; i < 9; i++)
		u8(&p, 0xc0);
	rejects(&p, DNS_E_POINTER, "owner pointing forward into garbage");

	static const struct {
		unsigned type, rdlen, have;
		int want;
		const char *what;
	} rd[] = {
	    {DNS_T_A, 3, 3, DNS_E_RDATA, "A with rdlength 3"},
	    {DNS_T_A, 5, 5, DNS_E_RDATA, "A with rdlength 5"},
	    {DNS_T_AAAA, 15, 15, DNS_E_RDATA, "AAAA with rdlength 15"},
	    {DNS_T_AAAA, 17, 17, DNS_E_RDATA, "AAAA with rdlength 17"},
	    {DNS_T_A, 4, 3, DNS_E_TRUNC, "rdlength past the end"},
	    {DNS_T_TXT, 0xffff, 10, DNS_E_TRUNC, "rdlength 65535"},
	    {DNS_T_CNAME, 0, 0, DNS_E_RDATA, "CNAME with no rdata"},
	};
	for (size_t i = 0; i < sizeof rd / sizeof *rd; i++) {
		hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
		question(&p, "a.test", DNS_T_A);
		ptr(&p, 12);
		fixed(&p, rd[i].type, 1, rd[i].rdlen);
		for (unsigned k = 0; k < rd[i].have; k++)
			u8(&p, 0x11);
		rejects(&p, rd[i].want, "%s", rd[i].what);
	}
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a.test", DNS_T_A);
	ptr(&p, 12);
	fixed(&p, DNS_T_CNAME, 1, 4);
	ptr(&p, 12);
	u16(&p, 0);
	rejects(&p, DNS_E_RDATA, "CNAME rdata longer than its name");
	hdr(&p, 1, DNS_F_QR, 1, 1, 0, 0);
	question(&p, "a.test", DNS_T_A);
	ptr(&p, 12);
	fixed(&p, DNS_T_CNAME, 1, 3);
	bytes(&p, "\x01z\0", 3);
	p.b[p.n - 4] = 2; /* rdlength 2: the name runs past it */
	rejects(&p, DNS_E_RDATA, "CNAME name running past its rdata");
	hdr(&p, 1, DNS_F_QR, 1, 0, 0, 1);
	question(&p, "a.test", DNS_T_A);
	u8(&p, 0);
	u16(&p, DNS_T_OPT);
	u16(&p, 1232);
	u32(&p, 0);
	u16(&p, 4);
	u16(&p, 0);
	rejects(&p, DNS_E_TRUNC, "OPT whose options run past the end");
}

int main(void)
{
	test_query();
	test_chain();
	test_match();
	test_ttl_and_reply();
	test_malformed();
	return tap_done();
}
