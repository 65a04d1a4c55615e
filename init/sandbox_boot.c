/* corral init's sandbox step, after the firewall is verified and before
 * CMD is forked: probe as CMD will run, pick the mode, and tell CMD
 * (CORRAL_SANDBOX), corral status (the run dir's `sandbox` file and the
 * status reply) and the agents (their config files). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "../sandbox/mode.h"
#include "fw_boot.h"
#include "init_int.h"

/* In the child that probes: become what CMD will be (its user, without the
 * capabilities init drops), since the kernel lets root with CAP_SYS_ADMIN
 * create namespaces that AppArmor, unprivileged_userns_clone or a
 * capability-aware seccomp profile refuse to CMD. */
static void become_cmd(const struct fw_boot *b)
{
	char err[512];
	uint64_t drop = b->drop_caps ? *b->drop_caps : 0;
	struct init_user u;
	if (init_user_lookup(b->user, &u, err, sizeof err) < 0)
		memset(&u, 0, sizeof u);
	if (drop && init_caps_check(drop, err, sizeof err) == 0)
		init_caps_drop_bounding(drop, err, sizeof err);
	if (u.set && u.switch_ids &&
	    (setgroups(u.n_groups, u.groups) < 0 || setgid(u.gid) < 0 ||
	     setuid(u.uid) < 0))
		debug("probe: cannot become user %s: %s", u.name,
		      strerror(errno));
	if (drop)
		init_caps_drop_sets(drop, err, sizeof err);
	/* A uid change leaves us undumpable, and /proc/self/uid_map then
	 * belongs to root; CMD, fresh from exec, is dumpable again. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

void sandbox_probe_start(struct fw_boot *b)
{
	b->probe_fd = -1;
	if (b->p.sandbox == SANDBOX_FULL_ACCESS)
		return;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		become_cmd(b);
		struct probe_result mine;
		probe_run(&mine, NULL);
		/* Same binary, same addresses after fork: the check names
		 * point at the same string literals in the parent. */
		ssize_t n = write(fds[1], &mine, sizeof mine);
		_exit(n == (ssize_t)sizeof mine ? 0 : 1);
	}
	close(fds[1]);
	b->probe_fd = fds[0];
	b->probe_pid = pid;
}

static bool probe_finish(struct fw_boot *b, struct probe_result *r)
{
	if (b->probe_fd < 0)
		return false;
	size_t off = 0;
	while (off < sizeof *r) {
		ssize_t n = read(b->probe_fd, (char *)r + off, sizeof *r - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(b->probe_fd);
	b->probe_fd = -1;
	while (waitpid(b->probe_pid, NULL, 0) < 0 && errno == EINTR)
		;
	return off == sizeof *r;
}

int sandbox_boot(struct fw_boot *b, char *err, size_t errlen)
{
	struct probe_result r;
	const struct probe_result *rp = NULL;
	if (b->p.sandbox != SANDBOX_FULL_ACCESS) {
		if (!probe_finish(b, &r)) {
			warn("sandbox: cannot probe as CMD will run; probing "
			     "as init");
			probe_run(&r, NULL);
		}
		rp = &r;
		debug("sandbox: probe took %.0f ms", r.elapsed_ms);
	}
	enum sandbox_mode m;
	if (sandbox_mode_choose(&b->p, rp, &m, err, errlen) < 0)
		return -1;
	if (setenv("CORRAL_SANDBOX", sandbox_mode_name(m), 1) < 0) {
		snprintf(err, errlen, "cannot set CORRAL_SANDBOX: %s",
			 strerror(errno));
		return -1;
	}
	b->sandbox = m;
	b->sandbox_set = true;
	char werr[512];
	if (sandbox_mode_file_write(b->run_dir, m, werr, sizeof werr) < 0)
		warn("%s", werr);
	if (sandbox_agent_configs_write(m, werr, sizeof werr) < 0)
		warn("%s: the agents keep their own sandbox settings", werr);
	const struct probe_check *why = rp ? probe_blocker(rp) : NULL;
	if (why && !b->quiet)
		info("sandbox full-access: %s failed: %s (see corral probe)",
		     why->name, why->detail);
	return 0;
}
