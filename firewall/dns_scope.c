/* Which sockets are the container's, for the DNS rules (dns_scope.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "backend.h"
#include "dns_scope.h"
#include "sock_diag.h"

#define ROOT_CGROUP_ID 1 /* cgroup v2's root, on every kernel */

/* A listening TCP socket on 127.0.0.1, found by its inode in the dump of
 * the netns's listeners (a handful at boot). */
uint64_t dns_scope_own_cgroup(void)
{
	cleanup_fd int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct stat st;
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 ||
	    listen(s, 1) < 0 || fstat(s, &st) < 0)
		return 0;
	cleanup_fd int nl =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	/* The kernel answers at once; never wait for long at boot. */
	struct timeval tv = {.tv_sec = 1};
	if (nl < 0 ||
	    setsockopt(nl, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		return 0;
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {.nh = {.nlmsg_len = sizeof req,
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1},
		 .r = {.sdiag_family = AF_INET,
		       .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1u << 10 /* TCP_LISTEN */}};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(nl, &req, sizeof req, 0, (struct sockaddr *)&kernel,
		   sizeof kernel) < 0)
		return 0;
	uint64_t cgroup = 0;
	bool found = false;
	char buf[16384];
	for (;;) {
		ssize_t n = recv(nl, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		int rc = sock_diag_cgroup_parse(
		    buf, (size_t)n, (uint64_t)st.st_ino, &cgroup, &found);
		if (rc == MNL_CB_STOP)
			break;
		if (rc < 0)
			return 0;
	}
	return found && cgroup != ROOT_CGROUP_ID ? cgroup : 0;
}

int dns_scope_own_path(char *buf, size_t len)
{
	cleanup_file FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		size_t n = strcspn(line + 3, "\n");
		if (n == 0 || n >= len)
			return -1;
		memcpy(buf, line + 3, n);
		buf[n] = 0;
		return 0;
	}
	return -1;
}

/* An unmarked, empty datagram to 127.0.0.1:53 from this process: the nat
 * hook runs inside sendto(), so afterwards dns_host has counted it if, and
 * only if, the rules did not see this process's cgroup. */
static int self_test(char *err, size_t errlen)
{
	cleanup_fd int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(53),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (s < 0 ||
	    sendto(s, "", 0, 0, (struct sockaddr *)&to, sizeof to) < 0) {
		snprintf(err, errlen, "sending the test datagram: %s",
			 strerror(errno));
		return -1;
	}
	uint64_t passed = 0;
	if (fw_host_dns_packets(&passed, err, errlen) < 0)
		return -1;
	if (passed) {
		snprintf(
		    err, errlen,
		    "a socket of corral's own cgroup was taken for the "
		    "host's (%s)",
		    strcmp(fw_backend_name(), "nftables") == 0
			? "nested deeper than " NFT_CGROUP_LEVELS_STR
			  " cgroup levels?"
			: "the kernel resolved its cgroup path elsewhere?");
		return -1;
	}
	return 0;
}

int fw_apply_dns_scoped(const struct policy *p, const struct resolved *addrs,
			size_t n_addrs, struct nft_opts *o, int *sock_fd,
			char *err, size_t errlen)
{
	o->dns_cgroup = dns_scope_own_cgroup();
	if (!o->dns_cgroup)
		return fw_apply(p, addrs, n_addrs, o, sock_fd, err, errlen);
	char why[512];
	if (fw_apply(p, addrs, n_addrs, o, sock_fd, why, sizeof why) == 0 &&
	    self_test(why, sizeof why) == 0)
		return 0;
	o->dns_cgroup = 0;
	if (fw_apply(p, addrs, n_addrs, o, sock_fd, err, errlen) < 0)
		return -1;
	warn(
	    "the DNS of processes outside the container (Docker's embedded DNS "
	    "forwarding a query) is redirected to corral too: %s; if allowed "
	    "names do not resolve on a user-defined Docker network, add an "
	    "'upstream' line naming a DNS server the container can reach",
	    why);
	return 0;
}
