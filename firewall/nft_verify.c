/* Reading the policy back from the kernel, as an outsider would see it,
 * before anything is allowed to run: init trusts the ACK of its batch, and
 * then checks that what is in force is what it meant. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>

#include "../common/cleanup.h"
#include "nft.h"
#include "nft_int.h"

static const struct nft_show_chain *find_chain(const struct nft_show_state *s,
					       const char *name)
{
	for (size_t i = 0; i < s->n_chains; i++)
		if (strcmp(s->chains[i].name, name) == 0)
			return &s->chains[i];
	return NULL;
}

int nft_verify(bool owner, char *err, size_t errlen)
{
	cleanup_fd int fd = -1;
	uint32_t portid;
	if (nft_sock_open(&fd, &portid, err, errlen) < 0)
		return -1;
	struct nft_show_state s;
	/* Not the elements: thousands of networks would cost time and memory,
	 * and the ACK of the batch that loaded them already says they are in. */
	if (nft_read_state(fd, portid, NFT_READ_RULES, &s) < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "table inet %s is not in the kernel after it was "
				 "loaded", CORRAL_TABLE);
		else
			nft_explain(errno, "reading back table inet " CORRAL_TABLE, err, errlen);
		return -1;
	}
	int rc = 0;
	static const char *const chains[] = {"output", "input", "forward"};
	for (size_t i = 0; i < 3 && rc == 0; i++) {
		const struct nft_show_chain *c = find_chain(&s, chains[i]);
		if (!c || !c->base || c->policy != NF_DROP) {
			snprintf(err, errlen, "chain %s of table inet %s is %s: the policy is "
				 "not in force", chains[i], CORRAL_TABLE,
				 !c ? "missing" : "not a base chain with policy drop");
			rc = -1;
		}
	}
	const struct nft_show_chain *out = find_chain(&s, "output");
	if (rc == 0 && out->rules == 0) {
		snprintf(err, errlen, "chain output of table inet %s has no rules", CORRAL_TABLE);
		rc = -1;
	}
	if (rc == 0 && !find_chain(&s, NFT_CHAIN_DNS)) {
		snprintf(err, errlen, "chain %s is missing: DNS would not reach the forwarder",
			 NFT_CHAIN_DNS);
		rc = -1;
	}
	if (rc == 0 && owner && !s.owner) {
		snprintf(err, errlen, "table inet %s is not owned by corral init: the kernel "
			 "ignored the owner flag (Linux 5.12 or later is needed)", CORRAL_TABLE);
		rc = -1;
	}
	nft_state_free(&s);
	return rc;
}

static int counter_packets(bool host_dns, uint64_t *packets, char *err,
			   size_t errlen)
{
	cleanup_fd int fd = -1;
	uint32_t portid;
	if (nft_sock_open(&fd, &portid, err, errlen) < 0)
		return -1;
	struct nft_show_state s;
	/* Only the counters: status and init's self-test at boot ask, and the
	 * learned sets may hold thousands of elements. */
	if (nft_read_state(fd, portid, NFT_READ_COUNTERS, &s) < 0) {
		nft_explain(errno, "reading table inet " CORRAL_TABLE, err, errlen);
		return -1;
	}
	int rc = (host_dns ? s.have_host_dns : s.have_counter) ? 0 : -1;
	if (rc == 0)
		*packets = host_dns ? s.host_dns : s.blocked;
	else
		snprintf(err, errlen, "counter %s is missing",
			 host_dns ? NFT_COUNTER_HOST_DNS : NFT_COUNTER_BLOCKED);
	nft_state_free(&s);
	return rc;
}

int nft_blocked_packets(uint64_t *packets, char *err, size_t errlen)
{
	return counter_packets(false, packets, err, errlen);
}

int nft_host_dns_packets(uint64_t *packets, char *err, size_t errlen)
{
	return counter_packets(true, packets, err, errlen);
}
