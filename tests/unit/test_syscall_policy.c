/* The one syscall policy: every name in the table is a syscall libseccomp
 * knows; the sandbox filter, loaded in a forked child, refuses what it
 * must and allows a harmless call; the container profile is Docker's
 * default plus the namespace syscalls, with io_uring refused. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../sandbox/sandbox.h"
#include "../../sandbox/syscall_policy.h"
#include "tap.h"

static void names_resolve(void)
{
	size_t bad = 0, total = 0;
	for (size_t i = 0; i < sp_n_rules; i++)
		for (const char *const *n = sp_rules[i].names; *n; n++) {
			total++;
			if (seccomp_syscall_resolve_name(*n) ==
			    __NR_SCMP_ERROR) {
				printf("# unknown syscall: %s\n", *n);
				bad++;
			}
		}
	ok(total > 300 && bad == 0,
	   "all %zu names in the table are syscalls "
	   "libseccomp knows",
	   total);
}

/* Runs call() in a child under the sandbox filter; returns the errno it
 * saw (0: the call succeeded), or -1 when the child could not load the
 * filter. */
static int under_filter(bool network, long (*call)(void))
{
	int fd = sandbox_filter_fd(network);
	if (fd < 0)
		return -1;
	struct sock_filter prog[4096];
	ssize_t n = read(fd, prog, sizeof prog);
	close(fd);
	if (n <= 0 || n % (ssize_t)sizeof prog[0])
		return -1;
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return -1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct sock_fprog fprog = {
		    .len = (unsigned short)(n / (ssize_t)sizeof prog[0]),
		    .filter = prog,
		};
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0)
			_exit(99);
		errno = 0;
		int err = call() < 0 ? errno : 0;
		if (write(pipefd[1], &err, sizeof err) != sizeof err)
			_exit(98);
		_exit(0);
	}
	close(pipefd[1]);
	int err = -1, status = 0;
	if (read(pipefd[0], &err, sizeof err) != sizeof err)
		err = -1;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return err;
}

static long call_getpid(void)
{
	return syscall(SYS_getpid);
}
static long call_ptrace(void)
{
	return syscall(SYS_ptrace, 2 /* PEEKDATA */, -1, 0, 0);
}
static long call_bpf(void)
{
	return syscall(SYS_bpf, -1, NULL, 0);
}
static long call_keyctl(void)
{
	return syscall(SYS_keyctl, -1, 0, 0, 0, 0);
}
static long call_io_uring(void)
{
	return syscall(SYS_io_uring_setup, 0, NULL);
}
static long call_userfaultfd(void)
{
	return syscall(SYS_userfaultfd, -1);
}
static long call_unshare(void)
{
	return syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */);
}
static long call_clone3(void)
{
	return syscall(SYS_clone3, NULL, 0);
}
static long sock_unix(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0);
}
static long sock_inet(void)
{
	return socket(AF_INET, SOCK_STREAM, 0);
}
static long sock_packet(void)
{
	return socket(AF_PACKET, SOCK_RAW, 0);
}
static long sock_vsock(void)
{
	return socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
}

static void filter_refuses(void)
{
	is_int(under_filter(false, call_getpid), 0, "filter: getpid works");
	is_int(under_filter(false, call_ptrace), EPERM, "filter: ptrace EPERM");
	is_int(under_filter(false, call_bpf), EPERM, "filter: bpf EPERM");
	is_int(under_filter(false, call_keyctl), EPERM, "filter: keyctl EPERM");
	is_int(under_filter(false, call_io_uring), ENOSYS,
	       "filter: io_uring_setup ENOSYS");
	is_int(under_filter(false, call_userfaultfd), EPERM,
	       "filter: userfaultfd EPERM");
	is_int(under_filter(false, call_unshare), EPERM,
	       "filter: unshare EPERM");
	is_int(under_filter(false, call_clone3), ENOSYS,
	       "filter: clone3 ENOSYS (glibc falls back to clone)");
	is_int(under_filter(false, sock_unix), 0, "filter: AF_UNIX socket");
	is_int(under_filter(false, sock_inet), EPERM,
	       "filter: no AF_INET socket without --network");
	ok(under_filter(true, sock_inet) == 0,
	   "filter --network: AF_INET socket");
	is_int(under_filter(true, sock_packet), EPERM,
	       "filter --network: AF_PACKET EPERM");
	is_int(under_filter(true, sock_vsock), EPERM,
	       "filter --network: AF_VSOCK EPERM");
}

static char *profile_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int rc = seccomp_profile_write(f);
	fclose(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* The rule of the container profile that names syscall name without any
 * condition, or NULL. */
static const struct sp_rule *unconditional(const char *name)
{
	for (size_t i = 0; i < sp_n_rules; i++) {
		const struct sp_rule *r = &sp_rules[i];
		if (!(r->where & SP_CONTAINER) || r->action != SP_ALLOW ||
		    r->arg.op != SP_OP_NONE || r->caps || r->arches ||
		    r->min_kernel || r->not_caps)
			continue;
		for (const char *const *n = r->names; *n; n++)
			if (strcmp(*n, name) == 0)
				return r;
	}
	return NULL;
}

static void profile(void)
{
	char *json = profile_text();
	ok(json != NULL, "profile written");
	if (!json)
		return;
	ok(strstr(json, "\"defaultAction\": \"SCMP_ACT_ERRNO\"") &&
	       strstr(json, "\"defaultErrnoRet\": 1,"),
	   "profile: default is EPERM");
	ok(strstr(json, "\"architecture\": \"SCMP_ARCH_X86_64\"") &&
	       strstr(json, "\"SCMP_ARCH_X32\""),
	   "profile: Docker's arch map");
	char *again = profile_text();
	ok(again && strcmp(json, again) == 0, "profile: deterministic");
	free(again);
	/* A sample of Docker's unconditional allowlist, across its range. */
	static const char *const docker[] = {
	    "accept4",
	    "brk",
	    "capset",
	    "close_range",
	    "epoll_pwait2",
	    "execve",
	    "faccessat2",
	    "futex_waitv",
	    "getrandom",
	    "ioctl",
	    "landlock_restrict_self",
	    "memfd_secret",
	    "mmap",
	    "openat2",
	    "pidfd_open",
	    "pkey_mprotect",
	    "prctl",
	    "rseq",
	    "seccomp",
	    "sendmmsg",
	    "statx",
	    "timerfd_settime64",
	    "vmsplice",
	    "writev",
	};
	size_t missing = 0;
	for (size_t i = 0; i < sizeof docker / sizeof *docker; i++)
		if (!unconditional(docker[i])) {
			printf("# Docker allows %s, the profile does not\n",
			       docker[i]);
			missing++;
		}
	is_int(missing, 0, "profile: allows what Docker's default allows");
	ok(strstr(json, "\"value\": 40,\n\t\t\t\t\t\"op\": \"SCMP_CMP_NE\""),
	   "profile: socket but AF_VSOCK, as Docker");
	ok(strstr(json, "\"value\": 2114060288,\n\t\t\t\t\t\"valueTwo\": 0,\n"
			"\t\t\t\t\t\"op\": \"SCMP_CMP_MASKED_EQ\""),
	   "profile: Docker's clone rule (no namespace flags)");
	ok(strstr(json, "\"minKernel\": \"4.8\""), "profile: ptrace from 4.8");
	ok(unconditional("pivot_root") && unconditional("unshare") &&
	       unconditional("mount") && unconditional("clone"),
	   "profile: lets bubblewrap build namespaces");
	ok(!strstr(json, "\"keyctl\"") && !strstr(json, "\"userfaultfd\"") &&
	       !strstr(json, "\"kexec_load\"") && !strstr(json, "\"add_key\""),
	   "profile: never allows keyrings, userfaultfd, kexec");
	ok(!unconditional("io_uring_setup") &&
	       strstr(json,
		      "\"io_uring_register\"\n\t\t\t],\n\t\t\t\"action\": "
		      "\"SCMP_ACT_ERRNO\",\n\t\t\t\"errnoRet\": 38"),
	   "profile: io_uring refused with ENOSYS");
	free(json);
}

static void globs(void)
{
	ok(glob_match("**/*.env", ".env"), "glob: **/*.env matches .env");
	ok(glob_match("**/*.env", "a/b/prod.env"), "glob: ... at depth");
	ok(!glob_match("**/*.env", "a/env"), "glob: ... not a/env");
	ok(glob_match("secrets/**", "secrets/x/y"), "glob: dir/** below it");
	ok(!glob_match("*.env", "a/b.env"), "glob: * stays in one directory");
	ok(glob_match("a/**/c", "a/c") && glob_match("a/**/c", "a/b/b/c"),
	   "glob: ** spans zero or more directories");
}

int main(void)
{
	names_resolve();
	filter_refuses();
	profile();
	globs();
	return tap_done();
}
