/* Which answers the DNS-rebinding filter strips. */
#include <arpa/inet.h>

#include "../../common/policy.h"
#include "../../firewall/rebind.h"
#include "tap.h"

static struct ipaddr addr(const char *s)
{
	struct ipaddr a = {0};
	if (inet_pton(AF_INET, s, a.b) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.b) == 1)
		a.family = AF_INET6;
	return a;
}

static void expect(const char *s, const char *want)
{
	struct ipaddr a = addr(s);
	const char *got = rebind_range(&a);
	if (!want)
		ok(got == NULL, "%s is an ordinary address (got %s)", s, got ? got : "NULL");
	else
		is_str(got, want, "%s is %s", s, want);
}

int main(void)
{
	expect("127.0.0.1", "loopback");
	expect("10.1.2.3", "private");
	expect("172.16.0.1", "private");
	expect("172.31.255.255", "private");
	expect("172.32.0.1", NULL);
	expect("192.168.9.1", "private");
	expect("169.254.169.254", "link-local");
	expect("100.64.0.1", "CGNAT");
	expect("100.128.0.1", NULL);
	expect("0.0.0.0", "this-network");
	expect("224.0.0.251", "multicast");
	expect("255.255.255.255", "reserved");
	expect("192.0.2.7", NULL);
	expect("198.51.100.3", NULL);
	expect("192.0.2.200", NULL);
	expect("::1", "unspecified-or-loopback");
	expect("::", "unspecified-or-loopback");
	expect("fd00:9::1", "ULA");
	expect("fe80::1", "link-local");
	expect("ff02::1", "multicast");
	expect("::ffff:127.0.0.1", "IPv4-mapped");
	expect("::ffff:198.51.100.1", "IPv4-mapped");
	expect("64:ff9b::10.0.0.1", "private");
	expect("64:ff9b::198.51.100.1", NULL);
	expect("2001:db8:2::3", NULL);
	expect("2001:db8:ffff::1", NULL);

	struct policy p = {0};
	char err[256];
	policy_add_target(&p, "10.1.0.0/16", 0, 0, 1, err, sizeof err);
	policy_add_target(&p, "fd00:9::/64", 0, 0, 2, err, sizeof err);
	policy_add_target(&p, "allowed.test", 0, 0, 3, err, sizeof err);
	struct ipaddr a = addr("10.1.200.3");
	ok(policy_allows_address(&p, &a), "allow 10.1.0.0/16 admits 10.1.200.3");
	a = addr("10.2.0.1");
	ok(!policy_allows_address(&p, &a), "but not 10.2.0.1");
	a = addr("fd00:9::1");
	ok(policy_allows_address(&p, &a), "allow fd00:9::/64 admits fd00:9::1");
	a = addr("fd00:a::1");
	ok(!policy_allows_address(&p, &a), "but not fd00:a::1");
	policy_free(&p);
	return tap_done();
}
