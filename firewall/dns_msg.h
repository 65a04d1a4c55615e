/* DNS wire format: building queries and locally generated replies, and a
 * defensive parser for messages that come from the network (the start-up
 * resolver now, the DNS forwarder later).
 *
 * The parser is modelled on dnsmasq's extract_name, whose CVE history
 * (CVE-2017-14491..14496, CVE-2020-25681..25687) is the reason for its rules:
 * a bounds check before every read, section counts checked against the
 * length before anything is walked, compression pointers followed only to an
 * offset strictly lower than the start of the labels being read (so a name
 * can never loop), at most DNS_PTR_HOPS_MAX times, and only to where a label
 * (or pointer) of a name read earlier lies, as RFC 1035 means them to: never
 * into a TTL, a length or the middle of a label, so rewriting TTLs cannot
 * change a name.  Label types 0x40/0x80 are rejected, names are at most 255
 * wire bytes.  So that later names can point into them, the names in the
 * rdata of class IN NS, CNAME, PTR, MX, SOA, SRV, DNAME (and the other types
 * of RFC 3597 section 4) are checked too, and that rdata must be exactly
 * what its type says.
 *
 * Names handed out (the question, owner names and CNAME targets of the
 * answer section) are lower case presentation form without the final dot,
 * the root being "".  A byte that would make that form ambiguous or unsafe
 * to print is REJECTED, not escaped: a label may hold only the printable
 * ASCII bytes 0x21..0x7e other than '.' and '\\'.  A message whose question
 * or answer section carries such a name fails to parse as a whole.  Names in
 * the authority and additional sections and inside other rdata are checked
 * for structure only, since they are never turned into strings here. */
#ifndef CORRAL_DNS_MSG_H
#define CORRAL_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN	  12
#define DNS_WIRE_NAME_MAX 255
#define DNS_LABEL_MAX	  63
#ifndef DNS_NAME_MAX
#define DNS_NAME_MAX 253 /* presentation form without the final dot */
#endif
#define DNS_NAME_BUF	  (DNS_NAME_MAX + 1)
#define DNS_PTR_HOPS_MAX  32
#define DNS_EDNS_UDP_SIZE 1232
#define DNS_OPT_LEN	  11
/* The largest query dns_build_query makes. */
#define DNS_QUERY_MAX (DNS_HEADER_LEN + DNS_WIRE_NAME_MAX + 4 + DNS_OPT_LEN)

#define DNS_T_A	     1
#define DNS_T_NS     2
#define DNS_T_CNAME  5
#define DNS_T_SOA    6
#define DNS_T_PTR    12
#define DNS_T_MX     15
#define DNS_T_TXT    16
#define DNS_T_AAAA   28
#define DNS_T_SRV    33
#define DNS_T_DNAME  39
#define DNS_T_OPT    41
#define DNS_CLASS_IN 1

#define DNS_R_NOERROR  0
#define DNS_R_FORMERR  1
#define DNS_R_SERVFAIL 2
#define DNS_R_NXDOMAIN 3
#define DNS_R_NOTIMP   4
#define DNS_R_REFUSED  5

/* Bits of the header's flags word. */
#define DNS_F_QR 0x8000
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_AD 0x0020
#define DNS_F_CD 0x0010

/* Every function returning int returns one of these (negative) on error. */
enum dns_err {
	DNS_E_TRUNC = -1,    /* a read would go past the end of the message */
	DNS_E_COUNT = -2,    /* section counts cannot fit in the message */
	DNS_E_QDCOUNT = -3,  /* more than one question */
	DNS_E_POINTER = -4,  /* compression pointer not strictly backwards,
				into the header, or too many of them */
	DNS_E_LABEL = -5,    /* label type 0x40 or 0x80 (or length > 63) */
	DNS_E_NAMELEN = -6,  /* name longer than 255 wire bytes */
	DNS_E_NAMECHAR = -7, /* byte not allowed in a name (see above) */
	DNS_E_RDATA = -8,    /* rdata wrong for its type: A not 4 bytes,
				AAAA not 16, CNAME not exactly one name,
				SOA not two names and 20 bytes, ... */
	DNS_E_SPACE = -9,    /* output buffer too small */
	DNS_E_ARG = -10,     /* bad name or argument from the caller */
};
const char *dns_strerror(int err);

/* A parsed message.  buf points into the caller's buffer, which must outlive
 * it.  dns_parse succeeds only when the whole message is well formed: every
 * record of every section, and the answer section's records as
 * dns_rr_next() reads them. */
struct dns_msg {
	const uint8_t *buf;
	size_t len;
	uint16_t id;
	uint16_t flags; /* the whole second header word */
	uint8_t opcode, rcode;
	bool qr, tc;
	uint16_t qdcount, ancount, nscount, arcount;
	/* The question, when qdcount is 1 (qname "" and 0s when it is 0). */
	char qname[DNS_NAME_BUF];
	uint16_t qtype, qclass;
	size_t q_end; /* offset just past the question section */
	bool edns;    /* an OPT record with the root owner in additional */
	uint16_t edns_udp_size;
};

int dns_parse(struct dns_msg *m, const uint8_t *buf, size_t len);

/* One record of the answer section.  rdata is
 * buf[rdata_off, rdata_off + rdlength).  For class IN: A fills addr[0..4),
 * AAAA fills addr[0..16), CNAME fills target; target is "" otherwise.  ttl
 * is 0 when the wire value has its top bit set (RFC 2181 section 8). */
struct dns_rr {
	char name[DNS_NAME_BUF];
	uint16_t type, rclass;
	uint32_t ttl;
	size_t rdata_off;
	uint16_t rdlength;
	uint8_t addr[16];
	char target[DNS_NAME_BUF];
};

struct dns_rr_iter {
	const struct dns_msg *m;
	size_t off;
	unsigned left;
};

/* Iterates over the answer section:
 *   dns_answers(&m, &it); while ((r = dns_rr_next(&it, &rr)) > 0) ...
 * dns_rr_next returns 1 with *rr filled, 0 at the end, or a dns_err (never
 * after a successful dns_parse of the same message).  Use it only on
 * messages dns_parse accepted: alone it cannot tell where earlier names lie,
 * so it checks pointers only for going backwards. */
void dns_answers(const struct dns_msg *m, struct dns_rr_iter *it);
int dns_rr_next(struct dns_rr_iter *it, struct dns_rr *rr);

/* Builds a query: the given ID, RD set, one question (name in presentation
 * form, final dot optional, kept in the case given; class IN) and, with
 * edns, an OPT record offering DNS_EDNS_UDP_SIZE.  Returns its length (at
 * most DNS_QUERY_MAX) or a dns_err. */
int dns_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name,
		    uint16_t qtype, bool edns);

/* Is reply the answer to query?  Same ID and opcode, QR set in the reply and
 * clear in the query, one question each, equal name (case-insensitively),
 * type and class.  Comparing the upstream's address and port is the
 * caller's job. */
bool dns_reply_matches(const struct dns_msg *reply,
		       const struct dns_msg *query);

/* Rewrites, in place, the TTL of every record of the answer, authority and
 * additional sections (not OPT) to lie within [min_ttl, max_ttl]; max_ttl
 * wins if they cross.  The buffer is left untouched unless it parses.
 * Returns how many TTLs changed, or a dns_err. */
int dns_cap_ttls(uint8_t *buf, size_t len, uint32_t min_ttl, uint32_t max_ttl);

/* Builds, into out, a reply to the parsed query with the given rcode
 * (DNS_R_NXDOMAIN, DNS_R_REFUSED, DNS_R_SERVFAIL, ...) and no records: ID,
 * opcode, RD and CD copied, QR and RA set, the question copied byte for byte
 * (its case preserved), an OPT record when the query had one.  out may be
 * the query's own buffer.  Returns the length or a dns_err (DNS_E_ARG for a
 * message that is itself a reply). */
int dns_build_reply(uint8_t *out, size_t cap, const struct dns_msg *query,
		    uint8_t rcode);

#endif
