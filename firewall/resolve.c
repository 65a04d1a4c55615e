/* Resolving the allowed names once at apply time.
 *
 * One lookup per (name target, A or AAAA).  Every lookup is in flight at once
 * (up to WINDOW of them) on one unconnected UDP socket per address family of
 * the upstreams, whose source port the kernel picks at random; IDs come from
 * getrandom and are unique among lookups in flight, so a reply is matched by
 * ID, then by the upstream's address and port, then by its question.  An
 * attempt waits ATTEMPT_MS, then the lookup moves on to the next upstream;
 * a reply that is truncated is asked again over TCP of the same upstream.
 * The whole call never outlasts timeout_ms. */
#include "resolve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_port.h"
#include "dns_msg.h"

#define ATTEMPT_MS 400
#define TCP_MS	   1500
#define CNAME_HOPS 8
/* Lookups in flight at once: all of them for most policies, yet below what
 * upstreams accept from one client (dnsmasq drops beyond 150 by default),
 * and a burst of replies fits in our receive buffer. */
#define WINDOW 128
#define RCVBUF (1 << 20)

enum state { Q_PENDING, Q_UDP, Q_TCP, Q_DONE };

enum outcome {
	O_OK,
	O_TIMEOUT,
	O_NXDOMAIN,
	O_NODATA,
	O_UPSTREAM, /* every upstream failed (SERVFAIL, REFUSED, unreachable) */
	O_LOOP,
	O_LONG,
	O_INTERNAL, /* out of memory, no randomness */
};

static const char *const outcome_str[] = {
    [O_OK] = "ok",
    [O_TIMEOUT] = "timed out",
    [O_NXDOMAIN] = "NXDOMAIN",
    [O_NODATA] = "no address",
    [O_UPSTREAM] = "upstream error",
    [O_LOOP] = "CNAME loop",
    [O_LONG] = "CNAME chain longer than 8",
    [O_INTERNAL] = "internal error",
};

struct lookup {
	uint32_t target;
	uint16_t qtype;
	uint16_t id;
	uint8_t state, outcome;
	uint8_t hops;		 /* CNAMEs followed so far */
	uint8_t attempts;	 /* of the current question */
	unsigned up;		 /* upstream of the current (or next) attempt */
	uint32_t sent;		 /* upstreams the current ID was sent to */
	uint32_t failed;	 /* upstreams not to ask again */
	uint32_t ttl;		 /* smallest TTL along the chain so far */
	int64_t deadline;	 /* of the current attempt */
	char name[DNS_NAME_BUF]; /* name asked now: the target or a chain end */
	char (*chain)[DNS_NAME_BUF]; /* names passed, allocated on a CNAME */
	uint8_t qbuf[DNS_QUERY_MAX];
	size_t qlen;
	/* TCP: fd, then 2-byte length + message, sent then received */
	int fd;
	bool sending;
	uint8_t *tbuf;
	size_t toff, tlen;
};

struct ctx {
	const struct policy *p;
	struct resolve_result *out;
	struct lookup *l;
	size_t nl, next_pending, in_flight;
	int udp[2];	/* AF_INET, AF_INET6 */
	int32_t *by_id; /* 65536 entries: lookup holding that ID, or -1 */
	unsigned pref;	/* the upstream that answered last */
	int64_t deadline;
	bool oom;
	uint8_t rnd[128];
	size_t rnd_left;
	uint8_t pkt[65536];
};

/* SO_MARK for every socket: under corral's DNS redirect only marked
 * packets reach the upstreams; and a source port outside the ephemeral
 * range, like the forwarder's (dns_port.h). */
static uint32_t sock_mark;

void resolve_set_mark(uint32_t mark)
{
	sock_mark = mark;
}

static void apply_mark(int fd, int family)
{
	if (!sock_mark || fd < 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &sock_mark, sizeof sock_mark) <
	    0)
		debug("SO_MARK on a DNS socket: %s", strerror(errno));
	dns_port_bind(fd, family);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static const char *up_str(const struct upstream *u, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(u->addr.family, u->addr.b, a, sizeof a);
	snprintf(buf, len, u->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 (unsigned)u->port);
	return buf;
}

/* The upstream a datagram came from, or -1. */
static int up_from(const struct ctx *c, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *s4 = (const void *)ss;
	const struct sockaddr_in6 *s6 = (const void *)ss;
	bool v6 = ss->ss_family == AF_INET6;
	uint16_t port = ntohs(v6 ? s6->sin6_port : s4->sin_port);
	const void *a = v6 ? (const void *)&s6->sin6_addr : &s4->sin_addr;
	for (size_t i = 0; i < c->p->n_upstreams; i++) {
		const struct upstream *u = &c->p->upstreams[i];
		if (u->addr.family == ss->ss_family && u->port == port &&
		    memcmp(u->addr.b, a, v6 ? 16 : 4) == 0)
			return (int)i;
	}
	return -1;
}

/* A fresh ID no lookup in flight holds, or -1. */
static int new_id(struct ctx *c)
{
	for (;;) {
		if (c->rnd_left < 2) {
			ssize_t n = getrandom(c->rnd, sizeof c->rnd, 0);
			if (n < 2)
				return -1;
			c->rnd_left = (size_t)n;
		}
		c->rnd_left -= 2;
		int id = c->rnd[c->rnd_left] << 8 | c->rnd[c->rnd_left + 1];
		if (c->by_id[id] < 0)
			return id;
	}
}

static void tcp_close(struct lookup *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->tbuf);
	l->tbuf = NULL;
}

static void finish(struct ctx *c, struct lookup *l, int outcome)
{
	if (l->state == Q_UDP || l->state == Q_TCP) {
		c->in_flight--;
		if (c->by_id[l->id] == (int32_t)(l - c->l))
			c->by_id[l->id] = -1;
	}
	tcp_close(l);
	free(l->chain);
	l->chain = NULL;
	l->state = Q_DONE;
	l->outcome = (uint8_t)outcome;
}

static unsigned max_attempts(const struct ctx *c)
{
	return c->p->n_upstreams < 2 ? 3 : 2 * (unsigned)c->p->n_upstreams;
}

/* Sends the current question to l->up, or the next upstream not yet given
 * up on; finishes l with give_up when there is none or attempts run out. */
static void attempt(struct ctx *c, struct lookup *l, int64_t now, int give_up)
{
	size_t n = c->p->n_upstreams;
	while (l->attempts < max_attempts(c)) {
		size_t k = 0;
		while (k < n && (l->failed & 1u << l->up)) {
			l->up = (unsigned)((l->up + 1) % n);
			k++;
		}
		if (k == n)
			break;
		l->attempts++;
		const struct upstream *u = &c->p->upstreams[l->up];
		struct sockaddr_storage ss;
		socklen_t sl = upstream_sockaddr(u, &ss);
		int fd = c->udp[u->addr.family == AF_INET6];
		l->state = Q_UDP;
		l->deadline = min64(now + ATTEMPT_MS, c->deadline);
		ssize_t r = fd < 0 ? -1
				   : sendto(fd, l->qbuf, l->qlen, 0,
					    (struct sockaddr *)&ss, sl);
		/* A full buffer loses this datagram like the network would:
		 * the timeout retries it.  Anything else rules it out. */
		if (r >= 0 ||
		    (fd >= 0 && (errno == EAGAIN || errno == ENOBUFS))) {
			l->sent |= 1u << l->up;
			return;
		}
		const char *why = fd >= 0 ? strerror(errno) : "no socket";
		char b[64];
		debug("cannot send to DNS upstream %s: %s",
		      up_str(u, b, sizeof b), why);
		l->failed |= 1u << l->up;
		give_up = O_UPSTREAM;
	}
	finish(c, l, give_up);
}

/* Asks l->name afresh: new ID, attempts and upstreams reset. */
static void ask(struct ctx *c, struct lookup *l, int64_t now)
{
	if (l->state == Q_UDP || l->state == Q_TCP) {
		if (c->by_id[l->id] == (int32_t)(l - c->l))
			c->by_id[l->id] = -1;
	} else {
		c->in_flight++;
	}
	l->state = Q_UDP;
	int id = new_id(c);
	if (id < 0) {
		finish(c, l, O_INTERNAL);
		return;
	}
	l->id = (uint16_t)id;
	c->by_id[id] = (int32_t)(l - c->l);
	int n = dns_build_query(l->qbuf, sizeof l->qbuf, l->id, l->name,
				l->qtype, true);
	if (n < 0) {
		debug("cannot ask for %s: %s", l->name, dns_strerror(n));
		finish(c, l, O_INTERNAL);
		return;
	}
	l->qlen = (size_t)n;
	l->attempts = 0;
	l->sent = l->failed = 0;
	l->up = c->pref;
	attempt(c, l, now, O_TIMEOUT);
}

static void add_addr(struct ctx *c, const struct lookup *l, const uint8_t *a,
		     uint32_t ttl)
{
	struct resolve_result *r = c->out;
	struct ipaddr ip = {0};
	ip.family = l->qtype == DNS_T_A ? AF_INET : AF_INET6;
	memcpy(ip.b, a, ip.family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < r->n; i++) {
		struct resolved *e = &r->v[i];
		if (e->target == l->target &&
		    memcmp(&e->addr, &ip, sizeof ip) == 0) {
			if (ttl < e->ttl)
				e->ttl = ttl;
			return;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct resolved *v = realloc(r->v, cap * sizeof *v);
		if (!v) {
			c->oom = true;
			return;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = (struct resolved){
	    .addr = ip,
	    .ttl = ttl,
	    .portspec = c->p->targets[l->target].portspec,
	    .target = l->target,
	};
	char b[INET6_ADDRSTRLEN];
	inet_ntop(ip.family, ip.b, b, sizeof b);
	debug("%s: %s (ttl %u)", c->p->targets[l->target].name, b, ttl);
}

/* A NOERROR answer: take the addresses of l->name, or of the end of the CNAME
 * chain that starts there; ask for that end when the answer stops at it. */
static void take_answer(struct ctx *c, struct lookup *l,
			const struct dns_msg *m, int64_t now)
{
	char cur[DNS_NAME_BUF];
	uint32_t ttl = l->ttl;
	memcpy(cur, l->name, sizeof cur);
	for (;;) {
		struct dns_rr_iter it;
		struct dns_rr rr;
		char next[DNS_NAME_BUF] = "";
		uint32_t next_ttl = 0;
		bool found = false;
		dns_answers(m, &it);
		while (dns_rr_next(&it, &rr) > 0) {
			if (rr.rclass != DNS_CLASS_IN || strcmp(rr.name, cur))
				continue;
			if (rr.type == l->qtype) {
				add_addr(c, l, rr.addr,
					 rr.ttl < ttl ? rr.ttl : ttl);
				found = true;
			} else if (rr.type == DNS_T_CNAME && !next[0]) {
				memcpy(next, rr.target, sizeof next);
				next_ttl = rr.ttl;
			}
		}
		if (found) {
			finish(c, l, O_OK);
			return;
		}
		if (!next[0])
			break;
		if (l->hops >= CNAME_HOPS) {
			finish(c, l, O_LONG);
			return;
		}
		if (!l->chain &&
		    !(l->chain = calloc(CNAME_HOPS, sizeof *l->chain))) {
			c->oom = true;
			finish(c, l, O_INTERNAL);
			return;
		}
		memcpy(l->chain[l->hops++], cur, sizeof cur);
		for (unsigned i = 0; i < l->hops; i++) {
			if (strcmp(l->chain[i], next) == 0) {
				finish(c, l, O_LOOP);
				return;
			}
		}
		debug("%s: CNAME %s", cur, next);
		memcpy(cur, next, sizeof cur);
		if (next_ttl < ttl)
			ttl = next_ttl;
	}
	if (strcmp(cur, l->name) == 0) {
		finish(c, l, O_NODATA);
		return;
	}
	memcpy(l->name, cur, sizeof cur);
	l->ttl = ttl;
	ask(c, l, now);
}

static void start_tcp(struct ctx *c, struct lookup *l, int64_t now);

/* A reply that matched l's question, from upstream u. */
static void on_reply(struct ctx *c, struct lookup *l, const struct dns_msg *m,
		     unsigned u, bool via_tcp, int64_t now)
{
	l->up = u;
	if (m->tc && !via_tcp) {
		start_tcp(c, l, now);
		return;
	}
	if (m->rcode == DNS_R_NOERROR || m->rcode == DNS_R_NXDOMAIN)
		c->pref = u; /* where follow-up questions go first */
	if (m->rcode == DNS_R_NOERROR) {
		take_answer(c, l, m, now);
	} else if (m->rcode == DNS_R_NXDOMAIN) {
		finish(c, l, O_NXDOMAIN);
	} else {
		char b[64];
		debug("DNS upstream %s: rcode %u for %s",
		      up_str(&c->p->upstreams[u], b, sizeof b), m->rcode,
		      l->name);
		l->failed |= 1u << u;
		attempt(c, l, now, O_UPSTREAM);
	}
}

static bool matches(const struct lookup *l, const struct dns_msg *m)
{
	struct dns_msg q;
	return dns_parse(&q, l->qbuf, l->qlen) == 0 && dns_reply_matches(m, &q);
}

/* The current attempt failed without a usable reply: next upstream. */
static void next_attempt(struct ctx *c, struct lookup *l, int64_t now)
{
	tcp_close(l);
	l->up = (unsigned)((l->up + 1) % c->p->n_upstreams);
	attempt(c, l, now, O_TIMEOUT);
}

static void start_tcp(struct ctx *c, struct lookup *l, int64_t now)
{
	const struct upstream *u = &c->p->upstreams[l->up];
	struct sockaddr_storage ss;
	socklen_t sl = upstream_sockaddr(u, &ss);
	char b[64];
	debug("%s: truncated reply, asking %s over TCP", l->name,
	      up_str(u, b, sizeof b));
	l->fd =
	    socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	apply_mark(l->fd, ss.ss_family);
	l->tbuf = malloc(2 + 65535);
	if (l->fd < 0 || !l->tbuf ||
	    (connect(l->fd, (struct sockaddr *)&ss, sl) < 0 &&
	     errno != EINPROGRESS)) {
		next_attempt(c, l, now);
		return;
	}
	l->tbuf[0] = (uint8_t)(l->qlen >> 8);
	l->tbuf[1] = (uint8_t)l->qlen;
	memcpy(l->tbuf + 2, l->qbuf, l->qlen);
	l->tlen = 2 + l->qlen;
	l->toff = 0;
	l->sending = true;
	l->state = Q_TCP;
	l->deadline = min64(now + TCP_MS, c->deadline);
}

/* Moves l's TCP exchange on; reads exactly the announced length, never more. */
static void tcp_step(struct ctx *c, struct lookup *l, int64_t now)
{
	ssize_t n;
	if (l->sending)
		n = send(l->fd, l->tbuf + l->toff, l->tlen - l->toff,
			 MSG_NOSIGNAL);
	else
		n = recv(l->fd, l->tbuf + l->toff, l->tlen - l->toff, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		goto fail;
	l->toff += (size_t)n;
	if (l->toff < l->tlen)
		return;
	if (l->sending) {
		l->sending = false;
		l->toff = 0;
		l->tlen = 2;
		return;
	}
	if (l->tlen == 2) {
		size_t len = (size_t)l->tbuf[0] << 8 | l->tbuf[1];
		if (len < DNS_HEADER_LEN)
			goto fail;
		l->tlen = 2 + len;
		return;
	}
	size_t len = l->tlen - 2;
	memcpy(c->pkt, l->tbuf + 2, len);
	tcp_close(l);
	struct dns_msg m;
	if (dns_parse(&m, c->pkt, len) < 0 || !matches(l, &m))
		goto fail;
	on_reply(c, l, &m, l->up, true, now);
	return;
fail:;
	char b[64];
	debug("%s: TCP to DNS upstream %s failed", l->name,
	      up_str(&c->p->upstreams[l->up], b, sizeof b));
	next_attempt(c, l, now);
}

static void on_udp(struct ctx *c, int fd, int64_t now)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n = recvfrom(fd, c->pkt, sizeof c->pkt, 0,
				     (struct sockaddr *)&ss, &sl);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		struct dns_msg m;
		int r = dns_parse(&m, c->pkt, (size_t)n);
		if (r < 0) {
			debug("ignoring a DNS reply: %s", dns_strerror(r));
			continue;
		}
		int32_t i = c->by_id[m.id];
		struct lookup *l = i >= 0 ? &c->l[i] : NULL;
		int u = up_from(c, &ss);
		if (!l || l->state != Q_UDP || u < 0 || !(l->sent & 1u << u) ||
		    !matches(l, &m)) {
			debug("ignoring a DNS reply (id %u) that answers no "
			      "question asked",
			      (unsigned)m.id);
			continue;
		}
		on_reply(c, l, &m, (unsigned)u, false, now);
	}
}

static int open_udp(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	apply_mark(fd, family);
	int sz = RCVBUF;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	return fd;
}

static void run(struct ctx *c, struct pollfd *pfd, struct lookup **pl)
{
	for (;;) {
		int64_t now = now_ms();
		if (now >= c->deadline)
			return;
		while (c->in_flight < WINDOW && c->next_pending < c->nl)
			ask(c, &c->l[c->next_pending++], now);
		if (c->in_flight == 0 && c->next_pending == c->nl)
			return;

		int64_t wake = c->deadline;
		size_t np = 0;
		for (int f = 0; f < 2; f++) {
			if (c->udp[f] >= 0) {
				pl[np] = NULL;
				pfd[np++] =
				    (struct pollfd){c->udp[f], POLLIN, 0};
			}
		}
		for (size_t i = 0; i < c->nl; i++) {
			struct lookup *l = &c->l[i];
			if ((l->state == Q_UDP || l->state == Q_TCP) &&
			    l->deadline <= now) {
				char b[64];
				debug("%s: no reply from %s%s", l->name,
				      up_str(&c->p->upstreams[l->up], b,
					     sizeof b),
				      l->state == Q_TCP ? " over TCP" : "");
				next_attempt(c, l, now);
			}
			if (l->state != Q_UDP && l->state != Q_TCP)
				continue;
			wake = min64(wake, l->deadline);
			if (l->state == Q_TCP) {
				pl[np] = l;
				pfd[np++] = (struct pollfd){
				    l->fd, l->sending ? POLLOUT : POLLIN, 0};
			}
		}
		int r = poll(pfd, np, (int)(wake > now ? wake - now : 0));
		if (r < 0 && errno != EINTR)
			return;
		now = now_ms();
		for (size_t i = 0; r > 0 && i < np; i++) {
			if (!pfd[i].revents)
				continue;
			if (!pl[i])
				on_udp(c, pfd[i].fd, now);
			else if (pl[i]->state == Q_TCP &&
				 pl[i]->fd == pfd[i].fd)
				tcp_step(c, pl[i], now);
		}
	}
}

/* Names the lookups of target t gave nothing for, once, with why. */
static void report(struct ctx *c, size_t t, const struct lookup *a,
		   const struct lookup *aaaa)
{
	const char *name = c->p->targets[t].name;
	bool any = false;
	for (size_t i = 0; i < c->out->n && !any; i++)
		any = c->out->v[i].target == t;
	if (any) {
		c->out->names_ok++;
		return;
	}
	c->out->names_failed++;
	if (a->outcome == aaaa->outcome)
		warn("name %s did not resolve (%s)", name,
		     outcome_str[a->outcome]);
	else
		warn("name %s did not resolve (A: %s, AAAA: %s)", name,
		     outcome_str[a->outcome], outcome_str[aaaa->outcome]);
}

int resolve_policy(const struct policy *p, int timeout_ms,
		   struct resolve_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t names = 0;
	for (size_t i = 0; i < p->n_targets; i++)
		names += p->targets[i].kind == TARGET_NAME;
	if (!names)
		return 0;
	if (p->n_upstreams == 0) {
		snprintf(err, errlen,
			 "no DNS upstream: add an `upstream` line "
			 "or a nameserver to /etc/resolv.conf");
		return -1;
	}

	struct ctx *c = calloc(1, sizeof *c);
	struct lookup *l = calloc(2 * names, sizeof *l);
	int32_t *by_id = malloc(65536 * sizeof *by_id);
	struct pollfd *pfd = calloc(2 * names + 2, sizeof *pfd);
	struct lookup **pl = calloc(2 * names + 2, sizeof *pl);
	int rc = -1;
	if (c)
		c->udp[0] = c->udp[1] = -1;
	if (!c || !l || !by_id || !pfd || !pl) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	c->p = p;
	c->out = out;
	c->l = l;
	c->by_id = by_id;
	memset(by_id, 0xff, 65536 * sizeof *by_id);
	bool need[2] = {false, false};
	for (size_t i = 0; i < p->n_upstreams && i < POLICY_MAX_UPSTREAMS; i++)
		need[p->upstreams[i].addr.family == AF_INET6] = true;
	int saved = 0;
	for (int f = 0; f < 2; f++) {
		if (need[f] &&
		    (c->udp[f] = open_udp(f ? AF_INET6 : AF_INET)) < 0)
			saved = errno;
	}
	if (c->udp[0] < 0 && c->udp[1] < 0) {
		snprintf(err, errlen, "cannot open a UDP socket for DNS: %s",
			 strerror(saved));
		goto out;
	}
	for (size_t i = 0, k = 0; i < p->n_targets; i++) {
		if (p->targets[i].kind != TARGET_NAME)
			continue;
		for (int f = 0; f < 2; f++, k++) {
			l[k].target = (uint32_t)i;
			l[k].qtype = f ? DNS_T_AAAA : DNS_T_A;
			l[k].ttl = UINT32_MAX;
			l[k].fd = -1;
			snprintf(l[k].name, sizeof l[k].name, "%s",
				 p->targets[i].name);
		}
	}
	c->nl = 2 * names;
	c->deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	run(c, pfd, pl);
	for (size_t k = 0; k < c->nl; k++) {
		if (l[k].state != Q_DONE)
			finish(c, &l[k], O_TIMEOUT);
	}
	if (c->oom) {
		snprintf(err, errlen, "out of memory");
		resolve_result_free(out);
		goto out;
	}
	for (size_t k = 0; k < c->nl; k += 2)
		report(c, l[k].target, &l[k], &l[k + 1]);
	rc = 0;
out:
	if (c) {
		for (int f = 0; f < 2; f++)
			if (c->udp[f] >= 0)
				close(c->udp[f]);
	}
	free(pl);
	free(pfd);
	free(by_id);
	free(l);
	free(c);
	return rc;
}

void resolve_result_free(struct resolve_result *r)
{
	free(r->v);
	memset(r, 0, sizeof *r);
}
