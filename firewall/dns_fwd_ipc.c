/* The forwarder's side of the socketpair to the privileged side
 * (dns_ipc.h), and the stashes of upstream sockets it hands us.
 *
 * Nothing from the other side is taken on trust either: a message must
 * have exactly the size of its type, a known type, and the id of a request
 * still waiting for it; fds that come with anything else are closed.  EOF,
 * a hang-up or a send that finds no peer means the privileged side is gone:
 * the forwarder exits at once (status 0), and the supervisor, if any, starts
 * a new one.  Sends never block: what the socket cannot take is queued and
 * written when it drains (only IPC_BLOCKED notices may be dropped). */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_fwd_int.h"

#define BLOCKED_QUEUE_MAX 64  /* IPC_BLOCKED notices queued at most */
#define RETRY_MS	  100 /* after a short SOCKETS reply */

unsigned stash_index(int family, bool tcp)
{
	return (family == AF_INET6 ? 1u : 0u) | (tcp ? 2u : 0u);
}

__attribute__((noreturn)) static void peer_gone(void)
{
	debug("DNS forwarder: the privileged side went away");
	_exit(0);
}

static void set_pollout(struct fwd *f, bool on)
{
	if (f->ipc_pollout == on)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0),
				 .data.u64 = fwd_tag(TAG_IPC, 0, 0)};
	if (epoll_ctl(f->ep, EPOLL_CTL_MOD, f->ipc, &ev) == 0)
		f->ipc_pollout = on;
}

/* 1: sent; 0: would block; never returns when the peer is gone. */
static int try_send(struct fwd *f, const void *msg, size_t len)
{
	for (;;) {
		ssize_t n = send(f->ipc, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return 0;
		peer_gone(); /* EPIPE, ECONNRESET, ENOTCONN */
	}
}

static void ipc_write(struct fwd *f, const void *msg, size_t len,
		      bool droppable)
{
	if (!f->out_head && try_send(f, msg, len))
		return;
	if (droppable && f->out_n >= BLOCKED_QUEUE_MAX)
		return;
	struct ipc_out *o = malloc(sizeof *o + len);
	if (!o) {
		/* An ALLOW lost this way ends in SERVFAIL by its timer. */
		warn("out of memory queueing a message to the privileged "
		     "side");
		return;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->msg, msg, len);
	if (f->out_tail)
		f->out_tail->next = o;
	else
		f->out_head = o;
	f->out_tail = o;
	f->out_n++;
	set_pollout(f, true);
}

static void ipc_flush(struct fwd *f)
{
	while (f->out_head) {
		struct ipc_out *o = f->out_head;
		if (!try_send(f, o->msg, o->len))
			return;
		f->out_head = o->next;
		if (!f->out_head)
			f->out_tail = NULL;
		f->out_n--;
		free(o);
	}
	set_pollout(f, false);
}

void ipc_blocked(struct fwd *f, const char *name, uint16_t qtype)
{
	struct ipc_blocked b;
	memset(&b, 0, sizeof b);
	b.h.type = IPC_BLOCKED;
	b.h.len = sizeof b;
	b.qtype = qtype;
	size_t n = strnlen(name, DNS_NAME_MAX);
	memcpy(b.name, name, n);
	ipc_write(f, &b, sizeof b, true);
}

void ipc_allow(struct fwd *f, struct query *q, const struct dns_answer *a)
{
	size_t n = a->n_addrs;
	q->allow_pending = 0;
	q->allow_failed = false;
	q->allow_timeout = UINT32_MAX;
	for (unsigned c = 0; c * IPC_MAX_ADDRS < n; c++) {
		struct ipc_allow_req r;
		memset(&r, 0, sizeof r);
		r.h.type = IPC_ALLOW_REQ;
		r.h.len = sizeof r;
		r.h.id = (q->gen & 0xffff) << 16 | c << 12 | q->idx;
		memcpy(r.name, q->sent.qname,
		       strnlen(q->sent.qname, DNS_NAME_MAX));
		size_t k = n - c * IPC_MAX_ADDRS;
		if (k > IPC_MAX_ADDRS)
			k = IPC_MAX_ADDRS;
		r.n = (uint8_t)k;
		for (size_t i = 0; i < k; i++) {
			r.addrs[i].addr = a->addrs[c * IPC_MAX_ADDRS + i].addr;
			r.addrs[i].ttl = a->addrs[c * IPC_MAX_ADDRS + i].ttl;
		}
		q->allow_pending |= (uint8_t)(1u << c);
		ipc_write(f, &r, sizeof r, false);
	}
}

/* ---- socket stashes ---- */

int stash_take(struct fwd *f, unsigned si, uint8_t *peer)
{
	struct stash *s = &f->st[si];
	*peer = 0;
	if (!s->n)
		return -1;
	s->n--;
	*peer = s->peer[s->n];
	return s->fds[s->n];
}

/* The first upstream of the family: where a query goes first. */
static int first_upstream(const struct fwd *f, int family)
{
	for (size_t i = 0; i < f->p->n_upstreams && i < POLICY_MAX_UPSTREAMS;
	     i++)
		if (f->p->upstreams[i].addr.family == family)
			return (int)i;
	return -1;
}

/* connect() picks the random source port; done here, a few per turn from
 * the top of the stack (the next to be taken), it is off a query's path. */
static void stash_connect(struct fwd *f, unsigned si)
{
	struct stash *s = &f->st[si];
	int up = first_upstream(f, si & 1 ? AF_INET6 : AF_INET);
	if (up < 0)
		return;
	struct sockaddr_storage ss;
	socklen_t sl = upstream_sockaddr(&f->p->upstreams[up], &ss);
	unsigned done = 0;
	for (unsigned i = s->n; i-- > 0 && done < 8;) {
		if (s->peer[i])
			continue;
		if (connect(s->fds[i], (struct sockaddr *)&ss, sl) < 0)
			break; /* the query's own connect reports it */
		s->peer[i] = (uint8_t)(up + 1);
		done++;
	}
}

static long requested(const struct fwd *f)
{
	long n = 0;
	for (unsigned i = 0; i < 4; i++)
		if (f->st[i].req_out)
			n += f->st[i].req_count;
	return n;
}

static void stash_refill(struct fwd *f, unsigned si)
{
	struct stash *s = &f->st[si];
	bool tcp = si & 2;
	if (s->req_out) {
		if (f->now - s->req_at < FWD_SOCK_MS)
			return;
		warn("no answer to a request for upstream sockets");
		s->req_out = false;
	}
	if (f->now < s->not_before)
		return;
	/* UDP: kept between LOW and TARGET; TCP: only what queries wait
	 * for. */
	long want = (long)s->waiting - (long)s->n;
	if (!tcp && s->used && (s->n < STASH_UDP_LOW || s->waiting))
		want += STASH_UDP_TARGET;
	long room = f->fd_budget - f->fds_open - requested(f);
	if (want > IPC_MAX_FDS)
		want = IPC_MAX_FDS;
	if (want > (long)(STASH_CAP - s->n))
		want = (long)(STASH_CAP - s->n);
	if (want > room)
		want = room;
	if (want <= 0)
		return;
	struct ipc_sockets_req r;
	memset(&r, 0, sizeof r);
	r.h.type = IPC_SOCKETS_REQ;
	r.h.len = sizeof r;
	r.h.id = ++f->ipc_seq;
	r.family = si & 1 ? AF_INET6 : AF_INET;
	r.proto = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	r.count = (uint8_t)want;
	s->req_out = true;
	s->req_id = r.h.id;
	s->req_count = r.count;
	s->req_at = f->now;
	ipc_write(f, &r, sizeof r, false);
}

int stash_check(struct fwd *f)
{
	int wait = -1;
	for (unsigned si = 0; si < 4; si++) {
		struct stash *s = &f->st[si];
		if (!s->used && !s->waiting)
			continue;
		stash_refill(f, si);
		if (!(si & 2))
			stash_connect(f, si);
		/* Still short (fd budget, a reply pending, a pause): look
		 * again soon. */
		if (s->waiting && s->n == 0)
			wait = RETRY_MS;
	}
	return wait;
}

static void feed_waiters(struct fwd *f, unsigned si)
{
	struct stash *s = &f->st[si];
	struct timer *h = &f->tl[T_SOCK + si];
	while (s->n && s->waiting && h->next != h) {
		struct query *q = (struct query *)(void *)h->next;
		timer_disarm(&q->t);
		s->waiting--;
		q->state = QS_STEP;
		s->n--;
		up_got_socket(f, q, s->fds[s->n], s->peer[s->n]);
	}
}

/* ---- receiving ---- */

static bool on_sockets(struct fwd *f, const uint8_t *msg, size_t len,
		       const int *fds, size_t nfds, bool lost)
{
	struct ipc_sockets_rep r;
	if (len != sizeof r)
		return false;
	memcpy(&r, msg, sizeof r);
	if ((r.family != AF_INET && r.family != AF_INET6) ||
	    (r.proto != IPPROTO_UDP && r.proto != IPPROTO_TCP))
		return false;
	unsigned si = stash_index(r.family, r.proto == IPPROTO_TCP);
	struct stash *s = &f->st[si];
	if (!s->req_out || r.h.id != s->req_id)
		return false;
	s->req_out = false;
	if (lost || r.count != nfds || nfds > s->req_count ||
	    nfds > STASH_CAP - s->n) {
		s->not_before = f->now + RETRY_MS;
		return false;
	}
	if (nfds < s->req_count)
		s->not_before = f->now + RETRY_MS;
	for (size_t i = 0; i < nfds; i++) {
		s->peer[s->n] = 0;
		s->fds[s->n++] = fds[i];
	}
	feed_waiters(f, si);
	return true;
}

static bool on_allow(struct fwd *f, const uint8_t *msg, size_t len, size_t nfds)
{
	struct ipc_allow_rep r;
	if (len != sizeof r || nfds)
		return false;
	memcpy(&r, msg, sizeof r);
	if (r.ok > 1)
		return false;
	uint32_t idx = r.h.id & 0xfff, chunk = r.h.id >> 12 & 0xf;
	struct query *q = &f->q[idx];
	if (q->state != QS_WAIT_ALLOW || (q->gen & 0xffff) != r.h.id >> 16 ||
	    !(q->allow_pending >> chunk & 1)) {
		/* Late: that query already got its SERVFAIL. */
		debug("ignoring a late ALLOW reply (id %u)", r.h.id);
		return true;
	}
	up_allow_reply(f, q, chunk, r.ok == 1, r.timeout);
	return true;
}

static void ipc_read(struct fwd *f)
{
	for (int k = 0; k < 256; k++) {
		union {
			struct ipc_hdr h;
			uint8_t b[IPC_MSG_MAX];
		} m;
		union {
			struct cmsghdr c;
			char b[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
		} cm;
		struct iovec iov = {.iov_base = m.b, .iov_len = sizeof m.b};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof cm.b};
		ssize_t n =
		    recvmsg(f->ipc, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == 0)
			peer_gone();
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0)
			peer_gone();
		int fds[IPC_MAX_FDS];
		size_t nfds = 0;
		bool lost = mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS ||
			    c->cmsg_len < CMSG_LEN(0))
				continue;
			size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < cnt; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof fd,
				       sizeof fd);
				if (nfds < IPC_MAX_FDS) {
					fds[nfds++] = fd;
				} else {
					close(fd);
					lost = true;
				}
			}
		}
		f->fds_open += (long)nfds;
		size_t len = (size_t)n;
		bool ok = false;
		if (len >= sizeof m.h && m.h.len == len) {
			if (m.h.type == IPC_SOCKETS_REP)
				ok = on_sockets(f, m.b, len, fds, nfds, lost);
			else if (m.h.type == IPC_ALLOW_REP)
				ok = on_allow(f, m.b, len, nfds);
		}
		if (!ok) {
			for (size_t i = 0; i < nfds; i++)
				fwd_close_fd(f, &fds[i]);
			if (ratelimit_ok(&f->rl_fail, f->now, 10))
				warn("ignoring a bad message from the "
				     "privileged side (type %u, %zu bytes, %zu "
				     "fds)",
				     len >= sizeof m.h ? m.h.type : 0, len,
				     nfds);
		}
	}
}

void ipc_event(struct fwd *f, uint32_t events)
{
	if (events & (EPOLLHUP | EPOLLERR))
		peer_gone();
	if (events & EPOLLIN)
		ipc_read(f);
	if (events & EPOLLOUT)
		ipc_flush(f);
}
