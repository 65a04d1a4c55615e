/* The forwarder's event loop: set-up before the sandbox, timers, query
 * slots, the policy check, warm-up.
 *
 * One epoll loop, level-triggered, with no blocking call anywhere; events
 * carry a tag (kind, generation, index) so that one for a slot reused in
 * the meantime is ignored.  Timers are FIFO lists per duration.  At start,
 * every exact name of the policy is resolved once (A and AAAA, a few at a
 * time, through the same path as a client's query but with no client), so
 * that its addresses are open before the first connection.  See
 * dns_fwd_int.h for the limits. */
#include "dns_fwd.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_fwd_int.h"
#include "lean.h"

#define DNS_T_SVCB  64
#define DNS_T_HTTPS 65
#define DNS_T_ANY   255
#define WARM_WINDOW 32	      /* warm-up queries in flight at once */
#define UDP_RCVBUF  (4 << 20) /* a burst of 1,000 queries fits */
#define FD_RESERVE  64	      /* fds never used for upstreams and clients */

/* Reachable from a global, so a leak checker sees the loop's memory as
 * live whenever the process stops. */
static struct fwd *the_fwd;

__attribute__((noreturn, format(printf, 1, 2))) static void
fatal(const char *fmt, ...);

static void fatal(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_msg(NULL, "DNS forwarder: %s", buf);
	/* _exit: no atexit handler of the privileged parent runs here. */
	_exit(1);
}

uint64_t fwd_tag(unsigned kind, uint32_t gen, uint32_t idx)
{
	return (uint64_t)kind << 56 | (uint64_t)(gen & 0xffffff) << 32 | idx;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- timers, randomness, rate limits ---- */

static const int tclass_ms[T_N] = {
    [T_UDP] = FWD_UDP_MS,	[T_TCP] = FWD_TCP_MS,
    [T_ALLOW] = FWD_ALLOW_MS,	[T_CONN] = FWD_CONN_MS,
    [T_SOCK] = FWD_SOCK_MS,	[T_SOCK + 1] = FWD_SOCK_MS,
    [T_SOCK + 2] = FWD_SOCK_MS, [T_SOCK + 3] = FWD_SOCK_MS,
};

void timer_disarm(struct timer *t)
{
	if (t->cls < 0)
		return;
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->prev = t->next = NULL;
	t->cls = -1;
}

void timer_arm(struct fwd *f, struct timer *t, int cls)
{
	timer_disarm(t);
	struct timer *h = &f->tl[cls];
	t->deadline = f->now + tclass_ms[cls];
	t->cls = (int8_t)cls;
	t->prev = h->prev;
	t->next = h;
	h->prev->next = t;
	h->prev = t;
}

uint16_t fwd_random16(struct fwd *f)
{
	while (f->rnd_left < 2) {
		ssize_t n = getrandom(f->rnd, sizeof f->rnd, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 2)
			fatal("no randomness for query IDs: %s",
			      strerror(errno));
		f->rnd_left = (size_t)n;
	}
	f->rnd_left -= 2;
	return (uint16_t)(f->rnd[f->rnd_left] << 8 | f->rnd[f->rnd_left + 1]);
}

bool ratelimit_ok(struct ratelimit *r, int64_t now, unsigned per_sec)
{
	if (now - r->window >= 1000) {
		if (r->suppressed)
			info("%lu more %s not logged", r->suppressed, r->what);
		r->window = now;
		r->n = 0;
		r->suppressed = 0;
	}
	if (r->n < per_sec) {
		r->n++;
		return true;
	}
	r->suppressed++;
	return false;
}

/* Prints the summary of a window that has ended; returns when to look
 * again (INT64_MAX: nothing pending). */
static int64_t ratelimit_tick(struct ratelimit *r, int64_t now)
{
	if (!r->suppressed)
		return INT64_MAX;
	if (now - r->window >= 1000) {
		ratelimit_ok(r, now, 0);
		return INT64_MAX;
	}
	return r->window + 1000;
}

void fwd_close_fd(struct fwd *f, int *fd)
{
	if (*fd < 0)
		return;
	close(*fd);
	*fd = -1;
	f->fds_open--;
}

void fwd_close_later(struct fwd *f, int *fd)
{
	if (*fd < 0)
		return;
	if (f->n_closing < FWD_CLOSING_MAX) {
		f->closing[f->n_closing++] = *fd;
		*fd = -1;
		return;
	}
	/* Explicitly: the registration outlives close() while another
	 * process still holds the socket. */
	epoll_ctl(f->ep, EPOLL_CTL_DEL, *fd, NULL);
	fwd_close_fd(f, fd);
}

static void fwd_close_pending(struct fwd *f)
{
	while (f->n_closing) {
		int fd = f->closing[--f->n_closing];
		epoll_ctl(f->ep, EPOLL_CTL_DEL, fd, NULL);
		fwd_close_fd(f, &fd);
	}
}

const char *fwd_qtype_str(uint16_t t, char *buf, size_t len)
{
	static const struct {
		uint16_t t;
		const char *s;
	} names[] = {
	    {DNS_T_A, "A"},	    {DNS_T_NS, "NS"},
	    {DNS_T_CNAME, "CNAME"}, {DNS_T_SOA, "SOA"},
	    {DNS_T_PTR, "PTR"},	    {DNS_T_MX, "MX"},
	    {DNS_T_TXT, "TXT"},	    {DNS_T_AAAA, "AAAA"},
	    {DNS_T_SRV, "SRV"},	    {DNS_T_SVCB, "SVCB"},
	    {DNS_T_HTTPS, "HTTPS"}, {257, "CAA"},
	    {DNS_T_ANY, "ANY"},
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (names[i].t == t)
			return names[i].s;
	snprintf(buf, len, "TYPE%u", (unsigned)t);
	return buf;
}

/* ---- queries ---- */

struct query *query_new(struct fwd *f)
{
	struct query *q = f->free_q;
	if (q) {
		f->free_q = q->next_free;
	} else if (f->q_used < FWD_MAX_QUERIES) {
		q = &f->q[f->q_used];
		q->idx = f->q_used++;
	} else {
		return NULL;
	}
	uint32_t idx = q->idx, gen = f->q_gen[idx];
	memset(q, 0, sizeof *q);
	q->idx = idx;
	q->gen = gen;
	q->t.cls = -1;
	q->fd = -1;
	q->state = QS_STEP;
	f->in_flight++;
	return q;
}

void query_free(struct fwd *f, struct query *q)
{
	timer_disarm(&q->t);
	if (q->state == QS_WAIT_SOCK)
		f->st[q->stash].waiting--;
	fwd_close_later(f, &q->fd);
	free(q->qbuf);
	free(q->tbuf);
	free(q->opening);
	q->qbuf = q->tbuf = NULL;
	q->opening = NULL;
	if (q->warm)
		f->warm_in_flight--;
	q->state = QS_FREE;
	q->gen++;
	f->q_gen[q->idx] = q->gen;
	q->next_free = f->free_q;
	f->free_q = q;
	f->in_flight--;
}

/* After a burst (1,000 queries at once touch 600 KiB of slots), the slots
 * beyond the first FWD_SLOTS_KEPT go back to the kernel as soon as nothing
 * is in flight: handing ~150 pages back and faulting them in again on the
 * next burst costs well under a millisecond per 1,000 queries.  Only their
 * generations must survive (a late event or ALLOW reply for a slot's
 * former query must not match its next one): they live in q_gen. */
static void slots_shrink(struct fwd *f)
{
	if (f->q_used <= FWD_SLOTS_KEPT || f->in_flight)
		return;
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)&f->q[FWD_SLOTS_KEPT];
	uintptr_t hi = (uintptr_t)&f->q[f->q_used];
	if (page > 0) {
		lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
		hi &= ~((uintptr_t)page - 1);
		if (hi > lo)
			madvise((void *)lo, hi - lo, MADV_DONTNEED);
	}
	/* Every slot is free: the list is rebuilt from the kept ones; the
	 * others are set up again (from zero) when needed. */
	f->q_used = FWD_SLOTS_KEPT;
	f->free_q = NULL;
	for (uint32_t i = FWD_SLOTS_KEPT; i-- > 0;) {
		f->q[i].next_free = f->free_q;
		f->free_q = &f->q[i];
	}
}

/* ---- the policy check ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_sorted(const char **v, size_t n, const char *name)
{
	return n && bsearch(&name, v, n, sizeof *v, cmp_str) != NULL;
}

/* Exact names, then each proper suffix for the wildcards: "*.x.test"
 * (stored as "x.test") matches "a.x.test" and "a.b.x.test", never
 * "x.test", as target_matches_name says. */
bool fwd_allowed(const struct fwd *f, const char *name)
{
	if (in_sorted(f->names, f->n_names, name))
		return true;
	for (const char *s = strchr(name, '.'); s; s = strchr(s + 1, '.'))
		if (in_sorted(f->wild, f->n_wild, s + 1))
			return true;
	return false;
}

static size_t sort_unique(const char **v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_str);
	size_t k = 1;
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i], v[k - 1]) != 0)
			v[k++] = v[i];
	return k;
}

static void policy_index(struct fwd *f)
{
	const struct policy *p = f->p;
	f->names = calloc(p->n_targets + 1, sizeof *f->names);
	f->wild = calloc(p->n_targets + 1, sizeof *f->wild);
	if (!f->names || !f->wild)
		fatal("out of memory");
	for (size_t i = 0; i < p->n_targets; i++) {
		const struct target *t = &p->targets[i];
		if (t->kind == TARGET_NAME && t->name)
			f->names[f->n_names++] = t->name;
		else if (t->kind == TARGET_WILDCARD && t->name)
			f->wild[f->n_wild++] = t->name;
	}
	f->n_names = sort_unique(f->names, f->n_names);
	f->n_wild = sort_unique(f->wild, f->n_wild);
}

/* ---- warm-up: each allowed name once, A and AAAA, no client ---- */

static void warm_step(struct fwd *f)
{
	size_t total = 2 * f->n_names;
	while (f->warm_next < total && f->warm_in_flight < WARM_WINDOW &&
	       f->in_flight < FWD_MAX_QUERIES / 2) {
		const char *name = f->names[f->warm_next / 2];
		uint16_t qtype = f->warm_next % 2 ? DNS_T_AAAA : DNS_T_A;
		f->warm_next++;
		struct query *q = query_new(f);
		if (!q)
			return;
		q->warm = true;
		f->warm_in_flight++;
		q->qbuf = malloc(DNS_QUERY_MAX);
		int n = q->qbuf ? dns_build_query(q->qbuf, DNS_QUERY_MAX, 0,
						  name, qtype, true)
				: -1;
		if (n < 0 || dns_parse(&q->sent, q->qbuf, (size_t)n) < 0) {
			query_free(f, q);
			continue;
		}
		q->qlen = (size_t)n;
		up_start(f, q);
	}
}

/* ---- the loop ---- */

static void dispatch(struct fwd *f, const struct epoll_event *ev)
{
	uint64_t t = ev->data.u64;
	unsigned kind = (unsigned)(t >> 56);
	uint32_t gen = (uint32_t)(t >> 32) & 0xffffff;
	uint32_t idx = (uint32_t)t;
	switch (kind) {
	case TAG_LISTEN:
		if (idx < 2)
			client_udp(f, f->lfd[idx]);
		else if (idx < 4)
			client_accept(f, f->lfd[idx]);
		break;
	case TAG_IPC:
		ipc_event(f, ev->events);
		break;
	case TAG_UP:
		if (idx < FWD_MAX_QUERIES &&
		    (f->q[idx].gen & 0xffffff) == gen &&
		    (f->q[idx].state == QS_UDP || f->q[idx].state == QS_TCP))
			up_event(f, &f->q[idx], ev->events);
		break;
	case TAG_CONN:
		if (idx < FWD_MAX_CONNS && f->c[idx].fd >= 0 &&
		    (f->c[idx].gen & 0xffffff) == gen)
			client_conn(f, &f->c[idx], ev->events);
		break;
	}
}

static int64_t timers_run(struct fwd *f)
{
	int64_t next = INT64_MAX;
	for (int cls = 0; cls < T_N; cls++) {
		struct timer *h = &f->tl[cls];
		while (h->next != h && h->next->deadline <= f->now) {
			struct timer *t = h->next;
			timer_disarm(t);
			if (cls == T_CONN)
				conn_close(f, (struct conn *)(void *)t);
			else
				up_timeout(f, (struct query *)(void *)t);
		}
		if (h->next != h && h->next->deadline < next)
			next = h->next->deadline;
	}
	return next;
}

__attribute__((noreturn)) static void run(struct fwd *f)
{
	struct epoll_event ev[128];
	for (;;) {
		f->now = now_ms();
		int64_t next = timers_run(f);
		warm_step(f);
		slots_shrink(f);
		int wait = stash_check(f);
		struct ratelimit *rl[] = {&f->rl_blocked, &f->rl_dropped,
					  &f->rl_fail};
		for (size_t i = 0; i < sizeof rl / sizeof *rl; i++) {
			int64_t w = ratelimit_tick(rl[i], f->now);
			if (w < next)
				next = w;
		}
		if (next != INT64_MAX) {
			int64_t d = next > f->now ? next - f->now : 0;
			if (wait < 0 || d < wait)
				wait = (int)(d > 60000 ? 60000 : d);
		}
		int n = epoll_wait(f->ep, ev, sizeof ev / sizeof *ev, wait);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait: %s", strerror(errno));
		f->now = now_ms();
		for (int i = 0; i < n; i++)
			dispatch(f, &ev[i]);
		fwd_close_pending(f);
	}
}

static void add_fd(struct fwd *f, int fd, unsigned kind, uint32_t idx)
{
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = fwd_tag(kind, 0, idx)};
	if (epoll_ctl(f->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		fatal("epoll_ctl: %s", strerror(errno));
}

static void nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		fatal("fcntl(O_NONBLOCK) on fd %d: %s", fd, strerror(errno));
}

/* Everything that needs a syscall the sandbox forbids happens here. */
/* The parent's handlers and mask must not follow us: nothing blocked,
 * default handling for what a supervisor catches (the faults are left to
 * whoever handles them, a sanitizer's runtime say).  The forwarder's life
 * is tied to the privileged side's (EOF on the socketpair, SIGKILL on its
 * death), so the signals a terminal or a supervisor sends to the whole
 * group are ignored; SIGPIPE too (a client may close first). */
static void reset_signals(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int dfl[] = {SIGCHLD, SIGALRM, SIGUSR1, SIGUSR2, SIGWINCH, SIGURG};
	for (size_t i = 0; i < sizeof dfl / sizeof *dfl; i++)
		signal(dfl[i], SIG_DFL);
	int ign[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	for (size_t i = 0; i < sizeof ign / sizeof *ign; i++)
		signal(ign[i], SIG_IGN);
}

static struct fwd *prepare(const struct policy *p,
			   const struct dns_fwd_sockets *s, int ipc_fd)
{
	reset_signals();
	struct fwd *f = calloc(1, sizeof *f);
	if (!f || !(f->q = calloc(FWD_MAX_QUERIES, sizeof *f->q)) ||
	    !(f->q_gen = calloc(FWD_MAX_QUERIES, sizeof *f->q_gen)) ||
	    !(f->c = calloc(FWD_MAX_CONNS, sizeof *f->c)))
		fatal("out of memory");
	the_fwd = f;
	f->p = p;
	f->ipc = ipc_fd;
	f->now = now_ms();
	int l[4] = {s->udp4, s->udp6, s->tcp4, s->tcp6};
	memcpy(f->lfd, l, sizeof l);
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	if (f->ep < 0)
		fatal("epoll_create1: %s", strerror(errno));
	for (uint32_t i = 0; i < 4; i++) {
		if (f->lfd[i] < 0)
			continue;
		nonblock(f->lfd[i]);
		/* Still root here (forked from the privileged side): the
		 * FORCE variant passes net.core.rmem_max. */
		int sz = UDP_RCVBUF;
		if (i < 2 && setsockopt(f->lfd[i], SOL_SOCKET, SO_RCVBUFFORCE,
					&sz, sizeof sz) < 0)
			setsockopt(f->lfd[i], SOL_SOCKET, SO_RCVBUF, &sz,
				   sizeof sz);
		add_fd(f, f->lfd[i], TAG_LISTEN, i);
	}
	if (ipc_fd < 0)
		fatal("no IPC socket");
	nonblock(ipc_fd);
	add_fd(f, ipc_fd, TAG_IPC, 0);

	struct rlimit rl;
	long nofile = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		nofile = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1 << 20
			     ? 1 << 20
			     : (long)rl.rlim_cur;
	f->fd_budget =
	    nofile > 2 * FD_RESERVE ? nofile - FD_RESERVE : FD_RESERVE;

	for (int i = 0; i < T_N; i++)
		f->tl[i].prev = f->tl[i].next = &f->tl[i];
	for (uint32_t i = 0; i < FWD_MAX_CONNS; i++) {
		f->c[i].idx = i;
		f->c[i].fd = -1;
		f->c[i].t.cls = -1;
	}
	for (size_t i = 0; i < p->n_upstreams && i < POLICY_MAX_UPSTREAMS; i++)
		f->st[stash_index(p->upstreams[i].addr.family, false)].used =
		    true;
	f->rl_blocked.what = "blocked queries";
	f->rl_dropped.what = "dropped addresses";
	f->rl_fail.what = "failures";
	policy_index(f);
	debug("DNS forwarder: %zu names, %zu wildcards, %zu upstreams, %ld "
	      "fds",
	      f->n_names, f->n_wild, p->n_upstreams, f->fd_budget);
	return f;
}

void dns_forwarder_main(const struct policy *p, const struct dns_fwd_sockets *s,
			int ipc_fd, const char *run_as_user)
{
	pid_t ppid = getppid();
	struct fwd *f = prepare(p, s, ipc_fd);
	/* What the privileged parent freed before the fork is ours too
	 * (copy-on-write): hand it back.  And the code that set-up ran
	 * (lean.h), once the sandbox is in (its compiler is most of it). */
	malloc_trim(0);
	struct lean_code code;
	lean_find_code(&code);
	int keep[] = {s->udp4, s->udp6, s->tcp4, s->tcp6, ipc_fd, f->ep};
	dns_fwd_sandbox(run_as_user, ppid, keep, sizeof keep / sizeof *keep);
	lean_drop_code(&code);
	run(f);
}

void dns_forwarder_loop(const struct policy *p, const struct dns_fwd_sockets *s,
			int ipc_fd)
{
	run(prepare(p, s, ipc_fd));
}
