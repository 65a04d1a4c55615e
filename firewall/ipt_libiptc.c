/* The only file that calls libiptc (libip4tc, libip6tc), whose ABI is not
 * stable between iptables releases: everything else in the iptables
 * backend speaks in kernel entries (ipt.h).  Both families go through one
 * table of wrappers, so every operation is written once. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libiptc/libip6tc.h>
#include <libiptc/libiptc.h>

#include "../common/cleanup.h"
#include "ipt.h"

#define ADVICE_CAP                                                             \
	"missing CAP_NET_ADMIN: run as root or start the container with "      \
	"--cap-add=NET_ADMIN"

struct tc {
	int v;
	struct xtc_handle *(*init)(const char *table);
	void (*free)(struct xtc_handle *h);
	int (*is_chain)(const char *chain, struct xtc_handle *h);
	int (*create)(const char *chain, struct xtc_handle *h);
	int (*flush)(const char *chain, struct xtc_handle *h);
	int (*del_chain)(const char *chain, struct xtc_handle *h);
	const void *(*first)(const char *chain, struct xtc_handle *h);
	const void *(*next)(const void *e, struct xtc_handle *h);
	const char *(*target)(const void *e, struct xtc_handle *h);
	int (*insert)(const char *chain, const void *e, unsigned n,
		      struct xtc_handle *h);
	int (*append)(const char *chain, const void *e, struct xtc_handle *h);
	int (*del_num)(const char *chain, unsigned n, struct xtc_handle *h);
	int (*commit)(struct xtc_handle *h);
	const char *(*strerror)(int e);
	const char *names; /* the kernel's list of loaded tables */
};

/* libiptc declares most chain names as xt_chainlabel (char[32]) and may
 * read all of it: hand it a full, zeroed array. */
#define LABEL(c)                                                               \
	xt_chainlabel l = {0};                                                 \
	snprintf(l, sizeof l, "%s", c)

#define TC_WRAPPERS(P, ENTRY)                                                  \
	static int P##_is_chain_(const char *c, struct xtc_handle *h)          \
	{                                                                      \
		return P##_is_chain(c, h);                                     \
	}                                                                      \
	static int P##_create_(const char *c, struct xtc_handle *h)            \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_create_chain(l, h);                                 \
	}                                                                      \
	static int P##_flush_(const char *c, struct xtc_handle *h)             \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_flush_entries(l, h);                                \
	}                                                                      \
	static int P##_del_chain_(const char *c, struct xtc_handle *h)         \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_delete_chain(l, h);                                 \
	}                                                                      \
	static const void *P##_first_(const char *c, struct xtc_handle *h)     \
	{                                                                      \
		return P##_first_rule(c, h);                                   \
	}                                                                      \
	static const void *P##_next_(const void *e, struct xtc_handle *h)      \
	{                                                                      \
		return P##_next_rule(e, h);                                    \
	}                                                                      \
	static const char *P##_target_(const void *e, struct xtc_handle *h)    \
	{                                                                      \
		return P##_get_target(e, h);                                   \
	}                                                                      \
	static int P##_insert_(const char *c, const void *e, unsigned n,       \
			       struct xtc_handle *h)                           \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_insert_entry(l, e, n, h);                           \
	}                                                                      \
	static int P##_append_(const char *c, const void *e,                   \
			       struct xtc_handle *h)                           \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_append_entry(l, e, h);                              \
	}                                                                      \
	static int P##_del_num_(const char *c, unsigned n,                     \
				struct xtc_handle *h)                          \
	{                                                                      \
		LABEL(c);                                                      \
		return P##_delete_num_entry(l, n, h);                          \
	}

TC_WRAPPERS(iptc, struct ipt_entry)
TC_WRAPPERS(ip6tc, struct ip6t_entry)

#define TC_OPS(V, P, NAMES)                                                    \
	{                                                                      \
		V, P##_init, P##_free, P##_is_chain_, P##_create_, P##_flush_, \
		    P##_del_chain_, P##_first_, P##_next_, P##_target_,        \
		    P##_insert_, P##_append_, P##_del_num_, P##_commit,        \
		    P##_strerror, NAMES                                        \
	}

static const struct tc tcs[2] = {
    TC_OPS(4, iptc, "/proc/net/ip_tables_names"),
    TC_OPS(6, ip6tc, "/proc/net/ip6_tables_names"),
};

static const struct tc *tc_for(int v)
{
	return &tcs[v == 4 ? 0 : 1];
}

static size_t entry_size(int v, const void *e)
{
	return v == 4 ? ((const struct ipt_entry *)e)->next_offset
		      : ((const struct ip6t_entry *)e)->next_offset;
}

static int explain(const struct tc *t, const char *table, const char *what,
		   char *err, size_t errlen)
{
	int e = errno;
	if (e == EPERM || e == EACCES)
		snprintf(err, errlen, "%s", ADVICE_CAP);
	else if ((e == ENOENT || e == ENOPROTOOPT || e == EAFNOSUPPORT) &&
		 strcmp(what, "opening") == 0)
		snprintf(
		    err, errlen,
		    "the kernel has no legacy %s table %s (x_tables legacy, "
		    "CONFIG_NETFILTER_XTABLES_LEGACY): load module %s_%s or "
		    "use "
		    "'backend nftables'",
		    t->v == 4 ? "iptables" : "ip6tables", table,
		    t->v == 4 ? "iptable" : "ip6table", table);
	else
		snprintf(err, errlen, "%s %s table %s: %s", what,
			 t->v == 4 ? "iptables" : "ip6tables", table,
			 t->strerror(e));
	return -1;
}

/* Is the table loaded?  Reading it through libiptc would load it. */
static bool loaded(const struct tc *t, const char *table)
{
	cleanup_file FILE *f = fopen(t->names, "re");
	char line[64];
	while (f && fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = 0;
		if (strcmp(line, table) == 0)
			return true;
	}
	return false;
}

static bool ours(int c, const char *table)
{
	return strcmp(IPT_TABLE(c), table) == 0;
}

/* Deletes every jump from hook to chain. */
static int unhook(const struct tc *t, struct xtc_handle *h, const char *hook,
		  const char *chain)
{
	for (;;) {
		unsigned i = 0, found = 0;
		bool any = false;
		for (const void *e = t->first(hook, h); e;
		     e = t->next(e, h), i++)
			if (strcmp(t->target(e, h), chain) == 0) {
				found = i;
				any = true;
			}
		if (!any)
			return 0;
		if (!t->del_num(hook, found, h))
			return -1;
	}
}

/* Writes the chains of blobs (NULL: kept as they are) into the handle. */
static int fill(const struct tc *t, struct xtc_handle *h, const char *table,
		struct ipt_blob *const blobs[IPT_NCHAINS])
{
	int v = t->v;
	/* Every chain first: corral-output jumps to corral-learned. */
	for (int c = 0; c < IPT_NCHAINS; c++) {
		if (!blobs[c] || !ours(c, table))
			continue;
		const char *name = ipt_chain_name[c];
		if (!(t->is_chain(name, h) ? t->flush(name, h)
					   : t->create(name, h)))
			return -1;
	}
	for (int c = 0; c < IPT_NCHAINS; c++) {
		if (!blobs[c] || !ours(c, table))
			continue;
		const char *name = ipt_chain_name[c];
		const struct ipt_blob *b = blobs[c];
		for (size_t off = 0; off < b->len;
		     off += entry_size(v, b->buf + off))
			if (!t->append(name, b->buf + off, h))
				return -1;
		const char *hook = ipt_chain_hook[c];
		if (!hook)
			continue;
		/* A bare jump: the rule-1 guarantee is ours to keep. */
		unsigned char jump[512] = {0};
		struct ipt_blob jb = {.buf = jump, .cap = sizeof jump};
		struct ipt_rule r = {
		    .v = v, .icmp6_type = -1, .set = -1, .verdict = IPT_ACCEPT};
		if (ipt_rule_put(&jb, &r) < 0)
			return -1;
		size_t hdr = v == 4 ? sizeof(struct ipt_entry)
				    : sizeof(struct ip6t_entry);
		struct xt_entry_target *tg =
		    (struct xt_entry_target *)(jump + hdr);
		snprintf(tg->u.user.name, sizeof tg->u.user.name, "%s", name);
		if (unhook(t, h, hook, name) < 0 ||
		    !t->insert(hook, jump, 0, h))
			return -1;
	}
	return 0;
}

static int table_digest(const struct tc *t, struct xtc_handle *h,
			const char *table, unsigned want_copy,
			struct ipt_read *out);

int ipt_tc_write(int v, const char *table, struct ipt_write *w, char *err,
		 size_t errlen)
{
	const struct tc *t = tc_for(v);
	struct xtc_handle *h = t->init(table);
	if (!h)
		return explain(t, table, "opening", err, errlen);
	struct ipt_blob *const *blobs = w->blobs;
	struct ipt_read r;
	w->restored = false;
	/* One read serves the check, the change and the digest after it. */
	if (w->check && table_digest(t, h, table, 0, &r) == 0 &&
	    r.digest != w->expect) {
		blobs = w->restore;
		w->restored = true;
	}
	int rc = fill(t, h, table, blobs);
	if (rc == 0 && table_digest(t, h, table, 0, &r) == 0)
		w->digest = r.digest;
	const char *what = "changing";
	if (rc == 0) {
		what = "committing";
		if (!t->commit(h))
			rc = -1;
	}
	if (rc < 0)
		explain(t, table, what, err, errlen);
	t->free(h);
	return rc;
}

int ipt_tc_remove(int v, const char *table, char *err, size_t errlen)
{
	const struct tc *t = tc_for(v);
	if (!loaded(t, table))
		return 0;
	struct xtc_handle *h = t->init(table);
	if (!h)
		return explain(t, table, "opening", err, errlen);
	bool any = false;
	int rc = 0;
	for (int c = 0; c < IPT_NCHAINS && rc == 0; c++) {
		const char *name = ipt_chain_name[c];
		if (!ours(c, table) || !t->is_chain(name, h))
			continue;
		any = true;
		if ((ipt_chain_hook[c] &&
		     unhook(t, h, ipt_chain_hook[c], name) < 0) ||
		    !t->flush(name, h))
			rc = -1;
	}
	for (int c = 0; c < IPT_NCHAINS && rc == 0; c++)
		if (ours(c, table) && t->is_chain(ipt_chain_name[c], h) &&
		    !t->del_chain(ipt_chain_name[c], h))
			rc = -1;
	if (rc == 0 && any && !t->commit(h))
		rc = -1;
	if (rc < 0)
		explain(t, table, "clearing", err, errlen);
	t->free(h);
	return rc;
}

static void fnv(uint64_t *d, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		*d = (*d ^ b[i]) * 0x100000001b3ull;
}

/* An entry into the digest: header without counters, matches, and the
 * target by name (a jump's verdict is an offset that moves whenever any
 * other rule does) or, for a target module, with its data. */
static void digest_entry(const struct tc *t, struct xtc_handle *h,
			 const void *e, uint64_t *d)
{
	unsigned char copy[2048];
	size_t len = entry_size(t->v, e);
	if (len > sizeof copy)
		len = sizeof copy;
	memcpy(copy, e, len);
	size_t toff;
	if (t->v == 4) {
		struct ipt_entry *x = (struct ipt_entry *)copy;
		x->counters = (struct xt_counters){0};
		x->comefrom = 0;
		toff = x->target_offset;
	} else {
		struct ip6t_entry *x = (struct ip6t_entry *)copy;
		x->counters = (struct xt_counters){0};
		x->comefrom = 0;
		toff = x->target_offset;
	}
	if (toff > len)
		toff = len;
	/* The kernel writes a name up to its NUL; the rest of the field is
	 * whatever libiptc's buffer held. */
	size_t hdr =
	    t->v == 4 ? sizeof(struct ipt_entry) : sizeof(struct ip6t_entry);
	for (size_t off = hdr; off + sizeof(struct xt_entry_match) <= toff;) {
		struct xt_entry_match *m =
		    (struct xt_entry_match *)(copy + off);
		size_t n = strnlen(m->u.user.name, sizeof m->u.user.name);
		memset(m->u.user.name + n, 0, sizeof m->u.user.name - n);
		if (m->u.user.match_size < sizeof *m)
			break;
		off += m->u.user.match_size;
	}
	if (toff + sizeof(struct xt_entry_target) <= len) {
		struct xt_entry_target *x =
		    (struct xt_entry_target *)(copy + toff);
		size_t n = strnlen(x->u.user.name, sizeof x->u.user.name);
		memset(x->u.user.name + n, 0, sizeof x->u.user.name - n);
	}
	fnv(d, copy, toff);
	/* A verdict or a jump by its name alone: its data is an offset in
	 * the kernel's copy and not yet set in a handle we changed. */
	const char *name = t->target(e, h);
	fnv(d, name, strlen(name) + 1);
	bool standard = !name[0] || !strcmp(name, "ACCEPT") ||
			!strcmp(name, "DROP") || !strcmp(name, "RETURN") ||
			!strcmp(name, "QUEUE") || t->is_chain(name, h);
	if (!standard && toff < len)
		fnv(d, copy + toff, len - toff);
}

/* A copy of an entry that libiptc takes back: a standard target
 * named by its verdict again. */
static int keep_copy(const struct tc *t, struct xtc_handle *h, const void *e,
		     struct ipt_blob *b)
{
	unsigned char copy[2048];
	size_t len = entry_size(t->v, e);
	if (len > sizeof copy)
		return 0;
	memcpy(copy, e, len);
	size_t toff = t->v == 4 ? ((struct ipt_entry *)copy)->target_offset
				: ((struct ip6t_entry *)copy)->target_offset;
	struct xt_entry_target *tg = (struct xt_entry_target *)(copy + toff);
	if (toff + sizeof *tg > len)
		return 0;
	if (!tg->u.user.name[0])
		snprintf(tg->u.user.name, sizeof tg->u.user.name, "%s",
			 t->target(e, h));
	if (t->v == 4)
		((struct ipt_entry *)copy)->counters = (struct xt_counters){0};
	else
		((struct ip6t_entry *)copy)->counters = (struct xt_counters){0};
	return ipt_blob_append(b, copy, len);
}

static int table_digest(const struct tc *t, struct xtc_handle *h,
			const char *table, unsigned want_copy,
			struct ipt_read *out)
{
	int v = t->v;
	*out = (struct ipt_read){.digest = 0xcbf29ce484222325ull};
	for (int c = 0; c < IPT_NCHAINS; c++) {
		const char *name = ipt_chain_name[c];
		if (!ours(c, table))
			continue;
		fnv(&out->digest, name, strlen(name) + 1);
		out->present[c] = t->is_chain(name, h);
		if (ipt_chain_hook[c]) {
			const void *first = t->first(ipt_chain_hook[c], h);
			out->hooked[c] =
			    first && strcmp(t->target(first, h), name) == 0;
			fnv(&out->digest, &out->hooked[c], 1);
		}
		if (!out->present[c])
			continue;
		for (const void *e = t->first(name, h); e; e = t->next(e, h)) {
			out->rules[c]++;
			digest_entry(t, h, e, &out->digest);
			uint64_t pcnt =
			    v == 4
				? ((const struct ipt_entry *)e)->counters.pcnt
				: ((const struct ip6t_entry *)e)->counters.pcnt;
			const char *tg = t->target(e, h);
			if (c == IPT_OUTPUT && strcmp(tg, "REJECT") == 0)
				out->rejected += pcnt;
			if (c == IPT_DNS && strcmp(tg, "RETURN") == 0) {
				out->host_dns += pcnt;
				out->have_host_dns = true;
			}
			if ((want_copy & (1u << c)) &&
			    keep_copy(t, h, e, &out->copy[c]) < 0)
				return -1;
		}
	}
	return 0;
}

int ipt_tc_read(int v, const char *table, unsigned want_copy,
		struct ipt_read *out, char *err, size_t errlen)
{
	const struct tc *t = tc_for(v);
	*out = (struct ipt_read){0};
	if (!loaded(t, table))
		return 1;
	struct xtc_handle *h = t->init(table);
	if (!h)
		return explain(t, table, "reading", err, errlen);
	int rc = table_digest(t, h, table, want_copy, out);
	t->free(h);
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	return rc;
}

int ipt_tc_probe(char *err, size_t errlen)
{
	for (int i = 0; i < 2; i++) {
		const char *tables[] = {"filter", "nat"};
		for (int k = 0; k < 2; k++) {
			struct xtc_handle *h = tcs[i].init(tables[k]);
			if (!h)
				return explain(&tcs[i], tables[k], "opening",
					       err, errlen);
			tcs[i].free(h);
		}
	}
	return 0;
}
