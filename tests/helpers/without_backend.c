/* without_backend nftables|iptables CMD [ARGS...]: runs CMD as if the
 * kernel lacked that netfilter interface, under a seccomp filter that
 * fails the very call such a kernel fails, with the same errno:
 *   nftables  socket(AF_NETLINK, *, NETLINK_NETFILTER) -> EPROTONOSUPPORT,
 *             a kernel without nfnetlink (so no nf_tables, no ipset, no
 *             nflog either);
 *   iptables  getsockopt(*, SOL_IP / SOL_IPV6, IPT_SO_GET_INFO) ->
 *             ENOPROTOOPT, a kernel without ip_tables / ip6_tables
 *             (legacy x_tables), where libiptc's first question fails.
 * corral's own code is not told anything: it probes the kernel as usual.
 * For the backend selection tests (tests/bats/backend.bats). */
#include <errno.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netlink.h>

int main(int argc, char **argv)
{
	if (argc < 3 ||
	    (strcmp(argv[1], "nftables") && strcmp(argv[1], "iptables"))) {
		fprintf(
		    stderr,
		    "usage: without_backend nftables|iptables CMD [ARGS...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	int rc;
	if (strcmp(argv[1], "nftables") == 0) {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPROTONOSUPPORT),
				      SCMP_SYS(socket), 2,
				      SCMP_A0(SCMP_CMP_EQ, AF_NETLINK, 0),
				      SCMP_A2(SCMP_CMP_EQ, NETLINK_NETFILTER, 0));
	} else {
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOPROTOOPT),
				      SCMP_SYS(getsockopt), 2,
				      SCMP_A1(SCMP_CMP_EQ, SOL_IP, 0),
				      SCMP_A2(SCMP_CMP_EQ, IPT_SO_GET_INFO, 0));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOPROTOOPT),
				       SCMP_SYS(getsockopt), 2,
				       SCMP_A1(SCMP_CMP_EQ, SOL_IPV6, 0),
				       SCMP_A2(SCMP_CMP_EQ, IPT_SO_GET_INFO, 0));
	}
	if (rc || seccomp_load(ctx)) {
		fprintf(stderr,
			"without_backend: cannot install the seccomp filter\n");
		return 1;
	}
	seccomp_release(ctx);
	execvp(argv[2], argv + 2);
	fprintf(stderr, "without_backend: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
