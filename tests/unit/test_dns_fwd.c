/* The forwarder as a client sees it, in the world of fwd_world.h: what a
 * query gets back, what the upstreams were asked, what the privileged side
 * was asked to open, and that no answer leaves before its addresses are
 * open.  As root the forwarder runs exactly as in production: sandboxed,
 * as nobody, under seccomp (a syscall missing from the allowlist kills it,
 * and the tests see it).  The sandbox alone: test_dns_sandbox.c. */
#include <dirent.h>

#include "fwd_world.h"
#include "tap.h"

#define POLICY                                                                 \
	"allow warm.test *.t.test 10.1.0.0/16\n"                               \
	"upstream 127.0.0.1:UP0 127.0.0.1:UP1\n"                               \
	"ttl-max 600\n"

static struct world *w;
static uint8_t ans[65536];

struct res {
	size_t len;
	int rcode;
	bool tc;
	uint16_t id;
	unsigned an, ns, ar;
	char txt[4096];	 /* "name TYPE ttl data; ..." of the answer section */
	uint32_t ns_ttl; /* TTL of the first authority record */
};

static void describe(const uint8_t *b, size_t n, struct res *r)
{
	struct dns_msg m;
	struct dns_rr_iter it;
	struct dns_rr rr;
	memset(r, 0, sizeof *r);
	r->len = n;
	r->rcode = -1;
	if (!n || dns_parse(&m, b, n) < 0)
		return;
	r->rcode = m.rcode;
	r->tc = m.tc;
	r->id = m.id;
	r->an = m.ancount;
	r->ns = m.nscount;
	r->ar = m.arcount;
	size_t off = 0;
	dns_answers(&m, &it);
	while (dns_rr_next(&it, &rr) > 0 && off < sizeof r->txt) {
		char d[DNS_NAME_BUF + 8];
		const char *t = "?";
		if (rr.type == DNS_T_A || rr.type == DNS_T_AAAA) {
			inet_ntop(rr.type == DNS_T_A ? AF_INET : AF_INET6,
				  rr.addr, d, sizeof d);
			t = rr.type == DNS_T_A ? "A" : "AAAA";
		} else if (rr.type == DNS_T_CNAME) {
			snprintf(d, sizeof d, "%s", rr.target);
			t = "CNAME";
		} else {
			snprintf(d, sizeof d, "-");
			t = rr.type == DNS_T_MX ? "MX" : "?";
		}
		off += (size_t)snprintf(r->txt + off, sizeof r->txt - off,
					"%s%s %s %u %s", off ? "; " : "",
					rr.name, t, rr.ttl, d);
	}
	it.left = m.nscount;
	if (m.nscount && dns_rr_next(&it, &rr) > 0)
		r->ns_ttl = rr.ttl;
}

static bool v6; /* clients talk to [::1] */

/* One address record NAME TYPE TTL ADDR whose TTL is at most 300 and at
 * least 270: a repeated name is answered from what the forwarder knows to
 * be open, its TTL capped to the seconds left. */
static void is_open_answer(const struct res *r, const char *name,
			   const char *type, const char *addr, const char *what)
{
	char n[256], t[16], a[64];
	unsigned ttl = 0;
	bool good = sscanf(r->txt, "%255s %15s %u %63s", n, t, &ttl, a) == 4 &&
		    !strchr(r->txt, ';') && strcmp(n, name) == 0 &&
		    strcmp(t, type) == 0 && strcmp(a, addr) == 0 &&
		    ttl >= 270 && ttl <= 300;
	ok(good, "%s", what);
	if (!good)
		printf("#   got '%s', want '%s %s 270..300 %s'\n", r->txt, name,
		       type, addr);
}

static int udp_client(void)
{
	return client(w, SOCK_DGRAM, v6);
}

/* Waits (running the world) for one datagram on fd. */
static size_t wait_udp(int fd, int ms)
{
	int64_t end = mono_ms() + ms;
	while (pump(w, (int)(end - mono_ms()), fd)) {
		ssize_t n = recv(fd, ans, sizeof ans, MSG_DONTWAIT);
		if (n > 0)
			return (size_t)n;
	}
	return 0;
}

static size_t ask_raw(const uint8_t *q, size_t qlen, int ms)
{
	int fd = udp_client();
	send(fd, q, qlen, 0);
	size_t n = wait_udp(fd, ms);
	close(fd);
	return n;
}

static size_t build(uint8_t *q, const char *name, uint16_t qtype, bool edns)
{
	int n = dns_build_query(q, DNS_QUERY_MAX, 0x1234, name, qtype, edns);
	return n > 0 ? (size_t)n : 0;
}

static void ask(const char *name, uint16_t qtype, struct res *r)
{
	uint8_t q[DNS_QUERY_MAX];
	size_t n = build(q, name, qtype, true);
	describe(ans, ask_raw(q, n, 4000), r);
}

static int tcp_client(void)
{
	return client(w, SOCK_STREAM, v6);
}

/* Reads one framed answer from a TCP client socket. */
static size_t tcp_answer(int fd, int ms)
{
	size_t got = 0, want = 2;
	int64_t end = mono_ms() + ms;
	while (got < want && pump(w, (int)(end - mono_ms()), fd)) {
		ssize_t n = recv(fd, ans + got, want - got, MSG_DONTWAIT);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		if (got == 2 && want == 2)
			want = 2 + (size_t)(ans[0] << 8 | ans[1]);
	}
	if (got < want)
		return 0;
	memmove(ans, ans + 2, got - 2);
	return got - 2;
}

static void send_framed(int fd, const char *name, uint16_t qtype)
{
	uint8_t q[2 + DNS_QUERY_MAX];
	size_t n = build(q + 2, name, qtype, false);
	wput16(q, (unsigned)n);
	send(fd, q, n + 2, 0);
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* ---- tests ---- */

static void test_warmup(void)
{
	int64_t end = mono_ms() + 3000;
	while (count(w->allow_log, "warm.test") < 2 && mono_ms() < end)
		pump(w, 50, -1);
	ok(strstr(w->up_log, "warm.test A udp up0") &&
	       strstr(w->up_log, "warm.test AAAA udp up0"),
	   "warm-up asks every allowed name, A and AAAA");
	ok(strstr(w->allow_log, "warm.test 192.0.2.1/300") &&
	       strstr(w->allow_log, "warm.test 2001:db8::1/300"),
	   "... and opens their addresses with no client asking");
	ok(!strstr(w->up_log, ".t.test"), "wildcards are not warmed up");
}

static void test_allowed(void)
{
	struct res r;
	uint8_t q[DNS_QUERY_MAX];
	world_clear_logs(w);
	size_t qn = build(q, "Api.T.test", DNS_T_A, true);
	describe(ans, ask_raw(q, qn, 4000), &r);
	is_int(r.rcode, DNS_R_NOERROR, "an allowed name resolves");
	is_str(r.txt, "api.t.test A 300 192.0.2.1", "with its address");
	is_int(r.id, 0x1234, "the client's ID comes back");
	ok(r.len > qn - 11 && memcmp(ans + 12, q + 12, qn - 12 - 11) == 0,
	   "the question comes back as asked, case and all");
	ok(r.ar == 1, "EDNS0 passes through");
	is_str(w->allow_log, "api.t.test 192.0.2.1/300\n",
	       "the address was opened first, with its TTL");
	ok(strstr(w->up_log, "api.t.test A udp up0") != NULL,
	   "asked the first upstream over UDP");

	world_clear_logs(w);
	ask("b.c.t.test", DNS_T_AAAA, &r);
	is_str(r.txt, "b.c.t.test AAAA 300 2001:db8::1",
	       "a wildcard matches at any depth, AAAA too");

	world_clear_logs(w);
	ask("www.t.test", DNS_T_A, &r);
	is_str(r.txt,
	       "www.t.test CNAME 300 edge.cdn.test; edge.cdn.test A 100 "
	       "198.51.100.7",
	       "a CNAME chain to a name not allowed resolves");
	is_str(w->allow_log, "www.t.test 198.51.100.7/100\n",
	       "its address is opened for the asked name, smallest TTL");
}

/* Addresses known open with most of their time left are released without
 * a round trip to the privileged side; a short grant is asked again. */
static void test_known_open(void)
{
	struct res r;
	ask("known.t.test", DNS_T_A, &r);
	world_clear_logs(w);
	ask("known.t.test", DNS_T_A, &r);
	is_int(w->allow_reqs, 0,
	       "a name already open is answered without an ALLOW request");
	is_open_answer(&r, "known.t.test", "A", "192.0.2.1",
		       "... with its address, TTL capped to the time left");
	ask("other.t.test", DNS_T_A, &r);
	is_int(w->allow_reqs, 1,
	       "the same address for another name is asked for (its ports "
	       "may differ)");
	world_clear_logs(w);
	w->allow_timeout = 30;
	ask("short.t.test", DNS_T_A, &r);
	ask("short.t.test", DNS_T_A, &r);
	w->allow_timeout = 300;
	is_int(w->allow_reqs, 2,
	       "a grant shorter than 90%% of the TTL is asked for again");
	is_str(r.txt, "short.t.test A 30 192.0.2.1", "... and capped to it");
}

static void test_hold(void)
{
	uint8_t q[DNS_QUERY_MAX];
	struct res r;
	world_clear_logs(w);
	w->allow_mode = ALLOW_HOLD;
	int fd = udp_client();
	send(fd, q, build(q, "hold.t.test", DNS_T_A, false), 0);
	bool early = pump(w, 400, fd);
	ok(!early, "no answer while the privileged side has not confirmed");
	ok(w->n_held == 1 && strstr(w->allow_log, "hold.t.test 192.0.2.1"),
	   "the ALLOW request is out");
	priv_release(w);
	w->allow_mode = ALLOW_OK;
	describe(ans, wait_udp(fd, 2000), &r);
	is_str(r.txt, "hold.t.test A 300 192.0.2.1",
	       "the answer follows the confirmation");
	close(fd);

	world_clear_logs(w);
	w->allow_mode = ALLOW_NO;
	ask("no.t.test", DNS_T_A, &r);
	is_int(r.rcode, DNS_R_SERVFAIL, "a refused ALLOW gives SERVFAIL");
	ok(r.an == 0, "... with no address");

	world_clear_logs(w);
	w->allow_mode = ALLOW_SILENT;
	int64_t t0 = mono_ms();
	ask("silent.t.test", DNS_T_A, &r);
	int64_t dt = mono_ms() - t0;
	is_int(r.rcode, DNS_R_SERVFAIL, "a silent privileged side: SERVFAIL");
	ok(dt >= 1800 && dt < 3500, "... after 2 s (%lld ms)", (long long)dt);
	w->allow_mode = ALLOW_OK;
}

static void test_blocked(void)
{
	struct res r;
	world_clear_logs(w);
	ask("secret.test", DNS_T_A, &r);
	is_int(r.rcode, DNS_R_NXDOMAIN, "a name not allowed: NXDOMAIN");
	ask("data-to-leak.secret.test", DNS_T_TXT, &r);
	is_int(r.rcode, DNS_R_NXDOMAIN, "any type of it");
	ask("t.test", DNS_T_A, &r);
	is_int(r.rcode, DNS_R_NXDOMAIN,
	       "the apex of a wildcard is not allowed");
	pump(w, 50, -1);
	is_str(w->up_log, "", "none of them was asked upstream");
	is_str(w->blocked_log,
	       "secret.test 1\ndata-to-leak.secret.test 16\nt.test 1\n",
	       "each is reported to the privileged side with its type");
	is_str(w->allow_log, "", "nothing opened");
}

static void test_local_types(void)
{
	struct res r;
	world_clear_logs(w);
	ask("api.t.test", 65, &r);
	ok(r.rcode == DNS_R_NOERROR && r.an == 0, "HTTPS: NOERROR, no data");
	ask("api.t.test", 64, &r);
	ok(r.rcode == DNS_R_NOERROR && r.an == 0, "SVCB: NOERROR, no data");
	ask("api.t.test", 255, &r);
	is_int(r.rcode, DNS_R_NOTIMP, "ANY: NOTIMP");
	uint8_t q[DNS_QUERY_MAX];
	size_t n = build(q, "api.t.test", DNS_T_A, false);
	q[n - 1] = 3; /* class CH */
	describe(ans, ask_raw(q, n, 2000), &r);
	is_int(r.rcode, DNS_R_REFUSED, "class CH: REFUSED");
	pump(w, 50, -1);
	is_str(w->up_log, "", "none of them asked upstream");

	ask("mx.t.test", DNS_T_MX, &r);
	ok(r.rcode == DNS_R_NOERROR && r.an == 1 && r.ar == 2,
	   "MX passes through as it came (glue and OPT)");
	is_str(w->allow_log, "", "... and opens nothing");
}

static void test_garbage(void)
{
	uint8_t q[DNS_QUERY_MAX] = {1, 2, 3, 4, 5};
	ok(ask_raw(q, 5, 300) == 0, "5 bytes of garbage: no answer");
	uint8_t h[12] = {0xab, 0xcd, 0x01, 0x00, 0x00, 0x05};
	struct res r;
	describe(ans, ask_raw(h, sizeof h, 2000), &r);
	ok(r.rcode == DNS_R_FORMERR && r.id == 0xabcd,
	   "a query header with lying counts: FORMERR");
	size_t n = build(q, "api.t.test", DNS_T_A, false);
	q[2] |= 0x80;
	ok(ask_raw(q, n, 300) == 0, "a reply sent to the forwarder: nothing");
	n = build(q, "api.t.test", DNS_T_A, false);
	q[2] = 0x28; /* opcode UPDATE */
	describe(ans, ask_raw(q, n, 2000), &r);
	is_int(r.rcode, DNS_R_NOTIMP, "opcode UPDATE: NOTIMP");
}

static void test_answers(void)
{
	struct res r;
	world_clear_logs(w);
	ask("evil.t.test", DNS_T_A, &r);
	is_str(r.txt,
	       "evil.t.test A 300 198.51.100.3; evil.t.test A 300 10.1.2.3",
	       "rebinding addresses stripped, allowed network kept");
	is_str(w->allow_log, "evil.t.test 198.51.100.3/300 10.1.2.3/300\n",
	       "... and never asked to be opened");

	world_clear_logs(w);
	ask("inject.t.test", DNS_T_A, &r);
	is_str(r.txt, "inject.t.test A 300 192.0.2.60",
	       "a record for another owner is removed");
	ok(!strstr(w->allow_log, "198.51.100.11"), "... and never opened");

	world_clear_logs(w);
	ask("wrongid.t.test", DNS_T_A, &r);
	is_str(r.txt, "wrongid.t.test A 300 198.51.100.5",
	       "a reply with the wrong ID is ignored");
	ok(!strstr(w->allow_log, "198.51.100.66"), "... and opens nothing");

	world_clear_logs(w);
	ask("hostile.t.test", DNS_T_A, &r);
	is_int(r.rcode, DNS_R_SERVFAIL,
	       "replies with a looping pointer: SERVFAIL in the end");
	is_str(w->allow_log, "", "... and nothing opened");

	world_clear_logs(w);
	w->allow_timeout = 30;
	ask("ttl.t.test", DNS_T_A, &r);
	is_str(r.txt, "ttl.t.test A 30 192.0.2.1",
	       "the TTL is capped to how long the address stays open");
	w->allow_timeout = 300;

	ask("nx.t.test", DNS_T_A, &r);
	ok(r.rcode == DNS_R_NXDOMAIN && r.ns == 1, "NXDOMAIN passes through");
	is_int(r.ns_ttl, 600, "... with its TTLs capped to ttl-max");
}

static void test_failover(void)
{
	struct res r;
	world_clear_logs(w);
	int64_t t0 = mono_ms();
	ask("fail.t.test", DNS_T_A, &r);
	is_str(r.txt, "fail.t.test A 300 192.0.2.44",
	       "SERVFAIL from the first upstream: the second answers");
	ok(mono_ms() - t0 < 500, "... at once");
	ok(strstr(w->up_log, "fail.t.test A udp up0\nfail.t.test A udp up1"),
	   "both were asked, in order");

	t0 = mono_ms();
	ask("slow.t.test", DNS_T_A, &r);
	int64_t dt = mono_ms() - t0;
	is_str(r.txt, "slow.t.test A 300 192.0.2.45",
	       "a silent first upstream: the second answers");
	ok(dt >= 600 && dt < 1500, "... after the attempt timeout (%lld ms)",
	   (long long)dt);
}

static void test_truncated(void)
{
	struct res r;
	world_clear_logs(w);
	ask("big.t.test", DNS_T_A, &r);
	ok(r.rcode == DNS_R_NOERROR && r.an == 40 && !r.tc,
	   "a truncated upstream reply is fetched over TCP (%u records)", r.an);
	ok(strstr(w->up_log, "big.t.test A udp up0\nbig.t.test A tcp up0"),
	   "... from the same upstream");
	is_int(count(w->allow_log, " 198.51.100."), 40,
	       "all 40 addresses opened");
	is_int(w->allow_reqs, 2, "... in two ALLOW requests (32 + 8)");

	uint8_t q[DNS_QUERY_MAX];
	size_t n = build(q, "big.t.test", DNS_T_A, false);
	describe(ans, ask_raw(q, n, 4000), &r);
	ok(r.tc && r.an == 0 && r.rcode == DNS_R_NOERROR && r.id == 0x1234,
	   "too big for a client without EDNS: TC and no records");

	int fd = tcp_client();
	send_framed(fd, "big.t.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	ok(r.an == 40 && !r.tc, "the client's retry over TCP gets it all");
	close(fd);
}

static void test_tcp(void)
{
	struct res r;
	int fd = tcp_client();
	send_framed(fd, "api.t.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1",
		       "a TCP client is answered");
	/* Two queries in one write, as glibc sends A and AAAA. */
	uint8_t q[2 * (2 + DNS_QUERY_MAX)];
	size_t a = build(q + 2, "api.t.test", DNS_T_A, false);
	wput16(q, (unsigned)a);
	size_t b = build(q + 4 + a, "api.t.test", DNS_T_AAAA, false);
	wput16(q + 2 + a, (unsigned)b);
	send(fd, q, 4 + a + b, 0);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1",
		       "pipelined: first answer");
	describe(ans, tcp_answer(fd, 4000), &r);
	is_str(r.txt, "api.t.test AAAA 300 2001:db8::1",
	       "pipelined: second answer");
	send_framed(fd, "secret.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_int(r.rcode, DNS_R_NXDOMAIN, "a blocked name over TCP: NXDOMAIN");
	/* A reply sent to the forwarder is dropped; the next query on the
	 * same connection is still answered. */
	uint8_t m[2 + DNS_QUERY_MAX];
	size_t n = build(m + 2, "api.t.test", DNS_T_A, false);
	wput16(m, (unsigned)n);
	m[2 + 2] |= 0x80;
	send(fd, m, n + 2, 0);
	send_framed(fd, "api.t.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1",
		       "after a dropped message the connection still answers");
	/* A length announcing more than a query may be: closed. */
	send(fd, "\xff\xff", 2, 0);
	ok(pump(w, 2000, fd) && recv(fd, ans, sizeof ans, 0) <= 0,
	   "a 65535-byte query announced: the connection is closed");
	close(fd);
}

/* 64 TCP clients at once; idle ones go after 5 s. */
static void test_tcp_limits(void)
{
	enum { N = 64 };
	int fds[N + 1];
	for (int i = 0; i <= N; i++) {
		fds[i] = tcp_client();
		if (i < N) /* a byte of a length: a slow client */
			send(fds[i], "\0", 1, 0);
		pump(w, 5, -1);
	}
	char c;
	ok(pump(w, 1000, fds[N]) && recv(fds[N], &c, 1, 0) == 0,
	   "a 65th TCP client is closed at once");
	close(fds[N]);
	int64_t t0 = mono_ms();
	unsigned closed = 0;
	for (int i = 0; i < N; i++) {
		if (pump(w, (int)(t0 + 7000 - mono_ms()), fds[i]) &&
		    recv(fds[i], &c, 1, 0) <= 0)
			closed++;
		close(fds[i]);
	}
	int64_t dt = mono_ms() - t0;
	is_int(closed, N, "clients that do not finish a query are closed");
	ok(dt >= 4000 && dt < 7000, "... after 5 s (%lld ms)", (long long)dt);
	struct res r;
	int fd = tcp_client();
	send_framed(fd, "api.t.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1",
		       "then TCP works again");
	close(fd);
}

static void flood(const char *round)
{
	enum { N = 1000 };
	int fd = udp_client();
	int sz = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	static bool seen[N];
	memset(seen, 0, sizeof seen);
	for (unsigned i = 0; i < N; i++) {
		uint8_t q[DNS_QUERY_MAX];
		int n =
		    dns_build_query(q, sizeof q, (uint16_t)i, "flood.t.test",
				    i % 2 ? DNS_T_AAAA : DNS_T_A, true);
		send(fd, q, (size_t)n, 0);
	}
	unsigned answered = 0, good = 0;
	int64_t t0 = mono_ms(), end = t0 + 15000;
	while (answered < N && pump(w, (int)(end - mono_ms()), fd)) {
		ssize_t n;
		while ((n = recv(fd, ans, sizeof ans, MSG_DONTWAIT)) > 0) {
			struct res r;
			describe(ans, (size_t)n, &r);
			if (r.id >= N || seen[r.id])
				continue;
			seen[r.id] = true;
			answered++;
			good += r.rcode == DNS_R_NOERROR && r.an == 1;
		}
	}
	close(fd);
	is_int(answered, N,
	       "%s: 1,000 concurrent queries are all answered (%lld ms)", round,
	       (long long)(mono_ms() - t0));
	is_int(good, N, "... each with its address");
	ok(kill(w->pid, 0) == 0, "the forwarder is still running");
}

/* Twice: after the first burst the forwarder hands its slots back, and the
 * second one sets them up again. */
static void test_flood(void)
{
	flood("a burst");
	flood("another burst");
}

static void test_refused(bool sandbox)
{
	struct res r;
	fwd_start(w, "allow *.t.test\nupstream 127.0.0.1:DEAD\n", sandbox);
	pump(w, 100, -1);
	int64_t t0 = mono_ms();
	ask("api.t.test", DNS_T_A, &r);
	int64_t dt = mono_ms() - t0;
	is_int(r.rcode, DNS_R_SERVFAIL, "an upstream that refuses: SERVFAIL");
	ok(dt < 300, "... fast (%lld ms)", (long long)dt);
	int st = fwd_stop(w);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "stopped cleanly");

	fwd_start(w, "allow *.t.test\nupstream 127.0.0.1:DEAD 127.0.0.1:UP0\n",
		  sandbox);
	pump(w, 100, -1);
	t0 = mono_ms();
	ask("api.t.test", DNS_T_A, &r);
	dt = mono_ms() - t0;
	is_str(r.txt, "api.t.test A 300 192.0.2.1",
	       "a refusing first upstream: the second answers");
	ok(dt < 300, "... at once (%lld ms)", (long long)dt);
	st = fwd_stop(w);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "stopped cleanly");

	/* An IPv6 upstream: v6 sockets from the privileged side. */
	fwd_start(w, "allow *.t.test\nupstream [::1]:UP2\n", sandbox);
	pump(w, 100, -1);
	ask("api.t.test", DNS_T_A, &r);
	is_str(r.txt, "api.t.test A 300 192.0.2.1", "an IPv6 upstream answers");
	ask("big.t.test", DNS_T_A, &r);
	ok(r.an == 40, "... and over TCP too");
	ok(strstr(w->up_log, "api.t.test A udp up2") &&
	       strstr(w->up_log, "big.t.test A tcp up2"),
	   "both went to [::1]");
	st = fwd_stop(w);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "stopped cleanly");
}

static unsigned open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	unsigned n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* Messages from the privileged side are checked too: wrong sizes, types
 * and ids are ignored and the fds that come with them closed. */
static void test_bad_ipc(void)
{
	pump(w, 300, -1);
	unsigned before = open_fds(w->pid);
	int fds[3];
	for (int i = 0; i < 3; i++)
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
	struct ipc_hdr h = {.type = 999, .len = sizeof h, .id = 1};
	priv_send(w, &h, sizeof h, fds, 3);
	struct ipc_sockets_rep sr;
	memset(&sr, 0, sizeof sr);
	sr.h.type = IPC_SOCKETS_REP;
	sr.h.len = sizeof sr;
	sr.h.id = 0xdead;
	sr.family = AF_INET;
	sr.proto = IPPROTO_UDP;
	sr.count = 3;
	priv_send(w, &sr, sizeof sr, fds, 3);
	sr.h.len = 7;
	priv_send(w, &sr, sizeof sr, fds, 3);
	priv_allow_reply(w, 0x12345678, true);
	priv_send(w, "\x66\x00", 2, NULL, 0);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	pump(w, 300, -1);
	if (geteuid() == 0)
		is_int(open_fds(w->pid), before,
		       "the fds that came with bad messages are closed");
	struct res r;
	ask("api.t.test", DNS_T_A, &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1",
		       "bad messages from the privileged side are ignored");
}

/* Clients on [::1], UDP and TCP. */
static void test_v6_clients(void)
{
	struct res r;
	v6 = true;
	ask("api.t.test", DNS_T_AAAA, &r);
	is_open_answer(&r, "api.t.test", "AAAA", "2001:db8::1",
		       "a client on [::1] over UDP");
	int fd = tcp_client();
	send_framed(fd, "api.t.test", DNS_T_A);
	describe(ans, tcp_answer(fd, 4000), &r);
	is_open_answer(&r, "api.t.test", "A", "192.0.2.1", "... and over TCP");
	close(fd);
	v6 = false;
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	bool sandbox = geteuid() == 0;
	printf("# forwarder %s\n",
	       sandbox ? "sandboxed: dns_forwarder_main as nobody"
		       : "not sandboxed (not root): dns_forwarder_loop");
	w = calloc(1, sizeof *w);
	world_init(w);
	fwd_start(w, POLICY, sandbox);
	test_warmup();
	test_allowed();
	test_known_open();
	test_hold();
	test_blocked();
	test_local_types();
	test_garbage();
	test_answers();
	test_failover();
	test_truncated();
	test_tcp();
	test_tcp_limits();
	test_v6_clients();
	test_bad_ipc();
	test_flood();
	int st = fwd_stop(w);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "the forwarder exits 0 when the privileged side closes the "
	   "socketpair (status %d)",
	   st);
	test_refused(sandbox);

	free(w);
	return tap_done();
}
