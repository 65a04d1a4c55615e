/* Internal to the nftables backend (firewall/nft_*.c and its tests):
 * cleanup helpers for libnftnl objects, the normalised element lists and
 * the netlink plumbing shared by apply, show and clear. */
#ifndef CORRAL_NFT_INT_H
#define CORRAL_NFT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft.h"

/* Ownership of libnftnl objects through __attribute__((cleanup)). */
static inline void nft_table_freep(struct nftnl_table **p)
{
	if (*p)
		nftnl_table_free(*p);
}
static inline void nft_chain_freep(struct nftnl_chain **p)
{
	if (*p)
		nftnl_chain_free(*p);
}
static inline void nft_set_freep(struct nftnl_set **p)
{
	if (*p)
		nftnl_set_free(*p);
}
static inline void nft_rule_freep(struct nftnl_rule **p)
{
	if (*p)
		nftnl_rule_free(*p);
}
static inline void nft_expr_freep(struct nftnl_expr **p)
{
	if (*p)
		nftnl_expr_free(*p);
}
static inline void nft_obj_freep(struct nftnl_obj **p)
{
	if (*p)
		nftnl_obj_free(*p);
}
static inline void nft_msgbuf_freep(struct nft_msgbuf *m)
{
	nft_msgbuf_free(m);
}
#define cleanup_nft_table  __attribute__((cleanup(nft_table_freep)))
#define cleanup_nft_chain  __attribute__((cleanup(nft_chain_freep)))
#define cleanup_nft_set	   __attribute__((cleanup(nft_set_freep)))
#define cleanup_nft_rule   __attribute__((cleanup(nft_rule_freep)))
#define cleanup_nft_expr   __attribute__((cleanup(nft_expr_freep)))
#define cleanup_nft_obj	   __attribute__((cleanup(nft_obj_freep)))
#define cleanup_nft_msgbuf __attribute__((cleanup(nft_msgbuf_freep)))

/* nft's own datatype numbers (nftables include/datatype.h), so that
 * `nft list` prints our sets with the right types; a concatenation shifts
 * the earlier fields left by NFT_TYPE_BITS. */
#define NFT_TYPE_IPADDR		 7
#define NFT_TYPE_IP6ADDR	 8
#define NFT_TYPE_INET_PROTOCOL	 12
#define NFT_TYPE_INET_SERVICE	 13
#define NFT_TYPE_ICMP6_TYPE	 29
#define NFT_TYPE_BITS		 6
#define NFT_BYTEORDER_BIG_ENDIAN 2 /* NFTNL_UDATA_SET_KEYBYTEORDER value */

/* Upper bound of one NEWSETELEM message: the element list is one nested
 * attribute whose length field has 16 bits. */
#define NFT_ELEM_MSG_MAX 60000

enum { NFT_V4, NFT_V6 };
static inline size_t nft_alen(int v)
{
	return v == NFT_V4 ? 4 : 16;
}

/* Addresses in network byte order; IPv4 uses the first 4 bytes, the rest
 * stay zero so that memcmp over 16 bytes orders both families. */
struct nft_range {
	uint8_t lo[16], hi[16]; /* inclusive */
};
struct nft_addr {
	uint8_t b[16];
};
struct nft_pelem {
	uint8_t lo[16], hi[16]; /* inclusive address range */
	uint16_t plo, phi;	/* inclusive port range, host order */
};

/* The policy as set elements the kernel accepts: sorted, without
 * duplicates, overlapping or adjacent networks merged, port-limited
 * entries made disjoint.  Index NFT_V4 / NFT_V6. */
struct nft_norm {
	struct nft_range *net[2];
	size_t n_net[2];
	struct nft_addr *addr[2];
	size_t n_addr[2];
	struct nft_pelem *port[2];
	size_t n_port[2];
	struct nft_pelem *dns[2]; /* lo == hi, plo == phi */
	size_t n_dns[2];
};

/* Returns 0, or -1 with errno ENOMEM or EINVAL. */
int nft_normalise(const struct policy *p, const struct resolved *addrs,
		  size_t n_addrs, struct nft_norm *out);
void nft_norm_free(struct nft_norm *n);
/* a += 1; false when it wrapped past the top of the address space. */
bool nft_addr_inc(uint8_t *a, size_t alen);
bool nft_addr_dec(uint8_t *a, size_t alen);
bool nft_addr_is_max(const uint8_t *a, size_t alen);

/* What nft_show read back (nft_show.c), for nft_print_state (nft_print.c).
 * sets[] is indexed in this order: net4, net6, addr4, addr6, port4, port6,
 * dns4, dns6. */
enum { NFT_N_SETS = 8 };

struct nft_show_elem {
	uint8_t key[20], kend[20];
	uint32_t flags;
	bool has_end;
};

struct nft_show_set {
	bool present;
	uint32_t key_len, flags;
	struct nft_show_elem *e;
	size_t n, cap;
	size_t bad; /* elements that did not fit the declared key */
};

struct nft_show_chain {
	char name[NFT_CHAIN_MAXNAMELEN];
	bool base;
	uint32_t policy;
	size_t rules;
};

struct nft_show_state {
	bool owner;
	uint32_t owner_port;
	struct nft_show_chain chains[8];
	size_t n_chains;
	struct nft_show_set sets[NFT_N_SETS];
	bool have_counter;
	uint64_t blocked;
};

/* The summary for people. */
void nft_print_state(FILE *out, struct nft_show_state *s);

/* For people: "192.0.2.1", "192.0.2.0/24", "192.0.2.1-192.0.2.5". */
const char *nft_range_str(int v, const uint8_t *lo, const uint8_t *hi,
			  char *buf, size_t len);
/* A set key as found in a message (4, 16 bytes; 8, 20 with a port). */
const char *nft_key_str(const uint8_t *key, size_t klen, char *buf, size_t len);

/* mnl_nlmsg_ok casts nlmsg_len to int, so a length above INT_MAX passes,
 * and walking the attributes of a message whose length is not aligned may
 * read past the buffer.  Replies are held to this instead. */
static inline bool nft_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof *nlh && nlh->nlmsg_len >= sizeof *nlh &&
	       nlh->nlmsg_len <= (unsigned)len &&
	       NLMSG_ALIGN(nlh->nlmsg_len) <= (unsigned)len;
}

/* mnl_attr_for_each_nested without casting const away. */
#define nft_attr_for_each_nested(a, nest)                                      \
	for ((a) = mnl_attr_get_payload(nest);                                 \
	     mnl_attr_ok((a), (int)((const char *)mnl_attr_get_payload(nest) + \
				    mnl_attr_get_payload_len(nest) -           \
				    (const char *)(a)));                       \
	     (a) = mnl_attr_next(a))

/* The batch that deletes table inet corral (nft_build.c). */
int nft_build_clear(uint32_t seq, struct nft_msgbuf *out);

/* Netlink plumbing (nft_netlink.c). */
int nft_sock_open(int *fd, uint32_t *portid, char *err, size_t errlen);
int nft_sock_portid(int fd, uint32_t *portid);

/* The first error the kernel reported for a batch. */
struct nft_batch_err {
	int err;      /* positive errno, 0 when none */
	uint32_t seq; /* of the message it answers */
	uint16_t
	    type;     /* nlmsg_type of that message (subsystem << 8 | NFT_MSG_*,
			 or NFNL_MSG_BATCH_BEGIN for the batch as a whole) */
	int n_errors; /* how many messages failed */
};
/* Sends the batch and reads every reply.  Returns 0 when the kernel
 * committed it; -1 with err explained (and *be filled when the kernel
 * answered with an error). */
int nft_batch_send(int fd, uint32_t portid, const struct nft_msgbuf *m,
		   struct nft_batch_err *be, char *err, size_t errlen);
/* Judges a buffer of replies as nft_batch_send does (tests, fuzzing). */
int nft_batch_judge(const struct nft_msgbuf *m, uint32_t portid,
		    const void *replies, size_t len, struct nft_batch_err *be,
		    char *err, size_t errlen);
/* Parses netlink messages as show's dump replies would come (NEWTABLE,
 * NEWCHAIN, NEWRULE, NEWSET, NEWSETELEM, NEWOBJ) and prints the summary;
 * for tests and fuzzing.  Returns 0, or -1 on allocation failure. */
int nft_show_parse(const void *buf, size_t len, FILE *out);
/* Explains a failed syscall or kernel answer in one line: what to do. */
void nft_explain(int e, const char *what, char *err, size_t errlen);

#endif
