/* The firewall backend in use: nftables (firewall/nft_*.c) or legacy
 * iptables through libiptc (firewall/ipt*.c), chosen once per process by
 * the config's `backend auto|nftables|iptables`.  The rest of corral calls
 * only these functions and does not know which backend runs. */
#ifndef CORRAL_BACKEND_H
#define CORRAL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/policy.h"
#include "nft.h"
#include "nft_dyn.h"
#include "resolve.h"

struct fw_backend {
	const char *name;    /* "nftables", "iptables" */
	const char *summary; /* for corral status */
	int (*apply)(const struct policy *p, const struct resolved *addrs,
		     size_t n_addrs, const struct nft_opts *o, int *sock_fd,
		     char *err, size_t errlen);
	int (*dyn_add)(int *sock_fd, const struct policy *p,
		       const struct nft_dyn_elem *e, size_t n, char *err,
		       size_t errlen);
	int (*verify)(bool owner, char *err, size_t errlen);
	int (*show)(FILE *out, char *err, size_t errlen);
	int (*clear)(char *err, size_t errlen);
	int (*blocked_packets)(uint64_t *packets, char *err, size_t errlen);
	/* Port-53 packets passed for the host (nft_opts.dns_cgroup). */
	int (*host_dns_packets)(uint64_t *packets, char *err, size_t errlen);
	/* Periodic duties (expiry, self-check); ms until the next, -1: none. */
	int (*tick)(void);
	/* corral init is leaving: the backend's rules go (as an owned table
	 * does when its socket closes). */
	void (*stop)(void);
};

/* Picks the backend for p (once per process; later calls return the
 * first choice).  auto: nftables when the kernel accepts it, else legacy
 * iptables.  A forced backend that does not work, or no backend at all,
 * is NULL with err saying why and what to do. */
const struct fw_backend *fw_select(const struct policy *p, char *err,
				   size_t errlen);
/* The chosen backend's name, "nftables" before any choice, and a line
 * saying where the policy lives. */
const char *fw_backend_name(void);
const char *fw_backend_summary(void);

/* The backend's operations (see nft.h and nft_dyn.h for their contracts);
 * apply and dyn_add choose the backend on first use. */
int fw_apply(const struct policy *p, const struct resolved *addrs,
	     size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	     size_t errlen);
int fw_dyn_add(int *sock_fd, const struct policy *p,
	       const struct nft_dyn_elem *e, size_t n, char *err,
	       size_t errlen);
int fw_verify(bool owner, char *err, size_t errlen);
int fw_blocked_packets(uint64_t *packets, char *err, size_t errlen);
int fw_host_dns_packets(uint64_t *packets, char *err, size_t errlen);
int fw_tick(void);
void fw_stop(void);
/* For corral show / clear, which read no config: whichever backend holds
 * a corral policy.  show: 0, 1 when none does, -1; clear: both. */
int fw_show(FILE *out, char *err, size_t errlen);
int fw_clear(char *err, size_t errlen);

#endif
