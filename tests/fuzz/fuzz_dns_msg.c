/* libFuzzer harness for firewall/dns_msg.c: arbitrary bytes go to the parser,
 * the answer iteration, reply matching, dns_cap_ttls and dns_build_reply,
 * each from a buffer of exactly the input's length so that ASan sees any read
 * past it.  Beyond memory safety it checks what callers rely on: a message
 * that parses iterates without error, names are short and lower case, any
 * parsed question can be asked again and the reply matches, TTL rewriting
 * keeps the message parseable and is idempotent.
 *   make fuzz FUZZ_SECONDS=120 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../firewall/dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

static void check_name(const char *n)
{
	size_t len = strnlen(n, DNS_NAME_BUF);
	check(len <= DNS_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		check(n[i] > 0x20 && n[i] < 0x7f && n[i] != '\\' &&
		      !(n[i] >= 'A' && n[i] <= 'Z'));
	check(len == 0 ||
	      (n[0] != '.' && n[len - 1] != '.' && !strstr(n, "..")));
}

static void iterate(const struct dns_msg *m, uint32_t lo, uint32_t hi)
{
	struct dns_rr_iter it;
	struct dns_rr rr;
	unsigned n = 0;
	int r;
	dns_answers(m, &it);
	while ((r = dns_rr_next(&it, &rr)) > 0) {
		n++;
		check_name(rr.name);
		check_name(rr.target);
		check(rr.rdata_off + rr.rdlength <= m->len);
		/* dns_cap_ttls leaves OPT alone, wherever it is. */
		check(rr.type == DNS_T_OPT || (rr.ttl >= lo && rr.ttl <= hi));
	}
	check(r == 0 && n == m->ancount);
}

static void ask_again(const struct dns_msg *m)
{
	uint8_t q[DNS_QUERY_MAX];
	struct dns_msg qm;
	int n = dns_build_query(q, sizeof q, m->id, m->qname, m->qtype, true);
	check(n > 0 && dns_parse(&qm, q, (size_t)n) == 0);
	check(strcmp(qm.qname, m->qname) == 0 && qm.qtype == m->qtype);
	bool want = m->qr && m->opcode == 0 && m->qclass == DNS_CLASS_IN;
	check(dns_reply_matches(m, &qm) == want);
	check(!dns_reply_matches(&qm, m));
}

static void local_reply(const struct dns_msg *m)
{
	size_t need = m->q_end + (m->edns ? DNS_OPT_LEN : 0);
	uint8_t *out = malloc(need);
	struct dns_msg r;
	int n = dns_build_reply(out, need, m, DNS_R_REFUSED);
	check(n == (int)need);
	check(dns_parse(&r, out, need) == 0 && r.rcode == DNS_R_REFUSED);
	check(r.qdcount != 1 || dns_reply_matches(&r, m));
	check(dns_build_reply(out, need - 1, m, DNS_R_REFUSED) == DNS_E_SPACE);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	struct dns_msg m;
	if (dns_parse(&m, buf, size) == 0) {
		check(m.q_end <= size && m.qdcount <= 1);
		check_name(m.qname);
		iterate(&m, 0, 0x7fffffff);
		dns_reply_matches(&m, &m);
		if (m.qdcount == 1)
			ask_again(&m);
		if (!m.qr)
			local_reply(&m);
		else
			check(dns_build_reply(buf, size, &m, 3) == DNS_E_ARG);
		int c = dns_cap_ttls(buf, size, 10, 3600);
		check(c >= 0);
		check(dns_parse(&m, buf, size) == 0);
		iterate(&m, 10, 3600);
		check(dns_cap_ttls(buf, size, 10, 3600) == 0);
	} else {
		check(dns_cap_ttls(buf, size, 10, 3600) < 0);
		check(memcmp(buf, data, size) == 0);
	}
	free(buf);
	return 0;
}
