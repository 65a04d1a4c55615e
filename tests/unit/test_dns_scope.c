/* DNS of the container only (firewall/dns_scope.h, dns_port.h): the
 * sock_diag reply parser on hand-made and mutated replies, this process's
 * own cgroup, and the source ports corral binds.  Needs no root. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

#include "../../firewall/dns_port.h"
#include "../../firewall/dns_scope.h"
#include "../../firewall/sock_diag.h"
#include "tap.h"

/* A dump datagram: one inet_diag_msg per inode, each with a cgroup id
 * attribute (when cg is non-zero), then NLMSG_DONE when done. */
static size_t dump(uint8_t *buf, size_t cap, const uint32_t *inodes,
		   const uint64_t *cg, size_t n, bool done)
{
	size_t off = 0;
	memset(buf, 0, cap);
	for (size_t i = 0; i < n; i++) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		nlh->nlmsg_flags = NLM_F_MULTI;
		nlh->nlmsg_seq = 1;
		struct inet_diag_msg *m =
		    mnl_nlmsg_put_extra_header(nlh, sizeof *m);
		m->idiag_family = AF_INET;
		m->idiag_inode = inodes[i];
		if (cg[i])
			mnl_attr_put_u64(nlh, INET_DIAG_CGROUP_ID, cg[i]);
		off += nlh->nlmsg_len;
	}
	if (done) {
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
		nlh->nlmsg_type = NLMSG_DONE;
		nlh->nlmsg_flags = NLM_F_MULTI;
		nlh->nlmsg_seq = 1;
		mnl_nlmsg_put_extra_header(nlh, sizeof(int));
		off += nlh->nlmsg_len;
	}
	return off;
}

static void test_parse(void)
{
	uint8_t buf[4096];
	uint32_t ino[] = {11, 42, 77};
	uint64_t cg[] = {5000, 6000, 7000};
	size_t len = dump(buf, sizeof buf, ino, cg, 3, true);
	uint64_t c = 0;
	bool found = false;
	int rc = sock_diag_cgroup_parse(buf, len, 42, &c, &found);
	ok(rc == MNL_CB_STOP && found && c == 6000,
	   "the socket with our inode gives its cgroup id (rc %d, %llu)", rc,
	   (unsigned long long)c);
	c = 0;
	found = false;
	rc = sock_diag_cgroup_parse(buf, len, 99, &c, &found);
	ok(rc == MNL_CB_STOP && !found && c == 0, "another inode: not found");

	/* Split over two datagrams, the match in the first. */
	len = dump(buf, sizeof buf, ino, cg, 2, false);
	c = 0;
	found = false;
	rc = sock_diag_cgroup_parse(buf, len, 11, &c, &found);
	ok(rc == MNL_CB_OK && found && c == 5000,
	   "a datagram without DONE asks for more, and keeps the find");
	len = dump(buf, sizeof buf, ino + 2, cg + 2, 1, true);
	rc = sock_diag_cgroup_parse(buf, len, 11, &c, &found);
	ok(rc == MNL_CB_STOP && found && c == 5000,
	   "  the next one ends the dump without losing it");

	uint64_t none[] = {0};
	len = dump(buf, sizeof buf, ino, none, 1, true);
	c = 0;
	found = false;
	sock_diag_cgroup_parse(buf, len, 11, &c, &found);
	ok(found && c == 0, "no cgroup attribute (an old kernel): id 0");

	/* Truncated: every length short of the whole. */
	len = dump(buf, sizeof buf, ino, cg, 3, true);
	bool safe = true;
	for (size_t cut = 0; cut < len; cut++) {
		c = 0;
		found = false;
		rc = sock_diag_cgroup_parse(buf, cut, 77, &c, &found);
		safe = safe && !(found && c != 7000);
	}
	ok(safe, "truncated replies never give a wrong id");

	/* Mutated: random bytes flipped, 20000 times (ASan watches the
	 * reads). */
	srand(7);
	uint8_t m[4096];
	for (int i = 0; i < 20000; i++) {
		memcpy(m, buf, len);
		int flips = 1 + rand() % 8;
		for (int k = 0; k < flips; k++)
			m[rand() % (int)len] = (uint8_t)rand();
		c = 0;
		found = false;
		sock_diag_cgroup_parse(m, len, 77, &c, &found);
	}
	ok(true, "the parser survives 20000 mutated replies");
}

static void test_own(void)
{
	/* Whatever cgroup this runs in: the kernel answers, and the root
	 * cgroup (id 1) reads as 0. */
	uint64_t id = dns_scope_own_cgroup();
	ok(id != 1, "own cgroup id: %llu (0: the root, or no cgroup v2)",
	   (unsigned long long)id);
	char path[512];
	int rc = dns_scope_own_path(path, sizeof path);
	ok(rc < 0 || path[0] == '/', "own cgroup path: %s",
	   rc == 0 ? path : "(none)");
	char tiny[2];
	ok(dns_scope_own_path(tiny, sizeof tiny) < 0 || strcmp(tiny, "/") == 0,
	   "a path longer than the buffer is refused");
}

static void test_port(void)
{
	uint16_t lo, hi;
	bool have = dns_port_range(&lo, &hi);
	unsigned elo = 32768, ehi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	if (f) {
		if (fscanf(f, "%u %u", &elo, &ehi) != 2)
			elo = 32768, ehi = 60999;
		fclose(f);
	}
	ok(have && lo >= 1024 && lo <= hi && (hi < elo || lo > ehi),
	   "corral's range %u-%u lies outside the ephemeral %u-%u", lo, hi, elo,
	   ehi);
	bool all = true;
	for (int i = 0; i < 50; i++) {
		int fam = i % 2 ? AF_INET6 : AF_INET;
		int fd = socket(fam, SOCK_DGRAM, 0);
		if (fd < 0)
			continue;
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		if (dns_port_bind(fd, fam) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			uint16_t p = ntohs(
			    fam == AF_INET
				? ((struct sockaddr_in *)&ss)->sin_port
				: ((struct sockaddr_in6 *)&ss)->sin6_port);
			all = all && p >= lo && p <= hi;
		} else {
			all = false;
		}
		close(fd);
	}
	ok(all, "50 sockets, IPv4 and IPv6, all bound inside that range");
}

int main(void)
{
	test_parse();
	test_own();
	test_port();
	return tap_done();
}
