/* Shared by the nftables tests that need the kernel: each runs its checks
 * in a forked child inside a network namespace of its own, so the host is
 * never touched.  Needs root; skips without it, except in CI (CI=true),
 * where it fails.  `nft` and `ip` are used only to set up and cross-check. */
#ifndef CORRAL_NFT_TESTKERN_H
#define CORRAL_NFT_TESTKERN_H

#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tap.h"

static bool in_ci;
static bool have_nft;

/* Runs argv, returns its exit status and (malloc'd) standard output. */
static inline int run(char *const argv[], char **out)
{
	int p[2];
	*out = NULL;
	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(p[1], 1);
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0)
			dup2(devnull, 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	ssize_t n;
	while (buf && (n = read(p[0], buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 4096) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
		}
	}
	close(p[0]);
	if (buf)
		buf[len] = 0;
	*out = buf;
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Runs a command line given as words separated by single blanks (no
 * quoting), returns its status and, when out is not NULL, its output. */
__attribute__((format(printf, 2, 3))) static inline int
runf(char **out, const char *fmt, ...)
{
	char line[1024], *argv[32], *junk = NULL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	int n = 0;
	for (char *save, *w = strtok_r(line, " ", &save); w && n < 31;
	     w = strtok_r(NULL, " ", &save))
		argv[n++] = w;
	argv[n] = NULL;
	int rc = run(argv, out ? out : &junk);
	free(junk);
	return rc;
}

static inline char *nft_list(const char *what)
{
	char *out;
	int rc = strcmp(what, "table") == 0
		     ? runf(&out, "nft list table inet corral")
		     : runf(&out, "nft list %s", what);
	if (rc != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static inline double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int cannot_run(const char *why)
{
	if (in_ci) {
		printf("not ok 1 - %s (CI=true: a test that cannot run fails)\n"
		       "1..1\n",
		       why);
		return 1;
	}
	printf("1..0 # SKIP %s\n", why);
	return 0;
}

/* Runs body() in a child in a new network namespace; its TAP result. */
static inline int in_netns(void (*body)(void))
{
	const char *ci = getenv("CI");
	in_ci = ci && strcmp(ci, "true") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		return cannot_run(
		    "needs root (a network namespace of its own)");
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return cannot_run("fork failed");
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(cannot_run("unshare(CLONE_NEWNET) failed"));
		have_nft = runf(NULL, "nft --version") == 0;
		if (!have_nft) {
			ok(!in_ci,
			   "nft (nftables) is installed for the cross-checks");
			printf("# nft not found: cross-checks skipped\n");
		}
		body();
		fflush(stdout);
		_exit(tap_done());
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

#endif
