/* The iptables backend: the policy in corral's own chains of the legacy
 * x_tables filter and nat tables, IPv4 and IPv6, each table replaced in
 * one commit.  Learned addresses go into ipsets with timeouts where the
 * kernel has ipset (ipt_ipset.c); elsewhere they live in corral-learned
 * with a deadline in each rule's comment, and corral keeps the timers
 * (ipt_tick) and rewrites the chain.  Nothing stops root from changing
 * these chains, so corral checks them when it writes a table and every
 * CHECK_MS, and restores them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "dns_scope.h"
#include "ipt.h"
#include "nft_int.h" /* nft_dyn_set_of: the same set per port spec */

#define CHECK_MS 2000
#define FILTER	 0
#define NAT	 1

struct learned {
	int v; /* 0: IPv4, 1: IPv6 */
	struct ipaddr a;
	uint16_t spec;	/* UINT16_MAX: read back from the kernel, no key */
	uint64_t until; /* unix seconds */
	struct ipt_blob rules;
};

static struct {
	bool active;   /* this process applied the policy: it keeps it */
	bool imported; /* learned rules of another process read back */
	bool sets;     /* learned addresses in ipsets (else in the chain) */
	struct ipt_blob chains[2][IPT_NCHAINS];
	struct learned *l;
	size_t n, cap;
	uint64_t digest[2][2]; /* [family][table] as last written */
	double next_check;
} st;

static const char *const tables[2] = {"filter", "nat"};

static double mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t now_unix(void)
{
	return (uint64_t)time(NULL);
}

static void read_free(struct ipt_read *r)
{
	for (int c = 0; c < IPT_NCHAINS; c++)
		ipt_blob_free(&r->copy[c]);
}

static void learned_clear(void)
{
	for (size_t i = 0; i < st.n; i++)
		ipt_blob_free(&st.l[i].rules);
	free(st.l);
	st.l = NULL;
	st.n = st.cap = 0;
}

static void chains_free(struct ipt_blob c[2][IPT_NCHAINS])
{
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < IPT_NCHAINS; k++)
			ipt_blob_free(&c[v][k]);
}

static struct learned *learned_push(void)
{
	if (st.n == st.cap) {
		size_t cap = st.cap ? st.cap * 2 : 64;
		struct learned *nl = reallocarray(st.l, cap, sizeof *nl);
		if (!nl)
			return NULL;
		st.l = nl;
		st.cap = cap;
	}
	st.l[st.n] = (struct learned){0};
	return &st.l[st.n++];
}

/* Adds or renews (a, spec) until `until`; false on allocation failure. */
static bool learn(const struct policy *p, const struct ipaddr *a, uint16_t spec,
		  uint64_t until)
{
	struct learned *x = NULL;
	for (size_t i = 0; i < st.n && !x; i++)
		if (st.l[i].spec == spec && st.l[i].a.family == a->family &&
		    memcmp(st.l[i].a.b, a->b, 16) == 0)
			x = &st.l[i];
	if (x) {
		if (x->until >= until)
			return true;
		ipt_blob_free(&x->rules);
	} else if (!(x = learned_push())) {
		return false;
	}
	x->v = a->family == AF_INET6;
	x->a = *a;
	x->spec = spec;
	x->until = until;
	return ipt_build_learned(p, a, spec, until, &x->rules) == 0;
}

/* Forgets what has expired; true when something did. */
static bool expire(uint64_t now)
{
	size_t out = 0;
	for (size_t i = 0; i < st.n; i++) {
		if (st.l[i].until <= now) {
			ipt_blob_free(&st.l[i].rules);
			continue;
		}
		st.l[out++] = st.l[i];
	}
	bool any = out != st.n;
	st.n = out;
	return any;
}

static int learned_blob(int v, struct ipt_blob *b)
{
	*b = (struct ipt_blob){0};
	for (size_t i = 0; i < st.n; i++) {
		const struct learned *x = &st.l[i];
		if (x->v != v)
			continue;
		if (ipt_blob_append(b, x->rules.buf, x->rules.len) < 0)
			return -1;
		b->n += x->rules.n - 1;
	}
	return 0;
}

/* Writes table t of family v: every corral chain when full, else only
 * corral-learned, after checking (in the same read) that nobody changed
 * the table since we last wrote it; if somebody did, all of it is
 * restored.  Remembers the table as written. */
static int write_table(int v, int t, bool full, char *err, size_t errlen)
{
	struct ipt_blob learned = {0};
	struct ipt_blob *all[IPT_NCHAINS] = {0}, *some[IPT_NCHAINS] = {0};
	if (t == FILTER && !st.sets && learned_blob(v, &learned) < 0) {
		ipt_blob_free(&learned);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int c = 0; c < IPT_NCHAINS; c++)
		all[c] = c != IPT_LEARNED ? &st.chains[v][c]
			 : t != FILTER	  ? NULL
			 : st.sets	  ? &st.chains[v][c]
					  : &learned;
	some[IPT_LEARNED] = all[IPT_LEARNED];
	struct ipt_write w = {.blobs = full ? all : some,
			      .restore = all,
			      .check = st.active && !full,
			      .expect = st.digest[v][t]};
	int rc = ipt_tc_write(v == 0 ? 4 : 6, tables[t], &w, err, errlen);
	ipt_blob_free(&learned);
	if (rc == 0 && st.active)
		st.digest[v][t] = w.digest;
	if (rc == 0 && w.restored)
		warn("%s %s: corral's chains were changed by someone else: "
		     "restored",
		     v ? "ip6tables" : "iptables", tables[t]);
	return rc;
}

int ipt_apply(const struct policy *p, const struct resolved *addrs,
	      size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	      size_t errlen)
{
	(void)sock_fd; /* legacy iptables has no owner: nothing to keep open */
	struct ipt_blob chains[2][IPT_NCHAINS] = {0};
	char cgroup[512];
	bool scoped = o && o->dns_cgroup &&
		      dns_scope_own_path(cgroup, sizeof cgroup) == 0;
	if (ipt_build_static(p, scoped ? cgroup : NULL, chains) < 0) {
		chains_free(chains);
		snprintf(err, errlen, "building the iptables rules: %s",
			 strerror(errno));
		return -1;
	}
	/* Where the kernel has ipset, learned addresses go into sets with
	 * timeouts and corral-learned only matches them. */
	bool sets = ipt_ipset_available();
	err[0] = 0;
	if (sets && ipt_build_learned_sets(p, chains, err, errlen) < 0) {
		chains_free(chains);
		return -1;
	}
	chains_free(st.chains);
	memcpy(st.chains, chains, sizeof chains);
	learned_clear();
	st.imported = true;
	st.sets = sets;
	uint64_t now = now_unix();
	for (size_t i = 0; i < n_addrs; i++) {
		uint16_t spec = addrs[i].portspec;
		uint32_t t = nft_dyn_clamp(p, addrs[i].ttl);
		if (sets) {
			int set = nft_dyn_set_of(p, spec);
			if (set < 0 ||
			    ipt_ipset_add(&addrs[i].addr, (uint16_t)set, t, err,
					  errlen) < 0)
				return -1;
		} else if (!learn(p, &addrs[i].addr, spec, now + t)) {
			snprintf(err, errlen,
				 "building the iptables rules: out of memory");
			return -1;
		}
	}
	st.active = true;
	/* nat first: a failure there (no NAT in the kernel) changes nothing;
	 * once filter is in force a missing redirect would only refuse DNS. */
	for (int t = NAT; t >= FILTER; t--)
		for (int v = 0; v < 2; v++)
			if (write_table(v, t, true, err, errlen) < 0)
				return -1;
	st.next_check = mono_ms() + CHECK_MS;
	return 0;
}

/* Learned rules another process wrote (corral apply before corral dns):
 * kept until their deadline, like our own. */
static void import_learned(void)
{
	st.imported = true;
	for (int v = 0; v < 2; v++) {
		struct ipt_read r;
		char err[256];
		if (ipt_tc_read(v ? 6 : 4, "filter", 1u << IPT_LEARNED, &r, err,
				sizeof err) == 0) {
			const struct ipt_blob *b = &r.copy[IPT_LEARNED];
			for (size_t off = 0, len; off < b->len; off += len) {
				len = ipt_entry_len(v ? 6 : 4, b->buf + off,
						    b->len - off);
				struct learned *x = len ? learned_push() : NULL;
				if (!x)
					break;
				x->v = v;
				x->spec = UINT16_MAX;
				x->until = ipt_entry_until(v ? 6 : 4,
							   b->buf + off, len);
				if (ipt_blob_append(&x->rules, b->buf + off,
						    len) < 0)
					st.n--;
			}
		}
		read_free(&r);
	}
}

/* Restores table t of family v if someone changed it behind our back. */
static void check_table(int v, int t)
{
	struct ipt_read r;
	char err[256];
	int rc = ipt_tc_read(v ? 6 : 4, tables[t], 0, &r, err, sizeof err);
	read_free(&r);
	if (rc == 0 && r.digest == st.digest[v][t])
		return;
	const char *tool = v ? "ip6tables" : "iptables";
	if (write_table(v, t, true, err, sizeof err) < 0)
		warn("%s %s: corral's chains were changed by someone else and "
		     "cannot be "
		     "restored: %s",
		     tool, tables[t], err);
	else
		warn("%s %s: corral's chains were changed by someone else: "
		     "restored",
		     tool, tables[t]);
}

static void self_check(void)
{
	for (int v = 0; v < 2; v++)
		for (int t = FILTER; t <= NAT; t++)
			check_table(v, t);
}

int ipt_dyn_add(int *sock_fd, const struct policy *p,
		const struct nft_dyn_elem *e, size_t n, char *err,
		size_t errlen)
{
	(void)sock_fd;
	if (!st.imported) { /* a process that did not apply: corral dns */
		st.sets = ipt_ipset_in_use();
		if (!st.sets)
			import_learned();
		st.imported = true;
	}
	if (st.sets) { /* one ACKed add each; the kernel expires them */
		for (size_t i = 0; i < n; i++) {
			int set = nft_dyn_set_of(p, e[i].portspec);
			if (set < 0) {
				snprintf(err, errlen,
					 "port spec %u does not exist",
					 e[i].portspec);
				return -1;
			}
			if (ipt_ipset_add(&e[i].addr, (uint16_t)set,
					  e[i].timeout ? e[i].timeout : 1, err,
					  errlen) < 0)
				return -1;
		}
		return 0;
	}
	uint64_t now = now_unix();
	bool touched[2] = {false, false};
	for (size_t i = 0; i < n; i++) {
		uint32_t t = e[i].timeout ? e[i].timeout : 1;
		if (!learn(p, &e[i].addr, e[i].portspec, now + t)) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		touched[e[i].addr.family == AF_INET6] = true;
	}
	if (expire(now))
		touched[0] = touched[1] = true;
	/* The write checks the table it changes (the other tables wait
	 * for the periodic check). */
	for (int v = 0; v < 2; v++)
		if (touched[v] &&
		    write_table(v, FILTER, false, err, errlen) < 0)
			return -1;
	return 0;
}

int ipt_tick(void)
{
	uint64_t now = now_unix();
	if (!st.active && !st.imported)
		return -1;
	if (!st.sets && expire(now)) {
		char err[256];
		for (int v = 0; v < 2; v++)
			if (write_table(v, FILTER, false, err, sizeof err) < 0)
				warn("cannot remove expired learned addresses: "
				     "%s",
				     err);
	}
	double t = mono_ms();
	if (st.active && t >= st.next_check) {
		self_check();
		st.next_check = t + CHECK_MS;
	}
	double next = st.active ? st.next_check - t : -1;
	for (size_t i = 0; i < st.n; i++) {
		double d = ((double)st.l[i].until - (double)now) * 1e3;
		if (next < 0 || d < next)
			next = d;
	}
	return next < 0 ? -1 : (int)next + 1;
}

static int read_all(struct ipt_read r[2][2], unsigned copy, char *err,
		    size_t errlen)
{
	int rc = 0;
	for (int v = 0; v < 2; v++)
		for (int t = FILTER; t <= NAT; t++) {
			int x = ipt_tc_read(v ? 6 : 4, tables[t], copy,
					    &r[v][t], err, errlen);
			if (x < 0)
				return -1;
			if (x == 0)
				rc = 1;
		}
	return rc; /* 1: something loaded */
}

static void read_all_free(struct ipt_read r[2][2])
{
	for (int v = 0; v < 2; v++)
		for (int t = 0; t < 2; t++)
			read_free(&r[v][t]);
}

int ipt_verify(bool owner, char *err, size_t errlen)
{
	(void)owner; /* legacy iptables has no owner: see ipt_tick */
	struct ipt_read r[2][2];
	memset(r, 0, sizeof r);
	int rc = read_all(r, 0, err, errlen);
	read_all_free(r);
	if (rc < 0)
		return -1;
	for (int v = 0; v < 2; v++)
		for (int c = 0; c < IPT_NCHAINS; c++) {
			const struct ipt_read *x =
			    &r[v][c == IPT_DNS ? NAT : FILTER];
			if (!x->present[c] ||
			    (ipt_chain_hook[c] && !x->hooked[c]) ||
			    (c == IPT_OUTPUT && x->rules[c] < 3)) {
				snprintf(err, errlen,
					 "the %s policy is not in force: chain "
					 "%s %s",
					 v ? "ip6tables" : "iptables",
					 ipt_chain_name[c],
					 !x->present[c]
					     ? "is missing"
					     : "is not jumped to first");
				return -1;
			}
		}
	return 0;
}

int ipt_blocked_packets(uint64_t *packets, char *err, size_t errlen)
{
	*packets = 0;
	for (int v = 0; v < 2; v++) {
		struct ipt_read r;
		if (ipt_tc_read(v ? 6 : 4, "filter", 0, &r, err, errlen) < 0)
			return -1;
		*packets += r.rejected;
		read_free(&r);
	}
	return 0;
}

int ipt_host_dns_packets(uint64_t *packets, char *err, size_t errlen)
{
	*packets = 0;
	bool have = false;
	for (int v = 0; v < 2; v++) {
		struct ipt_read r;
		if (ipt_tc_read(v ? 6 : 4, "nat", 0, &r, err, errlen) < 0)
			return -1;
		*packets += r.host_dns;
		have |= r.have_host_dns;
		read_free(&r);
	}
	if (!have)
		snprintf(err, errlen,
			 "chain corral-dns has no rules for the host's DNS");
	return have ? 0 : -1;
}

int ipt_show(FILE *out, char *err, size_t errlen)
{
	struct ipt_read r[2][2];
	memset(r, 0, sizeof r);
	unsigned all = (1u << IPT_NCHAINS) - 1;
	if (read_all(r, all, err, errlen) < 0) {
		read_all_free(r);
		return -1;
	}
	if (!r[0][FILTER].present[IPT_OUTPUT] &&
	    !r[1][FILTER].present[IPT_OUTPUT]) {
		read_all_free(r);
		return 1;
	}
	uint64_t now = now_unix(), blocked = 0;
	fprintf(out, "iptables backend (legacy x_tables, not root-proof: "
		     "corral restores its "
		     "chains while it runs)\n");
	for (int v = 0; v < 2; v++) {
		blocked += r[v][FILTER].rejected;
		for (int c = 0; c < IPT_NCHAINS; c++) {
			const struct ipt_read *x =
			    &r[v][c == IPT_DNS ? NAT : FILTER];
			if (!x->present[c])
				continue;
			const char *hook = ipt_chain_hook[c];
			fprintf(out, "%s -t %s chain %s: %zu rules%s%s%s\n",
				v ? "ip6tables" : "iptables",
				c == IPT_DNS ? "nat" : "filter",
				ipt_chain_name[c], x->rules[c],
				hook ? (x->hooked[c] ? ", rule 1 of "
						     : ", NOT rule 1 of ")
				     : "",
				hook ? hook : "", "");
			const struct ipt_blob *b = &x->copy[c];
			for (size_t off = 0, len; off < b->len; off += len) {
				len = ipt_entry_len(v ? 6 : 4, b->buf + off,
						    b->len - off);
				if (!len)
					break;
				char line[512];
				ipt_entry_describe(v ? 6 : 4, b->buf + off, len,
						   line, sizeof line);
				uint64_t until = ipt_entry_until(
				    v ? 6 : 4, b->buf + off, len);
				if (until)
					fprintf(
					    out, "  -A %s %s (%llus left)\n",
					    ipt_chain_name[c], line,
					    (unsigned long long)(until > now
								     ? until -
									   now
								     : 0));
				else
					fprintf(out, "  -A %s %s\n",
						ipt_chain_name[c], line);
			}
		}
	}
	ipt_ipset_show(out);
	if (r[0][NAT].have_host_dns || r[1][NAT].have_host_dns)
		fprintf(out,
			"host dns passed %llu packets (the host's processes in "
			"this netns, e.g. Docker's embedded DNS)\n",
			(unsigned long long)(r[0][NAT].host_dns +
					     r[1][NAT].host_dns));
	fprintf(out, "blocked %llu packets\n", (unsigned long long)blocked);
	read_all_free(r);
	return 0;
}

int ipt_clear(char *err, size_t errlen)
{
	for (int v = 0; v < 2; v++)
		for (int t = FILTER; t <= NAT; t++)
			if (ipt_tc_remove(v ? 6 : 4, tables[t], err, errlen) <
			    0)
				return -1;
	ipt_ipset_destroy_all(); /* no rule uses them any more */
	st.active = false;
	st.imported = false;
	learned_clear();
	return 0;
}

void ipt_stop(void)
{
	char err[256];
	if (st.active && ipt_clear(err, sizeof err) < 0)
		warn("removing corral's iptables chains: %s", err);
	chains_free(st.chains);
}
