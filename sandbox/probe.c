/* temporary: replaced by the probe helper's probe.c at merge.
 * One honest check, "bwrap-nests": bwrap builds the namespaces corral
 * sandbox uses and runs `true` inside. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

static void bwrap_nests(struct probe_check *c, const char *bwrap)
{
	c->name = "bwrap-nests";
	c->needed = true;
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(c->detail, sizeof c->detail, "pipe: %s",
			 strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0)
			dup2(null, 1);
		execlp(bwrap, bwrap, "--unshare-user", "--unshare-pid",
		       "--unshare-ipc", "--unshare-uts", "--unshare-net",
		       "--die-with-parent", "--ro-bind", "/", "/", "--proc",
		       "/proc", "--dev", "/dev", "true", (char *)NULL);
		dprintf(2, "%s: %s", bwrap, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	ssize_t n = 0, r;
	while (n < (ssize_t)sizeof c->detail - 1 &&
	       (r = read(pipefd[0], c->detail + n,
			 sizeof c->detail - 1 - (size_t)n)) > 0)
		n += r;
	close(pipefd[0]);
	c->detail[n > 0 ? n : 0] = '\0';
	c->detail[strcspn(c->detail, "\n")] = '\0';
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		snprintf(c->detail, sizeof c->detail, "fork: %s",
			 strerror(errno));
		return;
	}
	c->ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (c->ok) {
		snprintf(c->detail, sizeof c->detail,
			 "bwrap runs a command in "
			 "new namespaces");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		snprintf(c->fix, sizeof c->fix,
			 "install bubblewrap (apt-get install bubblewrap) or "
			 "put bwrap on PATH");
	} else {
		snprintf(c->fix, sizeof c->fix,
			 "allow user namespaces in the container (see "
			 "`corral probe` and `corral seccomp-profile`)");
	}
}

void probe_run(struct probe_result *r, const char *bwrap_path)
{
	memset(r, 0, sizeof *r);
	bwrap_nests(&r->checks[r->n_checks++],
		    bwrap_path ? bwrap_path : "bwrap");
	r->nested = r->checks[0].ok;
}

const struct probe_check *probe_blocker(const struct probe_result *r)
{
	for (size_t i = 0; i < r->n_checks; i++)
		if (r->checks[i].needed && !r->checks[i].ok)
			return &r->checks[i];
	return NULL;
}
