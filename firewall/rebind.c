#include "rebind.h"

#include <string.h>
#include <sys/socket.h>

struct special {
	uint8_t prefix[16];
	uint8_t len; /* prefix length in bits */
	const char *what;
};

/* IANA special-purpose registries, less the documentation ranges. */
static const struct special special4[] = {
	{{0}, 8, "this-network"},
	{{10}, 8, "private"},
	{{100, 64}, 10, "CGNAT"},
	{{127}, 8, "loopback"},
	{{169, 254}, 16, "link-local"}, /* 169.254.169.254: cloud metadata */
	{{172, 16}, 12, "private"},
	{{192, 0, 0}, 24, "reserved"},
	{{192, 168}, 16, "private"},
	{{198, 18}, 15, "reserved"},
	{{224}, 4, "multicast"},
	{{240}, 4, "reserved"}, /* includes 255.255.255.255 */
};

static const struct special special6[] = {
	{{0}, 127, "unspecified-or-loopback"},
	{{0x01, 0x00}, 64, "reserved"}, /* 100::/64 discard */
	{{0xfc}, 7, "ULA"},
	{{0xfe, 0x80}, 10, "link-local"},
	{{0xfe, 0xc0}, 10, "reserved"}, /* deprecated site-local */
	{{0xff}, 8, "multicast"},
};

static bool in_prefix(const uint8_t *addr, const uint8_t *prefix, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(addr, prefix, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (addr[full] & mask) == (prefix[full] & mask);
}

static const char *lookup(const struct special *t, size_t n, const uint8_t *b)
{
	for (size_t i = 0; i < n; i++)
		if (in_prefix(b, t[i].prefix, t[i].len))
			return t[i].what;
	return NULL;
}

const char *rebind_range(const struct ipaddr *a)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
	if (a->family == AF_INET)
		return lookup(special4, sizeof special4 / sizeof special4[0], a->b);
	/* An IPv4 address hidden in IPv6 is judged as the IPv4 address. */
	if (memcmp(a->b, mapped, 12) == 0)
		return "IPv4-mapped";
	if (memcmp(a->b, nat64, 12) == 0) {
		const char *r = lookup(special4, sizeof special4 / sizeof special4[0], a->b + 12);
		if (r)
			return r;
	}
	return lookup(special6, sizeof special6 / sizeof special6[0], a->b);
}

bool policy_allows_address(const struct policy *p, const struct ipaddr *a)
{
	for (size_t i = 0; i < p->n_targets; i++) {
		const struct target *t = &p->targets[i];
		if (t->kind == TARGET_NET && t->addr.family == a->family &&
		    in_prefix(a->b, t->addr.b, t->prefix))
			return true;
	}
	return false;
}
