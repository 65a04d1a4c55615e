/* corral init, PID 1: the job tini and catatonit do (signals, zombies, exit
 * codes), plus hooks through which the firewall's long-lived parts (the DNS
 * forwarder, the control socket) share init's one poll loop.
 *
 * init_run() must be called from a single-threaded process, before anything
 * else forks: it blocks the signals it reads from its signalfd first, and
 * only then calls the boot hook, so a process the boot hook starts can never
 * die unnoticed.  Processes the hooks fork inherit that mask and must reset
 * it (the forwarder does).  The child gets every descriptor above 2 closed,
 * so hook descriptors need no O_CLOEXEC to stay out of it. */
#ifndef CORRAL_INIT_H
#define CORRAL_INIT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/types.h>

/* Bit N stands for capability N (linux/capability.h). */
#define INIT_CAP_BIT(cap) (UINT64_C(1) << (cap))
/* Dropped from the child's bounding, inheritable and ambient sets unless
 * kept: a child that becomes root still cannot touch the network policy or
 * open raw or packet sockets.  CAP_NET_ADMIN 12, CAP_NET_RAW 13,
 * CAP_SYS_ADMIN 21. */
#define INIT_DEFAULT_DROP_CAPS                                                 \
	(INIT_CAP_BIT(12) | INIT_CAP_BIT(13) | INIT_CAP_BIT(21))

/* At most this many descriptors from the pollfds hook per iteration. */
#define INIT_MAX_HOOK_FDS 32

struct init_opts {
	/* CMD and its arguments, NULL-terminated.  NULL or empty: no CMD,
	 * init runs until SIGTERM or SIGINT and then returns 0. */
	char **argv;
	/* Run CMD as this user (a name, or a uid in /etc/passwd) with that
	 * user's groups and HOME, USER and LOGNAME.  NULL: as init runs. */
	const char *user;
	/* Forward signals to CMD's process group, not just to CMD (tini -g). */
	bool pgroup;
	/* Capabilities to drop (INIT_CAP_BIT); INIT_DEFAULT_DROP_CAPS unless
	 * the user keeps some.  0 drops nothing. */
	uint64_t drop_caps;
};

/* Every hook may be NULL; ctx is passed to each. */
struct init_hooks {
	void *ctx;
	/* Called once, after the signals are blocked, the subreaper is set
	 * and the user is looked up, before CMD is forked: bring the firewall
	 * up here.  May die() (nothing has run yet).  Returning < 0 makes
	 * init_run return 1 at once, without calling stop: print the one
	 * line that says why, and clean up after yourself. */
	int (*boot)(void *ctx);
	/* Called once CMD has been exec'd (child = its pid), or, without CMD,
	 * when the loop starts (child = 0).  Not called if CMD could not be
	 * started. */
	void (*started)(void *ctx, pid_t child);
	/* Every signal init receives, except SIGCHLD, before init acts on it.
	 * Return true to consume it: it is then neither forwarded nor taken
	 * as a request to stop.  (The issue wants SIGHUP forwarded, like
	 * every signal: consume only signals of your own.) */
	bool (*signal)(void *ctx, const struct signalfd_siginfo *si);
	/* Every reaped process that is not CMD.  Return true if it was yours
	 * (the forwarder, say); others are logged with --verbose. */
	bool (*reaped)(void *ctx, pid_t pid, int status);
	/* Before every poll: fill pf[0..max) (fd and events) and return how
	 * many; lower *timeout_ms (-1: none) if you need to be called back by
	 * then.  Do periodic work here. */
	size_t (*pollfds)(void *ctx, struct pollfd *pf, size_t max,
			  int *timeout_ms);
	/* After every poll that did not end init, with what pollfds filled in
	 * and revents set (all 0 on a timeout). */
	void (*events)(void *ctx, const struct pollfd *pf, size_t n);
	/* Called once before init_run returns, if boot succeeded (or there
	 * is no boot hook), with the exit code it will return. */
	void (*stop)(void *ctx, int exit_code);
};

/* Runs CMD (or nothing) as PID 1 until it exits, reaping every process and
 * forwarding every signal, and returns the code to exit with: CMD's status,
 * 128+N if a signal N killed it, 126 if it could not be executed, 127 if it
 * was not found, 1 if init could not set up (one line on stderr, CMD never
 * ran), 0 without CMD after SIGTERM or SIGINT.  Once CMD runs, failures are
 * logged and survived. */
int init_run(const struct init_opts *o, const struct init_hooks *h);

/* "net_admin,cap_net_raw,SYS_ADMIN,12" (names with or without cap_, any
 * case, or numbers): ORs their bits into *caps.  Returns -1 with a message
 * in err on an unknown name.  For --keep-caps and the config. */
int init_caps_parse(const char *list, uint64_t *caps, char *err, size_t errlen);
/* "net_admin" for 12, NULL for an unknown number. */
const char *init_cap_name(unsigned cap);

#endif
