/* Learned addresses and the DNS redirect against the real kernel, in a
 * network namespace of its own (nft_testkern.h): nft_dyn_add's timeouts,
 * refreshes and expiry, nft_dyn_list, its errors, its speed; and real
 * packets: unmarked DNS lands on the forwarder's address, marked DNS
 * reaches the upstream, loopback upstreams are guarded. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../../firewall/dns_ipc.h"
#include "../../firewall/nft_int.h"
#include "nft_testkern.h"
#include "nft_testpol.h"
#include "tap.h"

static void policy(struct pol *x)
{
	pol_init(x);
	x->p.ttl_min = 1;
	x->p.ttl_max = 3600;
	uint16_t https = spec(x, "443");
	name(x, "api.example.test", TARGET_NAME);
	name(x, "www.example.test", TARGET_NAME);
	x->t[1].portspec = https;
	net(x, "192.0.2.0/24", 0);
	upstream(x, "198.51.100.53", 53);
	upstream(x, "2001:db8::53", 53);
	upstream(x, "127.0.0.11", 53);
	upstream(x, "127.0.0.1", 5353);
	upstream(x, "203.0.113.53", 5353);
}

static int apply(const struct pol *x, const struct nft_opts *o, int *fd)
{
	static const struct nft_opts none = {false};
	char err[512] = "";
	int rc =
	    nft_apply(&x->p, x->r, x->n_r, o ? o : &none, fd, err, sizeof err);
	if (rc)
		printf("# apply: %s\n", err);
	return rc;
}

static struct nft_dyn_elem elem(const char *a, uint16_t spec, uint32_t t)
{
	struct nft_dyn_elem e;
	memset(&e, 0, sizeof e);
	parse_addr(a, &e.addr);
	e.portspec = spec;
	e.timeout = t;
	return e;
}

/* `nft list set inet corral NAME` holds want. */
static bool set_has(const char *set, const char *want)
{
	char *out = NULL;
	if (runf(&out, "nft list set inet corral %s", set) != 0 || !out) {
		free(out);
		return false;
	}
	bool found = strstr(out, want) != NULL;
	if (!found)
		printf("# nft list set %s:\n%s", set, out);
	free(out);
	return found;
}

static bool element_live(const char *set, const char *addr)
{
	return runf(NULL, "nft get element inet corral %s { %s }", set, addr) ==
	       0;
}

/* The remaining seconds nft_dyn_list reports for addr in spec's set, or
 * -1 when it is not there. */
static long listed(int *fd, const char *addr, uint16_t spec)
{
	struct resolved *r;
	size_t n;
	char err[256];
	struct ipaddr a;
	memset(&a, 0, sizeof a);
	parse_addr(addr, &a);
	if (nft_dyn_list(fd, &r, &n, err, sizeof err) != 0)
		return -2;
	long ttl = -1;
	for (size_t i = 0; i < n; i++)
		if (r[i].addr.family == a.family && r[i].portspec == spec &&
		    memcmp(r[i].addr.b, a.b, 16) == 0 &&
		    r[i].target == UINT32_MAX)
			ttl = (long)r[i].ttl;
	free(r);
	return ttl;
}

static void test_add(void)
{
	struct pol x;
	policy(&x);
	char err[512] = "";
	ok(apply(&x, NULL, NULL) == 0, "apply a policy with a port spec");
	int fd = -1;
	struct nft_dyn_elem e[3] = {elem("198.51.100.9", 0, 300),
				    elem("2001:db8::9", 0, 300),
				    elem("203.0.113.5", 1, 300)};
	int rc = nft_dyn_add(&fd, &x.p, e, 3, err, sizeof err);
	ok(rc == 0, "nft_dyn_add: three addresses");
	if (rc)
		printf("# %s\n", err);
	ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	   "  opens a close-on-exec socket and hands it back");
	if (have_nft) {
		ok(set_has("addr4", "198.51.100.9 timeout 5m expires"),
		   "nft list set addr4: 198.51.100.9 timeout 5m");
		ok(set_has("addr6", "2001:db8::9 timeout 5m expires"),
		   "nft list set addr6: 2001:db8::9 timeout 5m");
		ok(set_has("addr4_p1", "203.0.113.5 timeout 5m expires"),
		   "nft list set addr4_p1: 203.0.113.5 timeout 5m");
	}
	long t = listed(&fd, "198.51.100.9", 0);
	ok(t > 290 && t <= 300, "nft_dyn_list: 198.51.100.9, %lds left", t);
	t = listed(&fd, "203.0.113.5", 1);
	ok(t > 290 && t <= 300, "nft_dyn_list: 203.0.113.5 in port spec 1");

	e[0].timeout = 3600;
	int same = fd;
	ok(nft_dyn_add(&fd, &x.p, e, 1, err, sizeof err) == 0 && fd == same,
	   "a second add with a longer timeout, on the same socket");
	if (have_nft)
		ok(set_has("addr4", "198.51.100.9 timeout 1h expires"),
		   "  refreshes it: timeout 1h");
	t = listed(&fd, "198.51.100.9", 0);
	ok(t > 3590 && t <= 3600, "  nft_dyn_list agrees: %lds", t);
	e[0].timeout = 60;
	ok(nft_dyn_add(&fd, &x.p, e, 1, err, sizeof err) == 0, "a shorter one");
	t = listed(&fd, "198.51.100.9", 0);
	ok(t > 50 && t <= 60, "  wins too: the newest answer counts (%lds)", t);

	struct nft_dyn_elem s = elem("198.51.100.10", 0, 1);
	ok(nft_dyn_add(&fd, &x.p, &s, 1, err, sizeof err) == 0,
	   "an address with a timeout of 1 s");
	if (have_nft)
		ok(element_live("addr4", "198.51.100.10"),
		   "  nft get element finds it at once");
	usleep(2200 * 1000);
	if (have_nft)
		ok(!element_live("addr4", "198.51.100.10"),
		   "  and no more after 2 s");
	is_int(listed(&fd, "198.51.100.10", 0), -1,
	       "  nft_dyn_list no longer lists it");
	ok(listed(&fd, "198.51.100.9", 0) > 0, "  the others stay");
	s.timeout = 100;
	ok(nft_dyn_add(&fd, &x.p, &s, 1, err, sizeof err) == 0 &&
	       listed(&fd, "198.51.100.10", 0) > 90,
	   "an expired address can be added again");

	struct nft_dyn_elem many[200];
	for (int i = 0; i < 200; i++) {
		char a[48];
		if (i % 2)
			snprintf(a, sizeof a, "2001:db8:7::%x", i);
		else
			snprintf(a, sizeof a, "10.9.0.%d", i);
		many[i] = elem(a, (uint16_t)(i % 3 == 0), 600);
	}
	many[199] = many[0]; /* a duplicate */
	rc = nft_dyn_add(&fd, &x.p, many, 200, err, sizeof err);
	ok(rc == 0, "200 addresses over four sets in one batch");
	if (rc)
		printf("# %s\n", err);
	ok(listed(&fd, "10.9.0.0", 1) > 590 &&
	       listed(&fd, "2001:db8:7::c5", 0) > 590,
	   "  all of them listed");
	close(fd);
}

static void test_errors(void)
{
	struct pol x, more;
	char err[512] = "";
	int fd = -1;
	policy(&x);
	policy(&more);
	uint16_t ssh = spec(&more, "22");
	struct nft_dyn_elem e = elem("198.51.100.20", ssh, 60);
	ok(nft_dyn_add(&fd, &more.p, &e, 1, err, sizeof err) < 0,
	   "a port spec without its set fails");
	is_str(err,
	       "table inet corral or set addr4_p2 missing: run corral apply "
	       "first",
	       "  and says what to do");
	e.portspec = 7;
	ok(nft_dyn_add(&fd, &more.p, &e, 1, err, sizeof err) < 0 &&
	       strstr(err, "internal error"),
	   "a port spec outside the policy: %s", err);
	char cerr[256];
	ok(nft_clear(cerr, sizeof cerr) == 0, "clear the table");
	e.portspec = 0;
	ok(nft_dyn_add(&fd, &x.p, &e, 1, err, sizeof err) < 0,
	   "without the table nft_dyn_add fails");
	is_str(err,
	       "table inet corral or set addr4 missing: run corral apply "
	       "first",
	       "  and says what to do");
	struct resolved *r = NULL;
	size_t n = 9;
	is_int(nft_dyn_list(&fd, &r, &n, err, sizeof err), 1,
	       "nft_dyn_list without the table returns 1");
	ok(r == NULL && n == 0, "  and nothing");
	close(fd);

	int owner = -1, other = -1;
	struct nft_opts own = {.owner = true};
	ok(apply(&x, &own, &owner) == 0, "apply an owned table");
	ok(nft_dyn_add(&other, &x.p, &e, 1, err, sizeof err) < 0,
	   "another socket cannot add to it");
	is_str(err,
	       "table inet corral is owned by another process (a running "
	       "`corral init`?): only its socket may add to set addr4",
	       "  and the error says why");
	ok(nft_dyn_add(&owner, &x.p, &e, 1, err, sizeof err) == 0,
	   "the owner's socket can");
	close(other);
	close(owner);

	ok(apply(&x, NULL, NULL) == 0, "apply again, not owned");
	int p[2];
	if (pipe(p) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		int f = -1;
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 ||
		    setuid(65534) < 0)
			_exit(2);
		int a = nft_dyn_add(&f, &x.p, &e, 1, err, sizeof err);
		dprintf(p[1], "%d|%s", a, err);
		_exit(0);
	}
	close(p[1]);
	char buf[1024] = "";
	ssize_t k = read(p[0], buf, sizeof buf - 1);
	buf[k > 0 ? k : 0] = 0;
	close(p[0]);
	waitpid(pid, NULL, 0);
	is_str(buf,
	       "-1|missing CAP_NET_ADMIN: run as root or start the container "
	       "with --cap-add=NET_ADMIN",
	       "without CAP_NET_ADMIN nft_dyn_add says what to do");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Timing only: printed, never asserted. */
static void test_speed(void)
{
	struct pol x;
	policy(&x);
	char err[512];
	int fd = -1;
	enum { RUNS = 2000 };
	static double us[RUNS];
	for (int k = 1; k <= 4; k *= 4) {
		bool good = true;
		for (int i = 0; i < RUNS && good; i++) {
			struct nft_dyn_elem e[4];
			for (int j = 0; j < k; j++) {
				char a[32];
				snprintf(a, sizeof a, "10.%d.%d.%d", j,
					 (i >> 8) & 0xff, i & 0xff);
				e[j] = elem(a, 0, 300);
			}
			double t0 = now_ms();
			good = nft_dyn_add(&fd, &x.p, e, (size_t)k, err,
					   sizeof err) == 0;
			us[i] = (now_ms() - t0) * 1000;
		}
		ok(good, "%d x nft_dyn_add of %d element(s)", RUNS, k);
		qsort(us, RUNS, sizeof us[0], cmp_double);
		printf("# nft_dyn_add, %d new element(s), kept-open socket: "
		       "median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f "
		       "us\n",
		       k, us[RUNS / 2], us[RUNS * 9 / 10], us[RUNS * 99 / 100],
		       us[RUNS - 1]);
	}
	/* Refreshing what is there already: the answer path's usual case. */
	struct nft_dyn_elem e[4];
	for (int j = 0; j < 4; j++) {
		char a[32];
		snprintf(a, sizeof a, "10.%d.0.1", j);
		e[j] = elem(a, 0, 300);
	}
	for (int i = 0; i < RUNS; i++) {
		double t0 = now_ms();
		nft_dyn_add(&fd, &x.p, e, 4, err, sizeof err);
		us[i] = (now_ms() - t0) * 1000;
	}
	qsort(us, RUNS, sizeof us[0], cmp_double);
	printf("# nft_dyn_add, 4 elements refreshed: median %.1f us, p90 %.1f "
	       "us, p99 %.1f us\n",
	       us[RUNS / 2], us[RUNS * 9 / 10], us[RUNS * 99 / 100]);
	close(fd);
}

/* --- packets --- */

static socklen_t sockaddr_of(const char *a, uint16_t port,
			     struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (strchr(a, ':')) {
		struct sockaddr_in6 *s6 = (void *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, a, &s6->sin6_addr);
		return sizeof *s6;
	}
	struct sockaddr_in *s4 = (void *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, a, &s4->sin_addr);
	return sizeof *s4;
}

static int listener(const char *a, uint16_t port, int type)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, port, &ss);
	int fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 8) < 0)) {
		printf("# listening on %s port %u: %s\n", a, port,
		       strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int sock_to(const char *a, int type, bool marked)
{
	int fd =
	    socket(strchr(a, ':') ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
	uint32_t m = CORRAL_DNS_MARK;
	if (fd >= 0 && marked)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m);
	return fd;
}

/* Sends one datagram; 0 or the errno. */
static int send_udp(const char *a, uint16_t port, bool marked)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, port, &ss);
	int fd = sock_to(a, SOCK_DGRAM, marked);
	int rc = sendto(fd, "query", 5, 0, (struct sockaddr *)&ss, sl) < 0
		     ? errno
		     : 0;
	close(fd);
	return rc;
}

/* Whether a datagram reached fd (within 300 ms); it is consumed. */
static bool arrived(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (fd < 0 || poll(&p, 1, 300) != 1)
		return false;
	char buf[64];
	return recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0;
}

/* A connection waiting on listener fd (within 300 ms), accepted, or -1. */
static int accepted(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (fd < 0 || poll(&p, 1, 300) != 1)
		return -1;
	return accept4(fd, NULL, NULL, SOCK_CLOEXEC);
}

/* A TCP connect within 1 s: 0 or the errno. */
static int connect_tcp(const char *a, uint16_t port, bool marked)
{
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(a, port, &ss);
	int fd = sock_to(a, SOCK_STREAM, marked);
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	int rc = connect(fd, (struct sockaddr *)&ss, sl) < 0 ? errno : 0;
	close(fd);
	return rc;
}

static void test_redirect(void)
{
	/* Two upstreams' addresses are local, so that a packet that is not
	 * redirected can be seen arriving.  203.0.113.0/24 and 2001:db8:5::/48
	 * are out through a veth pair, where what the filter lets pass is
	 * sent (sendto() returns 0) and what it refuses is not (EPERM). */
	static const char *const setup[] = {
	    "ip link set lo up",
	    "ip addr add 198.51.100.53/32 dev lo",
	    "ip addr add 2001:db8::53/128 dev lo nodad",
	    "ip link add v0 type veth peer name v1",
	    "ip addr add 10.99.0.1/24 dev v0",
	    "ip -6 addr add fd00:99::1/64 dev v0 nodad",
	    "ip link set v0 up",
	    "ip link set v1 up",
	    "ip neigh add 10.99.0.2 lladdr 02:00:00:00:00:02 dev v0 nud "
	    "permanent",
	    "ip -6 neigh add fd00:99::2 lladdr 02:00:00:00:00:02 dev v0 nud "
	    "permanent",
	    "ip route add 203.0.113.0/24 via 10.99.0.2 dev v0",
	    "ip route add 192.0.2.0/24 via 10.99.0.2 dev v0",
	    "ip -6 route add 2001:db8:5::/48 via fd00:99::2 dev v0",
	};
	for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++)
		if (runf(NULL, "%s", setup[i]) != 0) {
			ok(!in_ci, "%s", setup[i]);
			printf("# packet tests skipped\n");
			return;
		}
	struct pol x;
	policy(&x);
	ok(apply(&x, NULL, NULL) == 0, "apply with the DNS redirect");
	int fwd4 = listener("127.0.0.1", 53, SOCK_DGRAM),
	    fwd6 = listener("::1", 53, SOCK_DGRAM),
	    up4 = listener("198.51.100.53", 53, SOCK_DGRAM),
	    up6 = listener("2001:db8::53", 53, SOCK_DGRAM),
	    tcp4 = listener("127.0.0.1", 53, SOCK_STREAM),
	    tcp6 = listener("::1", 53, SOCK_STREAM);
	ok(fwd4 >= 0 && fwd6 >= 0 && up4 >= 0 && up6 >= 0 && tcp4 >= 0 &&
	       tcp6 >= 0,
	   "a forwarder on 127.0.0.1:53 and [::1]:53, upstreams listening");

	static const struct {
		const char *dst;
		bool v6;
	} q[] = {{"198.51.100.53", false},
		 {"203.0.113.99", false},
		 {"2001:db8::53", true},
		 {"2001:db8:5::99", true}};
	for (size_t i = 0; i < 4; i++) {
		int fwd = q[i].v6 ? fwd6 : fwd4, up = q[i].v6 ? up6 : up4;
		int e = send_udp(q[i].dst, 53, false);
		bool f = arrived(fwd), u = arrived(up);
		ok(e == 0 && f && !u,
		   "unmarked UDP to %s port 53 lands on the forwarder (%s)",
		   q[i].dst, q[i].v6 ? "[::1]:53" : "127.0.0.1:53");
		if (i % 2)
			continue;
		e = send_udp(q[i].dst, 53, true);
		f = arrived(fwd);
		u = arrived(up);
		ok(e == 0 && !f && u,
		   "marked UDP to %s port 53 reaches the upstream", q[i].dst);
	}
	ok(connect_tcp("203.0.113.99", 53, false) == 0,
	   "unmarked TCP to 203.0.113.99 port 53 connects ...");
	int c = accepted(tcp4);
	ok(c >= 0, "  ... to the forwarder on 127.0.0.1:53");
	if (c >= 0)
		close(c);
	ok(connect_tcp("2001:db8:5::99", 53, false) == 0 &&
	       (c = accepted(tcp6)) >= 0,
	   "unmarked TCP over IPv6 lands on [::1]:53");
	if (c >= 0)
		close(c);
	is_int(send_udp("203.0.113.99", 853, false), EPERM,
	       "DNS over TLS's port 853 is refused like anything not allowed");
	is_int(send_udp("203.0.113.53", 5353, false), EPERM,
	       "unmarked UDP to upstream 203.0.113.53:5353 is refused");
	is_int(send_udp("203.0.113.53", 5353, true), 0,
	       "  marked UDP is let out");
	is_int(send_udp("192.0.2.9", 53, false), 0,
	       "an allowed network's port 53 is redirected too");
	ok(arrived(fwd4), "  to the forwarder");
	/* Docker: 127.0.0.11:53 DNATed to 127.0.0.11:<port> at dstnat. */
	int dock = listener("127.0.0.11", 5300, SOCK_DGRAM);
	if (have_nft && runf(NULL, "nft add table ip docker") == 0 &&
	    runf(NULL, "nft add chain ip docker out { type nat hook output "
		       "priority -100 ; }") == 0 &&
	    runf(NULL, "nft add rule ip docker out ip daddr 127.0.0.11 udp "
		       "dport 53 dnat to 127.0.0.11:5300") == 0) {
		bool f, d;
		send_udp("127.0.0.11", 53, false);
		f = arrived(fwd4);
		d = arrived(dock);
		ok(f && !d,
		   "with Docker's DNAT: unmarked to 127.0.0.11:53 lands on the "
		   "forwarder");
		send_udp("127.0.0.11", 53, true);
		f = arrived(fwd4);
		d = arrived(dock);
		ok(!f && d, "  marked reaches Docker's DNS behind the DNAT");
		int e = send_udp("127.0.0.11", 5300, false);
		ok(e != 0 && !arrived(dock),
		   "  unmarked straight to its port is refused (%s)",
		   strerror(e));
		runf(NULL, "nft delete table ip docker");
	} else {
		ok(!in_ci, "nft sets up a Docker-like DNAT");
	}
	int g1 = listener("127.0.0.11", 5301, SOCK_STREAM),
	    g2 = listener("127.0.0.1", 5353, SOCK_STREAM),
	    g3 = listener("127.0.0.1", 5354, SOCK_STREAM);
	ok(connect_tcp("127.0.0.11", 5301, false) != 0 &&
	       connect_tcp("127.0.0.11", 5301, true) == 0,
	   "upstream 127.0.0.11: any port only for marked sockets");
	ok(connect_tcp("127.0.0.1", 5353, false) != 0 &&
	       connect_tcp("127.0.0.1", 5353, true) == 0,
	   "upstream 127.0.0.1:5353: that port only for marked sockets");
	ok(connect_tcp("127.0.0.1", 5354, false) == 0,
	   "  other local ports stay open");
	int rc;
	char *out = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	rc = nft_show(f, err, sizeof err);
	fclose(f);
	ok(rc == 0 && out && strstr(out, "dns redirect ") &&
	       !strstr(out, "blocked            0 packets"),
	   "show says DNS is redirected, and counts the refused packets");
	free(out);
	int fds[] = {fwd4, fwd6, up4, up6, tcp4, tcp6, dock, g1, g2, g3};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* What the learned sets let out, with real packets over the veth pair. */
static void test_learned_packets(void)
{
	struct pol x;
	char err[512];
	int fd = -1;
	policy(&x);
	is_int(send_udp("203.0.113.7", 9, false), EPERM,
	       "203.0.113.7 is refused before DNS answered for it");
	struct nft_dyn_elem e[3] = {elem("203.0.113.7", 0, 1),
				    elem("2001:db8:5::7", 0, 100),
				    elem("203.0.113.8", 1, 100)};
	ok(nft_dyn_add(&fd, &x.p, e, 3, err, sizeof err) == 0,
	   "learn 203.0.113.7 (1 s), 2001:db8:5::7, 203.0.113.8 (443)");
	is_int(send_udp("203.0.113.7", 9, false), 0,
	       "  203.0.113.7 passes at once, every port");
	is_int(send_udp("2001:db8:5::7", 9, false), 0, "  2001:db8:5::7 too");
	is_int(send_udp("203.0.113.8", 443, false), 0,
	       "  203.0.113.8 on port 443");
	is_int(send_udp("203.0.113.8", 80, false), EPERM,
	       "  but not on port 80");
	usleep(2200 * 1000);
	is_int(send_udp("203.0.113.7", 9, false), EPERM,
	       "203.0.113.7 is refused again once its timeout passed");
	is_int(send_udp("2001:db8:5::7", 9, false), 0,
	       "  2001:db8:5::7 still passes");
	close(fd);
}

static void all(void)
{
	test_add();
	test_errors();
	test_speed();
	test_redirect();
	test_learned_packets();
	char err[256];
	ok(nft_clear(err, sizeof err) == 0, "clear");
}

int main(void)
{
	return in_netns(all);
}
