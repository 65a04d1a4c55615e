/* The start-up resolver against fake upstreams run by this test: a forked
 * child serving UDP and TCP on 127.0.0.1 (and ::1) at an ephemeral port,
 * answering from the little zone in respond().  The child stops when the
 * pipe from the parent closes, and is reaped by PID. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/log.h"
#include "../../firewall/dns_msg.h"
#include "../../firewall/resolve.h"
#include "tap.h"

enum { M_NORMAL, M_SERVFAIL };

/* ---- the fake upstream (child side) ---- */

struct out {
	uint8_t *b;
	size_t n;
	size_t an; /* offset of ancount */
};

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void begin(struct out *o, const struct dns_msg *q, unsigned rcode,
		  bool tc)
{
	memcpy(o->b, q->buf, q->q_end);
	o->n = q->q_end;
	put16(o->b + 2,
	      DNS_F_QR | DNS_F_RD | DNS_F_RA | (tc ? DNS_F_TC : 0) | rcode);
	put16(o->b + 6, 0);
	put16(o->b + 8, 0);
	put16(o->b + 10, 0);
}

static void wire_name(struct out *o, const char *name)
{
	uint8_t tmp[DNS_QUERY_MAX];
	int n = dns_build_query(tmp, sizeof tmp, 0, name, 1, false);
	size_t len = (size_t)n - 12 - 4;
	memcpy(o->b + o->n, tmp + 12, len);
	o->n += len;
}

/* Appends one answer record; an owner equal to the question is compressed. */
static void rr(struct out *o, const struct dns_msg *q, const char *owner,
	       unsigned type, uint32_t ttl, const void *rdata, size_t rdlen)
{
	if (strcmp(owner, q->qname) == 0) {
		put16(o->b + o->n, 0xc00c);
		o->n += 2;
	} else {
		wire_name(o, owner);
	}
	put16(o->b + o->n, type);
	put16(o->b + o->n + 2, DNS_CLASS_IN);
	put16(o->b + o->n + 4, ttl >> 16);
	put16(o->b + o->n + 6, ttl & 0xffff);
	put16(o->b + o->n + 8, (unsigned)rdlen);
	memcpy(o->b + o->n + 10, rdata, rdlen);
	o->n += 10 + rdlen;
	put16(o->b + 6, (unsigned)(o->b[6] << 8 | o->b[7]) + 1);
}

static void addr(struct out *o, const struct dns_msg *q, const char *owner,
		 uint32_t ttl, const char *text)
{
	uint8_t a[16];
	bool v6 = strchr(text, ':') != NULL;
	inet_pton(v6 ? AF_INET6 : AF_INET, text, a);
	if ((q->qtype == DNS_T_AAAA) == v6)
		rr(o, q, owner, v6 ? DNS_T_AAAA : DNS_T_A, ttl, a, v6 ? 16 : 4);
}

static void cname(struct out *o, const struct dns_msg *q, const char *owner,
		  uint32_t ttl, const char *target)
{
	struct out t = {.b = (uint8_t[DNS_WIRE_NAME_MAX]){0}};
	wire_name(&t, target);
	rr(o, q, owner, DNS_T_CNAME, ttl, t.b, t.n);
}

/* The zone.  Returns the reply's length, 0 for none. */
static size_t respond(const uint8_t *in, size_t n, uint8_t *buf, int mode,
		      bool tcp)
{
	struct dns_msg q;
	struct out o = {.b = buf};
	if (dns_parse(&q, in, n) < 0 || q.qdcount != 1)
		return 0;
	const char *name = q.qname;
	if (mode == M_SERVFAIL) {
		begin(&o, &q, DNS_R_SERVFAIL, false);
	} else if (!strcmp(name, "nx.test")) {
		begin(&o, &q, DNS_R_NXDOMAIN, false);
	} else if (!strcmp(name, "big.test") && !tcp) {
		begin(&o, &q, DNS_R_NOERROR, true);
	} else {
		begin(&o, &q, DNS_R_NOERROR, false);
	}
	if (mode == M_SERVFAIL || (o.b[3] & 0xf) || (o.b[2] & 2))
		return o.n;
	if (!strcmp(name, "a.test")) {
		addr(&o, &q, name, 300, "192.0.2.1");
		addr(&o, &q, name, 100, "192.0.2.2");
		addr(&o, &q, name, 50, "192.0.2.2"); /* same again, lower TTL */
		addr(&o, &q, name, 200, "2001:db8::1");
	} else if (!strcmp(name, "www.test")) {
		cname(&o, &q, name, 600, "c1.test");
		cname(&o, &q, "c1.test", 50, "c2.test");
		addr(&o, &q, "other.test", 1,
		     "192.0.2.99"); /* not in the chain */
		addr(&o, &q, "c2.test", 3600, "192.0.2.10");
		addr(&o, &q, "c2.test", 3600, "2001:db8::10");
	} else if (!strcmp(name, "chain.test")) {
		cname(&o, &q, name, 120, "tail.test"); /* and nothing more */
	} else if (!strcmp(name, "tail.test")) {
		addr(&o, &q, name, 1000, "192.0.2.20");
	} else if (!strcmp(name, "big.test")) {
		addr(&o, &q, name, 30, "192.0.2.30");
		addr(&o, &q, name, 30, "2001:db8::30");
	} else if (!strcmp(name, "loop.test")) {
		cname(&o, &q, name, 60, "loop2.test");
		cname(&o, &q, "loop2.test", 60, "loop.test");
	} else if (!strcmp(name, "long.test")) {
		char a[32], b[32];
		for (int i = 0; i < 10; i++) {
			snprintf(a, sizeof a, i ? "h%d.test" : "long.test", i);
			snprintf(b, sizeof b, "h%d.test", i + 1);
			cname(&o, &q, a, 60, b);
		}
		addr(&o, &q, b, 60, "192.0.2.50");
	} else if (!strcmp(name, "forged.test")) {
		addr(&o, &q, name, 60, "192.0.2.40");
	} else if (!strcmp(name, "v6only.test")) {
		addr(&o, &q, name, 60, "2001:db8::6");
	} else if (!strcmp(name, "share.test")) {
		addr(&o, &q, name, 60, "192.0.2.1");
	} else if (strstr(name, ".many.test")) {
		char a[64];
		snprintf(a, sizeof a, "198.51.100.%d", atoi(name) % 256);
		addr(&o, &q, name, 60, a);
	}
	return o.n;
}

/* For forged.test: first a reply with the wrong ID, one for another
 * question, one from another port, and only then the real one. */
static void reply_udp(int u, int spoof, const uint8_t *in, size_t n,
		      const struct sockaddr_storage *ss, socklen_t sl, int mode)
{
	uint8_t buf[4096];
	size_t len = respond(in, n, buf, mode, false);
	if (!len)
		return;
	const struct sockaddr *to = (const struct sockaddr *)ss;
	if (len > 30 &&
	    memcmp(buf + 12,
		   "\x06"
		   "forged",
		   7) == 0 &&
	    buf[len - 6] == 0 && buf[len - 5] == 4) {
		uint8_t *a = buf + len - 4;
		a[0] = 198, a[1] = 51, a[2] = 100, a[3] = 66;
		buf[1] ^= 1;
		sendto(u, buf, len, 0, to, sl);
		buf[1] ^= 1;
		a[3] = 67;
		buf[13] = 'g'; /* "gorged.test" */
		sendto(u, buf, len, 0, to, sl);
		buf[13] = 'f';
		a[3] = 68;
		sendto(spoof, buf, len, 0, to, sl);
		a[0] = 192, a[1] = 0, a[2] = 2, a[3] = 40;
	}
	sendto(u, buf, len, 0, to, sl);
}

static bool io_full(int fd, uint8_t *b, size_t n, bool wr)
{
	while (n) {
		ssize_t r = wr ? write(fd, b, n) : read(fd, b, n);
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static void serve_tcp(int c, int mode)
{
	struct timeval tv = {2, 0};
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	uint8_t in[2 + 65535], out[2 + 4096];
	if (!io_full(c, in, 2, false))
		return;
	size_t n = (size_t)in[0] << 8 | in[1];
	if (!io_full(c, in + 2, n, false))
		return;
	size_t len = respond(in + 2, n, out + 2, mode, true);
	put16(out, (unsigned)len);
	if (len)
		io_full(c, out, 2 + len, true);
}

static void serve(int u, int t, int spoof, int ctl, int mode)
{
	for (;;) {
		struct pollfd pf[3] = {
		    {u, POLLIN, 0}, {t, POLLIN, 0}, {ctl, POLLIN, 0}};
		if (poll(pf, 3, -1) < 0 && errno != EINTR)
			_exit(1);
		if (pf[2].revents)
			_exit(0);
		if (pf[0].revents & POLLIN) {
			uint8_t in[4096];
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			ssize_t n = recvfrom(u, in, sizeof in, 0,
					     (struct sockaddr *)&ss, &sl);
			if (n > 0)
				reply_udp(u, spoof, in, (size_t)n, &ss, sl,
					  mode);
		}
		if (pf[1].revents & POLLIN) {
			int c = accept(t, NULL, NULL);
			if (c >= 0) {
				serve_tcp(c, mode);
				close(c);
			}
		}
	}
}

/* ---- the parent side ---- */

struct fake {
	pid_t pid;
	int ctl;
	struct upstream up;
};

static int bind_any(int family, int type, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons(port);
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons(port);
		sl = sizeof *s4;
	}
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	return ntohs(ss.ss_family == AF_INET6
			 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			 : ((struct sockaddr_in *)&ss)->sin_port);
}

static void set_up(struct upstream *up, int family, uint16_t port)
{
	memset(up, 0, sizeof *up);
	up->addr.family = (uint8_t)family;
	if (family == AF_INET6)
		memcpy(up->addr.b, &in6addr_loopback, 16);
	else
		inet_pton(AF_INET, "127.0.0.1", up->addr.b);
	up->port = port;
}

/* Starts a fake upstream; UDP and TCP share its port.  Returns 0 or -1. */
static int fake_start(struct fake *f, int family, int mode)
{
	int u = -1, t = -1;
	for (int i = 0; i < 20 && t < 0; i++) {
		if (u >= 0)
			close(u);
		u = bind_any(family, SOCK_DGRAM, 0);
		if (u < 0)
			return -1;
		t = bind_any(family, SOCK_STREAM, port_of(u));
	}
	int spoof = bind_any(family, SOCK_DGRAM, 0);
	int pfd[2];
	if (t < 0 || spoof < 0 || pipe(pfd) < 0)
		return -1;
	set_up(&f->up, family, port_of(u));
	fflush(stdout);
	f->pid = fork();
	if (f->pid == 0) {
		close(pfd[1]);
		serve(u, t, spoof, pfd[0], mode);
	}
	close(pfd[0]);
	close(u);
	close(t);
	close(spoof);
	f->ctl = pfd[1];
	return f->pid > 0 ? 0 : -1;
}

/* Later children hold copies of earlier ones' pipes, so the pipe alone
 * (which stops a child if this process dies) cannot stop it here. */
static void fake_stop(struct fake *f)
{
	close(f->ctl);
	kill(f->pid, SIGKILL);
	waitpid(f->pid, NULL, 0);
}

static struct policy *make_policy(const char *const *names, size_t n)
{
	struct policy *p = calloc(1, sizeof *p);
	p->targets = calloc(n + 1, sizeof *p->targets);
	for (size_t i = 0; i < n; i++) {
		p->targets[i].kind = TARGET_NAME;
		p->targets[i].portspec = (uint16_t)(i + 1);
		p->targets[i].name = strdup(names[i]);
	}
	/* A network target, which the resolver must leave alone. */
	p->targets[n].kind = TARGET_NET;
	p->targets[n].prefix = 24;
	p->targets[n].addr.family = AF_INET;
	p->n_targets = p->cap_targets = n + 1;
	p->n_names = n;
	p->n_nets = 1;
	return p;
}

static void free_policy(struct policy *p)
{
	for (size_t i = 0; i < p->n_targets; i++)
		free(p->targets[i].name);
	free(p->targets);
	free(p);
}

/* The TTL learned for (target, address), or -1. */
static long long ttl_of(const struct resolve_result *r, uint32_t t,
			const char *text)
{
	struct ipaddr a = {0};
	a.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	inet_pton(a.family, text, a.b);
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].target == t && r->v[i].addr.family == a.family &&
		    memcmp(r->v[i].addr.b, a.b, 16) == 0)
			return r->v[i].ttl;
	return -1;
}

static size_t count_of(const struct resolve_result *r, uint32_t t)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++)
		n += r->v[i].target == t;
	return n;
}

static int64_t ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char warnings[8192];
static char err[256];

/* Runs resolve_policy with stderr captured into warnings. */
static int run(const struct policy *p, int timeout_ms, struct resolve_result *r,
	       int64_t *elapsed)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	err[0] = 0;
	int64_t t0 = ms();
	int rc = resolve_policy(p, timeout_ms, r, err, sizeof err);
	*elapsed = ms() - t0;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(warnings, 1, sizeof warnings - 1, tmp);
	warnings[n] = 0;
	fclose(tmp);
	if (log_verbose)
		fputs(warnings, stderr);
	return rc;
}

static void test_zone(const struct fake *f)
{
	static const char *const names[] = {
	    "a.test",	   "www.test",	 "chain.test", "nx.test",
	    "big.test",	   "loop.test",	 "long.test",  "forged.test",
	    "v6only.test", "share.test",
	};
	struct policy *p = make_policy(names, 10);
	p->upstreams[0] = f->up;
	p->n_upstreams = 1;
	struct resolve_result r;
	int64_t el;
	is_int(run(p, 4000, &r, &el), 0, "resolve_policy succeeds");
	ok(el < 2000, "in %lld ms, without waiting for a timeout",
	   (long long)el);

	is_int(ttl_of(&r, 0, "192.0.2.1"), 300, "a.test A 192.0.2.1 ttl 300");
	is_int(ttl_of(&r, 0, "192.0.2.2"), 50,
	       "a.test A 192.0.2.2 listed twice: once, with the lower TTL");
	is_int(ttl_of(&r, 0, "2001:db8::1"), 200, "a.test AAAA ttl 200");
	is_int(count_of(&r, 0), 3, "a.test: three entries");
	bool ports = true;
	for (size_t i = 0; i < r.n; i++)
		ports &= r.v[i].portspec == r.v[i].target + 1;
	ok(ports, "portspec copied from each target");

	is_int(ttl_of(&r, 1, "192.0.2.10"), 50,
	       "www.test via two CNAMEs: A with the chain's smallest TTL");
	is_int(ttl_of(&r, 1, "2001:db8::10"), 50, "and the AAAA too");
	is_int(count_of(&r, 1), 2, "www.test: nothing from outside the chain");
	is_int(ttl_of(&r, 2, "192.0.2.20"), 120,
	       "chain.test: chain end asked again, TTL min of both answers");
	is_int(count_of(&r, 2), 1, "chain.test: one address");
	is_int(count_of(&r, 3), 0, "nx.test: nothing");
	is_int(ttl_of(&r, 4, "192.0.2.30"), 30,
	       "big.test: truncated, then TCP");
	is_int(ttl_of(&r, 4, "2001:db8::30"), 30, "big.test AAAA over TCP");
	is_int(count_of(&r, 5), 0, "loop.test: CNAME loop gives nothing");
	is_int(count_of(&r, 6), 0, "long.test: 10 CNAMEs give nothing");
	is_int(count_of(&r, 7), 1,
	       "forged.test: wrong ID, wrong question, wrong port ignored");
	is_int(ttl_of(&r, 7, "192.0.2.40"), 60, "forged.test: the real answer");
	is_int(count_of(&r, 8), 1, "v6only.test: AAAA only");
	is_int(ttl_of(&r, 9, "192.0.2.1"), 60,
	       "share.test keeps its own entry for a shared address");
	is_int(r.n, 11, "11 entries, none for the network target");
	is_int(r.names_ok, 7, "7 names resolved");
	is_int(r.names_failed, 3, "3 names failed");
	ok(strstr(warnings, "corral: warning: name nx.test did not resolve "
			    "(NXDOMAIN)\n") != NULL,
	   "warning for nx.test");
	ok(strstr(warnings, "name loop.test did not resolve (A: CNAME loop, "
			    "AAAA: CNAME loop)") == NULL &&
	       strstr(warnings, "name loop.test did not resolve (CNAME "
				"loop)") != NULL,
	   "warning for loop.test");
	ok(strstr(warnings, "name long.test did not resolve (CNAME chain "
			    "longer than 8)") != NULL,
	   "warning for long.test");
	ok(strstr(warnings, "a.test") == NULL, "no warning for a.test");
	if (r.names_failed != 3)
		printf("# %s", warnings);
	resolve_result_free(&r);
	free_policy(p);
}

static void test_failover(const struct fake *good, const struct fake *bad)
{
	static const char *const names[] = {"a.test", "www.test"};
	struct policy *p = make_policy(names, 2);
	struct resolve_result r;
	int64_t el;

	/* A bound socket nobody reads: an upstream that never answers. */
	int silent = bind_any(AF_INET, SOCK_DGRAM, 0);
	set_up(&p->upstreams[0], AF_INET, port_of(silent));
	p->upstreams[1] = good->up;
	p->n_upstreams = 2;
	is_int(run(p, 3000, &r, &el), 0, "silent first upstream");
	ok(r.names_ok == 2 && ttl_of(&r, 1, "192.0.2.10") == 50,
	   "failover to the second upstream");
	ok(el >= 350 && el < 2000, "after one attempt's timeout (%lld ms)",
	   (long long)el);
	resolve_result_free(&r);

	p->upstreams[0] = bad->up;
	is_int(run(p, 3000, &r, &el), 0, "SERVFAIL first upstream");
	ok(r.names_ok == 2 && count_of(&r, 0) == 3,
	   "failover to the second upstream");
	ok(el < 350, "at once, without a timeout (%lld ms)", (long long)el);
	resolve_result_free(&r);

	p->n_upstreams = 1;
	is_int(run(p, 3000, &r, &el), 0, "SERVFAIL only: still no error");
	ok(r.n == 0 && r.names_failed == 2 &&
	       strstr(warnings, "name a.test did not resolve (upstream "
				"error)") != NULL,
	   "names failed with a warning");

	set_up(&p->upstreams[0], AF_INET, port_of(silent));
	is_int(run(p, 1000, &r, &el), 0, "silent upstream only: no error");
	ok(r.names_failed == 2 &&
	       strstr(warnings, "name www.test did not resolve (timed "
				"out)") != NULL,
	   "names time out with a warning");
	ok(el >= 950 && el < 1300, "timeout_ms bounds the call (%lld ms)",
	   (long long)el);
	close(silent);

	p->n_upstreams = 0;
	is_int(run(p, 1000, &r, &el), -1, "no upstream: error");
	is_str(err,
	       "no DNS upstream: add an `upstream` line or a nameserver "
	       "to /etc/resolv.conf",
	       "which says what to do");
	struct policy *none = make_policy(names, 0);
	is_int(run(none, 1000, &r, &el), 0, "no names, no upstream: fine");
	ok(r.n == 0 && r.names_ok == 0 && r.names_failed == 0, "and empty");
	free_policy(none);
	free_policy(p);
}

/* More lookups than are let in flight at once. */
static void test_many(const struct fake *f)
{
	enum { N = 700 };
	static char bufs[N][32];
	static const char *names[N];
	for (int i = 0; i < N; i++) {
		snprintf(bufs[i], sizeof bufs[i], "%d.many.test", i);
		names[i] = bufs[i];
	}
	struct policy *p = make_policy(names, N);
	p->upstreams[0] = f->up;
	p->n_upstreams = 1;
	struct resolve_result r;
	int64_t el;
	is_int(run(p, 5000, &r, &el), 0, "%d names", N);
	ok(r.names_ok == N && r.n == N &&
	       ttl_of(&r, 699, "198.51.100.187") == 60,
	   "all resolved, in %lld ms", (long long)el);
	resolve_result_free(&r);
	free_policy(p);
}

static void test_ipv6(void)
{
	struct fake f6;
	if (fake_start(&f6, AF_INET6, M_NORMAL) < 0) {
		printf("ok %d # skip no IPv6 loopback\n", ++tap_n);
		return;
	}
	static const char *const names[] = {"big.test", "chain.test"};
	struct policy *p = make_policy(names, 2);
	p->upstreams[0] = f6.up;
	p->n_upstreams = 1;
	struct resolve_result r;
	int64_t el;
	is_int(run(p, 3000, &r, &el), 0, "IPv6 upstream [::1]");
	ok(r.names_ok == 2 && ttl_of(&r, 0, "2001:db8::30") == 30 &&
	       ttl_of(&r, 1, "192.0.2.20") == 120,
	   "UDP, TCP and follow-up over IPv6");
	resolve_result_free(&r);
	free_policy(p);
	fake_stop(&f6);
}

int main(void)
{
	log_verbose = getenv("CORRAL_TEST_VERBOSE") != NULL;
	signal(SIGPIPE, SIG_IGN);
	struct fake good, bad;
	if (fake_start(&good, AF_INET, M_NORMAL) < 0 ||
	    fake_start(&bad, AF_INET, M_SERVFAIL) < 0) {
		ok(0, "start the fake upstreams: %s", strerror(errno));
		return tap_done();
	}
	test_zone(&good);
	test_failover(&good, &bad);
	test_many(&good);
	test_ipv6();
	fake_stop(&good);
	fake_stop(&bad);
	return tap_done();
}
