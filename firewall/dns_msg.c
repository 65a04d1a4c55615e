/* DNS wire format; see dns_msg.h for the rules the parser enforces and why.
 * Every read from a message is preceded by a check against its length,
 * written as "len - off < n" with off <= len known, so nothing can wrap. */
#include "dns_msg.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

const char *dns_strerror(int err)
{
	switch (err) {
	case DNS_E_TRUNC:
		return "truncated message";
	case DNS_E_COUNT:
		return "section counts larger than the message";
	case DNS_E_QDCOUNT:
		return "more than one question";
	case DNS_E_POINTER:
		return "bad compression pointer";
	case DNS_E_LABEL:
		return "bad label type";
	case DNS_E_NAMELEN:
		return "name longer than 255 bytes";
	case DNS_E_NAMECHAR:
		return "name with a byte that is not printable ASCII, '.' or "
		       "'\\'";
	case DNS_E_RDATA:
		return "record data of the wrong length";
	case DNS_E_SPACE:
		return "buffer too small";
	case DNS_E_ARG:
		return "invalid name or argument";
	}
	return "unknown error";
}

/* Rejected rather than escaped (see dns_msg.h): with no escapes, equal
 * strings mean equal names, comparisons with policy names are plain strcmp,
 * and a name is always safe to print in a log line. */
static bool label_byte_ok(uint8_t c)
{
	return c > 0x20 && c < 0x7f && c != '.' && c != '\\';
}

/* The offsets (below 0x4000, all a pointer can reach) where a label or a
 * pointer of a name already read lies in place.  RFC 1035 has a pointer
 * refer to "a prior occurrence of the same name"; holding it to that means
 * no name ever reads a byte that is not part of a name, so rewriting a TTL
 * (or anything else) cannot change a name, and pointers into fixed fields,
 * into the middle of a label or into opaque rdata are rejected. */
struct starts {
	uint8_t bits[0x4000 / 8];
};

static void mark(struct starts *st, size_t off)
{
	if (st && off < 0x4000)
		st->bits[off / 8] |= (uint8_t)(1u << off % 8);
}

static bool marked(const struct starts *st, size_t off)
{
	return !st || (st->bits[off / 8] >> off % 8 & 1);
}

/* Reads the name at off.  *end receives the offset just past the name's
 * bytes in place (after its first pointer, if any).  With out, the name is
 * also written there in lower case presentation form (DNS_NAME_BUF bytes)
 * and its bytes are checked with label_byte_ok; without, only its structure
 * is checked.  With st, pointers must go to a marked offset, and the name's
 * own labels are marked.
 *
 * A pointer must point below seg, the offset where the labels being read
 * began (the name's start, then each pointer's target): the segments' starts
 * strictly decrease, so no pointer can ever be followed twice and there are
 * no loops, whatever the hop limit. */
static int read_name(const uint8_t *msg, size_t len, size_t off, size_t *end,
		     char *out, struct starts *st)
{
	size_t pos = off, seg = off, wire = 0, o = 0;
	unsigned hops = 0;
	bool jumped = false;

	for (;;) {
		if (pos >= len)
			return DNS_E_TRUNC;
		uint8_t c = msg[pos];
		if (!jumped)
			mark(st, pos);
		if ((c & 0xc0) == 0xc0) {
			if (len - pos < 2)
				return DNS_E_TRUNC;
			size_t ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			if (ptr < DNS_HEADER_LEN || ptr >= seg ||
			    !marked(st, ptr) || ++hops > DNS_PTR_HOPS_MAX)
				return DNS_E_POINTER;
			if (!jumped)
				*end = pos + 2;
			jumped = true;
			pos = seg = ptr;
			continue;
		}
		if (c & 0xc0)
			return DNS_E_LABEL;
		if (c == 0)
			break;
		if (len - pos - 1 < c)
			return DNS_E_TRUNC;
		/* The final root byte must fit too; this also bounds the
		 * presentation form to 253 bytes. */
		wire += 1u + c;
		if (wire + 1 > DNS_WIRE_NAME_MAX)
			return DNS_E_NAMELEN;
		if (out) {
			if (o)
				out[o++] = '.';
			for (size_t i = 0; i < c; i++) {
				uint8_t b = msg[pos + 1 + i];
				if (!label_byte_ok(b))
					return DNS_E_NAMECHAR;
				if (b >= 'A' && b <= 'Z')
					b = (uint8_t)(b - 'A' + 'a');
				out[o++] = (char)b;
			}
		}
		pos += 1u + c;
	}
	if (!jumped)
		*end = pos + 1;
	if (out)
		out[o] = '\0';
	return 0;
}

/* The fixed part of a record after its owner name. */
struct rr_fixed {
	uint16_t type, rclass, rdlength;
	uint32_t ttl;
	size_t ttl_off, rdata_off;
};

static int read_fixed(const uint8_t *msg, size_t len, size_t off,
		      struct rr_fixed *f)
{
	if (off > len || len - off < 10)
		return DNS_E_TRUNC;
	f->type = get16(msg + off);
	f->rclass = get16(msg + off + 2);
	f->ttl_off = off + 4;
	f->ttl = get32(msg + off + 4);
	f->rdlength = get16(msg + off + 8);
	f->rdata_off = off + 10;
	if (len - f->rdata_off < f->rdlength)
		return DNS_E_TRUNC;
	return 0;
}

/* The class IN types whose rdata holds names that may be compressed (RFC
 * 1035, RFC 3597 section 4, and SRV and DNAME, whose names some servers
 * compress anyway): bytes before the first name, names, bytes after. */
static const struct {
	uint16_t type;
	uint8_t pre, names, post;
} name_rdata[] = {
    {DNS_T_NS, 0, 1, 0},       {3, 0, 1, 0} /* MD */,  {4, 0, 1, 0} /* MF */,
    {DNS_T_CNAME, 0, 1, 0},    {DNS_T_SOA, 0, 2, 20},  {7, 0, 1, 0} /* MB */,
    {8, 0, 1, 0} /* MG */,     {9, 0, 1, 0} /* MR */,  {DNS_T_PTR, 0, 1, 0},
    {14, 0, 2, 0} /* MINFO */, {DNS_T_MX, 2, 1, 0},    {17, 0, 2, 0} /* RP */,
    {18, 2, 1, 0} /* AFSDB */, {21, 2, 1, 0} /* RT */, {DNS_T_SRV, 6, 1, 0},
    {36, 2, 1, 0} /* KX */,    {DNS_T_DNAME, 0, 1, 0},
};

/* Checks the names in the rdata of the types above, so that later names may
 * point to them; the rdata must be exactly what the type says.  With out,
 * the first name is decoded there. */
static int rdata_names(const uint8_t *msg, const struct rr_fixed *f,
		       struct starts *st, char *out)
{
	size_t k = 0, n = sizeof name_rdata / sizeof *name_rdata, end;
	while (k < n && name_rdata[k].type != f->type)
		k++;
	if (k == n)
		return 0;
	size_t off = f->rdata_off + name_rdata[k].pre;
	size_t rd_end = f->rdata_off + f->rdlength;
	if (f->rdlength < name_rdata[k].pre)
		return DNS_E_RDATA;
	for (size_t i = 0; i < name_rdata[k].names; i++) {
		int r = read_name(msg, rd_end, off, &end, i ? NULL : out, st);
		if (r == DNS_E_TRUNC)
			return DNS_E_RDATA;
		if (r < 0)
			return r;
		off = end;
	}
	return rd_end - off == name_rdata[k].post ? 0 : DNS_E_RDATA;
}

/* Checks the record at *off for structure only and moves past it. */
static int skip_rr(const uint8_t *msg, size_t len, size_t *off,
		   struct rr_fixed *f, struct starts *st)
{
	size_t end;
	int r = read_name(msg, len, *off, &end, NULL, st);
	if (r < 0)
		return r;
	r = read_fixed(msg, len, end, f);
	if (r < 0)
		return r;
	if (st && f->rclass == DNS_CLASS_IN &&
	    (r = rdata_names(msg, f, st, NULL)) < 0)
		return r;
	*off = f->rdata_off + f->rdlength;
	return 0;
}

void dns_answers(const struct dns_msg *m, struct dns_rr_iter *it)
{
	it->m = m;
	it->off = m->q_end;
	it->left = m->ancount;
}

static int rr_next(struct dns_rr_iter *it, struct dns_rr *rr, struct starts *st)
{
	const uint8_t *msg = it->m->buf;
	size_t len = it->m->len, end;
	struct rr_fixed f;

	if (!it->left)
		return 0;
	int r = read_name(msg, len, it->off, &end, rr->name, st);
	if (r < 0)
		return r;
	r = read_fixed(msg, len, end, &f);
	if (r < 0)
		return r;
	rr->type = f.type;
	rr->rclass = f.rclass;
	rr->ttl = f.ttl > 0x7fffffffu ? 0 : f.ttl;
	rr->rdata_off = f.rdata_off;
	rr->rdlength = f.rdlength;
	rr->target[0] = '\0';
	if (f.rclass == DNS_CLASS_IN) {
		if (f.type == DNS_T_A || f.type == DNS_T_AAAA) {
			size_t want = f.type == DNS_T_A ? 4 : 16;
			if (f.rdlength != want)
				return DNS_E_RDATA;
			memcpy(rr->addr, msg + f.rdata_off, want);
		} else if (f.type == DNS_T_CNAME || st) {
			r = rdata_names(msg, &f, st,
					f.type == DNS_T_CNAME ? rr->target
							      : NULL);
			if (r < 0)
				return r;
		}
	}
	it->off = f.rdata_off + f.rdlength;
	it->left--;
	return 1;
}

/* Without the marks dns_parse keeps, this enforces only the backwards rule,
 * which is why dns_rr_next is for messages dns_parse accepted. */
int dns_rr_next(struct dns_rr_iter *it, struct dns_rr *rr)
{
	return rr_next(it, rr, NULL);
}

int dns_parse(struct dns_msg *m, const uint8_t *buf, size_t len)
{
	memset(m, 0, sizeof *m);
	m->buf = buf;
	m->len = len;
	if (len < DNS_HEADER_LEN)
		return DNS_E_TRUNC;
	m->id = get16(buf);
	m->flags = get16(buf + 2);
	m->qr = m->flags & DNS_F_QR;
	m->tc = m->flags & DNS_F_TC;
	m->opcode = (uint8_t)(m->flags >> 11 & 0xf);
	m->rcode = (uint8_t)(m->flags & 0xf);
	m->qdcount = get16(buf + 4);
	m->ancount = get16(buf + 6);
	m->nscount = get16(buf + 8);
	m->arcount = get16(buf + 10);

	/* A question takes at least 5 bytes, a record at least 11: counts
	 * that cannot fit are lies, caught before anything is walked. */
	size_t min = (size_t)m->qdcount * 5 +
		     ((size_t)m->ancount + m->nscount + m->arcount) * 11;
	if (min > len - DNS_HEADER_LEN)
		return DNS_E_COUNT;
	if (m->qdcount > 1)
		return DNS_E_QDCOUNT;

	struct starts st;
	memset(&st, 0, sizeof st);
	size_t off = DNS_HEADER_LEN;
	if (m->qdcount) {
		size_t end;
		int r = read_name(buf, len, off, &end, m->qname, &st);
		if (r < 0)
			return r;
		if (len - end < 4)
			return DNS_E_TRUNC;
		m->qtype = get16(buf + end);
		m->qclass = get16(buf + end + 2);
		off = end + 4;
	}
	m->q_end = off;

	struct dns_rr_iter it;
	struct dns_rr rr;
	int r;
	dns_answers(m, &it);
	while ((r = rr_next(&it, &rr, &st)) > 0)
		;
	if (r < 0)
		return r;
	off = it.off;

	unsigned rest = (unsigned)m->nscount + m->arcount;
	for (unsigned i = 0; i < rest; i++) {
		struct rr_fixed f;
		size_t start = off;
		r = skip_rr(buf, len, &off, &f, &st);
		if (r < 0)
			return r;
		if (i >= m->nscount && f.type == DNS_T_OPT && buf[start] == 0 &&
		    !m->edns) {
			m->edns = true;
			m->edns_udp_size = f.rclass;
		}
	}
	/* Bytes after the last record are ignored, as resolvers do. */
	return 0;
}

/* Writes name (presentation form, final dot optional) in wire form.
 * Returns its length or a dns_err. */
static int name_to_wire(const char *name, uint8_t *out, size_t cap)
{
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	if (n > DNS_NAME_MAX)
		return DNS_E_ARG;
	size_t w = 0, start = 0;
	for (size_t i = 0; n && i <= n; i++) {
		if (i < n && name[i] != '.') {
			if (!label_byte_ok((uint8_t)name[i]))
				return DNS_E_ARG;
			continue;
		}
		size_t l = i - start;
		if (l == 0 || l > DNS_LABEL_MAX)
			return DNS_E_ARG;
		if (cap - w < l + 2)
			return DNS_E_SPACE;
		out[w++] = (uint8_t)l;
		memcpy(out + w, name + start, l);
		w += l;
		start = i + 1;
	}
	if (cap - w < 1)
		return DNS_E_SPACE;
	out[w++] = 0;
	return (int)w;
}

static void put_opt(uint8_t *p)
{
	p[0] = 0; /* root owner */
	put16(p + 1, DNS_T_OPT);
	put16(p + 3, DNS_EDNS_UDP_SIZE);
	put32(p + 5, 0); /* extended rcode, version 0, no DO bit */
	put16(p + 9, 0);
}

int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		    uint16_t qtype, bool edns)
{
	if (cap < DNS_HEADER_LEN)
		return DNS_E_SPACE;
	memset(buf, 0, DNS_HEADER_LEN);
	put16(buf, id);
	put16(buf + 2, DNS_F_RD);
	put16(buf + 4, 1);
	put16(buf + 10, edns ? 1 : 0);
	int w = name_to_wire(name, buf + DNS_HEADER_LEN, cap - DNS_HEADER_LEN);
	if (w < 0)
		return w;
	size_t off = DNS_HEADER_LEN + (size_t)w;
	if (cap - off < 4u + (edns ? DNS_OPT_LEN : 0))
		return DNS_E_SPACE;
	put16(buf + off, qtype);
	put16(buf + off + 2, DNS_CLASS_IN);
	off += 4;
	if (edns) {
		put_opt(buf + off);
		off += DNS_OPT_LEN;
	}
	return (int)off;
}

bool dns_reply_matches(const struct dns_msg *reply, const struct dns_msg *query)
{
	/* Both names come out of dns_parse already in lower case. */
	return reply->qr && !query->qr && reply->id == query->id &&
	       reply->opcode == query->opcode && reply->qdcount == 1 &&
	       query->qdcount == 1 && reply->qtype == query->qtype &&
	       reply->qclass == query->qclass &&
	       strcmp(reply->qname, query->qname) == 0;
}

int dns_cap_ttls(uint8_t *buf, size_t len, uint32_t min_ttl, uint32_t max_ttl)
{
	struct dns_msg m;
	int r = dns_parse(&m, buf, len);
	if (r < 0)
		return r;
	size_t off = m.q_end;
	unsigned n = (unsigned)m.ancount + m.nscount + m.arcount;
	int changed = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rr_fixed f;
		r = skip_rr(buf, len, &off, &f, NULL);
		if (r < 0)
			return r; /* cannot happen after dns_parse */
		if (f.type == DNS_T_OPT)
			continue; /* its "TTL" is extended rcode and flags */
		uint32_t ttl = f.ttl > 0x7fffffffu ? 0 : f.ttl;
		if (ttl < min_ttl)
			ttl = min_ttl;
		if (ttl > max_ttl)
			ttl = max_ttl;
		if (ttl != f.ttl) {
			put32(buf + f.ttl_off, ttl);
			changed++;
		}
	}
	return changed;
}

int dns_build_reply(uint8_t *out, size_t cap, const struct dns_msg *query,
		    uint8_t rcode)
{
	if (query->qr || rcode > 15 || query->q_end < DNS_HEADER_LEN ||
	    query->q_end > query->len)
		return DNS_E_ARG;
	size_t qlen = query->q_end - DNS_HEADER_LEN;
	size_t need = DNS_HEADER_LEN + qlen + (query->edns ? DNS_OPT_LEN : 0);
	if (cap < need)
		return DNS_E_SPACE;
	uint16_t flags = (uint16_t)(DNS_F_QR | (query->opcode << 11) |
				    (query->flags & (DNS_F_RD | DNS_F_CD)) |
				    DNS_F_RA | rcode);
	/* The question first: out may be the query's own buffer. */
	memmove(out + DNS_HEADER_LEN, query->buf + DNS_HEADER_LEN, qlen);
	put16(out, query->id);
	put16(out + 2, flags);
	put16(out + 4, query->qdcount);
	put16(out + 6, 0);
	put16(out + 8, 0);
	put16(out + 10, query->edns ? 1 : 0);
	if (query->edns)
		put_opt(out + DNS_HEADER_LEN + qlen);
	return (int)need;
}
