/* corral probe: the checks that are not about namespaces (bwrap itself,
 * no_new_privs, seccomp) and the order in which all of them run.  Every
 * attempt happens in a short-lived child, so that nothing the probe tries
 * sticks to the caller (corral init is PID 1). */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_int.h"

#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

double probe_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void probe_set(char *field, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(field, len, fmt, ap);
	va_end(ap);
}

struct probe_check *probe_add(struct probe_result *r, const char *name,
			      bool needed)
{
	if (r->n_checks >= PROBE_MAX_CHECKS)
		return NULL;
	struct probe_check *c = &r->checks[r->n_checks++];
	memset(c, 0, sizeof *c);
	c->name = name;
	c->ok = true;
	c->needed = needed;
	return c;
}

int probe_reap(int pid, double deadline_ms)
{
	int status;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (probe_now_ms() >= deadline_ms)
			break;
		struct timespec ts = {0, 200 * 1000};
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* A child of the probe starts clean: init blocks the signals it reads from
 * its signalfd, and its descriptors are not for the tools we run. */
static void child_reset(void)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
#ifdef SYS_close_range
	syscall(SYS_close_range, 3U, ~0U, 0U);
#endif
}

/* Runs argv with stdout and stderr in out (the first outlen-1 bytes).
 * Returns the wait status, or -1 if it could not run or was killed. */
static int run_capture(char *const argv[], char *out, size_t outlen)
{
	out[0] = '\0';
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	double deadline = probe_now_ms() + PROBE_CHILD_TIMEOUT_MS;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		child_reset();
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	size_t off = 0;
	for (;;) {
		int left = (int)(deadline - probe_now_ms());
		struct pollfd pf = {.fd = fds[0], .events = POLLIN};
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			break;
		char buf[256];
		ssize_t n = read(fds[0], buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		size_t take =
		    (size_t)n < outlen - 1 - off ? (size_t)n : outlen - 1 - off;
		memcpy(out + off, buf, take);
		off += take;
	}
	out[off] = '\0';
	close(fds[0]);
	return probe_reap(pid, deadline);
}

/* bwrap_path, or the first executable bwrap on PATH. */
static bool find_bwrap(const char *bwrap_path, char *out, size_t len)
{
	if (bwrap_path && *bwrap_path) {
		snprintf(out, len, "%s", bwrap_path);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = DEFAULT_PATH;
	for (const char *p = path;;) {
		const char *end = strchrnul(p, ':');
		if (end > p && (size_t)(end - p) + sizeof "/bwrap" <= len) {
			snprintf(out, len, "%.*s/bwrap", (int)(end - p), p);
			struct stat st;
			if (stat(out, &st) == 0 && S_ISREG(st.st_mode) &&
			    access(out, X_OK) == 0)
				return true;
		}
		if (*end == '\0')
			return false;
		p = end + 1;
	}
}

static void check_bwrap(struct probe_result *r, char *path, bool found)
{
	struct probe_check *c = probe_add(r, "bwrap", true);
	struct probe_check *suid = probe_add(r, "bwrap-setuid", false);
	if (!c || !suid)
		return;
	if (!found) {
		c->ok = false;
		PROBE_SET(c->detail, "no bwrap on PATH");
		PROBE_SET(c->fix,
			  "install bubblewrap (apt-get install bubblewrap) "
			  "in the image");
		suid->ok = false;
		suid->skipped = true;
		PROBE_SET(suid->detail, "not attempted: no bwrap");
		return;
	}
	char out[256];
	char *argv[] = {path, (char *)"--version", NULL};
	int status = run_capture(argv, out, sizeof out);
	out[strcspn(out, "\n")] = '\0';
	if (status != 0) {
		c->ok = false;
		PROBE_SET(c->detail, "%s --version failed: %s", path,
			  out[0] ? out : "no output");
		PROBE_SET(c->fix, "reinstall bubblewrap");
	} else {
		const char *v =
		    strncmp(out, "bubblewrap ", 11) == 0 ? out + 11 : out;
		PROBE_SET(c->detail, "%s, version %s", path, v);
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0) {
		suid->ok = false;
		PROBE_SET(suid->detail, "setuid root: it nests without user "
					"namespaces, as a privileged program");
		PROBE_SET(suid->fix,
			  "prefer the unprivileged bwrap (chmod u-s %s)", path);
	} else {
		PROBE_SET(suid->detail,
			  "not setuid: it relies on user namespaces");
	}
}

/* Runs fn in a child; its exit code is 0 or the errno of what failed. */
static int in_child(int (*fn)(void))
{
	double deadline = probe_now_ms() + PROBE_CHILD_TIMEOUT_MS;
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		child_reset();
		_exit(fn());
	}
	int status = probe_reap(pid, deadline);
	if (status < 0)
		return ETIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

static int try_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : EINVAL;
}

/* The filter must really filter: getppid answers EXDEV once it is in. */
#define SECCOMP_NOT_ENFORCED 200
static int try_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return ENOMEM;
	int rc =
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EXDEV), SCMP_SYS(getppid), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return -rc;
	errno = 0;
	long v = syscall(SYS_getppid);
	return v == -1 && errno == EXDEV ? 0 : SECCOMP_NOT_ENFORCED;
}

static void check_nnp_seccomp(struct probe_result *r, const struct probe_env *e)
{
	struct probe_check *nnp = probe_add(r, "no-new-privs", true);
	if (nnp) {
		int err = in_child(try_no_new_privs);
		if (err)
			probe_explain(nnp, e, "prctl(PR_SET_NO_NEW_PRIVS)",
				      err);
		else
			PROBE_SET(nnp->detail, "can be set%s",
				  e->no_new_privs ? " (already set here: "
						    "no-new-privileges)"
						  : "");
	}
	struct probe_check *sc = probe_add(r, "seccomp", true);
	if (sc) {
		int err = in_child(try_seccomp);
		if (err == SECCOMP_NOT_ENFORCED) {
			sc->ok = false;
			PROBE_SET(sc->detail,
				  "a filter loaded but did not filter");
			PROBE_SET(sc->fix,
				  "check the kernel's seccomp support");
		} else if (err) {
			probe_explain(sc, e, "seccomp filter", err);
		} else {
			PROBE_SET(sc->detail, "a filter installs and filters");
		}
	}
}

/* The last word: bwrap itself builds a sandbox like the agents' and runs
 * true in it. */
static void check_bwrap_run(struct probe_result *r, char *path, bool found)
{
	struct probe_check *c = probe_add(r, "bwrap-run", true);
	if (!c)
		return;
	if (!found) {
		c->ok = false;
		c->skipped = true;
		PROBE_SET(c->detail, "not attempted: no bwrap");
		return;
	}
	char *argv[] = {path,
			(char *)"--unshare-all",
			(char *)"--unshare-user",
			(char *)"--die-with-parent",
			(char *)"--new-session",
			(char *)"--ro-bind",
			(char *)"/",
			(char *)"/",
			(char *)"--proc",
			(char *)"/proc",
			(char *)"--dev",
			(char *)"/dev",
			(char *)"--chdir",
			(char *)"/",
			(char *)"--",
			(char *)"true",
			NULL};
	char out[256];
	int status = run_capture(argv, out, sizeof out);
	out[strcspn(out, "\n")] = '\0';
	if (status == 0) {
		PROBE_SET(c->detail, "bwrap --unshare-all --ro-bind / / --proc "
				     "--dev ran true");
		return;
	}
	c->ok = false;
	PROBE_SET(c->detail, "%s",
		  out[0]       ? out
		  : status < 0 ? "bwrap hung and was killed"
			       : "bwrap failed");
	PROBE_SET(c->fix, "fix the failed checks above");
}

void probe_run(struct probe_result *r, const char *bwrap_path)
{
	double t0 = probe_now_ms();
	memset(r, 0, sizeof *r);
	struct probe_env e;
	probe_env_read(&e);
	char path[PATH_MAX];
	bool found = find_bwrap(bwrap_path, path, sizeof path);
	check_bwrap(r, path, found);
	probe_namespaces(r, &e);
	check_nnp_seccomp(r, &e);
	check_bwrap_run(r, path, found);
	r->nested = probe_blocker(r) == NULL;
	r->elapsed_ms = probe_now_ms() - t0;
}

const struct probe_check *probe_blocker(const struct probe_result *r)
{
	for (size_t i = 0; i < r->n_checks; i++)
		if (r->checks[i].needed && !r->checks[i].ok)
			return &r->checks[i];
	return NULL;
}
