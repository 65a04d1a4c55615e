/* Internals of the forwarder, shared by its four parts:
 *   dns_fwd.c        the loop, set-up, timers, query slots, policy, warm-up
 *   dns_fwd_client.c clients (UDP, TCP) and what is answered locally
 *   dns_fwd_up.c     queries to the upstreams, answers, holding for ALLOW
 *   dns_fwd_ipc.c    the socketpair to the privileged side, socket stashes
 *   dns_fwd_open.c   addresses known open, so a busy name skips the IPC
 * Single-threaded; everything lives in one struct fwd. */
#ifndef CORRAL_DNS_FWD_INT_H
#define CORRAL_DNS_FWD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../common/policy.h"
#include "dns_answer.h"
#include "dns_ipc.h"
#include "dns_msg.h"

/* Queries in flight at once (client queries being resolved, answers held
 * for an ALLOW, warm-up).  Beyond, a client gets SERVFAIL at once.  The
 * slot index is 12 bits of an ALLOW request's id.  Upstream sockets in use
 * are bounded apart, by RLIMIT_NOFILE: past it, queries wait for a socket
 * (at most FWD_SOCK_MS, then SERVFAIL). */
#define FWD_MAX_QUERIES	  4096
#define FWD_MAX_CONNS	  64   /* TCP clients at once; more are closed */
#define FWD_SLOTS_KEPT	  64   /* query slots kept once a burst is over */
#define FWD_TCP_QUERY_MAX 4096 /* a client's query over TCP, bytes */
#define FWD_PKT		  65536

#define FWD_UDP_MS   700  /* one UDP attempt at one upstream */
#define FWD_TCP_MS   2000 /* one TCP exchange with one upstream */
#define FWD_ALLOW_MS 2000 /* the privileged side's answer to ALLOW */
#define FWD_SOCK_MS  2000 /* waiting for upstream sockets */
#define FWD_CONN_MS  5000 /* a TCP client idle, or slow to send/read */

/* Stashes of fresh upstream sockets: index = v6 | tcp << 1. */
#define STASH_UDP_TARGET 64
#define STASH_UDP_LOW	 32
#define STASH_CAP	 (STASH_UDP_TARGET + IPC_MAX_FDS)

/* Timers: one FIFO list per duration, so each list is sorted by deadline
 * and arming is O(1).  The T_SOCK lists double as the queues of queries
 * waiting for a socket. */
enum tclass {
	T_UDP,
	T_TCP,
	T_ALLOW,
	T_CONN,
	T_SOCK, /* + stash index */
	T_N = T_SOCK + 4,
};

struct timer {
	struct timer *prev, *next;
	int64_t deadline;
	int8_t cls; /* -1: not armed */
};

enum qstate {
	QS_FREE,
	QS_STEP, /* between two of the states below */
	QS_WAIT_SOCK,
	QS_UDP,
	QS_TCP,
	QS_WAIT_ALLOW,
};
enum client_kind { CL_NONE, CL_UDP, CL_TCP };

/* Where the answer goes. */
struct origin {
	uint8_t kind; /* enum client_kind; CL_NONE: warm-up, or client gone */
	int lfd;      /* CL_UDP: the listener it came in on */
	socklen_t peer_len;
	struct sockaddr_storage peer;
	uint32_t conn, conn_gen; /* CL_TCP */
	uint16_t udp_limit;	 /* CL_UDP: 512 or the client's EDNS size */
};

struct query {
	struct timer t; /* first: a timer of a query-class list is a query */
	uint32_t idx, gen;
	uint8_t state; /* enum qstate */
	uint8_t up;    /* current upstream */
	uint8_t attempts;
	uint8_t stash; /* QS_WAIT_SOCK: which one */
	bool warm;
	bool tcp_sending;
	uint8_t allow_pending; /* chunks not acknowledged yet, a bit each */
	bool allow_failed;
	uint32_t allow_timeout;
	uint32_t hard_failed; /* upstreams that refused, a bit each */
	int fd;		      /* upstream socket, -1 */
	uint8_t fd_peer;      /* 1 + the upstream fd is connected to, or 0 */
	struct origin o;
	uint16_t client_id;
	uint8_t *qbuf; /* the client's query with our ID: what is sent */
	size_t qlen;
	struct dns_msg sent; /* qbuf parsed */
	uint8_t *tbuf;	     /* TCP: the exchange; QS_WAIT_ALLOW: the answer */
	struct ipaddr *opening; /* QS_WAIT_ALLOW: the addresses asked for */
	size_t n_opening;
	size_t toff, tlen;
	uint8_t tlen_buf[2];
	struct query *next_free;
};

struct conn {
	struct timer t; /* first */
	uint32_t idx, gen;
	int fd;	   /* -1: free */
	bool busy; /* a query of it is in flight: read nothing more */
	bool eof;  /* the client finished sending: close once written */
	uint32_t events;
	size_t roff;
	uint8_t *wbuf;
	size_t woff, wlen;
	uint8_t *rbuf; /* 2 + FWD_TCP_QUERY_MAX bytes while open */
};

struct stash {
	int fds[STASH_CAP];
	uint8_t peer[STASH_CAP]; /* UDP: 1 + the upstream it is connected to */
	unsigned n;
	bool used;    /* an upstream of this family exists (UDP: keep full) */
	bool req_out; /* a SOCKETS_REQ is unanswered */
	uint8_t req_count;
	uint32_t req_id;
	int64_t req_at, not_before;
	unsigned waiting; /* queries on the T_SOCK list */
};

struct ipc_out {
	struct ipc_out *next;
	size_t len;
	uint8_t msg[];
};

/* (asked name, address) known open until `until` (ms, f->now's clock). */
#define FWD_OPEN_SLOTS 512
/* Upstream sockets done with are closed after the turn's answers are out:
 * close() and the epoll removal cost more than the rest of a query. */
#define FWD_CLOSING_MAX 256
struct fwd_open {
	uint64_t name_hash;
	int64_t until;
	struct ipaddr addr;
};

struct ratelimit {
	int64_t window;
	unsigned n;
	unsigned long suppressed;
	const char *what;
};

struct fwd {
	const struct policy *p;
	int ep, ipc;
	int lfd[4]; /* udp4, udp6, tcp4, tcp6 */
	int64_t now;
	struct query *q; /* FWD_MAX_QUERIES slots, q_used set up so far */
	struct query *free_q;
	uint32_t q_used; /* slots are set up as needed: untouched, no memory */
	uint32_t *q_gen; /* each slot's generation, kept when slots go back */
	unsigned in_flight;
	struct conn *c;
	unsigned n_conns;
	struct stash st[4];
	struct timer tl[T_N]; /* list heads */
	long fd_budget;	      /* fds we may hold beyond the fixed ones */
	long fds_open;	      /* ... and hold now */
	struct ipc_out *out_head, *out_tail;
	size_t out_n;
	bool ipc_pollout;
	uint32_t ipc_seq;
	uint8_t rnd[256];
	size_t rnd_left;
	const char **names, **wild; /* sorted, for the policy check */
	size_t n_names, n_wild;
	size_t warm_next, warm_in_flight;
	struct ratelimit rl_blocked, rl_dropped, rl_fail;
	struct fwd_open open[FWD_OPEN_SLOTS];
	int closing[FWD_CLOSING_MAX]; /* closed once the turn's events are done
				       */
	unsigned n_closing;
	uint8_t pkt[FWD_PKT];
	uint8_t out[FWD_PKT];
};

/* Epoll tags: kind << 56 | (gen & 0xffffff) << 32 | index. */
enum tag { TAG_LISTEN = 1, TAG_IPC, TAG_UP, TAG_CONN };
uint64_t fwd_tag(unsigned kind, uint32_t gen, uint32_t idx);

/* dns_fwd.c */
struct query *query_new(struct fwd *f); /* NULL when all are in flight */
void query_free(struct fwd *f, struct query *q);
bool fwd_allowed(const struct fwd *f, const char *name);
void timer_arm(struct fwd *f, struct timer *t, int cls);
void timer_disarm(struct timer *t);
bool ratelimit_ok(struct ratelimit *r, int64_t now, unsigned per_sec);
uint16_t fwd_random16(struct fwd *f);
void fwd_close_fd(struct fwd *f, int *fd);
/* Takes *fd (a watched upstream socket) out of use; closed by
 * fwd_close_pending at the end of the loop turn. */
void fwd_close_later(struct fwd *f, int *fd);
/* dns_fwd_client.c */
void client_udp(struct fwd *f, int lfd);    /* a UDP listener is readable */
void client_accept(struct fwd *f, int lfd); /* a TCP listener is */
void client_conn(struct fwd *f, struct conn *c, uint32_t events);
void conn_close(struct fwd *f, struct conn *c);
/* Sends an answer (len bytes, the client's ID already in place) where q's
 * client waits, then frees q. */
void fwd_finish(struct fwd *f, struct query *q, const uint8_t *buf, size_t len);
/* Answers q locally with rcode and no records, then frees q. */
void fwd_fail(struct fwd *f, struct query *q, uint8_t rcode);
const char *fwd_qtype_str(uint16_t t, char *buf, size_t len);

/* dns_fwd_up.c */
void up_start(struct fwd *f, struct query *q);
void up_event(struct fwd *f, struct query *q, uint32_t events);
void up_timeout(struct fwd *f, struct query *q);
/* A socket for a query waiting on stash si arrived. */
void up_got_socket(struct fwd *f, struct query *q, int fd, uint8_t peer);
void up_allow_reply(struct fwd *f, struct query *q, unsigned chunk, bool ok,
		    uint32_t timeout);

/* dns_fwd_ipc.c */
void ipc_event(struct fwd *f, uint32_t events);
void ipc_blocked(struct fwd *f, const char *name, uint16_t qtype);
/* Sends q's addresses in chunks; ids encode (q->gen, chunk, q->idx). */
void ipc_allow(struct fwd *f, struct query *q, const struct dns_answer *a);
/* Pops a socket of stash si, or -1 (stash_check then asks for more);
 * *peer: 1 + the upstream it is already connected to, or 0. */
int stash_take(struct fwd *f, unsigned si, uint8_t *peer);
/* Asks for sockets where they run low or queries wait, and connects a few
 * fresh UDP ones to their family's first upstream (so a query does not
 * wait for that); call once per loop turn.  Returns ms until it wants to
 * run again, or -1. */
int stash_check(struct fwd *f);
unsigned stash_index(int family, bool tcp);

/* dns_fwd_open.c */
/* The privileged side confirmed these n addresses of name open for at
 * least seconds from now. */
void open_note(struct fwd *f, const char *name, const struct ipaddr *a,
	       size_t n, uint32_t seconds);
/* True when every address of a is known open with 90% of its clamped TTL
 * (and 1 s) still to run; *left: the seconds left, the least of them. */
bool open_all(struct fwd *f, const char *name, const struct dns_answer *a,
	      uint32_t *left);

#endif
