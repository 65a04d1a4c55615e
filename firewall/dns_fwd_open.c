/* What the forwarder knows to be open: (asked name, address) -> until when,
 * learned from the privileged side's ALLOW replies.
 *
 * An answer whose every address is known open with at least 90% of the
 * timeout its TTL would get still to run (and a second at least) is
 * released at once: the privileged side would skip the kernel for it
 * anyway, and the round trip to it is the largest cost of a busy name.
 * Below 90% the forwarder asks again, so the timeout is refreshed as
 * before.  The times kept are lower bounds (what the reply granted, the
 * smallest over the answer's addresses, rounded down), and the table is
 * never shared: the forwarder restarts with an empty one after a reload.
 * Keyed by the name too, because the ports an address is open for depend
 * on the name that opened it.  A wrong entry could only release an answer
 * early, never open anything: the kernel sets are the privileged side's.
 * Fixed size, four slots per key, the entry closest to its end evicted. */
#include <string.h>

#include "dns_fwd_int.h"
#include "nft_dyn.h"

#define PROBE 4

static uint64_t name_hash(const char *name)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 1099511628211ull;
	return h;
}

static size_t slot_of(uint64_t nh, const struct ipaddr *a)
{
	uint64_t h = nh ^ a->family;
	for (size_t i = 0; i < sizeof a->b; i++)
		h = (h ^ a->b[i]) * 1099511628211ull;
	return (size_t)(h ^ h >> 29) & (FWD_OPEN_SLOTS - 1);
}

static bool same(const struct fwd_open *e, uint64_t nh, const struct ipaddr *a)
{
	return e->name_hash == nh && e->addr.family == a->family &&
	       memcmp(e->addr.b, a->b, sizeof a->b) == 0;
}

static struct fwd_open *find(struct fwd *f, uint64_t nh, const struct ipaddr *a)
{
	size_t s = slot_of(nh, a);
	for (size_t k = 0; k < PROBE; k++) {
		struct fwd_open *e = &f->open[(s + k) & (FWD_OPEN_SLOTS - 1)];
		if (e->until > f->now && same(e, nh, a))
			return e;
	}
	return NULL;
}

void open_note(struct fwd *f, const char *name, const struct ipaddr *a,
	       size_t n, uint32_t seconds)
{
	if (seconds < 2)
		return;
	uint64_t nh = name_hash(name);
	int64_t until = f->now + (int64_t)seconds * 1000;
	for (size_t i = 0; i < n; i++) {
		size_t s = slot_of(nh, &a[i]);
		struct fwd_open *victim = NULL;
		for (size_t k = 0; k < PROBE; k++) {
			struct fwd_open *e =
			    &f->open[(s + k) & (FWD_OPEN_SLOTS - 1)];
			if (same(e, nh, &a[i])) {
				victim = e;
				break;
			}
			if (!victim || e->until < victim->until)
				victim = e;
		}
		victim->name_hash = nh;
		victim->addr = a[i];
		victim->until = until;
	}
}

bool open_all(struct fwd *f, const char *name, const struct dns_answer *a,
	      uint32_t *left)
{
	if (!a->n_addrs)
		return false;
	uint64_t nh = name_hash(name);
	int64_t min_left = INT64_MAX;
	for (size_t i = 0; i < a->n_addrs; i++) {
		const struct fwd_open *e = find(f, nh, &a->addrs[i].addr);
		if (!e)
			return false;
		int64_t ms = e->until - f->now;
		int64_t t =
		    (int64_t)nft_dyn_clamp(f->p, a->addrs[i].ttl) * 1000;
		if (ms < 1000 || ms * 10 < t * 9)
			return false;
		if (ms < min_left)
			min_left = ms;
	}
	*left = (uint32_t)(min_left / 1000);
	return true;
}
