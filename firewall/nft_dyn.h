/* Addresses learned from DNS answers: added to the dynamic sets of table
 * inet corral (addr4/addr6, addr4_pN/addr6_pN) with an element timeout, on
 * a netlink socket kept open by the privileged side.  nft_dyn_add returns
 * only after the kernel's ACK, so the element is live before the DNS answer
 * is released to the client. */
#ifndef CORRAL_NFT_DYN_H
#define CORRAL_NFT_DYN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"
#include "resolve.h"

struct nft_dyn_elem {
	struct ipaddr addr;
	uint16_t portspec; /* index into policy.portspecs of the target that
			      allowed it: 0 = every port (addr4/addr6), else
			      addr4_pN/addr6_pN (or addr4/addr6 when the spec
			      covers every port) */
	uint32_t timeout;  /* seconds; 0 counts as 1, at most 180 days */
};

/* The element timeout for a record's TTL: clamped to [p->ttl_min,
 * p->ttl_max] (ttl_max 0: no upper bound but 180 days), never 0.  Cap the
 * TTL handed to the client to this. */
uint32_t nft_dyn_clamp(const struct policy *p, uint32_t ttl);

/* Adds the elements in ONE batch, replacing any existing element for the
 * same key so its timeout becomes the new one (kernels before ~6.12 do not
 * refresh a timeout on re-add: the batch adds, deletes and adds again).  An
 * address given twice for one set keeps the longer timeout.
 * *sock_fd: a netlink socket from an earlier call (or nft_apply's owner
 * socket, which alone may change an owned table), or -1 to open one (it is
 * handed back; close-on-exec).  Returns 0 once the kernel has ACKed, or -1
 * with one line in err (nothing was changed).  Not thread-safe. */
int nft_dyn_add(int *sock_fd, const struct policy *p,
		const struct nft_dyn_elem *e, size_t n, char *err,
		size_t errlen);

/* Reads back the live learned elements: addr, portspec (the set's index
 * N, as of the policy that built the table) and ttl = the seconds left,
 * rounded up; target is UINT32_MAX.  For status and for reload, which
 * hands them to nft_build_ruleset again.  *sock_fd as for nft_dyn_add.
 * *out is malloc'd (free it).  Returns 0, 1 when there is no table, or -1
 * with err set. */
int nft_dyn_list(int *sock_fd, struct resolved **out, size_t *n, char *err,
		 size_t errlen);

#endif
