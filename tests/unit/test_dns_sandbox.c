/* The forwarder's sandbox alone (dns_fwd_sandbox): a forked child
 * sandboxes itself, the test looks at it from outside (/proc: seccomp,
 * no_new_privs, capabilities, uid, open fds), then has it try what the
 * allowlist forbids: socket(), open() and fork() kill it with SIGSYS. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../firewall/dns_fwd.h"
#include "tap.h"

/* Sanitizer builds let open() fail with EPERM instead of killing, so that
 * ASan can still print its report (see dns_sandbox.c). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Forks a child that sandboxes itself, reports, then on the parent's
 * word tries what: 's' socket(), 'o' open(), 'f' fork(). */
static void sandbox_child(char what, const char *label)
{
	int up[2], down[2];
	if (pipe(up) < 0 || pipe(down) < 0)
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(up[0]);
		close(down[1]);
		int keep[] = {up[1], down[0]};
		dns_fwd_sandbox("nobody", getppid(), keep, 2);
		char c = 0;
		if (write(up[1], "1", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		if (c == 's')
			socket(AF_INET, SOCK_DGRAM, 0);
		else if (c == 'o' && open("/etc/passwd", O_RDONLY) < 0)
			_exit(4);
		else if (c == 'f')
			fork();
		_exit(3);
	}
	close(up[1]);
	close(down[0]);
	char c = 0;
	ok(read(up[0], &c, 1) == 1 && c == '1',
	   "%s: the child sandboxed itself", label);
	if (what == 's') {
		char path[64], line[256];
		snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
		FILE *fp = fopen(path, "r");
		bool seccomp = false, nnp = false, nocap = false, uid = false;
		while (fp && fgets(line, sizeof line, fp)) {
			seccomp |= strcmp(line, "Seccomp:\t2\n") == 0;
			nnp |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
			nocap |=
			    strcmp(line, "CapEff:\t0000000000000000\n") == 0;
			uid |=
			    strncmp(line, "Uid:\t", 5) == 0 &&
			    (geteuid() != 0 ||
			     strcmp(line,
				    "Uid:\t65534\t65534\t65534\t65534\n") == 0);
		}
		if (fp)
			fclose(fp);
		ok(seccomp && nnp, "seccomp filter and no_new_privs are on");
		ok(nocap, "no effective capability");
		ok(uid, "it runs as nobody (65534)");
		if (geteuid() == 0) {
			snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
			DIR *d = opendir(path);
			unsigned n = 0;
			for (struct dirent *e; d && (e = readdir(d));)
				n += e->d_name[0] != '.';
			if (d)
				closedir(d);
			ok(n <= 5, "only stdio and its pipes are open (%u fds)",
			   n);
		}
	}
	if (write(down[1], &what, 1) != 1)
		printf("# write: %s\n", strerror(errno));
	int st = 0;
	waitpid(pid, &st, 0);
	if (what == 'o' && SANITIZED)
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 4,
		   "%s fails (sanitizer build: EPERM, not SIGSYS)", label);
	else
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
		   "%s kills it with SIGSYS", label);
	close(up[0]);
	close(down[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0)
		printf("# not root: the privilege drop is not exercised\n");
	sandbox_child('s', "socket()");
	sandbox_child('o', "open()");
	sandbox_child('f', "fork()");
	return tap_done();
}
