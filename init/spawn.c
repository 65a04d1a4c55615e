/* Starting CMD: fork, prepare the child, exec.  The child reports a failure
 * through a close-on-exec pipe (as bubblewrap and catatonit do), so init
 * knows the exec errno, prints one line and picks 126 or 127; EOF on the
 * pipe means the exec succeeded. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "init_int.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define DEFAULT_PATH                                                           \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

struct spawn_report {
	int code;
	char msg[500];
};

/* In the child: tell init what went wrong, and go. */
__attribute__((noreturn, format(printf, 3, 4))) static void
child_fail(int fd, int code, const char *fmt, ...)
{
	struct spawn_report r = {.code = code};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r.msg, sizeof r.msg, fmt, ap);
	va_end(ap);
	ssize_t n;
	do
		n = write(fd, &r, sizeof r);
	while (n < 0 && errno == EINTR);
	_exit(code);
}

/* Every descriptor from lo up is closed at exec: whatever init or its hooks
 * hold (the signalfd, the forwarder's sockets, the error pipe until the exec
 * succeeds) stays out of CMD. */
static void cloexec_from(int lo)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lo, ~0U, CLOSE_RANGE_CLOEXEC) ==
	    0)
		return;
#endif
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			int fd = atoi(e->d_name);
			if (fd >= lo && fd != dirfd(d))
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		}
		closedir(d);
		return;
	}
	long max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (int fd = lo; fd < max; fd++)
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* execvp without glibc's fallback of running a file the kernel cannot
 * execute (ENOEXEC) with /bin/sh: like docker, CMD must be a real
 * executable or start with #!.  Returns the errno to report. */
static int exec_cmd(char **argv)
{
	const char *file = argv[0];
	if (*file == '\0')
		return ENOENT;
	if (strchr(file, '/')) {
		execve(file, argv, environ);
		return errno;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = DEFAULT_PATH;
	size_t flen = strlen(file);
	bool eacces = false;
	char buf[PATH_MAX];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);
		const char *cand = file; /* an empty entry is the cwd */
		if (dlen > 0 && dlen + 1 + flen < sizeof buf) {
			memcpy(buf, p, dlen);
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, file, flen + 1);
			cand = buf;
		}
		if (dlen == 0 || cand == buf) {
			execve(cand, argv, environ);
			switch (errno) {
			case EACCES:
				eacces = true;
				break;
			case ENOENT:
			case ENOTDIR:
			case ESTALE:
			case ENODEV:
			case ETIMEDOUT:
			case ELOOP:
			case ENAMETOOLONG:
				break;
			default:
				return errno;
			}
		}
		if (*end == '\0')
			break;
		p = end;
	}
	return eacces ? EACCES : ENOENT;
}

static void switch_user(const struct init_user *u, int fd)
{
	if (u->switch_ids) {
		if (setgroups(u->n_groups, u->groups) < 0)
			child_fail(fd, 1,
				   "cannot set the groups of user '%s': %s",
				   u->name, strerror(errno));
		if (setgid(u->gid) < 0)
			child_fail(fd, 1, "cannot set gid %u: %s",
				   (unsigned)u->gid, strerror(errno));
		if (setuid(u->uid) < 0)
			child_fail(fd, 1, "cannot set uid %u: %s",
				   (unsigned)u->uid, strerror(errno));
	}
	if (setenv("HOME", u->home, 1) < 0 || setenv("USER", u->name, 1) < 0 ||
	    setenv("LOGNAME", u->name, 1) < 0)
		child_fail(fd, 1, "cannot set HOME, USER and LOGNAME: %s",
			   strerror(errno));
}

__attribute__((noreturn)) static void child(const struct init_spawn *s, int fd)
{
	/* Its own process group, as tini does, so that a terminal's signals
	 * and --pgroup reach CMD and what it starts, not init.  Signals are
	 * still blocked here, so tcsetpgrp from the background does not stop
	 * us with SIGTTOU. */
	if (setpgid(0, 0) < 0)
		child_fail(fd, 1, "cannot give CMD its own process group: %s",
			   strerror(errno));
	if (s->take_tty && tcsetpgrp(STDIN_FILENO, getpgrp()) < 0)
		debug("cannot hand the terminal to CMD: %s", strerror(errno));

	/* A clean slate: a shell started in the background by another shell
	 * inherits SIGINT ignored, and could not even trap it. */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	cloexec_from(3);

	char err[512];
	if (s->drop_caps &&
	    init_caps_drop_bounding(s->drop_caps, err, sizeof err) < 0)
		child_fail(fd, 1, "%s", err);
	if (s->user->set)
		switch_user(s->user, fd);
	/* After the uid change: dropping CAP_SETUID first would forbid it. */
	if (s->drop_caps &&
	    init_caps_drop_sets(s->drop_caps, err, sizeof err) < 0)
		child_fail(fd, 1, "%s", err);

	if (chdir(s->cwd) < 0) {
		warn("cannot enter %s (%s): CMD starts in /", s->cwd,
		     strerror(errno));
		if (chdir("/") < 0)
			child_fail(fd, 1, "cannot enter /: %s",
				   strerror(errno));
	}
	sigprocmask(SIG_SETMASK, s->child_mask, NULL);
	int e = exec_cmd(s->argv);
	child_fail(fd, e == ENOENT ? 127 : 126, "cannot run '%s': %s",
		   s->argv[0], strerror(e));
}

pid_t init_spawn(const struct init_spawn *s, int *code)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		info("cannot start CMD: pipe: %s", strerror(errno));
		*code = 1;
		return -1;
	}
	fflush(NULL); /* nothing buffered may be written twice */
	pid_t pid = fork();
	if (pid < 0) {
		info("cannot start CMD: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		*code = 1;
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		child(s, p[1]);
	}
	close(p[1]);
	/* Also here, so that the group exists before a signal is forwarded
	 * to it; fails harmlessly once the child has exec'd. */
	setpgid(pid, pid);

	struct spawn_report r;
	ssize_t n;
	do
		n = read(p[0], &r, sizeof r);
	while (n < 0 && errno == EINTR);
	close(p[0]);
	/* EOF: exec succeeded, or the child was killed before it could say
	 * anything; the main loop reaps it either way. */
	if (n <= 0)
		return pid;
	if (n != (ssize_t)sizeof r) {
		r.code = 1;
		snprintf(r.msg, sizeof r.msg, "cannot start CMD");
	}
	r.msg[sizeof r.msg - 1] = '\0';
	info("%s", r.msg);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	*code = r.code;
	return -1;
}
