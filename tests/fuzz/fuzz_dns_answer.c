/* libFuzzer harness for firewall/dns_answer.c: arbitrary bytes, as an
 * upstream's reply, through dns_parse, dns_answer_collect and
 * dns_answer_rebuild (every output in a buffer of exactly the size given,
 * so ASan sees any write past it), and dns_build_header_reply.  Beyond
 * memory safety it checks what the forwarder relies on: no address to
 * open is a rebinding address the policy does not allow, each appears
 * once, the chain starts at the question and never repeats a name; the
 * rebuilt reply parses, keeps the question byte for byte, holds no
 * address that is not opened, and collects to the same addresses with
 * nothing left to remove; any smaller buffer is DNS_E_SPACE.
 *   make fuzz FUZZ_SECONDS=120 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "../../common/policy.h"
#include "../../firewall/dns_answer.h"
#include "../../firewall/dns_msg.h"
#include "../../firewall/rebind.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			__builtin_trap();                                      \
	} while (0)

/* allow 10.1.0.0/16 fd00::/8 */
static struct target targets[2] = {
    {.kind = TARGET_NET, .prefix = 16, .addr = {AF_INET, {10, 1}}},
    {.kind = TARGET_NET, .prefix = 8, .addr = {AF_INET6, {0xfd}}},
};
static const struct policy pol = {.targets = targets, .n_targets = 2};

static bool same(const struct ipaddr *x, const struct ipaddr *y)
{
	return x->family == y->family &&
	       memcmp(x->b, y->b, x->family == AF_INET ? 4 : 16) == 0;
}

static bool has(const struct dns_answer *a, const struct ipaddr *ip)
{
	for (size_t i = 0; i < a->n_addrs; i++)
		if (same(&a->addrs[i].addr, ip))
			return true;
	return false;
}

static void check_answer(const struct dns_answer *a, const char *qname)
{
	check(a->n_addrs <= DNS_ANSWER_ADDRS_MAX);
	check(a->n_chain >= 1 && a->n_chain <= DNS_ANSWER_HOPS_MAX + 1);
	check(strcmp(a->chain[0], qname) == 0);
	for (size_t i = 0; i < a->n_chain; i++)
		for (size_t j = i + 1; j < a->n_chain; j++)
			check(strcmp(a->chain[i], a->chain[j]) != 0);
	for (size_t i = 0; i < a->n_addrs; i++) {
		const struct ipaddr *ip = &a->addrs[i].addr;
		check(ip->family == AF_INET || ip->family == AF_INET6);
		check(!rebind_range(ip) || policy_allows_address(&pol, ip));
		check(a->addrs[i].ttl <= 0x7fffffff);
		for (size_t j = i + 1; j < a->n_addrs; j++)
			check(!same(ip, &a->addrs[j].addr));
	}
	size_t nd = a->n_dropped < DNS_ANSWER_ADDRS_MAX ? a->n_dropped
							: DNS_ANSWER_ADDRS_MAX;
	for (size_t i = 0; i < nd; i++)
		check(a->dropped[i].range && !has(a, &a->dropped[i].addr));
	check(a->rebuild == (a->n_dropped || a->n_over || a->n_offchain));
}

/* Every address record of the rebuilt reply is one to open. */
static void check_rebuilt(const struct dns_msg *r, const struct dns_answer *a)
{
	struct dns_rr_iter it;
	struct dns_rr rr;
	unsigned n = 0;
	int k;
	dns_answers(r, &it);
	while ((k = dns_rr_next(&it, &rr)) > 0) {
		n++;
		check(rr.rclass == DNS_CLASS_IN &&
		      (rr.type == DNS_T_A || rr.type == DNS_T_AAAA ||
		       rr.type == DNS_T_CNAME));
		if (rr.type != DNS_T_CNAME) {
			struct ipaddr ip;
			memset(&ip, 0, sizeof ip);
			ip.family = rr.type == DNS_T_A ? AF_INET : AF_INET6;
			memcpy(ip.b, rr.addr, rr.type == DNS_T_A ? 4 : 16);
			check(has(a, &ip));
		}
	}
	check(k == 0 && n == r->ancount);
	check(r->nscount == 0 && r->arcount == (a->have_opt ? 1 : 0));
	check(!r->tc);
}

static void rebuild(const struct dns_msg *m, const struct dns_answer *a)
{
	uint8_t *big = malloc(65536 + 4096);
	int n = dns_answer_rebuild(big, 65536 + 4096, m, a);
	free(big);
	check(n > 0 || n == DNS_E_SPACE);
	if (n <= 0)
		return;
	uint8_t *out = malloc((size_t)n);
	check(dns_answer_rebuild(out, (size_t)n, m, a) == n);
	struct dns_msg r;
	check(dns_parse(&r, out, (size_t)n) == 0);
	check(r.q_end == m->q_end && memcmp(out, m->buf, 2) == 0 &&
	      memcmp(out + 4, m->buf + 4, 2) == 0 &&
	      memcmp(out + DNS_HEADER_LEN, m->buf + DNS_HEADER_LEN,
		     m->q_end - DNS_HEADER_LEN) == 0);
	check_rebuilt(&r, a);
	struct dns_answer *again = malloc(sizeof *again);
	check(dns_answer_collect(again, &r, r.qname, &pol) == 0);
	check_answer(again, r.qname);
	check(!again->rebuild && again->n_addrs == a->n_addrs);
	for (size_t i = 0; i < a->n_addrs; i++)
		check(has(again, &a->addrs[i].addr));
	free(again);
	free(out);
	/* Too small, by one byte and by half. */
	size_t caps[] = {(size_t)n - 1, (size_t)n / 2, m->q_end - 1};
	for (size_t i = 0; i < sizeof caps / sizeof *caps; i++) {
		uint8_t *small = malloc(caps[i] ? caps[i] : 1);
		check(dns_answer_rebuild(small, caps[i], m, a) == DNS_E_SPACE);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	uint8_t hdr[DNS_HEADER_LEN];
	int h =
	    dns_build_header_reply(hdr, sizeof hdr, buf, size, DNS_R_FORMERR);
	check(h == DNS_HEADER_LEN || h == DNS_E_ARG);
	if (h == DNS_HEADER_LEN) {
		struct dns_msg hm;
		check(dns_parse(&hm, hdr, sizeof hdr) == 0 && hm.qr &&
		      hm.rcode == DNS_R_FORMERR && hm.qdcount == 0);
	}
	struct dns_msg m;
	if (dns_parse(&m, buf, size) == 0) {
		struct dns_answer *a = malloc(sizeof *a);
		int r = dns_answer_collect(a, &m, m.qname, &pol);
		check(r == 0 || (r == DNS_E_ARG && m.qdcount != 1));
		if (r == 0) {
			check_answer(a, m.qname);
			rebuild(&m, a);
		}
		free(a);
	}
	check(memcmp(buf, data, size) == 0);
	free(buf);
	return 0;
}
