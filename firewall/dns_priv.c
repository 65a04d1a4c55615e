/* The privileged side of the DNS forwarder.  It never parses a packet from
 * the network: it only reads the forwarder's fixed-size requests, re-checks
 * them against the policy, and talks to netlink. */
#include "dns_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "dns_expiry.h"
#include "dns_port.h"
#include "dns_ipc.h"
#include "backend.h"
#include "nflog.h"
#include "nft_dyn.h"
#include "rebind.h"

#define BLOCKED_LOG_PER_SEC 10

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bind_one(int family, int type, char *err, size_t errlen)
{
	cleanup_fd int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the DNS listening socket: %s", strerror(errno));
		return -1;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_storage ss = {0};
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof *s4;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(53);
		s6->sin6_addr = in6addr_loopback;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
		len = sizeof *s6;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		const char *hint = errno == EADDRINUSE ? ": another DNS server listens there; stop it"
			: errno == EACCES ? ": needs root or CAP_NET_BIND_SERVICE"
					  : "";
		snprintf(err, errlen, "cannot listen on %s:53 (%s): %s%s",
			 family == AF_INET ? "127.0.0.1" : "[::1]",
			 type == SOCK_STREAM ? "tcp" : "udp", strerror(errno), hint);
		return -1;
	}
	if (type == SOCK_STREAM && listen(fd, 128) < 0) {
		snprintf(err, errlen, "listen on port 53: %s", strerror(errno));
		return -1;
	}
	return steal_fd(&fd);
}

static void close_listen(struct dns_fwd_sockets *s)
{
	int *fds[] = {&s->udp4, &s->udp6, &s->tcp4, &s->tcp6};
	for (size_t i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

static int spawn(struct dns_priv *d)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		warn("cannot start the DNS forwarder: socketpair: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		warn("cannot start the DNS forwarder: fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		if (d->nl_fd >= 0)
			close(d->nl_fd);
		/* The child must not keep the parent's signal handling. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dns_forwarder_main(d->p, &d->listen, sv[1], d->run_as);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	d->ipc_fd = sv[0];
	d->child = pid;
	d->child_started = now_s();
	debug("DNS forwarder started (pid %d)", (int)pid);
	return 0;
}

int dns_priv_start(struct dns_priv *d, const struct policy *p, const char *run_as,
		   char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->p = p;
	d->run_as = run_as;
	d->ipc_fd = d->nl_fd = d->nflog_fd = -1;
	d->listen = (struct dns_fwd_sockets){-1, -1, -1, -1};
	d->exp = dns_expiry_new();
	if (!d->exp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((d->listen.udp4 = bind_one(AF_INET, SOCK_DGRAM, err, errlen)) < 0 ||
	    (d->listen.tcp4 = bind_one(AF_INET, SOCK_STREAM, err, errlen)) < 0)
		goto fail;
	char err6[256];
	if ((d->listen.udp6 = bind_one(AF_INET6, SOCK_DGRAM, err6, sizeof err6)) < 0 ||
	    (d->listen.tcp6 = bind_one(AF_INET6, SOCK_STREAM, err6, sizeof err6)) < 0) {
		/* No ::1 at all (Docker turns IPv6 off in containers): no
		 * process here can send DNS over IPv6 either, nothing to warn
		 * about. */
		if (errno == EADDRNOTAVAIL || errno == EAFNOSUPPORT)
			info("IPv6 is off here: the DNS forwarder listens on 127.0.0.1 only");
		else
			warn("%s: DNS over IPv6 loopback is off", err6);
		if (d->listen.udp6 >= 0)
			close(d->listen.udp6);
		d->listen.udp6 = -1;
	}
	/* One fresh socket per upstream query: room for thousands in flight. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536) {
		rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (spawn(d) < 0) {
		snprintf(err, errlen, "cannot start the DNS forwarder");
		goto fail;
	}
	return 0;
fail:
	close_listen(&d->listen);
	dns_expiry_free(d->exp);
	d->exp = NULL;
	return -1;
}

static void send_reply(struct dns_priv *d, const void *msg, size_t len, const int *fds,
		       size_t nfds)
{
	struct iovec iov = {.iov_base = (void *)(uintptr_t)msg, .iov_len = len};
	union {
		char buf[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(d->ipc_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		warn("DNS forwarder IPC: send failed: %s", strerror(errno));
}

static void handle_sockets(struct dns_priv *d, const struct ipc_sockets_req *rq)
{
	struct ipc_sockets_rep rep = {.h = {IPC_SOCKETS_REP, sizeof rep, rq->h.id},
				      .family = rq->family,
				      .proto = rq->proto};
	int fds[IPC_MAX_FDS];
	size_t n = 0;
	bool ok_req = (rq->family == AF_INET || rq->family == AF_INET6) &&
		      (rq->proto == IPPROTO_UDP || rq->proto == IPPROTO_TCP) &&
		      rq->count >= 1 && rq->count <= IPC_MAX_FDS;
	uint32_t mark = CORRAL_DNS_MARK;
	while (ok_req && n < rq->count) {
		int type = rq->proto == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
		int fd = socket(rq->family, type | SOCK_NONBLOCK, 0);
		if (fd < 0)
			break;
		/* The mark is what lets these, and only these, reach the
		 * upstreams: without it the forwarder would be redirected to
		 * itself. */
		if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
			warn("DNS forwarder: SO_MARK: %s", strerror(errno));
			close(fd);
			break;
		}
		/* A port no client draws by chance (dns_port.h); failing
		 * that, an ephemeral one: the ruleset still refuses a
		 * client on corral's flow. */
		dns_port_bind(fd, rq->family);
		fds[n++] = fd;
	}
	rep.count = (uint8_t)n;
	send_reply(d, &rep, sizeof rep, fds, n);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

static uint32_t clamp_ttl(const struct policy *p, uint32_t ttl)
{
	if (ttl < p->ttl_min)
		return p->ttl_min ? p->ttl_min : 1;
	if (ttl > p->ttl_max)
		return p->ttl_max;
	return ttl ? ttl : 1;
}

/* The forwarder is not trusted: the name must be allowed, every address
 * must pass the rebinding check, or nothing is opened. */
static void handle_allow(struct dns_priv *d, const struct ipc_allow_req *rq)
{
	struct ipc_allow_rep rep = {.h = {IPC_ALLOW_REP, sizeof rep, rq->h.id}};
	char name[sizeof rq->name];
	if (!memchr(rq->name, '\0', sizeof rq->name) || rq->n > IPC_MAX_ADDRS) {
		warn("DNS forwarder sent a malformed request: refused");
		d->st.rejected_requests++;
		send_reply(d, &rep, sizeof rep, NULL, 0);
		return;
	}
	memcpy(name, rq->name, sizeof name);
	uint16_t specs[64];
	size_t nspecs = 0;
	for (size_t i = 0; i < d->p->n_targets && nspecs < 64; i++) {
		const struct target *t = &d->p->targets[i];
		if (!target_matches_name(t, name))
			continue;
		bool seen = false;
		for (size_t j = 0; j < nspecs; j++)
			seen |= specs[j] == t->portspec;
		if (!seen)
			specs[nspecs++] = t->portspec;
	}
	if (nspecs == 0) {
		warn("DNS forwarder asked to open addresses of '%s', which is not allowed: refused",
		     name);
		d->st.rejected_requests++;
		send_reply(d, &rep, sizeof rep, NULL, 0);
		return;
	}
	double now = now_s();
	struct nft_dyn_elem elems[IPC_MAX_ADDRS * 64];
	size_t ne = 0;
	uint32_t granted = d->p->ttl_max ? d->p->ttl_max : 1;
	for (size_t i = 0; i < rq->n; i++) {
		const struct ipaddr *a = &rq->addrs[i].addr;
		char buf[64];
		if (a->family != AF_INET && a->family != AF_INET6) {
			d->st.rejected_requests++;
			send_reply(d, &rep, sizeof rep, NULL, 0);
			return;
		}
		const char *range = rebind_range(a);
		if (range && !policy_allows_address(d->p, a)) {
			warn("DNS forwarder asked to open %s (%s) for %s: refused",
			     ipaddr_str(a, -1, buf, sizeof buf), range, name);
			d->st.rejected_requests++;
			send_reply(d, &rep, sizeof rep, NULL, 0);
			return;
		}
		uint32_t t = clamp_ttl(d->p, rq->addrs[i].ttl);
		for (size_t j = 0; j < nspecs; j++) {
			double cur = dns_expiry_get(d->exp, a, specs[j]);
			/* Never shorten a timeout already granted to someone, and
			 * skip the kernel while most of the last one is left: a
			 * busy name costs no netlink round trip per query. */
			if (cur >= now + t || (cur - now >= 0.9 * t && cur - now >= 1)) {
				uint32_t left = (uint32_t)(cur - now);
				if (left < granted)
					granted = left ? left : 1;
				continue;
			}
			elems[ne++] = (struct nft_dyn_elem){.addr = *a, .portspec = specs[j], .timeout = t};
			if (t < granted)
				granted = t;
		}
	}
	if (ne) {
		char err[256];
		if (fw_dyn_add(&d->nl_fd, d->p, elems, ne, err, sizeof err) < 0) {
			warn("cannot open the addresses of %s: %s (the client gets SERVFAIL)", name, err);
			d->st.failed_inserts++;
			send_reply(d, &rep, sizeof rep, NULL, 0);
			return;
		}
		for (size_t i = 0; i < ne; i++)
			dns_expiry_set(d->exp, &elems[i].addr, elems[i].portspec,
				       now + elems[i].timeout, now, name);
	}
	d->st.allowed_answers++;
	rep.ok = 1;
	rep.timeout = granted;
	send_reply(d, &rep, sizeof rep, NULL, 0);
}

static void handle_blocked(struct dns_priv *d, const struct ipc_blocked *b)
{
	d->st.blocked_queries++;
	if (!memchr(b->name, '\0', sizeof b->name))
		return;
	double now = now_s();
	struct dns_blocked_event *ev = &d->recent[d->recent_next++ % DNS_PRIV_RECENT];
	snprintf(ev->name, sizeof ev->name, "%s", b->name);
	ev->qtype = b->qtype;
	ev->when = now;
	if (now - d->last_blocked_log >= 1.0) {
		if (d->blocked_logged > BLOCKED_LOG_PER_SEC)
			info("... and %u more blocked queries", d->blocked_logged - BLOCKED_LOG_PER_SEC);
		d->last_blocked_log = now;
		d->blocked_logged = 0;
	}
	if (d->blocked_logged++ < BLOCKED_LOG_PER_SEC)
		info("blocked DNS query for %s (type %u): add 'allow %s' to allow it", b->name,
		     b->qtype, b->name);
}

/* ---- blocked connections ---- */

int dns_priv_watch_blocked(struct dns_priv *d, uint16_t group, char *err,
			   size_t errlen)
{
	d->nflog_fd = nflog_open(group, err, errlen);
	return d->nflog_fd < 0 ? -1 : 0;
}

struct name_of {
	const struct ipaddr *a;
	const char *name;
};

static void find_name(void *ctx, const struct ipaddr *a, uint16_t portspec,
		      double expires, const char *name)
{
	struct name_of *n = ctx;
	(void)portspec;
	(void)expires;
	if (!n->name && name[0] && a->family == n->a->family &&
	    memcmp(a->b, n->a->b, sizeof a->b) == 0)
		n->name = name;
}

void dns_conn_allow_line(const struct dns_conn_event *e, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	const char *target = e->name[0] ? e->name : ipaddr_str(&e->addr, -1, ip, sizeof ip);
	if (e->port)
		snprintf(buf, len, "allow %s ports %u", target, e->port);
	else
		snprintf(buf, len, "allow %s", target);
}

static void on_blocked_conn(void *ctx, const struct nflog_event *ev)
{
	struct dns_priv *d = ctx;
	double now = now_s();
	struct dns_conn_event *e = NULL;
	for (size_t i = 0; i < DNS_PRIV_RECENT && !e; i++) {
		struct dns_conn_event *c = &d->conns[i];
		if (c->count && c->proto == ev->proto && c->port == ev->port &&
		    c->addr.family == ev->addr.family &&
		    memcmp(c->addr.b, ev->addr.b, sizeof c->addr.b) == 0)
			e = c;
	}
	bool fresh = !e;
	if (fresh) {
		e = &d->conns[d->conns_next++ % DNS_PRIV_RECENT];
		memset(e, 0, sizeof *e);
		e->addr = ev->addr;
		e->port = ev->port;
		e->proto = ev->proto;
		/* Expired entries too (now 0): a name whose address timed out
		 * is still the line to add. */
		struct name_of n = {.a = &ev->addr};
		if (d->exp)
			dns_expiry_each(d->exp, 0, find_name, &n);
		if (n.name)
			snprintf(e->name, sizeof e->name, "%s", n.name);
	}
	e->count++;
	e->when = now;
	if (!fresh)
		return;
	if (now - d->last_conn_log >= 1.0) {
		if (d->conns_logged > BLOCKED_LOG_PER_SEC)
			info("... and %u more blocked connections",
			     d->conns_logged - BLOCKED_LOG_PER_SEC);
		d->last_conn_log = now;
		d->conns_logged = 0;
	}
	if (d->conns_logged++ < BLOCKED_LOG_PER_SEC) {
		char ip[INET6_ADDRSTRLEN], pb[8], line[DNS_NAME_MAX + 32];
		dns_conn_allow_line(e, line, sizeof line);
		info("blocked connection to %s %s%s%.0u: add '%s' to allow it",
		     nflog_proto_str(e->proto, pb, sizeof pb),
		     ipaddr_str(&e->addr, -1, ip, sizeof ip), e->port ? " port " : "", e->port,
		     line);
	}
}

void dns_priv_handle_nflog(struct dns_priv *d)
{
	uint8_t buf[8192];
	for (int budget = 16; budget > 0 && d->nflog_fd >= 0; budget--) {
		ssize_t n = recv(d->nflog_fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == ENOBUFS))
			continue; /* ENOBUFS: some were lost; go on reading */
		if (n <= 0)
			return;
		nflog_parse(buf, (size_t)n, on_blocked_conn, d);
	}
}

static void child_gone(struct dns_priv *d)
{
	if (d->ipc_fd >= 0)
		close(d->ipc_fd);
	d->ipc_fd = -1;
}

void dns_priv_handle_ipc(struct dns_priv *d)
{
	union {
		struct ipc_hdr h;
		struct ipc_sockets_req s;
		struct ipc_allow_req a;
		struct ipc_blocked b;
		char raw[IPC_MSG_MAX];
	} m;
	for (int budget = 256; budget > 0 && d->ipc_fd >= 0; budget--) {
		struct iovec iov = {.iov_base = &m, .iov_len = sizeof m};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(d->ipc_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) { /* the forwarder went away; SIGCHLD restarts it */
			child_gone(d);
			return;
		}
		if ((size_t)n < sizeof m.h || m.h.len != (size_t)n || (mh.msg_flags & MSG_TRUNC)) {
			warn("DNS forwarder sent a malformed message: ignored");
			continue;
		}
		if (m.h.type == IPC_SOCKETS_REQ && n == sizeof m.s)
			handle_sockets(d, &m.s);
		else if (m.h.type == IPC_ALLOW_REQ && n == sizeof m.a)
			handle_allow(d, &m.a);
		else if (m.h.type == IPC_BLOCKED && n == sizeof m.b)
			handle_blocked(d, &m.b);
		else
			warn("DNS forwarder sent an unknown message (type %u): ignored", m.h.type);
	}
}

bool dns_priv_child_exited(struct dns_priv *d, pid_t pid, int status)
{
	if (pid != d->child || d->child == 0)
		return false;
	d->child = 0;
	child_gone(d);
	if (d->restart_requested) {
		d->restart_requested = false;
		d->next_restart = 0;
		debug("DNS forwarder (pid %d) stopped for a restart", (int)pid);
		return true;
	}
	if (WIFSIGNALED(status))
		warn("DNS forwarder (pid %d) killed by signal %d: restarting it", (int)pid,
		     WTERMSIG(status));
	else
		warn("DNS forwarder (pid %d) exited with status %d: restarting it", (int)pid,
		     WEXITSTATUS(status));
	/* Back off when it keeps dying, so a crash loop cannot spin. */
	double now = now_s();
	if (now - d->child_started > 10)
		d->quick_deaths = 0;
	d->quick_deaths = d->quick_deaths < 6 ? d->quick_deaths + 1 : 6;
	d->next_restart = now + (d->quick_deaths <= 1 ? 0 : 0.05 * (1u << d->quick_deaths));
	return true;
}

int dns_priv_tick(struct dns_priv *d)
{
	if (d->child != 0 || d->listen.udp4 < 0)
		return -1;
	double now = now_s();
	if (now >= d->next_restart) {
		d->st.restarts++;
		if (spawn(d) == 0)
			return -1;
		d->next_restart = now + 1;
	}
	double left = d->next_restart - now;
	return (int)(left * 1000) + 1;
}

size_t dns_priv_live(struct dns_priv *d)
{
	return d->exp ? dns_expiry_live(d->exp, now_s()) : 0;
}

void dns_priv_each_live(struct dns_priv *d,
			void (*fn)(void *ctx, const struct ipaddr *a,
				   uint16_t portspec, double expires,
				   const char *name),
			void *ctx)
{
	if (d->exp)
		dns_expiry_each(d->exp, now_s(), fn, ctx);
}

void dns_priv_reset_learned(struct dns_priv *d, const struct resolved *v,
			    size_t n, char (*names)[DNS_NAME_MAX + 1])
{
	struct dns_expiry *x = dns_expiry_new();
	if (!x) /* keep the old map: worst case an extra refresh is skipped */
		return;
	double now = now_s();
	for (size_t i = 0; i < n; i++) {
		uint32_t t = nft_dyn_clamp(d->p, v[i].ttl);
		dns_expiry_set(x, &v[i].addr, v[i].portspec, now + t, now, names[i]);
	}
	dns_expiry_free(d->exp);
	d->exp = x;
}

void dns_priv_restart(struct dns_priv *d)
{
	if (d->child > 0) {
		d->restart_requested = true;
		child_gone(d); /* EOF on the socketpair: the forwarder exits */
	}
}

void dns_priv_stop(struct dns_priv *d)
{
	/* Closing the socketpair is the forwarder's signal to exit. */
	child_gone(d);
	if (d->child > 0) {
		for (int i = 0; i < 100; i++) {
			if (waitpid(d->child, NULL, WNOHANG) == d->child) {
				d->child = 0;
				break;
			}
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (d->child > 0) {
			kill(d->child, SIGKILL);
			waitpid(d->child, NULL, 0);
		}
		d->child = 0;
	}
	child_gone(d);
	if (d->nl_fd >= 0)
		close(d->nl_fd);
	d->nl_fd = -1;
	if (d->nflog_fd >= 0)
		close(d->nflog_fd);
	d->nflog_fd = -1;
	close_listen(&d->listen);
	dns_expiry_free(d->exp);
	d->exp = NULL;
}
