/* What the forwarder takes from an upstream's answer, and what it lets the
 * client see: pure functions over a message dns_parse accepted.
 *
 * The addresses are those of the CNAME chain that starts at the asked name,
 * in the answer section only: records of other owners are never believed
 * (a poisoning attempt adds them), and the client never sees an address
 * that was not opened, so a reply with anything to remove is rebuilt with
 * the chain's own records only. */
#ifndef CORRAL_DNS_ANSWER_H
#define CORRAL_DNS_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"
#include "dns_msg.h"

#define DNS_ANSWER_HOPS_MAX  8	/* CNAMEs followed from the asked name */
#define DNS_ANSWER_ADDRS_MAX 64 /* distinct addresses opened per answer */

struct dns_answer_addr {
	struct ipaddr addr;
	uint32_t ttl; /* smallest TTL along the chain to this record */
};

struct dns_answer_drop {
	struct ipaddr addr;
	const char *range; /* rebind_range(): "private", "loopback", ... */
};

struct dns_answer {
	/* Distinct addresses to open, in answer order. */
	struct dns_answer_addr addrs[DNS_ANSWER_ADDRS_MAX];
	size_t n_addrs;
	/* Distinct rebinding addresses removed (the first ones, to log). */
	struct dns_answer_drop dropped[DNS_ANSWER_ADDRS_MAX];
	size_t n_dropped;  /* all of them, even beyond the array */
	size_t n_over;	   /* chain addresses beyond DNS_ANSWER_ADDRS_MAX */
	size_t n_offchain; /* A/AAAA records off the chain or in another
			      section (or a section that does not decode) */
	bool long_chain;   /* stopped after DNS_ANSWER_HOPS_MAX CNAMEs */
	bool loop;	   /* the chain came back to one of its names */
	bool rebuild;	   /* something must go: send dns_answer_rebuild's */
	/* The chain: chain[0] is the asked name. */
	size_t n_chain;
	char chain[DNS_ANSWER_HOPS_MAX + 1][DNS_NAME_BUF];
	/* The first OPT record of the additional section, as found. */
	bool have_opt;
	size_t opt_off; /* offset of its fixed part (after the root owner) */
	size_t opt_len; /* fixed part + rdata */
};

/* Fills *a from reply (parsed by dns_parse, one question) for the asked
 * name qname (lower case, as dns_parse gives it): follows at most
 * DNS_ANSWER_HOPS_MAX CNAMEs (class IN, the first CNAME of an owner),
 * takes every class IN A and AAAA record of the chain's names whatever the
 * question's type, and removes each address in rebind_range() that no
 * `allow` network of p contains (p may be NULL: nothing is allowed).
 * Sets a->rebuild when a rebinding address, an address beyond the cap or
 * any other A/AAAA record (anywhere in the message) was found.  Looks at
 * the rcode not at all: call it for NOERROR replies.  Returns 0 or a
 * dns_err (DNS_E_ARG: no question or qname too long). */
int dns_answer_collect(struct dns_answer *a, const struct dns_msg *reply,
		       const char *qname, const struct policy *p);

/* Writes into out (which must not overlap reply's buffer) the reply with
 * only the chain's records: the header (TC and AD cleared, the rest as
 * received), the question byte for byte, then for each name of the chain
 * in order its first CNAME and its A/AAAA records whose address is in
 * a->addrs, with TTLs as received; no authority section; the OPT record
 * when there was one.  Owner names are compression pointers to the
 * question or to the CNAME target that introduced them; CNAME targets are
 * written in full.  The result parses with dns_parse and dns_answer_collect
 * finds the same addresses in it with nothing to rebuild.  Returns the
 * length or a dns_err (DNS_E_SPACE when cap is too small). */
int dns_answer_rebuild(uint8_t *out, size_t cap, const struct dns_msg *reply,
		       const struct dns_answer *a);

/* A header-only reply (QR and RA set, opcode and RD copied, no question)
 * with rcode, for a query whose header is readable but whose body is not.
 * Returns DNS_HEADER_LEN, DNS_E_ARG when query is shorter than a header or
 * is a reply itself (QR set: never answer those), or DNS_E_SPACE. */
int dns_build_header_reply(uint8_t *out, size_t cap, const uint8_t *query,
			   size_t len, uint8_t rcode);

#endif
