/* init_run: PID 1's one loop.  Every signal init may receive is blocked and
 * read from a signalfd: SIGCHLD reaps every process that has exited, the
 * rest are forwarded to CMD.  The hooks' descriptors share the same poll.
 * Once CMD runs, nothing here exits early: errors are logged and survived. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "init.h"
#include "init_int.h"

struct init {
	const struct init_opts *o;
	const struct init_hooks *h;
	int sfd;
	pid_t child; /* 0: no CMD */
	int code;    /* the exit code, once decided */
	bool done;
};

/* Faults the kernel raises because init itself went wrong: blocking them
 * would not stop them, and forwarding them would be a lie. */
static const int fault_signals[] = {SIGFPE,  SIGILL,  SIGSEGV, SIGBUS,
				    SIGABRT, SIGTRAP, SIGSYS};

static int block_signals(sigset_t *orig)
{
	sigset_t all;
	sigfillset(&all);
	for (size_t i = 0; i < sizeof fault_signals / sizeof *fault_signals;
	     i++)
		sigdelset(&all, fault_signals[i]);
	if (sigprocmask(SIG_SETMASK, &all, orig) < 0) {
		info("cannot block signals: %s", strerror(errno));
		return -1;
	}
	int fd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		info("cannot create a signalfd: %s", strerror(errno));
	return fd;
}

/* A closed 0, 1 or 2 would be taken by the next descriptor init opens and
 * handed to CMD as its stdin or stdout. */
static void fill_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", O_RDWR) < 0)
			break;
}

static void become_reaper(void)
{
	if (getpid() == 1)
		return;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		warn("not PID 1, and cannot become a child subreaper (%s): "
		     "orphans will not be reaped",
		     strerror(errno));
	else if (log_verbose)
		warn("not PID 1 (pid %d): registered as a child subreaper, "
		     "so orphans are still reaped",
		     (int)getpid());
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static void reap(struct init *in)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid == 0)
			return;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				warn("waitpid: %s", strerror(errno));
			return;
		}
		if (in->child > 0 && pid == in->child) {
			in->code = exit_code(status);
			in->done = true;
			debug("CMD (pid %d) ended: exit code %d", (int)pid,
			      in->code);
			continue;
		}
		if (in->h->reaped && in->h->reaped(in->h->ctx, pid, status))
			continue;
		debug("reaped pid %d (status %#x)", (int)pid, status);
	}
}

/* Signals init brought on itself: SIGPIPE or SIGXFSZ from its own writes
 * (the kernel sends them as if from init), SIGTTIN or SIGTTOU from the
 * terminal.  They concern init, not CMD. */
static bool self_inflicted(const struct signalfd_siginfo *si)
{
	switch (si->ssi_signo) {
	case SIGTTIN:
	case SIGTTOU:
		return si->ssi_code == SI_KERNEL;
	case SIGPIPE:
	case SIGXFSZ:
		return si->ssi_code == SI_USER &&
		       (pid_t)si->ssi_pid == getpid();
	default:
		return false;
	}
}

static void on_signal(struct init *in, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	if (in->h->signal && in->h->signal(in->h->ctx, si))
		return;
	if (self_inflicted(si)) {
		debug("not forwarding signal %d (%s): init caused it", sig,
		      strsignal(sig));
		return;
	}
	if (in->child == 0) {
		if (sig == SIGTERM || sig == SIGINT) {
			debug("stopping on signal %d (%s)", sig,
			      strsignal(sig));
			in->code = 0;
			in->done = true;
		} else {
			debug("ignoring signal %d (%s): no CMD", sig,
			      strsignal(sig));
		}
		return;
	}
	pid_t target = in->o->pgroup ? -in->child : in->child;
	debug("forwarding signal %d (%s) to %s %d", sig, strsignal(sig),
	      in->o->pgroup ? "process group" : "pid", (int)in->child);
	if (kill(target, sig) < 0 && errno != ESRCH)
		warn("cannot forward signal %d (%s) to CMD: %s", sig,
		     strsignal(sig), strerror(errno));
}

/* Forwards first, then reaps: CMD's pid is never reused between the two. */
static void read_signals(struct init *in)
{
	bool chld = false;
	struct signalfd_siginfo si;
	for (;;) {
		ssize_t n = read(in->sfd, &si, sizeof si);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof si) {
			if (n < 0 && errno != EAGAIN)
				warn("reading the signalfd: %s",
				     strerror(errno));
			break;
		}
		if (si.ssi_signo == SIGCHLD)
			chld = true;
		else
			on_signal(in, &si);
	}
	if (chld)
		reap(in);
}

static void loop(struct init *in)
{
	const struct init_hooks *h = in->h;
	while (!in->done) {
		struct pollfd pf[1 + INIT_MAX_HOOK_FDS];
		pf[0] = (struct pollfd){.fd = in->sfd, .events = POLLIN};
		int timeout = -1;
		size_t n = 0;
		if (h->pollfds) {
			n = h->pollfds(h->ctx, pf + 1, INIT_MAX_HOOK_FDS,
				       &timeout);
			if (n > INIT_MAX_HOOK_FDS)
				n = INIT_MAX_HOOK_FDS;
		}
		for (size_t i = 1; i <= n; i++)
			pf[i].revents = 0;
		if (poll(pf, 1 + n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			warn("poll: %s", strerror(errno));
			/* Survive, but do not spin. */
			nanosleep(&(struct timespec){.tv_nsec = 100000000},
				  NULL);
			continue;
		}
		if (pf[0].revents)
			read_signals(in);
		if (!in->done && h->events)
			h->events(h->ctx, pf + 1, n);
	}
}

static char *current_dir(void)
{
	char *cwd = getcwd(NULL, 0);
	if (!cwd) {
		debug("the working directory is gone (%s): CMD starts in /",
		      strerror(errno));
		cwd = strdup("/");
	}
	return cwd;
}

/* Between boot and the loop: start CMD, or say there is none. */
static void start(struct init *in, const struct init_user *u,
		  const sigset_t *orig, const char *cwd)
{
	const struct init_hooks *h = in->h;
	if (!(in->o->argv && in->o->argv[0])) {
		if (h->started)
			h->started(h->ctx, 0);
		return;
	}
	/* Hand the terminal on only if init has it: started in the
	 * background, init must not steal it from the shell. */
	bool take_tty =
	    isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
	struct init_spawn s = {
	    .argv = in->o->argv,
	    .user = u,
	    .drop_caps = in->o->drop_caps,
	    .child_mask = orig,
	    .cwd = cwd,
	    .take_tty = take_tty,
	};
	pid_t pid = init_spawn(&s, &in->code);
	if (pid < 0) {
		in->done = true;
		return;
	}
	in->child = pid;
	debug("CMD %s started: pid %d", in->o->argv[0], (int)pid);
	if (h->started)
		h->started(h->ctx, pid);
}

int init_run(const struct init_opts *o, const struct init_hooks *hooks)
{
	static const struct init_hooks none;
	struct init in = {.o = o, .h = hooks ? hooks : &none, .code = 1};
	const struct init_hooks *h = in.h;
	bool have_cmd = o->argv && o->argv[0];

	fill_std_fds();
	sigset_t orig;
	in.sfd = block_signals(&orig);
	if (in.sfd < 0)
		return 1;
	become_reaper();

	char err[512];
	struct init_user u;
	if (init_user_lookup(o->user, &u, err, sizeof err) < 0 ||
	    (have_cmd && init_caps_check(o->drop_caps, err, sizeof err) < 0)) {
		info("%s", err);
		init_user_free(&u);
		close(in.sfd);
		return 1;
	}
	char *cwd = current_dir();
	if (!cwd || (h->boot && h->boot(h->ctx) < 0)) {
		if (!cwd)
			info("out of memory");
		free(cwd);
		init_user_free(&u);
		close(in.sfd);
		return 1;
	}

	start(&in, &u, &orig, cwd);
	loop(&in);

	if (h->stop)
		h->stop(h->ctx, in.code);
	free(cwd);
	init_user_free(&u);
	close(in.sfd);
	/* The mask stays: a pending SIGTERM must not kill init on its way out
	 * with a code other than CMD's. */
	return in.code;
}
