/* Internal to the iptables backend (firewall/ipt*.c): rules as the
 * kernel's x_tables entries (struct ipt_entry / ip6t_entry with their
 * matches and target, the kernel's stable ABI), built by ipt_rules.c and
 * handed to libiptc by ipt_libiptc.c, the only file that calls libiptc. */
#ifndef CORRAL_IPT_H
#define CORRAL_IPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/policy.h"
#include <stdio.h>

#include "nft.h"
#include "nft_dyn.h"
#include "resolve.h"

/* corral's chains: filter corral-output / corral-input / corral-forward,
 * jumped to from rule 1 of OUTPUT / INPUT / FORWARD; corral-learned (the
 * addresses learned from DNS, rewritten on every change) jumped to from
 * corral-output; nat corral-dns, from rule 1 of nat OUTPUT. */
enum ipt_chain {
	IPT_OUTPUT,
	IPT_INPUT,
	IPT_FORWARD,
	IPT_LEARNED,
	IPT_DNS,
	IPT_NCHAINS
};
extern const char *const ipt_chain_name[IPT_NCHAINS];
/* The built-in chain that jumps to it, NULL for corral-learned. */
extern const char *const ipt_chain_hook[IPT_NCHAINS];
#define IPT_TABLE(c) ((c) == IPT_DNS ? "nat" : "filter")

/* Entries back to back, each next_offset long. */
struct ipt_blob {
	unsigned char *buf;
	size_t len, cap, n;
};
void ipt_blob_free(struct ipt_blob *b);
int ipt_blob_append(struct ipt_blob *b, const void *e, size_t len);

enum ipt_verdict {
	IPT_ACCEPT,
	IPT_DROP,
	IPT_JUMP_LEARNED,
	IPT_REJECT_ADMIN, /* icmp(v6) administratively prohibited */
	IPT_REJECT_RESET, /* tcp reset; proto must be tcp */
	IPT_REDIRECT_53,
	IPT_RETURN_CALLER,
	IPT_SET_CONNMARK, /* CONNMARK --set-mark CORRAL_DNS_MARK, continues */
};

/* One rule, for either family (v: 4 or 6). */
struct ipt_rule {
	int v;
	uint8_t proto;		   /* 0: any */
	uint8_t dst[16], mask[16]; /* network byte order; mask 0: any */
	const char *iif, *oif;	   /* exact interface names, NULL: any */
	int mark;		   /* 1: mark is CORRAL_DNS_MARK, -1: is not */
	uint16_t dport_lo, dport_hi; /* with tcp/udp; 0: any port */
	int icmp6_type;		     /* -1: none */
	bool established;	     /* ct state established,related */
	bool corral_flow; /* -m conntrack --ctdir ORIGINAL -m connmark --mark M
			   */
	const char *comment;
	int set; /* -m set --match-set INDEX dst; -1: none */
	const char
	    *not_cgroup; /* -m cgroup ! --path P (cgroup v2); NULL: none */
	enum ipt_verdict verdict;
};

/* Appends the entry for r to b; -1 with errno (ENOMEM, EINVAL). */
int ipt_rule_put(struct ipt_blob *b, const struct ipt_rule *r);

/* The whole static policy: chains[v][c] for v 0 (IPv4) / 1 (IPv6), all
 * but corral-learned.  dns_cgroup: NULL, or the cgroup v2 path of the
 * container (dns_scope.h): port-53 traffic of sockets outside it is
 * returned from corral-dns and accepted in corral-output.  -1 with errno. */
int ipt_build_static(const struct policy *p, const char *dns_cgroup,
		     struct ipt_blob chains[2][IPT_NCHAINS]);
/* With ipset: corral-learned as rules matching the sets, which it creates
 * (or empties).  -1 with err. */
int ipt_build_learned_sets(const struct policy *p,
			   struct ipt_blob chains[2][IPT_NCHAINS], char *err,
			   size_t errlen);
/* The rules opening one learned address (v from the address) for the
 * ports of spec (0: every port), with a comment saying until when (unix
 * seconds), appended to b. */
int ipt_build_learned(const struct policy *p, const struct ipaddr *a,
		      uint16_t spec, uint64_t until, struct ipt_blob *b);
/* An entry's length (next_offset), 0 when it does not fit in avail. */
size_t ipt_entry_len(int v, const unsigned char *e, size_t avail);
/* "until T" out of a learned entry's comment, 0 when it has none. */
uint64_t ipt_entry_until(int v, const unsigned char *e, size_t len);

/* --- ipt_libiptc.c: the only caller of libiptc --- */

/* Replaces, in one commit of table `table` of family v, every corral
 * chain of that table whose blob is non-NULL: created if missing, else
 * flushed, then filled; for each with a hook, every jump to it deleted from
 * the hook and one inserted at position 1.  Nobody else's rule is touched.
 * With check, the table is first compared with expect (a digest from
 * ipt_read) and, if it differs, `restore` is written instead.  Returns 0
 * with digest set to the table as committed, or -1 with err set (nothing
 * changed). */
struct ipt_write {
	struct ipt_blob *const *blobs;
	struct ipt_blob *const *restore;
	bool check;
	uint64_t expect;
	uint64_t digest; /* out */
	bool restored;	 /* out: restore was written */
};
int ipt_tc_write(int v, const char *table, struct ipt_write *w, char *err,
		 size_t errlen);
/* Removes corral's jumps and chains from the table (absent: fine). */
int ipt_tc_remove(int v, const char *table, char *err, size_t errlen);

/* What is in force for corral in one table of family v. */
struct ipt_read {
	bool present[IPT_NCHAINS]; /* chain exists */
	bool hooked[IPT_NCHAINS];  /* the hook's rule 1 jumps to it */
	size_t rules[IPT_NCHAINS];
	uint64_t digest;    /* of every corral chain and the hooks' rule 1 */
	uint64_t rejected;  /* packets counted by corral-output's REJECTs */
	uint64_t host_dns;  /* packets returned by corral-dns (the host's) */
	bool have_host_dns; /* corral-dns has those RETURN rules */
	struct ipt_blob
	    copy[IPT_NCHAINS]; /* the entries, of chains asked for */
};
/* Returns 0, 1 when the table is not loaded (nothing to read), -1 with err. */
int ipt_tc_read(int v, const char *table, unsigned want_copy,
		struct ipt_read *out, char *err, size_t errlen);
/* Is legacy iptables usable (a probe that changes nothing)?  0 or -1 + err. */
int ipt_tc_probe(char *err, size_t errlen);

#endif

/* --- ipt_ipset.c: learned addresses in ipsets with timeouts --- */
/* Does the kernel take ipset commands (nfnetlink and ip_set)? */
bool ipt_ipset_available(void);
/* Was this policy applied with sets (corral-addr4 exists)? */
bool ipt_ipset_in_use(void);
void ipt_ipset_name(int v, uint16_t spec, char *buf, size_t len);
/* Creates (or keeps) and empties the set of family v (4 or 6) for port
 * spec `spec`, and finds its index for -m set.  -1 with err. */
int ipt_ipset_prepare(int v, uint16_t spec, uint16_t *index, char *err,
		      size_t errlen);
/* Adds a (or renews its timeout); returns after the kernel's ACK. */
int ipt_ipset_add(const struct ipaddr *a, uint16_t spec, uint32_t timeout,
		  char *err, size_t errlen);
/* Lists the members of corral's sets with the seconds they have left. */
void ipt_ipset_show(FILE *out);
/* Destroys corral's sets (once no rule uses them). */
void ipt_ipset_destroy_all(void);

/* --- ipt.c: the backend's operations (struct fw_backend) --- */
int ipt_apply(const struct policy *p, const struct resolved *addrs,
	      size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	      size_t errlen);
int ipt_dyn_add(int *sock_fd, const struct policy *p,
		const struct nft_dyn_elem *e, size_t n, char *err,
		size_t errlen);
int ipt_verify(bool owner, char *err, size_t errlen);
int ipt_show(FILE *out, char *err, size_t errlen);
int ipt_clear(char *err, size_t errlen);
int ipt_blocked_packets(uint64_t *packets, char *err, size_t errlen);
int ipt_host_dns_packets(uint64_t *packets, char *err, size_t errlen);
int ipt_tick(void);
void ipt_stop(void);
/* One entry as iptables-save would write it, for corral show. */
void ipt_entry_describe(int v, const unsigned char *e, size_t len, char *out,
			size_t outlen);
