/* init_run's hooks, as the firewall will use them, and --keep-caps names.
 * Each init_run runs in a forked process of its own: it blocks signals and
 * becomes a subreaper, which must not leak into the test. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../init/init.h"
#include "tap.h"

/* What the hooks saw, in memory shared with the test. */
struct seen {
	int calls;		 /* order counter */
	int boot, started, stop; /* order of each call, 0 if never */
	pid_t child;
	int stop_code;
	pid_t helper;
	int helper_status;
	bool helper_reaped;
	int events_with_data;
	int pollfds_calls;
	int usr1;
	int ret; /* what init_run returned */
};

static struct seen *seen;
static int hook_pipe[2] = {-1, -1};
static bool boot_fails;

static int h_boot(void *ctx)
{
	(void)ctx;
	seen->boot = ++seen->calls;
	if (boot_fails)
		return -1;
	/* A process of the hooks' own, like the forwarder. */
	pid_t p = fork();
	if (p == 0)
		_exit(9);
	seen->helper = p;
	if (pipe2(hook_pipe, O_CLOEXEC) < 0 || write(hook_pipe[1], "x", 1) != 1)
		return -1;
	return 0;
}

static void h_started(void *ctx, pid_t child)
{
	(void)ctx;
	seen->started = ++seen->calls;
	seen->child = child;
}

static bool h_reaped(void *ctx, pid_t pid, int status)
{
	(void)ctx;
	if (pid != seen->helper)
		return false;
	seen->helper_reaped = true;
	seen->helper_status = status;
	return true;
}

static size_t h_pollfds(void *ctx, struct pollfd *pf, size_t max,
			int *timeout_ms)
{
	(void)ctx;
	(void)max;
	if (seen->pollfds_calls++ == 0) {
		/* A write to a pipe nobody reads: SIGPIPE, which is init's,
		 * not CMD's. */
		int p[2];
		if (pipe(p) == 0) {
			close(p[0]);
			if (write(p[1], "x", 1) < 0 && errno != EPIPE)
				seen->ret = -100;
			close(p[1]);
		}
	}
	*timeout_ms = 1000;
	pf[0] = (struct pollfd){.fd = hook_pipe[0], .events = POLLIN};
	return 1;
}

static void h_events(void *ctx, const struct pollfd *pf, size_t n)
{
	(void)ctx;
	char c;
	if (n == 1 && (pf[0].revents & POLLIN) && read(pf[0].fd, &c, 1) == 1)
		seen->events_with_data++;
}

static void h_stop(void *ctx, int code)
{
	(void)ctx;
	seen->stop = ++seen->calls;
	seen->stop_code = code;
}

/* Without CMD: the first poll raises SIGUSR1, which the signal hook
 * consumes and answers with SIGTERM, which stops init. */
static size_t h_pollfds_nocmd(void *ctx, struct pollfd *pf, size_t max,
			      int *timeout_ms)
{
	(void)ctx;
	(void)pf;
	(void)max;
	if (seen->pollfds_calls++ == 0)
		kill(getpid(), SIGUSR1);
	*timeout_ms = 1000;
	return 0;
}

static bool h_signal(void *ctx, const struct signalfd_siginfo *si)
{
	(void)ctx;
	if (si->ssi_signo != SIGUSR1)
		return false;
	seen->usr1++;
	kill(getpid(), SIGTERM);
	return true;
}

static void run_forked(const struct init_opts *o, const struct init_hooks *h)
{
	memset(seen, 0, sizeof *seen);
	fflush(stdout); /* or the child would print it again */
	pid_t p = fork();
	if (p == 0) {
		int r = init_run(o, h);
		if (seen->ret == 0)
			seen->ret = r;
		fflush(NULL);
		_exit(0);
	}
	int st;
	waitpid(p, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "init_run returned");
}

static void test_hooks_with_cmd(void)
{
	char *argv[] = {"sh", "-c", "sleep 0.3; exit 5", NULL};
	struct init_opts o = {.argv = argv, .drop_caps = 0};
	struct init_hooks h = {.boot = h_boot,
			       .started = h_started,
			       .reaped = h_reaped,
			       .pollfds = h_pollfds,
			       .events = h_events,
			       .stop = h_stop};
	boot_fails = false;
	run_forked(&o, &h);
	is_int(seen->ret, 5,
	       "init_run returns CMD's status (SIGPIPE of init's own not "
	       "forwarded)");
	ok(seen->boot == 1 && seen->started == 2 && seen->stop == 3,
	   "boot, started, stop, in that order (%d %d %d)", seen->boot,
	   seen->started, seen->stop);
	ok(seen->child > 0, "started gets CMD's pid");
	is_int(seen->stop_code, 5, "stop gets the exit code");
	ok(seen->helper_reaped && WIFEXITED(seen->helper_status) &&
	       WEXITSTATUS(seen->helper_status) == 9,
	   "reaped gets the hooks' own process with its status");
	is_int(seen->events_with_data, 1,
	       "events sees the hook's descriptor readable");
	ok(seen->pollfds_calls >= 2, "pollfds is called before every poll");
}

static void test_boot_fails(void)
{
	char *argv[] = {"sh", "-c", "exit 0", NULL};
	struct init_opts o = {.argv = argv};
	struct init_hooks h = {
	    .boot = h_boot, .started = h_started, .stop = h_stop};
	boot_fails = true;
	run_forked(&o, &h);
	boot_fails = false;
	is_int(seen->ret, 1, "a failed boot makes init_run return 1");
	ok(seen->started == 0 && seen->stop == 0,
	   "and neither started nor stop is called");
}

static void test_exec_fails(void)
{
	char *argv[] = {"/nonexistent/corral-test", NULL};
	struct init_opts o = {.argv = argv};
	struct init_hooks h = {.started = h_started, .stop = h_stop};
	run_forked(&o, &h);
	is_int(seen->ret, 127, "a CMD that is not found: 127");
	ok(seen->started == 0, "started is not called when CMD never ran");
	is_int(seen->stop_code, 127, "stop is, with 127");
}

static void test_no_cmd(void)
{
	struct init_opts o = {0};
	struct init_hooks h = {.started = h_started,
			       .signal = h_signal,
			       .pollfds = h_pollfds_nocmd,
			       .stop = h_stop};
	run_forked(&o, &h);
	is_int(seen->ret, 0, "without CMD, SIGTERM ends init with 0");
	ok(seen->started == 1 && seen->child == 0, "started(0) without CMD");
	is_int(seen->usr1, 1, "the signal hook sees SIGUSR1 and consumes it");
	is_int(seen->stop_code, 0, "stop gets 0");
}

static void test_caps_parse(void)
{
	char err[256];
	uint64_t c = 0;
	ok(init_caps_parse("net_admin", &c, err, sizeof err) == 0 &&
	       c == INIT_CAP_BIT(12),
	   "net_admin is 12");
	c = 0;
	ok(init_caps_parse("CAP_NET_RAW, sys_admin,0", &c, err, sizeof err) ==
		   0 &&
	       c == (INIT_CAP_BIT(13) | INIT_CAP_BIT(21) | INIT_CAP_BIT(0)),
	   "names with cap_, any case, spaces, numbers");
	c = 0;
	ok(init_caps_parse("net_admin,frobnicate", &c, err, sizeof err) < 0,
	   "an unknown name is an error");
	ok(strstr(err, "'frobnicate'") != NULL, "naming it: %s", err);
	ok(init_caps_parse("", &c, err, sizeof err) < 0, "empty is an error");
	ok(init_caps_parse("net_admin,", &c, err, sizeof err) < 0,
	   "a trailing comma is an error");
	ok(init_caps_parse("64", &c, err, sizeof err) < 0, "64 is an error");
	is_str(init_cap_name(21), "sys_admin", "name of 21");
	ok(init_cap_name(63) == NULL, "no name for 63");
	is_int(INIT_DEFAULT_DROP_CAPS,
	       INIT_CAP_BIT(12) | INIT_CAP_BIT(13) | INIT_CAP_BIT(21),
	       "the default drops net_admin, net_raw, sys_admin");
}

int main(void)
{
	seen = mmap(NULL, sizeof *seen, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seen == MAP_FAILED)
		return 1;
	test_caps_parse();
	test_hooks_with_cmd();
	test_boot_fails();
	test_exec_fails();
	test_no_cmd();
	return tap_done();
}
