/* Addresses learned from DNS answers: added to the sets of table inet
 * corral with an element timeout, on a netlink socket kept open by the
 * privileged side.  The call returns only after the kernel's ACK, so the
 * element is live before the DNS answer is released to the client. */
#ifndef CORRAL_NFT_DYN_H
#define CORRAL_NFT_DYN_H

#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"

struct nft_dyn_elem {
	struct ipaddr addr;
	uint16_t portspec; /* index into policy.portspecs: 0 = every port
			      (addr4/addr6), else port4/port6 elements */
	uint32_t timeout;  /* seconds, > 0 */
};

/* Adds the elements in ONE batch, replacing any existing element for the
 * same key so its timeout becomes the new one (kernels before ~6.12 do not
 * refresh a timeout on re-add: the batch adds, deletes and adds again).
 * *sock_fd: a netlink socket from an earlier call, or -1 to open one (it
 * is handed back; close-on-exec).  Returns 0 once the kernel has ACKed,
 * or -1 with one line in err (nothing was changed). */
int nft_dyn_add(int *sock_fd, const struct policy *p,
		const struct nft_dyn_elem *e, size_t n, char *err,
		size_t errlen);

#endif
