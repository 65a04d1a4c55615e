/* The forwarder's clients.
 *
 * UDP: one datagram, one query; the answer goes back from the listener it
 * came in on.  TCP: 2-byte length framing, one query at a time per
 * connection (the next is read when the answer to the previous is queued,
 * so pipelined queries wait in the kernel), reads bounded by the announced
 * length and FWD_TCP_QUERY_MAX, at most FWD_MAX_CONNS at once, closed
 * after FWD_CONN_MS idle or stuck.
 *
 * A query is answered locally when it is garbage (nothing; FORMERR when a
 * query header is readable), not a plain QUERY (NOTIMP), not exactly one
 * question (FORMERR), not class IN (REFUSED), for a name the policy does
 * not allow (NXDOMAIN, never forwarded, reported to the privileged side),
 * for HTTPS or SVCB (NOERROR, no data: their address hints would name
 * addresses never opened, and clients fall back to A/AAAA), or for ANY and
 * the other meta types (NOTIMP).  Everything else goes to dns_fwd_up.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_fwd_int.h"

#define DNS_T_SVCB  64
#define DNS_T_HTTPS 65

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- TCP clients ---- */

static struct conn *conn_get(struct fwd *f, uint32_t idx, uint32_t gen)
{
	if (idx >= FWD_MAX_CONNS)
		return NULL;
	struct conn *c = &f->c[idx];
	return c->fd >= 0 && c->gen == gen ? c : NULL;
}

void conn_close(struct fwd *f, struct conn *c)
{
	timer_disarm(&c->t);
	fwd_close_fd(f, &c->fd);
	free(c->wbuf);
	free(c->rbuf);
	c->wbuf = c->rbuf = NULL;
	c->woff = c->wlen = c->roff = 0;
	c->busy = false;
	c->gen++;
	f->n_conns--;
}

static void conn_events(struct fwd *f, struct conn *c)
{
	uint32_t want = (c->busy || c->eof ? 0 : EPOLLIN) |
			(c->woff < c->wlen ? EPOLLOUT : 0);
	if (want == c->events)
		return;
	struct epoll_event ev = {.events = want,
				 .data.u64 = fwd_tag(TAG_CONN, c->gen, c->idx)};
	if (epoll_ctl(f->ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		conn_close(f, c);
		return;
	}
	c->events = want;
}

/* Writes what is queued; closes when done after the client's EOF. */
static void conn_flush(struct fwd *f, struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(f, c);
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		if (c->eof && !c->busy) {
			conn_close(f, c);
			return;
		}
	}
	conn_events(f, c);
}

static void conn_answer(struct fwd *f, uint32_t idx, uint32_t gen,
			const uint8_t *buf, size_t len)
{
	struct conn *c = conn_get(f, idx, gen);
	if (!c)
		return;
	c->busy = false;
	timer_arm(f, &c->t, T_CONN);
	size_t pending = c->wlen - c->woff;
	if (pending + 2 + len > 4 * FWD_PKT) { /* a client that reads nothing */
		conn_close(f, c);
		return;
	}
	uint8_t *w = malloc(pending + 2 + len);
	if (!w) {
		conn_close(f, c);
		return;
	}
	if (pending)
		memcpy(w, c->wbuf + c->woff, pending);
	put16(w + pending, (uint16_t)len);
	memcpy(w + pending + 2, buf, len);
	free(c->wbuf);
	c->wbuf = w;
	c->woff = 0;
	c->wlen = pending + 2 + len;
	conn_flush(f, c);
}

/* ---- answering ---- */

static void send_origin(struct fwd *f, const struct origin *o,
			const uint8_t *buf, size_t len)
{
	if (o->kind == CL_UDP)
		sendto(o->lfd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		       (const struct sockaddr *)&o->peer, o->peer_len);
	else if (o->kind == CL_TCP)
		conn_answer(f, o->conn, o->conn_gen, buf, len);
}

void fwd_finish(struct fwd *f, struct query *q, const uint8_t *buf, size_t len)
{
	if (q->o.kind == CL_UDP && len > q->o.udp_limit) {
		/* Too big for the client's UDP: TC and no records, so it asks
		 * again over TCP. */
		uint8_t tc[DNS_QUERY_MAX + DNS_OPT_LEN];
		int n =
		    dns_build_reply(tc, sizeof tc, &q->sent,
				    len > 3 ? buf[3] & 0xf : DNS_R_SERVFAIL);
		if (n >= DNS_HEADER_LEN) {
			put16(tc, q->client_id);
			tc[2] |= DNS_F_TC >> 8;
			send_origin(f, &q->o, tc, (size_t)n);
		}
	} else {
		send_origin(f, &q->o, buf, len);
	}
	query_free(f, q);
}

void fwd_fail(struct fwd *f, struct query *q, uint8_t rcode)
{
	int n = dns_build_reply(f->out, sizeof f->out, &q->sent, rcode);
	if (n < DNS_HEADER_LEN || q->o.kind == CL_NONE) {
		if (q->warm)
			debug("warm-up of %s: rcode %u", q->sent.qname, rcode);
		query_free(f, q);
		return;
	}
	put16(f->out, q->client_id);
	fwd_finish(f, q, f->out, (size_t)n);
}

static void reply_local(struct fwd *f, const struct origin *o,
			const struct dns_msg *m, uint8_t rcode)
{
	int n = dns_build_reply(f->out, sizeof f->out, m, rcode);
	if (n > 0)
		send_origin(f, o, f->out, (size_t)n);
}

/* ---- client queries ---- */

/* Returns true when a query now owns the answer (it may be sent already). */
static bool forward(struct fwd *f, const uint8_t *buf, size_t len,
		    const struct dns_msg *m, const struct origin *o)
{
	struct query *q = query_new(f);
	if (!q) {
		if (ratelimit_ok(&f->rl_fail, f->now, 10))
			warn("%d queries in flight: answering SERVFAIL for %s",
			     FWD_MAX_QUERIES, m->qname);
		reply_local(f, o, m, DNS_R_SERVFAIL);
		return false;
	}
	q->o = *o;
	if (o->kind == CL_UDP)
		q->o.udp_limit =
		    m->edns && m->edns_udp_size > 512 ? m->edns_udp_size : 512;
	q->client_id = m->id;
	q->qbuf = malloc(len);
	if (!q->qbuf) {
		query_free(f, q);
		reply_local(f, o, m, DNS_R_SERVFAIL);
		return false;
	}
	/* The client's bytes, so flags and EDNS0 pass through; each attempt
	 * puts a fresh random ID of ours in (dns_fwd_up.c), the client's is
	 * restored in the answer. */
	memcpy(q->qbuf, buf, len);
	q->qlen = len;
	if (dns_parse(&q->sent, q->qbuf, len) < 0) {
		query_free(f, q);
		reply_local(f, o, m, DNS_R_SERVFAIL);
		return false;
	}
	up_start(f, q);
	return true;
}

/* Answers locally, drops, or forwards (then returns true). */
static bool client_query(struct fwd *f, const uint8_t *buf, size_t len,
			 const struct origin *o)
{
	struct dns_msg m;
	if (dns_parse(&m, buf, len) < 0) {
		/* Garbage gets nothing; a readable query header FORMERR. */
		int n = dns_build_header_reply(f->out, sizeof f->out, buf, len,
					       DNS_R_FORMERR);
		if (n > 0)
			send_origin(f, o, f->out, (size_t)n);
		return false;
	}
	if (m.qr)
		return false;
	if (m.opcode != 0) {
		reply_local(f, o, &m, DNS_R_NOTIMP);
		return false;
	}
	if (m.qdcount != 1 || m.ancount || m.nscount) {
		reply_local(f, o, &m, DNS_R_FORMERR);
		return false;
	}
	if (m.qclass != DNS_CLASS_IN) {
		reply_local(f, o, &m, DNS_R_REFUSED);
		return false;
	}
	if (!fwd_allowed(f, m.qname)) {
		/* The privileged side counts and logs them (rate-limited):
		 * here only with -v, or each would be logged twice. */
		char tb[16];
		if (log_verbose && ratelimit_ok(&f->rl_blocked, f->now, 10))
			debug("blocked query for %s (%s): not allowed", m.qname,
			      fwd_qtype_str(m.qtype, tb, sizeof tb));
		ipc_blocked(f, m.qname, m.qtype);
		reply_local(f, o, &m, DNS_R_NXDOMAIN);
		return false;
	}
	if (m.qtype == DNS_T_HTTPS || m.qtype == DNS_T_SVCB) {
		reply_local(f, o, &m, DNS_R_NOERROR);
		return false;
	}
	/* ANY (RFC 8482), AXFR, IXFR, MAILA/B, TSIG, TKEY, OPT: meta types. */
	if (m.qtype == DNS_T_OPT || (m.qtype >= 128 && m.qtype <= 255)) {
		reply_local(f, o, &m, DNS_R_NOTIMP);
		return false;
	}
	return forward(f, buf, len, &m, o);
}

void client_udp(struct fwd *f, int lfd)
{
	/* A bounded batch, so one busy socket cannot starve the others. */
	for (int i = 0; i < 64; i++) {
		struct origin o;
		memset(&o, 0, sizeof o);
		o.kind = CL_UDP;
		o.lfd = lfd;
		o.peer_len = sizeof o.peer;
		ssize_t n = recvfrom(lfd, f->pkt, sizeof f->pkt, MSG_DONTWAIT,
				     (struct sockaddr *)&o.peer, &o.peer_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		client_query(f, f->pkt, (size_t)n, &o);
	}
}

void client_accept(struct fwd *f, int lfd)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = NULL;
		for (unsigned k = 0; k < FWD_MAX_CONNS && !c; k++)
			if (f->c[k].fd < 0)
				c = &f->c[k];
		if (c && f->fds_open < f->fd_budget &&
		    !(c->rbuf = malloc(2 + FWD_TCP_QUERY_MAX))) {
			close(fd);
			continue;
		}
		if (!c || f->fds_open >= f->fd_budget) {
			if (ratelimit_ok(&f->rl_fail, f->now, 10))
				warn(
				    "%d TCP DNS clients at once: closing a new "
				    "one",
				    FWD_MAX_CONNS);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->events = EPOLLIN;
		c->busy = c->eof = false;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 =
					     fwd_tag(TAG_CONN, c->gen, c->idx)};
		f->fds_open++;
		f->n_conns++;
		if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(f, c);
			continue;
		}
		timer_arm(f, &c->t, T_CONN);
	}
}

/* Reads exactly one framed query at a time, never more than announced. */
static void conn_read(struct fwd *f, struct conn *c)
{
	uint32_t gen = c->gen;
	while (!c->busy && !c->eof) {
		size_t need = 2;
		if (c->roff >= 2)
			need += (size_t)c->rbuf[0] << 8 | c->rbuf[1];
		ssize_t n = recv(c->fd, c->rbuf + c->roff, need - c->roff,
				 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == 0 && c->roff == 0) {
			c->eof = true; /* done asking; answers may be pending */
			conn_flush(f, c);
			return;
		}
		if (n <= 0) {
			conn_close(f, c);
			return;
		}
		c->roff += (size_t)n;
		if (c->roff == 2) {
			size_t len = (size_t)c->rbuf[0] << 8 | c->rbuf[1];
			if (len < DNS_HEADER_LEN || len > FWD_TCP_QUERY_MAX) {
				conn_close(f, c);
				return;
			}
			continue;
		}
		if (c->roff < need)
			continue;
		c->roff = 0;
		c->busy = true;
		timer_disarm(&c->t);
		struct origin o;
		memset(&o, 0, sizeof o);
		o.kind = CL_TCP;
		o.conn = c->idx;
		o.conn_gen = gen;
		bool pending = client_query(f, c->rbuf + 2, need - 2, &o);
		if (!conn_get(f, c->idx, gen))
			return;
		if (c->busy && !pending) { /* dropped: nothing to wait for */
			c->busy = false;
			timer_arm(f, &c->t, T_CONN);
		}
		if (c->busy) /* the answer comes later; read nothing */
			break;
	}
	conn_events(f, c);
}

void client_conn(struct fwd *f, struct conn *c, uint32_t events)
{
	uint32_t gen = c->gen;
	if (events & (EPOLLERR | EPOLLHUP)) {
		conn_close(f, c);
		return;
	}
	if (events & EPOLLIN)
		conn_read(f, c);
	if ((events & EPOLLOUT) && conn_get(f, c->idx, gen))
		conn_flush(f, c);
}
