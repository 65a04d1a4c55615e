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

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nft.h"
#include "nft_dyn.h"

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
/* One element with key, key end, flags, userdata and timeout. */
#define NFT_ELEM_MAX 112
/* Room for any message but an element chunk (our rules are < 1 KiB). */
#define NFT_MSG_RESERVE 16384
/* The kernel refuses element timeouts from about 213 days on (ERANGE). */
#define NFT_TIMEOUT_MAX (180u * 86400u)

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
struct nft_pelem {
	uint8_t lo[16], hi[16]; /* inclusive address range */
	uint16_t plo, phi;	/* inclusive port range, host order */
};
struct nft_prange {
	uint16_t lo, hi; /* inclusive, host order */
};

/* An address learned from DNS, for dynamic set `set` (a port spec index;
 * 0 = addr4/addr6). */
struct nft_dyn_addr {
	uint8_t b[16];
	uint16_t set;
	uint32_t timeout; /* seconds, 1..NFT_TIMEOUT_MAX */
};

/* A port-limited dynamic set pair addr4_pN / addr6_pN and its ports. */
struct nft_dynset {
	uint16_t spec;
	uint8_t n; /* merged port ranges, sorted */
	struct nft_prange r[PORTSPEC_MAX_RANGES];
};

/* A loopback upstream that only marked packets may reach, even though
 * `oif lo accept` follows: port 0 = every port. */
struct nft_guard {
	uint8_t v;
	uint8_t addr[16];
	uint16_t port;
};

/* The policy as set elements the kernel accepts: sorted, without
 * duplicates, overlapping or adjacent networks merged, port-limited
 * entries made disjoint.  Index NFT_V4 / NFT_V6. */
struct nft_norm {
	struct nft_range *net[2];
	size_t n_net[2];
	struct nft_pelem *port[2];
	size_t n_port[2];
	struct nft_pelem *dns[2]; /* lo == hi, plo == phi */
	size_t n_dns[2];
	struct nft_dyn_addr *dyn[2]; /* sorted by set, then address */
	size_t n_dyn[2];
	struct nft_dynset *dset; /* ascending spec */
	size_t n_dset;
	struct nft_guard guard[2 * POLICY_MAX_UPSTREAMS];
	size_t n_guard;
};

/* Returns 0, or -1 with errno ENOMEM or EINVAL. */
int nft_normalise(const struct policy *p, const struct resolved *addrs,
		  size_t n_addrs, struct nft_norm *out);
void nft_norm_free(struct nft_norm *n);
/* a += 1; false when it wrapped past the top of the address space. */
bool nft_addr_inc(uint8_t *a, size_t alen);
bool nft_addr_dec(uint8_t *a, size_t alen);
bool nft_addr_is_max(const uint8_t *a, size_t alen);
/* The merged, sorted port ranges of port spec idx (at most
 * PORTSPEC_MAX_RANGES); *n = 0 means every port.  -1 (EINVAL) when the
 * spec does not exist or is malformed. */
int nft_spec_ports(const struct policy *p, uint16_t idx, struct nft_prange *r,
		   size_t *n);
/* The dynamic set an address learned for a target with port spec idx goes
 * to: idx, or 0 when the spec covers every port.  -1 when malformed. */
int nft_dyn_set_of(const struct policy *p, uint16_t idx);
/* "addr4", "addr6", "addr4_p3", ... */
const char *nft_dyn_set_name(int v, uint16_t set, char *buf, size_t len);
/* "addr4_p3" -> v and set; false for any other name. */
bool nft_dyn_set_parse(const char *name, int *v, uint16_t *set);

/* Building batches (nft_build.c), shared by nft_rules.c and nft_dyn.c.
 * Set ids within the ruleset batch: the named sets in this order, then
 * addr4_pN / addr6_pN of norm.dset[i] as NFT_ID_DYN + 2 i + v, then the
 * anonymous sets of the rules. */
enum {
	NFT_ID_NET4 = 1,
	NFT_ID_NET6,
	NFT_ID_ADDR4,
	NFT_ID_ADDR6,
	NFT_ID_PORT4,
	NFT_ID_PORT6,
	NFT_ID_DNS4,
	NFT_ID_DNS6,
	NFT_ID_DYN
};

struct nft_builder {
	struct nft_msgbuf *m;
	uint32_t seq;
	uint32_t set_id;     /* the last one given out */
	uint16_t log_group;  /* nft_opts.log_group */
	uint64_t dns_cgroup; /* nft_opts.dns_cgroup */
};

/* Makes room for a whole message (libnftnl writes without bounds checks),
 * zeroed; NULL when out of memory. */
char *nft_msg_begin(struct nft_builder *b, size_t room);
void nft_msg_end(struct nft_builder *b, const struct nlmsghdr *nlh,
		 size_t room);
/* A message header in family inet asking for an ACK, with the next seq. */
struct nlmsghdr *nft_msg_hdr(struct nft_builder *b, char *buf, uint16_t type,
			     uint16_t flags);
int nft_put_batch_begin(struct nft_builder *b);
int nft_put_batch_end(struct nft_builder *b);

struct nft_set_def {
	const char *name;
	uint32_t id, flags, key_type, key_len;
	const uint8_t *fields; /* concatenation: each field's length, or NULL */
	uint32_t size;	       /* 0: none given */
	const char *comment;   /* NULL: none */
};
int nft_put_set(struct nft_builder *b, const struct nft_set_def *d);

/* Element messages for one set, filled until the next element might not
 * fit, then another is started. */
struct nft_elems {
	struct nft_builder *b;
	const char *set;
	uint32_t set_id; /* 0: the set exists already, found by name */
	uint16_t type;	 /* NFT_MSG_NEWSETELEM or NFT_MSG_DELSETELEM */
	uint16_t flags;	 /* NLM_F_CREATE, ... */
	size_t room;	 /* of a message; 0: NFT_ELEM_MSG_MAX + 1024 */
	struct nlmsghdr *nlh;
	struct nlattr *list;
};
struct nft_elem {
	const void *key, *key_end; /* key_end may be NULL */
	size_t klen;
	uint32_t flags;	  /* NFT_SET_ELEM_INTERVAL_END */
	bool open;	  /* interval to the top: marked as nft does */
	uint32_t timeout; /* seconds, 0: none */
};
/* Makes sure n more elements fit; -1 when out of memory. */
int nft_elems_room(struct nft_elems *w, size_t n);
void nft_elems_put(struct nft_elems *w, const struct nft_elem *e);
void nft_elems_close(struct nft_elems *w);
/* An interval set of keys of klen bytes (network order): a start element
 * and an end element holding hi + 1 unless the interval reaches the top. */
int nft_elems_interval(struct nft_elems *w, const uint8_t *lo,
		       const uint8_t *hi, size_t klen);

/* The batch nft_dyn_add sends (nft_dyn.c): per set touched, a NEWSETELEM
 * without timeouts (create if missing), a DELSETELEM, and a NEWSETELEM with
 * them.  -1 with err set (malformed element, out of memory). */
int nft_dyn_build(const struct policy *p, const struct nft_dyn_elem *e,
		  size_t n, uint32_t seq, struct nft_msgbuf *m, char *err,
		  size_t errlen);

/* Every rule of the ruleset, after its sets (nft_rules.c). */
int nft_put_rules(struct nft_builder *b, const struct nft_norm *n);

/* What nft_show read back (nft_show.c), for nft_print_state (nft_print.c)
 * and nft_dyn_list (nft_dyn.c). */
enum {
	NFT_SHOW_NET4,
	NFT_SHOW_NET6,
	NFT_SHOW_PORT4,
	NFT_SHOW_PORT6,
	NFT_SHOW_DNS4,
	NFT_SHOW_DNS6,
	NFT_N_SETS /* the static sets; the learned ones are in dyn */
};

struct nft_show_elem {
	uint8_t key[20], kend[20];
	uint32_t flags;
	bool has_end;
	uint64_t timeout_ms, expires_ms; /* 0: none */
};

struct nft_show_set {
	char name[16];
	bool present;
	uint8_t v;     /* learned sets: NFT_V4 or NFT_V6 */
	uint16_t spec; /* learned sets: port spec index, 0 = every port */
	char comment[64];
	uint32_t key_len, flags;
	struct nft_show_elem *e;
	size_t n, cap;
	size_t bad; /* elements that did not fit the declared key */
};

struct nft_show_chain {
	char name[NFT_CHAIN_MAXNAMELEN];
	char type[16]; /* "filter", "nat"; empty for a regular chain */
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
	struct nft_show_set *dyn; /* addr4, addr6, addr4_pN, ... as found */
	size_t n_dyn, cap_dyn;
	bool have_counter;
	uint64_t blocked;
	bool have_host_dns; /* counter dns_host */
	uint64_t host_dns;
};

/* What nft_read_state reads of table inet corral: everything (for show);
 * the learned sets and their elements; or table, chains, rules and set
 * definitions without any element (a verification, cheap whatever the
 * size of the allowlist). */
enum {
	NFT_READ_ALL = 0,
	NFT_READ_LEARNED = 1,
	NFT_READ_RULES = 2,
	NFT_READ_COUNTERS = 3 /* the table and its named counters only */
};
/* Reads table inet corral on fd (what: NFT_READ_*; false and true still
 * mean ALL and LEARNED).  -1 with errno (ENOENT: no table). */
int nft_read_state(int fd, uint32_t portid, int what, struct nft_show_state *s);
void nft_state_free(struct nft_show_state *s);

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

/* As mnl_cb_run, without trusting nlmsg_len: the replies to request seq
 * (addressed to portid; 0: any) go to cb (NULL: none), NLMSG_DONE and the
 * ACK stop it (MNL_CB_STOP), an error is MNL_CB_ERROR with errno
 * (nft_show.c). */
int nft_cb_run(const char *buf, size_t n, uint32_t seq, uint32_t portid,
	       mnl_cb_t cb, void *data);

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
/* The first of n + 1 sequence numbers no other batch of this process
 * uses (not thread-safe: one thread talks to nf_tables). */
uint32_t nft_next_seq(size_t n);

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
