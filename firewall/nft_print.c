/* table inet corral for people: the summary `corral show` prints, and the
 * address formatting the error messages share. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "../common/cleanup.h"
#include "nft_int.h"

#define SHOW_MAX_ITEMS 24 /* per line of the summary; `nft list` has all */
#define SHOW_WIDTH     100
#define ITEM_COL       26 /* where the items of a line start */

static int v_af(int v)
{
	return v == NFT_V4 ? AF_INET : AF_INET6;
}

/* Prefix length when lo..hi is exactly one prefix, else -1. */
static int prefix_len(const uint8_t *lo, const uint8_t *hi, size_t alen)
{
	size_t bits = alen * 8, p = bits;
	while (p > 0) {
		size_t i = (p - 1) / 8;
		uint8_t bit = (uint8_t)(0x80 >> ((p - 1) % 8));
		if ((lo[i] & bit) || !(hi[i] & bit))
			break;
		p--;
	}
	for (size_t b = 0; b < p; b++) {
		uint8_t bit = (uint8_t)(0x80 >> (b % 8));
		if ((lo[b / 8] & bit) != (hi[b / 8] & bit))
			return -1;
	}
	return (int)p;
}

const char *nft_range_str(int v, const uint8_t *lo, const uint8_t *hi,
			  char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t alen = nft_alen(v);
	inet_ntop(v_af(v), lo, a, sizeof a);
	int p = prefix_len(lo, hi, alen);
	if (p == (int)alen * 8)
		snprintf(buf, len, "%s", a);
	else if (p >= 0)
		snprintf(buf, len, "%s/%d", a, p);
	else
		snprintf(buf, len, "%s-%s", a,
			 inet_ntop(v_af(v), hi, b, sizeof b));
	return buf;
}

const char *nft_key_str(const uint8_t *key, size_t klen, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;
	switch (klen) {
	case 1:
		snprintf(buf, len, "%u", key[0]);
		break;
	case 4:
	case 16:
		inet_ntop(klen == 4 ? AF_INET : AF_INET6, key, a, sizeof a);
		snprintf(buf, len, "%s", a);
		break;
	case 8:
	case 20:
		inet_ntop(klen == 8 ? AF_INET : AF_INET6, key, a, sizeof a);
		memcpy(&port, key + klen - 4, 2);
		snprintf(buf, len, "%s . %u", a, ntohs(port));
		break;
	default:
		snprintf(buf, len, "(%zu-byte key)", klen);
		break;
	}
	return buf;
}

struct items {
	FILE *out;
	size_t col, shown;
};

/* "  label              (n)" and then the items, wrapped under the first
 * one; no trailing blanks. */
static void items_begin(struct items *it, FILE *out, const char *label,
			size_t total)
{
	int n = fprintf(out, "  %-18s (%zu)", label, total);
	it->out = out;
	it->shown = 0;
	it->col = n > 0 ? (size_t)n : 0;
}

static void items_put(struct items *it, const char *s)
{
	size_t len = strlen(s);
	if (it->col < ITEM_COL) {
		fprintf(it->out, "%*s", (int)(ITEM_COL - it->col), "");
		it->col = ITEM_COL;
	} else if (it->col > ITEM_COL && it->col + 2 + len > SHOW_WIDTH) {
		fprintf(it->out, "\n%*s", ITEM_COL, "");
		it->col = ITEM_COL;
	}
	fprintf(it->out, "%s%s", it->col > ITEM_COL ? "  " : " ", s);
	it->col += (it->col > ITEM_COL ? 2 : 1) + len;
}

static void items_add(struct items *it, const char *s)
{
	if (it->shown++ < SHOW_MAX_ITEMS)
		items_put(it, s);
}

static void items_end(struct items *it)
{
	if (it->shown > SHOW_MAX_ITEMS) {
		char more[48];
		snprintf(more, sizeof more, "... and %zu more",
			 it->shown - SHOW_MAX_ITEMS);
		items_put(it, more);
	}
	fputc('\n', it->out);
}

static size_t cmp_len; /* key length for the qsort comparators */

static int cmp_elem(const void *x, const void *y)
{
	const struct nft_show_elem *a = x, *b = y;
	int c = memcmp(a->key, b->key, cmp_len);
	if (c)
		return c;
	/* An end before a start on the same key. */
	bool ae = a->flags & NFT_SET_ELEM_INTERVAL_END,
	     be = b->flags & NFT_SET_ELEM_INTERVAL_END;
	if (ae != be)
		return ae ? -1 : 1;
	return memcmp(a->kend, b->kend, cmp_len);
}

static void sort_elems(struct nft_show_set *si)
{
	cmp_len = si->key_len;
	if (si->n)
		qsort(si->e, si->n, sizeof *si->e, cmp_elem);
}

/* An interval set matches x when the greatest element <= x is a start:
 * each start covers up to the next element. */
static size_t net_ranges(struct nft_show_set *si, int v, struct nft_range *out)
{
	size_t alen = nft_alen(v), k = 0;
	if (si->key_len != alen)
		return 0;
	sort_elems(si);
	for (size_t i = 0; i < si->n; i++) {
		if (si->e[i].flags & NFT_SET_ELEM_INTERVAL_END)
			continue;
		struct nft_range r;
		memset(&r, 0, sizeof r);
		memcpy(r.lo, si->e[i].key, alen);
		if (i + 1 < si->n) {
			memcpy(r.hi, si->e[i + 1].key, alen);
			if (!nft_addr_dec(r.hi, alen) ||
			    memcmp(r.hi, r.lo, 16) < 0)
				continue;
		} else {
			memset(r.hi, 0xff, alen);
		}
		uint8_t next[16];
		if (k) {
			memcpy(next, out[k - 1].hi, 16);
			if (nft_addr_inc(next, alen) &&
			    memcmp(next, r.lo, 16) == 0) {
				memcpy(out[k - 1].hi, r.hi, 16);
				continue;
			}
		}
		out[k++] = r;
	}
	return k;
}

static void print_nets(FILE *out, struct nft_show_state *s)
{
	struct nft_show_set *si[2] = {&s->sets[NFT_SHOW_NET4],
				      &s->sets[NFT_SHOW_NET6]};
	size_t cap = si[0]->n + si[1]->n + 1;
	cleanup_free struct nft_range *r = malloc(cap * sizeof *r);
	if (!r)
		return;
	size_t n4 = net_ranges(si[0], NFT_V4, r);
	size_t n6 = net_ranges(si[1], NFT_V6, r + n4);
	struct items it;
	char buf[96];
	items_begin(&it, out, "allowed networks", n4 + n6);
	for (size_t i = 0; i < n4 + n6; i++)
		items_add(&it, nft_range_str(i < n4 ? NFT_V4 : NFT_V6, r[i].lo,
					     r[i].hi, buf, sizeof buf));
	items_end(&it);
}

static int cmp_dyn(const void *x, const void *y)
{
	const struct nft_show_set *a = x, *b = y;
	if (a->spec != b->spec)
		return a->spec < b->spec ? -1 : 1;
	return (a->v > b->v) - (a->v < b->v);
}

/* Seconds left, rounded up, as the kernel counts them. */
static uint64_t secs_left(const struct nft_show_elem *e)
{
	uint64_t ms = e->expires_ms ? e->expires_ms : e->timeout_ms;
	return (ms + 999) / 1000;
}

/* "learned (dns)  (3)  198.51.100.3 (283s) ...": addresses opened by DNS
 * answers, one line per port spec. */
static void print_learned(FILE *out, struct nft_show_state *s)
{
	if (s->n_dyn)
		qsort(s->dyn, s->n_dyn, sizeof *s->dyn, cmp_dyn);
	for (size_t i = 0; i < s->n_dyn;) {
		size_t j = i, total = 0;
		for (; j < s->n_dyn && s->dyn[j].spec == s->dyn[i].spec; j++)
			total += s->dyn[j].n;
		/* Port specs no name uses would only add lines of (0). */
		if (total == 0 && s->dyn[i].spec != 0) {
			i = j;
			continue;
		}
		char label[96];
		if (s->dyn[i].spec == 0)
			snprintf(label, sizeof label, "learned (dns)");
		else if (s->dyn[i].comment[0])
			snprintf(label, sizeof label, "learned %s",
				 s->dyn[i].comment);
		else
			snprintf(label, sizeof label, "learned (%s)",
				 s->dyn[i].name);
		struct items it;
		items_begin(&it, out, label, total);
		for (; i < j; i++) {
			struct nft_show_set *si = &s->dyn[i];
			if (si->key_len != nft_alen(si->v))
				continue;
			sort_elems(si);
			for (size_t k = 0; k < si->n; k++) {
				char a[96], item[128];
				nft_key_str(si->e[k].key, si->key_len, a,
					    sizeof a);
				snprintf(
				    item, sizeof item, "%s (%llus)", a,
				    (unsigned long long)secs_left(&si->e[k]));
				items_add(&it, item);
			}
		}
		items_end(&it);
	}
}

static uint16_t port_at(const uint8_t *k, size_t alen)
{
	uint16_t p;
	memcpy(&p, k + alen, 2);
	return ntohs(p);
}

/* "198.51.100.3 ports 22,443": elements grouped by address range. */
static void print_ports(FILE *out, struct nft_show_state *s)
{
	struct items it;
	size_t groups = 0;
	for (int pass = 0; pass < 2; pass++) {
		if (pass)
			items_begin(&it, out, "port-limited", groups);
		for (int i = NFT_SHOW_PORT4; i <= NFT_SHOW_PORT6; i++) {
			struct nft_show_set *si = &s->sets[i];
			int v = i == NFT_SHOW_PORT4 ? NFT_V4 : NFT_V6;
			size_t alen = nft_alen(v);
			if (si->key_len != alen + 4)
				continue;
			if (!pass)
				sort_elems(si);
			for (size_t j = 0; j < si->n;) {
				size_t k = j;
				char item[512], r[96];
				nft_range_str(v, si->e[j].key, si->e[j].kend, r,
					      sizeof r);
				int len =
				    snprintf(item, sizeof item, "%s ports ", r);
				for (; k < si->n &&
				       memcmp(si->e[k].key, si->e[j].key,
					      alen) == 0 &&
				       memcmp(si->e[k].kend, si->e[j].kend,
					      alen) == 0;
				     k++) {
					uint16_t lo = port_at(si->e[k].key,
							      alen),
						 hi = port_at(si->e[k].kend,
							      alen);
					if (len < 0 ||
					    (size_t)len >= sizeof item)
						continue;
					len += snprintf(
					    item + len,
					    sizeof item - (size_t)len,
					    lo == hi ? "%s%u" : "%s%u-%u",
					    k > j ? "," : "", lo, hi);
				}
				groups += !pass;
				if (pass)
					items_add(&it, item);
				j = k;
			}
		}
	}
	items_end(&it);
}

static void print_dns(FILE *out, struct nft_show_state *s)
{
	struct items it;
	items_begin(&it, out, "dns upstreams",
		    s->sets[NFT_SHOW_DNS4].n + s->sets[NFT_SHOW_DNS6].n);
	for (int i = NFT_SHOW_DNS4; i <= NFT_SHOW_DNS6; i++) {
		struct nft_show_set *si = &s->sets[i];
		bool v4 = i == NFT_SHOW_DNS4;
		size_t alen = v4 ? 4 : 16;
		if (si->key_len != alen + 4)
			continue;
		sort_elems(si);
		for (size_t j = 0; j < si->n; j++) {
			char a[INET6_ADDRSTRLEN], item[96];
			inet_ntop(v4 ? AF_INET : AF_INET6, si->e[j].key, a,
				  sizeof a);
			uint16_t port = port_at(si->e[j].key, alen);
			if (port == 53)
				snprintf(item, sizeof item, "%s", a);
			else
				snprintf(item, sizeof item, "%s port %u", a,
					 port);
			items_add(&it, item);
		}
	}
	items_end(&it);
}

void nft_print_state(FILE *out, struct nft_show_state *s)
{
	if (s->owner)
		fprintf(out,
			"table inet %s (owner: netlink port %" PRIu32 ")\n",
			CORRAL_TABLE, s->owner_port);
	else
		fprintf(out, "table inet %s (owner: none)\n", CORRAL_TABLE);
	for (size_t i = 0; i < s->n_chains; i++) {
		char label[80];
		snprintf(label, sizeof label, "chain %s", s->chains[i].name);
		fprintf(out, "  %-18s %-13s rules: %zu\n", label,
			!s->chains[i].base		 ? "regular"
			: s->chains[i].policy == NF_DROP ? "policy drop"
							 : "policy accept",
			s->chains[i].rules);
	}
	print_nets(out, s);
	print_ports(out, s);
	print_learned(out, s);
	print_dns(out, s);
	for (size_t i = 0; i < s->n_chains; i++)
		if (strcmp(s->chains[i].name, NFT_CHAIN_DNS) == 0 &&
		    strcmp(s->chains[i].type, "nat") == 0 && s->chains[i].rules)
			fprintf(out, "  %-18s %s\n", "dns redirect",
				s->have_host_dns
				    ? "every query to port 53 from the "
				      "container's cgroup goes to corral's "
				      "forwarder (127.0.0.1:53, [::1]:53)"
				    : "every query to port 53 goes to corral's "
				      "forwarder (127.0.0.1:53, [::1]:53)");
	if (s->have_host_dns)
		fprintf(out,
			"  %-18s %" PRIu64 " packets (the host's processes in "
			"this netns, e.g. Docker's embedded DNS)\n",
			"host dns passed", s->host_dns);
	if (s->have_counter)
		fprintf(out, "  %-18s %" PRIu64 " packets\n", "blocked",
			s->blocked);
	size_t bad = 0;
	for (int i = 0; i < NFT_N_SETS; i++)
		bad += s->sets[i].bad;
	for (size_t i = 0; i < s->n_dyn; i++)
		bad += s->dyn[i].bad;
	if (bad)
		fprintf(out,
			"  (%zu set elements with unexpected keys skipped)\n",
			bad);
}
