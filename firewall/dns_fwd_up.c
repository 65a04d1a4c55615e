/* Queries to the upstreams, and what happens to their answers.
 *
 * Each attempt uses a fresh socket from the privileged side (we may not
 * create sockets), connected to the upstream: connect() picks a random
 * ephemeral source port, the kernel then delivers only datagrams from that
 * upstream's address and port, and an ICMP refusal shows as ECONNREFUSED.
 * The ID is fresh from getrandom; a reply is taken only when it parses and
 * dns_reply_matches the query as sent (ID, opcode, question).  Upstreams
 * are tried in order from the first: a timeout, a refusal, SERVFAIL or
 * REFUSED moves on to the next; each upstream once (twice on timeouts when
 * there is only one), then SERVFAIL.  A truncated reply is asked again
 * over TCP of the same upstream.
 *
 * For A, AAAA and CNAME, a NOERROR answer's addresses (dns_answer.c) are
 * held until the privileged side says the kernel has them: the client
 * never sees an address before it is open, and gets SERVFAIL when that
 * fails or takes more than FWD_ALLOW_MS.  Other types pass through with
 * their TTLs capped, opening nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_answer.h"
#include "dns_fwd_int.h"

static const struct upstream *cur(const struct fwd *f, const struct query *q)
{
	return &f->p->upstreams[q->up];
}

static const char *up_str(const struct upstream *u, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(u->addr.family, u->addr.b, a, sizeof a);
	snprintf(buf, len, u->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 (unsigned)u->port);
	return buf;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void drop_fd(struct fwd *f, struct query *q)
{
	fwd_close_later(f, &q->fd);
	free(q->tbuf);
	q->tbuf = NULL;
	q->toff = q->tlen = 0;
}

static void next_attempt(struct fwd *f, struct query *q, bool first);

/* This upstream is out for this query: it refused, failed or lied. */
static void hard_fail(struct fwd *f, struct query *q, const char *why)
{
	char b[64];
	debug("%s: DNS upstream %s: %s", q->sent.qname,
	      up_str(cur(f, q), b, sizeof b), why);
	q->hard_failed |= 1u << q->up;
	drop_fd(f, q);
	timer_disarm(&q->t);
	next_attempt(f, q, false);
}

static void soft_fail(struct fwd *f, struct query *q)
{
	char b[64];
	debug("%s: no reply from DNS upstream %s%s", q->sent.qname,
	      up_str(cur(f, q), b, sizeof b),
	      q->state == QS_TCP ? " over TCP" : "");
	drop_fd(f, q);
	next_attempt(f, q, false);
}

static void watch(struct fwd *f, struct query *q, uint32_t events, int op)
{
	struct epoll_event ev = {.events = events,
				 .data.u64 = fwd_tag(TAG_UP, q->gen, q->idx)};
	if (epoll_ctl(f->ep, op, q->fd, &ev) < 0)
		hard_fail(f, q, "cannot watch the socket");
}

static void udp_send(struct fwd *f, struct query *q)
{
	struct sockaddr_storage ss;
	socklen_t sl = upstream_sockaddr(cur(f, q), &ss);
	if ((q->fd_peer != q->up + 1 &&
	     connect(q->fd, (struct sockaddr *)&ss, sl) < 0) ||
	    send(q->fd, q->qbuf, q->qlen, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		hard_fail(f, q, strerror(errno));
		return;
	}
	q->state = QS_UDP;
	timer_arm(f, &q->t, T_UDP);
	watch(f, q, EPOLLIN, EPOLL_CTL_ADD);
}

static void tcp_begin(struct fwd *f, struct query *q)
{
	struct sockaddr_storage ss;
	socklen_t sl = upstream_sockaddr(cur(f, q), &ss);
	int fl = fcntl(q->fd, F_GETFL);
	q->state = QS_TCP;
	if (fl < 0 || fcntl(q->fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    (connect(q->fd, (struct sockaddr *)&ss, sl) < 0 &&
	     errno != EINPROGRESS)) {
		hard_fail(f, q, strerror(errno));
		return;
	}
	q->tbuf = malloc(2 + q->qlen);
	if (!q->tbuf) {
		hard_fail(f, q, "out of memory");
		return;
	}
	put16(q->tbuf, (uint16_t)q->qlen);
	memcpy(q->tbuf + 2, q->qbuf, q->qlen);
	q->toff = 0;
	q->tlen = 2 + q->qlen;
	q->tcp_sending = true;
	timer_arm(f, &q->t, T_TCP);
	watch(f, q, EPOLLOUT, EPOLL_CTL_ADD);
}

void up_got_socket(struct fwd *f, struct query *q, int fd, uint8_t peer)
{
	q->fd = fd;
	q->fd_peer = peer;
	if (q->stash & 2)
		tcp_begin(f, q);
	else
		udp_send(f, q);
}

static void need_socket(struct fwd *f, struct query *q, bool tcp)
{
	unsigned si = stash_index(cur(f, q)->addr.family, tcp);
	q->stash = (uint8_t)si;
	uint8_t peer;
	int fd = stash_take(f, si, &peer);
	if (fd >= 0) {
		up_got_socket(f, q, fd, peer);
		return;
	}
	q->state = QS_WAIT_SOCK;
	f->st[si].waiting++;
	timer_arm(f, &q->t, T_SOCK + (int)si);
}

static void next_attempt(struct fwd *f, struct query *q, bool first)
{
	size_t n = f->p->n_upstreams;
	q->state = QS_STEP;
	if (n > POLICY_MAX_UPSTREAMS)
		n = POLICY_MAX_UPSTREAMS;
	unsigned max = n < 2 ? 2 : (unsigned)n;
	if (n == 0) {
		fwd_fail(f, q, DNS_R_SERVFAIL);
		return;
	}
	if (!first)
		q->up = (uint8_t)((q->up + 1) % n);
	for (size_t k = 0; k < n && (q->hard_failed >> q->up & 1); k++)
		q->up = (uint8_t)((q->up + 1) % n);
	if ((q->hard_failed >> q->up & 1) || q->attempts >= max) {
		debug("%s: every DNS upstream failed: SERVFAIL", q->sent.qname);
		fwd_fail(f, q, DNS_R_SERVFAIL);
		return;
	}
	q->attempts++;
	/* A fresh ID for each attempt, as each has a fresh port. */
	q->sent.id = fwd_random16(f);
	put16(q->qbuf, q->sent.id);
	need_socket(f, q, false);
}

void up_start(struct fwd *f, struct query *q)
{
	q->up = 0;
	q->attempts = 0;
	q->hard_failed = 0;
	next_attempt(f, q, true);
}

static void log_drops(struct fwd *f, const struct query *q,
		      const struct dns_answer *a)
{
	size_t n = a->n_dropped < DNS_ANSWER_ADDRS_MAX ? a->n_dropped
						       : DNS_ANSWER_ADDRS_MAX;
	for (size_t i = 0; i < n; i++) {
		char ip[INET6_ADDRSTRLEN];
		if (!ratelimit_ok(&f->rl_dropped, f->now, 20))
			continue;
		ipaddr_str(&a->dropped[i].addr, -1, ip, sizeof ip);
		info("dropped %s from answer for %s: %s address (allow %s to "
		     "permit it)",
		     ip, q->sent.qname, a->dropped[i].range, ip);
	}
	if (a->n_over)
		debug("%s: %zu addresses beyond the first %d dropped",
		      q->sent.qname, a->n_over, DNS_ANSWER_ADDRS_MAX);
	if (a->n_offchain)
		debug("%s: %zu address records not on the CNAME chain removed",
		      q->sent.qname, a->n_offchain);
	if (a->long_chain || a->loop)
		debug("%s: CNAME chain %s", q->sent.qname,
		      a->loop ? "loops" : "longer than 8");
}

/* A final answer (not truncated, not a failure), in buf with m parsed. */
static void answer(struct fwd *f, struct query *q, uint8_t *buf, size_t len,
		   const struct dns_msg *m)
{
	/* The client's ID, and its question byte for byte (its case): the
	 * names are equal, so are their lengths. */
	put16(buf, q->client_id);
	if (m->q_end == q->sent.q_end && m->q_end >= DNS_HEADER_LEN)
		memcpy(buf + DNS_HEADER_LEN, q->qbuf + DNS_HEADER_LEN,
		       m->q_end - DNS_HEADER_LEN);
	uint16_t qt = q->sent.qtype;
	if (m->rcode == DNS_R_NOERROR &&
	    (qt == DNS_T_A || qt == DNS_T_AAAA || qt == DNS_T_CNAME)) {
		struct dns_answer a;
		int r = dns_answer_collect(&a, m, q->sent.qname, f->p);
		if (r < 0) {
			fwd_fail(f, q, DNS_R_SERVFAIL);
			return;
		}
		log_drops(f, q, &a);
		if (a.rebuild) {
			int n =
			    dns_answer_rebuild(f->out, sizeof f->out, m, &a);
			if (n < 0) {
				debug("%s: cannot rebuild the answer: %s",
				      q->sent.qname, dns_strerror(n));
				fwd_fail(f, q, DNS_R_SERVFAIL);
				return;
			}
			buf = f->out;
			len = (size_t)n;
		}
		uint32_t left;
		if (open_all(f, q->sent.qname, &a, &left)) {
			dns_cap_ttls(buf, len, 0,
				     left < f->p->ttl_max ? left
							  : f->p->ttl_max);
			fwd_finish(f, q, buf, len);
			return;
		}
		if (a.n_addrs) {
			q->tbuf = malloc(len);
			q->opening = malloc(a.n_addrs * sizeof *q->opening);
			if (!q->tbuf || !q->opening) {
				fwd_fail(f, q, DNS_R_SERVFAIL);
				return;
			}
			memcpy(q->tbuf, buf, len);
			for (size_t i = 0; i < a.n_addrs; i++)
				q->opening[i] = a.addrs[i].addr;
			q->n_opening = a.n_addrs;
			q->tlen = len;
			q->state = QS_WAIT_ALLOW;
			timer_arm(f, &q->t, T_ALLOW);
			ipc_allow(f, q, &a);
			return;
		}
	}
	dns_cap_ttls(buf, len, 0, f->p->ttl_max);
	fwd_finish(f, q, buf, len);
}

/* A reply that matched the query: buf is f->pkt. */
static void on_reply(struct fwd *f, struct query *q, uint8_t *buf, size_t len,
		     const struct dns_msg *m, bool via_tcp)
{
	drop_fd(f, q);
	timer_disarm(&q->t);
	q->state = QS_STEP;
	if (m->tc && !via_tcp) {
		char b[64];
		debug("%s: truncated reply, asking %s over TCP", q->sent.qname,
		      up_str(cur(f, q), b, sizeof b));
		need_socket(f, q, true);
		return;
	}
	if (m->rcode == DNS_R_SERVFAIL || m->rcode == DNS_R_REFUSED) {
		char b[64];
		debug("%s: DNS upstream %s answered rcode %u", q->sent.qname,
		      up_str(cur(f, q), b, sizeof b), m->rcode);
		q->hard_failed |= 1u << q->up;
		next_attempt(f, q, false);
		return;
	}
	answer(f, q, buf, len, m);
}

static void udp_read(struct fwd *f, struct query *q)
{
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(q->fd, f->pkt, sizeof f->pkt, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0) { /* ECONNREFUSED: ICMP port unreachable */
			hard_fail(f, q, strerror(errno));
			return;
		}
		struct dns_msg m;
		int r = dns_parse(&m, f->pkt, (size_t)n);
		if (r < 0 || !dns_reply_matches(&m, &q->sent)) {
			debug("%s: ignoring a reply that %s", q->sent.qname,
			      r < 0 ? dns_strerror(r)
				    : "does not match the question");
			continue;
		}
		on_reply(f, q, f->pkt, (size_t)n, &m, false);
		return;
	}
}

/* Sends the framed query, then reads exactly the announced length. */
static void tcp_step(struct fwd *f, struct query *q)
{
	for (;;) {
		ssize_t n;
		if (q->tcp_sending)
			n = send(q->fd, q->tbuf + q->toff, q->tlen - q->toff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else if (!q->tbuf)
			n = recv(q->fd, q->tlen_buf + q->toff, 2 - q->toff,
				 MSG_DONTWAIT);
		else
			n = recv(q->fd, q->tbuf + q->toff, q->tlen - q->toff,
				 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			hard_fail(f, q,
				  n < 0 ? strerror(errno)
					: "TCP connection closed");
			return;
		}
		q->toff += (size_t)n;
		if (q->tcp_sending) {
			if (q->toff < q->tlen)
				continue;
			q->tcp_sending = false;
			free(q->tbuf);
			q->tbuf = NULL;
			q->toff = 0;
			watch(f, q, EPOLLIN, EPOLL_CTL_MOD);
			return;
		}
		if (!q->tbuf) {
			if (q->toff < 2)
				continue;
			q->tlen = (size_t)q->tlen_buf[0] << 8 | q->tlen_buf[1];
			q->toff = 0;
			if (q->tlen < DNS_HEADER_LEN ||
			    !(q->tbuf = malloc(q->tlen))) {
				hard_fail(f, q, "bad TCP length");
				return;
			}
			continue;
		}
		if (q->toff < q->tlen)
			continue;
		size_t len = q->tlen;
		memcpy(f->pkt, q->tbuf, len);
		struct dns_msg m;
		int r = dns_parse(&m, f->pkt, len);
		if (r < 0 || !dns_reply_matches(&m, &q->sent)) {
			hard_fail(f, q,
				  r < 0 ? dns_strerror(r)
					: "TCP reply for another question");
			return;
		}
		on_reply(f, q, f->pkt, len, &m, true);
		return;
	}
}

void up_event(struct fwd *f, struct query *q, uint32_t events)
{
	(void)events;
	if (q->state == QS_UDP)
		udp_read(f, q);
	else if (q->state == QS_TCP)
		tcp_step(f, q);
}

void up_timeout(struct fwd *f, struct query *q)
{
	switch (q->state) {
	case QS_UDP:
	case QS_TCP:
		soft_fail(f, q);
		break;
	case QS_WAIT_ALLOW:
		if (ratelimit_ok(&f->rl_fail, f->now, 10))
			warn("no confirmation that the addresses of %s are "
			     "open: answering SERVFAIL",
			     q->sent.qname);
		fwd_fail(f, q, DNS_R_SERVFAIL);
		break;
	case QS_WAIT_SOCK:
		if (ratelimit_ok(&f->rl_fail, f->now, 10))
			warn("no upstream socket from the privileged side: "
			     "answering SERVFAIL for %s",
			     q->sent.qname);
		fwd_fail(f, q, DNS_R_SERVFAIL);
		break;
	}
}

void up_allow_reply(struct fwd *f, struct query *q, unsigned chunk, bool ok,
		    uint32_t timeout)
{
	q->allow_pending &= (uint8_t) ~(1u << chunk);
	if (!ok)
		q->allow_failed = true;
	if (timeout < q->allow_timeout)
		q->allow_timeout = timeout;
	if (q->allow_pending)
		return;
	timer_disarm(&q->t);
	if (q->allow_failed) {
		if (ratelimit_ok(&f->rl_fail, f->now, 10))
			warn("the addresses of %s could not be opened: "
			     "answering SERVFAIL",
			     q->sent.qname);
		fwd_fail(f, q, DNS_R_SERVFAIL);
		return;
	}
	/* A client may keep the answer no longer than the addresses stay
	 * open. */
	open_note(f, q->sent.qname, q->opening, q->n_opening, q->allow_timeout);
	uint32_t cap =
	    q->allow_timeout < f->p->ttl_max ? q->allow_timeout : f->p->ttl_max;
	dns_cap_ttls(q->tbuf, q->tlen, 0, cap);
	fwd_finish(f, q, q->tbuf, q->tlen);
}
