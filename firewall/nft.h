/* The nftables backend: the whole policy as ONE atomic netlink batch into
 * table "inet corral", built with libnftnl and sent with libmnl. */
#ifndef CORRAL_NFT_H
#define CORRAL_NFT_H

#include <stdbool.h>
#include <stdio.h>

#include "../common/policy.h"
#include "resolve.h"

#define CORRAL_TABLE "corral"

struct nft_opts {
	bool owner; /* NFT_TABLE_F_OWNER: table lives as long as the socket */
};

/* A batch of netlink messages, ready to send. */
struct nft_msgbuf {
	char *buf;
	size_t len, cap;
	uint32_t seq_first, seq_last;
};

/* Builds the batch that replaces table inet corral with the policy:
 * create-if-missing, delete, create with chains, sets, elements and rules,
 * all between one BATCH_BEGIN and BATCH_END, so the kernel applies it whole
 * or not at all.  Needs no kernel.  Returns 0 or -1 (ENOMEM). */
int nft_build_ruleset(const struct policy *p, const struct resolved *addrs,
		      size_t n_addrs, const struct nft_opts *o, uint32_t seq,
		      struct nft_msgbuf *out);
void nft_msgbuf_free(struct nft_msgbuf *m);

/* Builds and commits the ruleset, waits for every ACK.  On failure the
 * previous ruleset is untouched and err holds one line saying what to do
 * (missing CAP_NET_ADMIN, no nf_tables in the kernel, ...).  With o->owner,
 * *sock_fd receives the open socket that owns the table (caller keeps it);
 * otherwise pass NULL. */
int nft_apply(const struct policy *p, const struct resolved *addrs,
	      size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	      size_t errlen);

/* Prints the policy in force, read back from the kernel, for people.
 * Returns 0, 1 when there is no table, -1 on error (err set). */
int nft_show(FILE *out, char *err, size_t errlen);

/* Removes table inet corral.  Returns 0 (also when it was absent) or -1. */
int nft_clear(char *err, size_t errlen);

#endif
