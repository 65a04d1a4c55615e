/* The expiry table of learned addresses. */
#include <arpa/inet.h>

#include "../../firewall/dns_expiry.h"
#include "tap.h"

static struct ipaddr v4(unsigned n)
{
	struct ipaddr a = {.family = AF_INET};
	a.b[0] = 198;
	a.b[1] = 51;
	a.b[2] = (uint8_t)(n >> 8);
	a.b[3] = (uint8_t)n;
	return a;
}

int main(void)
{
	struct dns_expiry *x = dns_expiry_new();
	ok(x != NULL, "table made");
	struct ipaddr a = v4(1), b = v4(2);
	ok(dns_expiry_get(x, &a, 0) == 0, "unknown address has no expiry");
	is_int(dns_expiry_set(x, &a, 0, 100, 0, "a.test"), 0, "set");
	ok(dns_expiry_get(x, &a, 0) == 100, "expiry read back");
	ok(dns_expiry_get(x, &a, 1) == 0, "another port spec is another key");
	ok(dns_expiry_get(x, &b, 0) == 0, "another address is another key");
	struct ipaddr a6 = {.family = AF_INET6};
	memcpy(a6.b, a.b, 4);
	ok(dns_expiry_get(x, &a6, 0) == 0, "same bytes, other family: another key");
	dns_expiry_set(x, &a, 0, 200, 0, "a.test");
	ok(dns_expiry_get(x, &a, 0) == 200, "set again replaces");
	is_int(dns_expiry_live(x, 150), 1, "one live at t=150");
	is_int(dns_expiry_live(x, 250), 0, "none live at t=250");

	/* Many entries, some expired, force rebuilds. */
	for (unsigned i = 0; i < 5000; i++) {
		struct ipaddr c = v4(i);
		dns_expiry_set(x, &c, (uint16_t)(i % 3), i < 2500 ? 10 : 1000, 20, "c.test");
	}
	is_int(dns_expiry_live(x, 20), 2501, "2500 of 5000 new ones live, plus the first");
	struct ipaddr c = v4(4999);
	ok(dns_expiry_get(x, &c, 4999 % 3) == 1000, "late entry still there");
	c = v4(2600);
	ok(dns_expiry_get(x, &c, 2600 % 3) == 1000, "entry survives rebuilds");
	dns_expiry_free(x);
	return tap_done();
}
