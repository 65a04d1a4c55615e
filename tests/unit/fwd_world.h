/* The world test_dns_fwd.c runs the forwarder in, all in the test process
 * and single-threaded: a fake privileged side on the other end of the
 * socketpair (hands out plain sockets, records ALLOW requests and answers
 * them as told), two fake upstreams on 127.0.0.1 (UDP and TCP, answering
 * from the little zone in respond()), and clients.  Nothing moves unless
 * pump() runs, so the tests decide exactly when each side speaks.  The
 * forwarder itself is a forked child, stopped by closing the socketpair
 * and reaped by PID. */
#ifndef CORRAL_FWD_WORLD_H
#define CORRAL_FWD_WORLD_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../common/policy.h"
#include "../../firewall/dns_fwd.h"
#include "../../firewall/dns_ipc.h"
#include "../../firewall/dns_msg.h"

enum allow_mode { ALLOW_OK, ALLOW_NO, ALLOW_HOLD, ALLOW_SILENT };

#define MAX_UPCONN 64
#define MAX_HELD   64
#define NUP	   3

struct upconn {
	int fd;
	int up;
	size_t n;
	uint8_t b[2 + 4096];
};

struct world {
	struct policy p;
	pid_t pid;
	int ipc;
	uint16_t udp_port, tcp_port;   /* the forwarder, 127.0.0.1 */
	uint16_t udp6_port, tcp6_port; /* ... and [::1] */
	int up_udp[NUP], up_tcp[NUP];  /* upstream 2 is on [::1] */
	uint16_t up_port[NUP];
	uint16_t dead_port; /* nothing listens: ICMP port unreachable */
	struct upconn conns[MAX_UPCONN];
	/* the fake privileged side */
	int allow_mode;
	uint32_t allow_timeout;
	uint32_t held[MAX_HELD];
	int n_held;
	unsigned allow_reqs, sock_reqs, socks_given;
	char allow_log[8192];	/* "name addr/ttl ...\n" per request */
	char blocked_log[2048]; /* "name qtype\n" */
	char up_log[8192];	/* "name qtype udp|tcp upN\n" */
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wput16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void append(char *log, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *log, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(log);
	va_list ap;
	va_start(ap, fmt);
	if (n < cap)
		vsnprintf(log + n, cap - n, fmt, ap);
	va_end(ap);
}

/* ---- the fake upstreams' zone ---- */

struct pkt {
	uint8_t b[8192];
	size_t n;
	unsigned cnt[3];
};

static void r_begin(struct pkt *r, const struct dns_msg *q, unsigned rcode,
		    bool tc)
{
	memcpy(r->b, q->buf, q->q_end);
	r->n = q->q_end;
	memset(r->cnt, 0, sizeof r->cnt);
	wput16(r->b + 2,
	       DNS_F_QR | DNS_F_RD | DNS_F_RA | (tc ? DNS_F_TC : 0) | rcode);
	wput16(r->b + 4, 1);
}

static void r_name(struct pkt *r, const char *name)
{
	uint8_t tmp[DNS_QUERY_MAX];
	int n = dns_build_query(tmp, sizeof tmp, 0, name, 1, false);
	size_t len = (size_t)n - 12 - 4;
	memcpy(r->b + r->n, tmp + 12, len);
	r->n += len;
}

static void r_rr(struct pkt *r, const struct dns_msg *q, int sec,
		 const char *owner, unsigned type, uint32_t ttl, const void *rd,
		 size_t len)
{
	if (strcmp(owner, q->qname) == 0) {
		wput16(r->b + r->n, 0xc00c);
		r->n += 2;
	} else {
		r_name(r, owner);
	}
	wput16(r->b + r->n, type);
	wput16(r->b + r->n + 2, DNS_CLASS_IN);
	wput16(r->b + r->n + 4, ttl >> 16);
	wput16(r->b + r->n + 6, ttl & 0xffff);
	wput16(r->b + r->n + 8, (unsigned)len);
	memcpy(r->b + r->n + 10, rd, len);
	r->n += 10 + len;
	r->cnt[sec]++;
}

static void r_addr(struct pkt *r, const struct dns_msg *q, const char *owner,
		   const char *a, uint32_t ttl)
{
	uint8_t b[16];
	bool v6 = strchr(a, ':') != NULL;
	inet_pton(v6 ? AF_INET6 : AF_INET, a, b);
	r_rr(r, q, 0, owner, v6 ? DNS_T_AAAA : DNS_T_A, ttl, b, v6 ? 16 : 4);
}

static void r_end(struct pkt *r, const struct dns_msg *q)
{
	if (q->edns) {
		static const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0,
					      0, 0, 0,	0,    0};
		memcpy(r->b + r->n, opt, sizeof opt);
		r->n += sizeof opt;
		r->cnt[2]++;
	}
	wput16(r->b + 6, r->cnt[0]);
	wput16(r->b + 8, r->cnt[1]);
	wput16(r->b + 10, r->cnt[2]);
}

/* Fills out[0..] with the replies to send, in order; returns how many. */
static int respond(const struct dns_msg *q, bool tcp, int up, struct pkt *out)
{
	const char *n = q->qname;
	bool a = q->qtype == DNS_T_A, aaaa = q->qtype == DNS_T_AAAA;
	struct pkt *r = &out[0];
	r_begin(r, q, DNS_R_NOERROR, false);
	if (strcmp(n, "slow.t.test") == 0 && up == 0)
		return 0;
	if (strcmp(n, "fail.t.test") == 0 && up == 0) {
		r_begin(r, q, DNS_R_SERVFAIL, false);
	} else if (strcmp(n, "big.t.test") == 0 && !tcp) {
		r_begin(r, q, DNS_R_NOERROR, true);
	} else if (strcmp(n, "big.t.test") == 0 && a) {
		for (int i = 1; i <= 40; i++) {
			char ip[32];
			snprintf(ip, sizeof ip, "198.51.100.%d", i);
			r_addr(r, q, n, ip, 300);
		}
	} else if (strcmp(n, "www.t.test") == 0 && a) {
		static const uint8_t t[] = "\4edge\3cdn\4test";
		r_rr(r, q, 0, n, DNS_T_CNAME, 500, t, sizeof t);
		r_addr(r, q, "edge.cdn.test", "198.51.100.7", 100);
	} else if (strcmp(n, "evil.t.test") == 0 && a) {
		r_addr(r, q, n, "127.0.0.1", 300);
		r_addr(r, q, n, "198.51.100.3", 300);
		r_addr(r, q, n, "10.0.0.1", 300);
		r_addr(r, q, n, "10.1.2.3", 300);
		r_addr(r, q, n, "169.254.169.254", 300);
	} else if (strcmp(n, "inject.t.test") == 0 && a) {
		r_addr(r, q, n, "192.0.2.60", 300);
		r_addr(r, q, "injected.test", "198.51.100.11", 300);
	} else if (strcmp(n, "wrongid.t.test") == 0 && a) {
		struct pkt *bad = &out[1];
		r_addr(r, q, n, "198.51.100.66", 300);
		r_end(r, q);
		wput16(r->b, (unsigned)(q->id + 1));
		r_begin(bad, q, DNS_R_NOERROR, false);
		r_addr(bad, q, n, "198.51.100.5", 300);
		r_end(bad, q);
		return 2;
	} else if (strcmp(n, "hostile.t.test") == 0) {
		/* An owner name that points at itself. */
		wput16(r->b + r->n, 0xc000 | (unsigned)r->n);
		r->n += 2;
		static const uint8_t rest[] = {0, 1, 0, 1,   0,	 0,   1,
					       0, 0, 4, 198, 51, 100, 99};
		memcpy(r->b + r->n, rest, sizeof rest);
		r->n += sizeof rest;
		r->cnt[0]++;
	} else if (strcmp(n, "mx.t.test") == 0 && q->qtype == DNS_T_MX) {
		static const uint8_t mx[] = "\0\012\4mail\4test";
		r_rr(r, q, 0, n, DNS_T_MX, 300, mx, sizeof mx);
		uint8_t ip[4] = {198, 51, 100, 9};
		r_rr(r, q, 2, "mail.test", DNS_T_A, 300, ip, 4);
	} else if (strcmp(n, "nx.t.test") == 0) {
		r_begin(r, q, DNS_R_NXDOMAIN, false);
		static const uint8_t soa[] = {0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0,
					      0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
		r_rr(r, q, 1, "test", DNS_T_SOA, 7200, soa, sizeof soa);
	} else if (a && strcmp(n, "fail.t.test") == 0) {
		r_addr(r, q, n, "192.0.2.44", 300);
	} else if (a && strcmp(n, "slow.t.test") == 0) {
		r_addr(r, q, n, "192.0.2.45", 300);
	} else if (a) {
		r_addr(r, q, n, "192.0.2.1", 300);
	} else if (aaaa) {
		r_addr(r, q, n, "2001:db8::1", 300);
	}
	r_end(r, q);
	return 1;
}

static void upstream_query(struct world *w, int up, const uint8_t *b, size_t n,
			   bool tcp, struct pkt *out, int *nout)
{
	struct dns_msg q;
	*nout = 0;
	if (dns_parse(&q, b, n) < 0 || q.qr)
		return;
	char tb[16];
	snprintf(tb, sizeof tb, "%u", q.qtype);
	append(w->up_log, sizeof w->up_log, "%s %s %s up%d\n", q.qname,
	       q.qtype == DNS_T_A      ? "A"
	       : q.qtype == DNS_T_AAAA ? "AAAA"
				       : tb,
	       tcp ? "tcp" : "udp", up);
	*nout = respond(&q, tcp, up, out);
}

static void on_up_udp(struct world *w, int up)
{
	static struct pkt out[2];
	uint8_t b[4096];
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		ssize_t n = recvfrom(w->up_udp[up], b, sizeof b, MSG_DONTWAIT,
				     (struct sockaddr *)&ss, &sl);
		if (n < 0)
			return;
		int k;
		upstream_query(w, up, b, (size_t)n, false, out, &k);
		for (int i = 0; i < k; i++)
			sendto(w->up_udp[up], out[i].b, out[i].n, 0,
			       (struct sockaddr *)&ss, sl);
	}
}

static void on_up_conn(struct world *w, struct upconn *c)
{
	static struct pkt out[2];
	ssize_t n = recv(c->fd, c->b + c->n, sizeof c->b - c->n, MSG_DONTWAIT);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN) {
			close(c->fd);
			c->fd = -1;
		}
		return;
	}
	c->n += (size_t)n;
	if (c->n < 2 || c->n < 2u + (c->b[0] << 8 | c->b[1]))
		return;
	int k;
	upstream_query(w, c->up, c->b + 2, c->n - 2, true, out, &k);
	for (int i = 0; i < k; i++) {
		uint8_t len[2];
		wput16(len, (unsigned)out[i].n);
		struct iovec iov[2] = {{len, 2}, {out[i].b, out[i].n}};
		if (writev(c->fd, iov, 2) < 0)
			break;
	}
	close(c->fd);
	c->fd = -1;
}

/* ---- the fake privileged side ---- */

static void priv_send(struct world *w, const void *msg, size_t len,
		      const int *fds, size_t nfds)
{
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int) * IPC_MAX_FDS)];
	} cm;
	struct iovec iov = {(void *)(uintptr_t)msg, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&cm, 0, sizeof cm);
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	if (sendmsg(w->ipc, &mh, MSG_NOSIGNAL) < 0)
		printf("# fake privileged side: sendmsg: %s\n",
		       strerror(errno));
}

static void priv_allow_reply(struct world *w, uint32_t id, bool ok)
{
	struct ipc_allow_rep r;
	memset(&r, 0, sizeof r);
	r.h.type = IPC_ALLOW_REP;
	r.h.len = sizeof r;
	r.h.id = id;
	r.ok = ok;
	r.timeout = w->allow_timeout;
	priv_send(w, &r, sizeof r, NULL, 0);
}

static void priv_release(struct world *w)
{
	for (int i = 0; i < w->n_held; i++)
		priv_allow_reply(w, w->held[i], true);
	w->n_held = 0;
}

static void priv_msg(struct world *w, const uint8_t *b, size_t n)
{
	struct ipc_hdr h;
	if (n < sizeof h)
		return;
	memcpy(&h, b, sizeof h);
	if (h.type == IPC_SOCKETS_REQ && n == sizeof(struct ipc_sockets_req)) {
		struct ipc_sockets_req r;
		memcpy(&r, b, sizeof r);
		int fds[IPC_MAX_FDS];
		size_t k = r.count <= IPC_MAX_FDS ? r.count : 0;
		w->sock_reqs++;
		for (size_t i = 0; i < k; i++)
			fds[i] = socket(r.family,
					r.proto == IPPROTO_TCP ? SOCK_STREAM
							       : SOCK_DGRAM,
					0);
		struct ipc_sockets_rep rep;
		memset(&rep, 0, sizeof rep);
		rep.h.type = IPC_SOCKETS_REP;
		rep.h.len = sizeof rep;
		rep.h.id = r.h.id;
		rep.family = r.family;
		rep.proto = r.proto;
		rep.count = (uint8_t)k;
		priv_send(w, &rep, sizeof rep, fds, k);
		for (size_t i = 0; i < k; i++)
			close(fds[i]);
		w->socks_given += (unsigned)k;
	} else if (h.type == IPC_ALLOW_REQ &&
		   n == sizeof(struct ipc_allow_req)) {
		static struct ipc_allow_req r;
		memcpy(&r, b, sizeof r);
		r.name[DNS_NAME_MAX] = '\0';
		w->allow_reqs++;
		append(w->allow_log, sizeof w->allow_log, "%s", r.name);
		for (unsigned i = 0; i < r.n && i < IPC_MAX_ADDRS; i++) {
			char ip[64];
			ipaddr_str(&r.addrs[i].addr, -1, ip, sizeof ip);
			append(w->allow_log, sizeof w->allow_log, " %s/%u", ip,
			       r.addrs[i].ttl);
		}
		append(w->allow_log, sizeof w->allow_log, "\n");
		if (w->allow_mode == ALLOW_OK || w->allow_mode == ALLOW_NO)
			priv_allow_reply(w, h.id, w->allow_mode == ALLOW_OK);
		else if (w->allow_mode == ALLOW_HOLD && w->n_held < MAX_HELD)
			w->held[w->n_held++] = h.id;
	} else if (h.type == IPC_BLOCKED && n == sizeof(struct ipc_blocked)) {
		struct ipc_blocked r;
		memcpy(&r, b, sizeof r);
		r.name[DNS_NAME_MAX] = '\0';
		append(w->blocked_log, sizeof w->blocked_log, "%s %u\n", r.name,
		       r.qtype);
	} else {
		printf("# fake privileged side: unexpected message type %u, "
		       "%zu bytes\n",
		       h.type, n);
	}
}

static void on_ipc(struct world *w)
{
	static uint8_t b[IPC_MSG_MAX];
	for (;;) {
		ssize_t n = recv(w->ipc, b, sizeof b, MSG_DONTWAIT);
		if (n <= 0)
			return;
		priv_msg(w, b, (size_t)n);
	}
}

/* Runs the world for ms, or until fd (>= 0) is readable: returns true
 * then. */
static bool pump(struct world *w, int ms, int fd)
{
	int64_t end = mono_ms() + ms;
	for (;;) {
		struct pollfd pf[8 + MAX_UPCONN];
		struct upconn *pc[8 + MAX_UPCONN];
		nfds_t n = 0;
		int64_t left = end - mono_ms();
		if (left < 0)
			return false;
		pf[n++] = (struct pollfd){w->ipc, POLLIN, 0};
		for (int i = 0; i < NUP; i++) {
			pf[n++] = (struct pollfd){w->up_udp[i], POLLIN, 0};
			pf[n++] = (struct pollfd){w->up_tcp[i], POLLIN, 0};
		}
		for (int i = 0; i < MAX_UPCONN; i++) {
			if (w->conns[i].fd < 0)
				continue;
			pc[n] = &w->conns[i];
			pf[n++] = (struct pollfd){w->conns[i].fd, POLLIN, 0};
		}
		nfds_t nfix = n;
		if (fd >= 0)
			pf[n++] = (struct pollfd){fd, POLLIN, 0};
		if (poll(pf, n, (int)left) <= 0)
			continue;
		if (fd >= 0 && pf[n - 1].revents)
			return true;
		if (pf[0].revents)
			on_ipc(w);
		for (int i = 0; i < NUP; i++) {
			if (pf[1 + 2 * i].revents)
				on_up_udp(w, i);
			if (pf[2 + 2 * i].revents) {
				int c = accept(w->up_tcp[i], NULL, NULL);
				for (int k = 0; c >= 0 && k < MAX_UPCONN; k++) {
					if (w->conns[k].fd < 0) {
						w->conns[k].fd = c;
						w->conns[k].up = i;
						w->conns[k].n = 0;
						c = -1;
					}
				}
				if (c >= 0)
					close(c);
			}
		}
		for (nfds_t i = 1 + 2 * NUP; i < nfix; i++)
			if (pf[i].revents && pc[i]->fd == pf[i].fd)
				on_up_conn(w, pc[i]);
	}
}

/* ---- set-up ---- */

/* A socket bound on the loopback address of family, at port (0: any). */
static int bound(int family, int type, uint16_t port, uint16_t *got)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *s4;
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		printf("Bail out! cannot bind on %s: %s\n",
		       family == AF_INET6 ? "::1" : "127.0.0.1",
		       strerror(errno));
		exit(1);
	}
	*got =
	    ntohs(family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
				     : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	w->pid = -1;
	w->ipc = -1;
	for (int i = 0; i < NUP; i++) {
		int fam = i == 2 ? AF_INET6 : AF_INET;
		w->up_udp[i] = bound(fam, SOCK_DGRAM, 0, &w->up_port[i]);
		int sz = 4 << 20;
		setsockopt(w->up_udp[i], SOL_SOCKET, SO_RCVBUFFORCE, &sz,
			   sizeof sz);
		/* TCP on the same port as UDP, like a real server. */
		uint16_t p;
		w->up_tcp[i] = bound(fam, SOCK_STREAM, w->up_port[i], &p);
	}
	int dead = bound(AF_INET, SOCK_DGRAM, 0, &w->dead_port);
	close(dead);
	for (int i = 0; i < MAX_UPCONN; i++)
		w->conns[i].fd = -1;
	w->allow_timeout = 300;
}

static void world_clear_logs(struct world *w)
{
	w->allow_log[0] = w->blocked_log[0] = w->up_log[0] = '\0';
	w->allow_reqs = 0;
}

/* Copies text into out with UP0, UP1, UP2 and DEAD replaced by the ports
 * of the upstreams and of the port where nothing listens. */
static void expand(const struct world *w, const char *text, char *out,
		   size_t cap)
{
	size_t o = 0;
	while (*text && o + 8 < cap) {
		const char *keys[] = {"UP0", "UP1", "UP2", "DEAD"};
		unsigned ports[] = {w->up_port[0], w->up_port[1], w->up_port[2],
				    w->dead_port};
		size_t k = 0;
		while (k < 4 && strncmp(text, keys[k], strlen(keys[k])) != 0)
			k++;
		if (k == 4) {
			out[o++] = *text++;
			continue;
		}
		o += (size_t)snprintf(out + o, cap - o, "%u", ports[k]);
		text += strlen(keys[k]);
	}
	out[o] = '\0';
}

/* Starts the forwarder with the policy text (see expand).  sandbox:
 * through dns_forwarder_main (as nobody, under seccomp), else
 * dns_forwarder_loop. */
static void fwd_start(struct world *w, const char *text, bool sandbox)
{
	char conf[1024], err[256];
	expand(w, text, conf, sizeof conf);
	memset(&w->p, 0, sizeof w->p);
	struct portspec all = {0};
	policy_intern_portspec(&w->p, &all);
	if (policy_parse_text(&w->p, "test.conf", conf, err, sizeof err) < 0) {
		printf("Bail out! policy: %s\n", err);
		exit(1);
	}
	if (!w->p.ttl_max)
		w->p.ttl_max = POLICY_TTL_MAX_DEFAULT;
	int udp = bound(AF_INET, SOCK_DGRAM, 0, &w->udp_port);
	int tcp = bound(AF_INET, SOCK_STREAM, 0, &w->tcp_port);
	int udp6 = bound(AF_INET6, SOCK_DGRAM, 0, &w->udp6_port);
	int tcp6 = bound(AF_INET6, SOCK_STREAM, 0, &w->tcp6_port);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		printf("Bail out! socketpair: %s\n", strerror(errno));
		exit(1);
	}
	fflush(stdout);
	w->pid = fork();
	if (w->pid == 0) {
		close(sv[0]);
		struct dns_fwd_sockets s = {udp, udp6, tcp, tcp6};
		if (sandbox)
			dns_forwarder_main(&w->p, &s, sv[1], "nobody");
		dns_forwarder_loop(&w->p, &s, sv[1]);
	}
	close(sv[1]);
	close(udp);
	close(tcp);
	close(udp6);
	close(tcp6);
	w->ipc = sv[0];
	world_clear_logs(w);
}

/* Closes the socketpair; returns the forwarder's wait status. */
static int fwd_stop(struct world *w)
{
	int st = -1;
	close(w->ipc);
	w->ipc = -1;
	for (int i = 0; i < 300; i++) {
		if (waitpid(w->pid, &st, WNOHANG) == w->pid) {
			w->pid = -1;
			policy_free(&w->p);
			return st;
		}
		usleep(10000);
	}
	kill(w->pid, SIGKILL);
	waitpid(w->pid, &st, 0);
	w->pid = -1;
	policy_free(&w->p);
	return -1;
}

/* ---- clients ---- */

/* A client socket connected to the forwarder over v4 or v6. */
static int client(struct world *w, int type, bool v6)
{
	int fd = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, 0);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	socklen_t sl;
	bool tcp = type == SOCK_STREAM;
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(tcp ? w->tcp6_port : w->udp6_port);
		s6->sin6_addr = in6addr_loopback;
		sl = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(tcp ? w->tcp_port : w->udp_port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sl = sizeof *s4;
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0)
		printf("# connect: %s\n", strerror(errno));
	return fd;
}

#endif
