/* The iptables backend's entries, built without a kernel and read back as
 * iptables-save words: the same policy as nftables, in linear chains. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/policy.h"
#include "../../firewall/ipt.h"
#include "tap.h"

static char err[512];

static int parse(struct policy *p, const char *text)
{
	memset(p, 0, sizeof *p);
	struct portspec all = {0};
	policy_intern_portspec(p, &all);
	err[0] = '\0';
	return policy_parse_text(p, "test.conf", text, err, sizeof err);
}

/* The chain as lines "RULE\n", each described. */
static void describe(int v, const struct ipt_blob *b, char *out, size_t len)
{
	size_t o = 0;
	out[0] = 0;
	for (size_t off = 0, n; off < b->len; off += n) {
		n = ipt_entry_len(v, b->buf + off, b->len - off);
		if (!n)
			break;
		char line[512];
		ipt_entry_describe(v, b->buf + off, n, line, sizeof line);
		o += (size_t)snprintf(out + o, o < len ? len - o : 0, "%s\n",
				      line);
	}
}

static void test_static(void)
{
	struct policy p;
	int rc = parse(
	    &p, "allow 192.0.2.0/25 192.0.2.128/26 10.0.0.1 10.0.0.2 10.0.0.3\n"
		"allow 198.51.100.3 ports 22,8000-8100\n"
		"allow 2001:db8::/64\n"
		"upstream 198.51.100.53 127.0.0.11\n"
		"backend iptables\n");
	is_int(rc, 0, "config parses (%s)", err);
	is_int(p.backend, BACKEND_IPTABLES, "backend iptables read");
	is_int(p.backend_line, 5, "backend line kept for messages");
	struct ipt_blob c[2][IPT_NCHAINS];
	memset(c, 0, sizeof c);
	is_int(ipt_build_static(&p, NULL, c), 0, "static chains built");
	char got[8192];
	describe(4, &c[0][IPT_OUTPUT], got, sizeof got);
	is_str(got,
	       "-d 127.0.0.11 -m mark ! --mark 0x636f7272 -j REJECT "
	       "--reject-with admin-prohibited\n"
	       "-d 127.0.0.1 -p tcp --dport 53 -j ACCEPT\n"
	       "-d 127.0.0.1 -p udp --dport 53 -j ACCEPT\n"
	       "-m mark --mark 0x636f7272 -j CONNMARK --set-xmark "
	       "0x636f7272/0xffffffff\n"
	       "-m connmark --mark 0x636f7272 -m conntrack --ctdir ORIGINAL -m "
	       "mark ! --mark 0x636f7272 -j REJECT --reject-with "
	       "admin-prohibited\n"
	       "-o lo -j ACCEPT\n"
	       "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
	       "-d 127.0.0.11 -p tcp -m mark --mark 0x636f7272 --dport 53 -j "
	       "ACCEPT\n"
	       "-d 127.0.0.11 -p udp -m mark --mark 0x636f7272 --dport 53 -j "
	       "ACCEPT\n"
	       "-d 198.51.100.53 -p tcp -m mark --mark 0x636f7272 --dport 53 "
	       "-j ACCEPT\n"
	       "-d 198.51.100.53 -p udp -m mark --mark 0x636f7272 --dport 53 "
	       "-j ACCEPT\n"
	       "-d 10.0.0.1 -j ACCEPT\n"
	       "-d 10.0.0.2/31 -j ACCEPT\n"
	       "-d 192.0.2.0/25 -j ACCEPT\n"
	       "-d 192.0.2.128/26 -j ACCEPT\n"
	       "-d 198.51.100.3 -p tcp --dport 22 -j ACCEPT\n"
	       "-d 198.51.100.3 -p udp --dport 22 -j ACCEPT\n"
	       "-d 198.51.100.3 -p tcp --dport 8000:8100 -j ACCEPT\n"
	       "-d 198.51.100.3 -p udp --dport 8000:8100 -j ACCEPT\n"
	       "-j corral-learned\n"
	       "-p tcp -j REJECT --reject-with tcp-reset\n"
	       "-j REJECT --reject-with admin-prohibited\n",
	       "IPv4 output: guard, forwarder, conntrack mark and no ride on "
	       "corral's flows, lo, conntrack, DNS, merged "
	       "networks as CIDR "
	       "blocks, ports, learned, reject");
	describe(6, &c[1][IPT_OUTPUT], got, sizeof got);
	ok(strstr(got, "-p icmpv6 --icmpv6-type 135 -j ACCEPT\n") &&
	       strstr(got, "-d 2001:db8::/64 -j ACCEPT\n") &&
	       !strstr(got, "198.51"),
	   "IPv6 output: neighbour discovery and its own networks");
	describe(6, &c[1][IPT_INPUT], got, sizeof got);
	is_str(got,
	       "-i lo -j ACCEPT\n-m conntrack --ctstate RELATED,ESTABLISHED -j "
	       "ACCEPT\n"
	       "-p icmpv6 --icmpv6-type 133 -j ACCEPT\n-p icmpv6 --icmpv6-type "
	       "134 -j ACCEPT\n"
	       "-p icmpv6 --icmpv6-type 135 -j ACCEPT\n-p icmpv6 --icmpv6-type "
	       "136 -j ACCEPT\n"
	       "-j DROP\n",
	       "IPv6 input as the nftables input chain, then drop");
	describe(4, &c[0][IPT_DNS], got, sizeof got);
	is_str(got,
	       "-p tcp -m mark ! --mark 0x636f7272 --dport 53 -j REDIRECT "
	       "--to-ports 53\n"
	       "-p udp -m mark ! --mark 0x636f7272 --dport 53 -j REDIRECT "
	       "--to-ports 53\n",
	       "unmarked DNS is redirected to the forwarder");
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < IPT_NCHAINS; k++)
			ipt_blob_free(&c[v][k]);

	/* DNS of the container only (dns_scope.h): the host's port-53
	 * traffic returns from corral-dns and is accepted in corral-output,
	 * after the upstream rules. */
	memset(c, 0, sizeof c);
	is_int(ipt_build_static(&p, "/docker/0123abcd", c), 0,
	       "static chains built with a cgroup path");
	describe(6, &c[1][IPT_DNS], got, sizeof got);
	is_str(got,
	       "-p tcp -m mark ! --mark 0x636f7272 --dport 53 -m cgroup ! "
	       "--path \"/docker/0123abcd\" -j RETURN\n"
	       "-p udp -m mark ! --mark 0x636f7272 --dport 53 -m cgroup ! "
	       "--path \"/docker/0123abcd\" -j RETURN\n"
	       "-p tcp -m mark ! --mark 0x636f7272 --dport 53 -j REDIRECT "
	       "--to-ports 53\n"
	       "-p udp -m mark ! --mark 0x636f7272 --dport 53 -j REDIRECT "
	       "--to-ports 53\n",
	       "corral-dns: the host's DNS returns first, then the redirect");
	describe(4, &c[0][IPT_OUTPUT], got, sizeof got);
	const char *up = strstr(got, "-d 198.51.100.53 -p udp -m mark --mark"),
		   *host =
		       strstr(got, "-p udp -m mark ! --mark 0x636f7272 --dport "
				   "53 -m cgroup ! --path \"/docker/0123abcd\" "
				   "-j ACCEPT\n"),
		   *nets = strstr(got, "-d 10.0.0.1 -j ACCEPT");
	ok(up && host && nets && up < host && host < nets,
	   "corral-output: the host's DNS accepted after the upstream rules");
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < IPT_NCHAINS; k++)
			ipt_blob_free(&c[v][k]);
	char longpath[600];
	memset(longpath, 'a', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = 0;
	memset(c, 0, sizeof c);
	ok(ipt_build_static(&p, longpath, c) < 0,
	   "a cgroup path longer than the match holds is refused");
	for (int v = 0; v < 2; v++)
		for (int k = 0; k < IPT_NCHAINS; k++)
			ipt_blob_free(&c[v][k]);
	policy_free(&p);
}

static void test_learned(void)
{
	struct policy p;
	is_int(parse(&p, "allow a.test ports 443\n"), 0, "config parses");
	struct ipaddr a = {.family = AF_INET6};
	inet_pton(AF_INET6, "2001:db8::7", a.b);
	struct ipt_blob b = {0};
	is_int(ipt_build_learned(&p, &a, 1, 1764365502, &b), 0,
	       "learned rules built");
	char got[2048];
	describe(6, &b, got, sizeof got);
	is_str(got,
	       "-d 2001:db8::7 -p tcp --dport 443 -j ACCEPT\n"
	       "-d 2001:db8::7 -p udp --dport 443 -j ACCEPT\n",
	       "a learned address opens its name's ports only");
	size_t n = ipt_entry_len(6, b.buf, b.len);
	is_int(ipt_entry_until(6, b.buf, n), 1764365502,
	       "the deadline reads back from the comment");
	is_int(ipt_entry_len(6, b.buf, 10), 0,
	       "a truncated entry has no length");
	ipt_blob_free(&b);
	policy_free(&p);
}

int main(void)
{
	test_static();
	test_learned();
	return tap_done();
}
