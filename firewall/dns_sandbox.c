/* The forwarder's sandbox: it parses packets from the network, so it runs
 * as an unprivileged user, with no capability, no fd it does not need,
 * and a seccomp allowlist of the few syscalls its loop makes.  Anything
 * else (socket, open, execve, fork, ptrace, ...) kills the process with
 * SIGSYS.  Failing to set any of this up ends the process: the forwarder
 * never runs unsandboxed.
 *
 * The allowlist (arguments checked where it matters):
 *   I/O on fds it has:   read write recvfrom recvmsg sendto connect
 *                        accept4 close
 *   fcntl                F_GETFL and F_SETFL only (O_NONBLOCK on TCP)
 *   epoll                epoll_wait epoll_pwait epoll_pwait2 epoll_ctl
 *   time, randomness     clock_gettime getrandom
 *   memory (malloc)      brk munmap mremap madvise; mmap and mprotect
 *                        without PROT_EXEC
 *   the rest             rt_sigreturn restart_syscall exit exit_group
 * (send and recv are sendto and recvfrom in the kernel; a syscall missing
 * on an architecture, like epoll_wait on arm64, is skipped.)
 * Sanitizer builds (ASan/UBSan) add what their runtime needs to report an
 * error (see sanitizer_extra); release builds never have them. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "dns_fwd.h"

#define NOBODY 65534

#if defined(__SANITIZE_ADDRESS__)
#define CORRAL_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) ||                                        \
    __has_feature(undefined_behavior_sanitizer)
#define CORRAL_SANITIZED 1
#endif
#endif

static const char *const allowed[] = {
    "read",	     "write",		"recvfrom",
    "recvmsg",	     "sendto",		"connect",
    "accept4",	     "close",		"epoll_wait",
    "epoll_pwait",   "epoll_pwait2",	"epoll_ctl",
    "clock_gettime", "clock_gettime64", "getrandom",
    "brk",	     "munmap",		"mremap",
    "madvise",	     "rt_sigreturn",	"restart_syscall",
    "exit",	     "exit_group",
};

#ifdef CORRAL_SANITIZED
/* ASan's allocator maps and protects memory as it likes, and its runtime
 * needs these to print a report and abort. */
static const char *const sanitizer_extra[] = {
    "mmap",	      "mprotect",    "sigaltstack", "rt_sigaction",
    "rt_sigprocmask", "getpid",	     "gettid",	    "tgkill",
    "tkill",	      "sched_yield", "futex",	    "prctl",
    "getppid",	      "fcntl",	     "nanosleep",   "clock_nanosleep",
    "readlink",	      "readlinkat",  "ioctl",	    "pipe",
    "pipe2",
};
/* ... and they try to read /proc/self/maps and the binary, and to find a
 * symbolizer: refused with EPERM rather than killed, so the report still
 * comes out (without symbols: module+offset). */
static const char *const sanitizer_refused[] = {
    "open",	  "openat", "stat",	 "lstat",
    "newfstatat", "access", "faccessat", "faccessat2",
};
#endif

__attribute__((noreturn, format(printf, 1, 2))) static void
fail(const char *fmt, ...);

static void fail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_msg(NULL, "DNS forwarder sandbox: %s", buf);
	_exit(1);
}

static void close_range_slow(unsigned lo, unsigned hi)
{
	struct rlimit rl;
	unsigned max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20))
		max = (unsigned)rl.rlim_cur;
	for (unsigned fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

static void close_between(unsigned lo, unsigned hi)
{
	if (lo > hi)
		return;
#ifdef SYS_close_range
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
#endif
	close_range_slow(lo, hi);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* Closes every fd but 0-2 and keep[]: nothing of the privileged parent
 * (netlink sockets, config files) stays reachable. */
static void close_others(const int *keep, size_t n)
{
	int k[32];
	size_t m = 0;
	for (size_t i = 0; i < n && m < sizeof k / sizeof *k; i++)
		if (keep[i] > 2)
			k[m++] = keep[i];
	qsort(k, m, sizeof *k, cmp_int);
	unsigned lo = 3;
	for (size_t i = 0; i < m; i++) {
		if ((unsigned)k[i] > lo)
			close_between(lo, (unsigned)k[i] - 1);
		if ((unsigned)k[i] + 1 > lo)
			lo = (unsigned)k[i] + 1;
	}
	close_between(lo, ~0u);
}

static void drop_privileges(const char *user)
{
	uid_t uid = NOBODY;
	gid_t gid = NOBODY;
	if (user) {
		struct passwd *pw = getpwnam(user);
		if (pw) {
			uid = pw->pw_uid;
			gid = pw->pw_gid;
		} else {
			warn("user %s not found: running the DNS forwarder as "
			     "%d:%d",
			     user, NOBODY, NOBODY);
		}
	}
	if (uid == 0 || gid == 0)
		fail("refusing to run as user %s (uid %u, gid %u): name an "
		     "unprivileged user",
		     user ? user : "?", (unsigned)uid, (unsigned)gid);
	/* Already unprivileged (tests as a user): nothing to switch; the
	 * checks below still hold. */
	if (geteuid() == 0) {
		if (setgroups(0, NULL) < 0)
			fail("setgroups: %s", strerror(errno));
		if (setresgid(gid, gid, gid) < 0)
			fail("setresgid(%u): %s", (unsigned)gid,
			     strerror(errno));
		if (setresuid(uid, uid, uid) < 0)
			fail("setresuid(%u): %s", (unsigned)uid,
			     strerror(errno));
	}
	uid_t r, e, s;
	gid_t gr, ge, gs;
	if (getresuid(&r, &e, &s) < 0 || getresgid(&gr, &ge, &gs) < 0)
		fail("getresuid: %s", strerror(errno));
	if (!r || !e || !s || !gr || !ge || !gs)
		fail("still uid %u/%u/%u gid %u/%u/%u after dropping "
		     "privileges",
		     (unsigned)r, (unsigned)e, (unsigned)s, (unsigned)gr,
		     (unsigned)ge, (unsigned)gs);
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capget, &h, d) < 0)
		fail("capget: %s", strerror(errno));
	if (d[0].effective || d[1].effective || d[0].permitted ||
	    d[1].permitted)
		fail("capabilities left after dropping privileges "
		     "(permitted %08x%08x)",
		     d[1].permitted, d[0].permitted);
}

static void allow(scmp_filter_ctx ctx, const char *name, unsigned n,
		  const struct scmp_arg_cmp *arg)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr < 0) /* not a syscall of this architecture */
		return;
	int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, arg);
	if (rc < 0)
		fail("seccomp rule for %s: %s", name, strerror(-rc));
}

static scmp_filter_ctx build_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		fail("seccomp_init failed");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
				  SCMP_ACT_KILL_PROCESS);
	if (rc < 0)
		fail("seccomp bad-arch action: %s", strerror(-rc));
	for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
		allow(ctx, allowed[i], 0, NULL);
#ifdef CORRAL_SANITIZED
	for (size_t i = 0; i < sizeof sanitizer_extra / sizeof *sanitizer_extra;
	     i++)
		allow(ctx, sanitizer_extra[i], 0, NULL);
	for (size_t i = 0;
	     i < sizeof sanitizer_refused / sizeof *sanitizer_refused; i++) {
		int nr = seccomp_syscall_resolve_name(sanitizer_refused[i]);
		if (nr >= 0 && (rc = seccomp_rule_add(
				    ctx, SCMP_ACT_ERRNO(EPERM), nr, 0)) < 0)
			fail("seccomp rule for %s: %s", sanitizer_refused[i],
			     strerror(-rc));
	}
#else
	const struct scmp_arg_cmp noexec = {2, SCMP_CMP_MASKED_EQ, PROT_EXEC,
					    0};
	allow(ctx, "mmap", 1, &noexec);
	allow(ctx, "mmap2", 1, &noexec);
	allow(ctx, "mprotect", 1, &noexec);
	const struct scmp_arg_cmp getfl = {1, SCMP_CMP_EQ, F_GETFL, 0};
	const struct scmp_arg_cmp setfl = {1, SCMP_CMP_EQ, F_SETFL, 0};
	allow(ctx, "fcntl", 1, &getfl);
	allow(ctx, "fcntl", 1, &setfl);
#endif
	return ctx;
}

void dns_fwd_sandbox(const char *run_as_user, pid_t expected_ppid,
		     const int *keep_fds, size_t n_keep)
{
	/* Built while malloc and friends can still do anything. */
	scmp_filter_ctx ctx = build_filter();
	drop_privileges(run_as_user);
	close_others(keep_fds, n_keep);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		fail("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		fail("PR_SET_DUMPABLE: %s", strerror(errno));
	/* After the uid change, which clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		fail("PR_SET_PDEATHSIG: %s", strerror(errno));
	if (getppid() != expected_ppid)
		_exit(0); /* the parent died before the signal was set */
	int rc = seccomp_load(ctx);
	if (rc < 0)
		fail("cannot install the seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
}
