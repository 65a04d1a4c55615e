/* Why an attempt failed, and what to change.  The sysctls, the seccomp
 * mode and the AppArmor label are read only here, to explain a failure the
 * probe saw; they never decide whether a check passes.  Each way the kernel
 * says no gets its own advice, as bubblewrap's namespace setup does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_int.h"

#define SECCOMP_FIX                                                            \
	"start the container with a seccomp profile that allows namespace "    \
	"creation (corral seccomp-profile; --security-opt seccomp=FILE), not " \
	"seccomp=unconfined"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	long v = -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* "Seccomp:\t2" and "NoNewPrivs:\t1" from /proc/self/status. */
static void read_status(struct probe_env *e)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	char line[256];
	while (fgets(line, sizeof line, f)) {
		int v;
		if (sscanf(line, "Seccomp: %d", &v) == 1)
			e->seccomp_mode = v;
		else if (sscanf(line, "NoNewPrivs: %d", &v) == 1)
			e->no_new_privs = v == 1;
	}
	fclose(f);
}

/* The AppArmor label, e.g. "docker-default (enforce)"; "" when there is
 * none or it is "unconfined". */
static void read_apparmor(struct probe_env *e)
{
	static const char *const paths[] = {"/proc/self/attr/apparmor/current",
					    "/proc/self/attr/current"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		FILE *f = fopen(paths[i], "re");
		if (!f)
			continue;
		char buf[sizeof e->apparmor] = "";
		if (!fgets(buf, sizeof buf, f))
			buf[0] = '\0';
		fclose(f);
		buf[strcspn(buf, "\n")] = '\0';
		if (buf[0] && strcmp(buf, "unconfined") != 0)
			snprintf(e->apparmor, sizeof e->apparmor, "%s", buf);
		return;
	}
}

void probe_env_read(struct probe_env *e)
{
	memset(e, 0, sizeof *e);
	e->root = geteuid() == 0;
	e->seccomp_mode = -1;
	read_status(e);
	read_apparmor(e);
	e->max_user_namespaces =
	    read_long("/proc/sys/user/max_user_namespaces");
	e->unprivileged_userns_clone =
	    read_long("/proc/sys/kernel/unprivileged_userns_clone");
	e->apparmor_restrict_userns =
	    read_long("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
}

/* Something is mounted below /proc (Docker masks /proc/kcore, /proc/sys
 * and more): the kernel then refuses a fresh proc mount in a user
 * namespace, since it would reveal what the masks hide. */
static bool proc_masked(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	char line[1024];
	bool masked = false;
	while (!masked && fgets(line, sizeof line, f)) {
		char mnt[512];
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 &&
		    strncmp(mnt, "/proc/", 6) == 0)
			masked = true;
	}
	fclose(f);
	return masked;
}

static void user_ns_denied(struct probe_check *c, const struct probe_env *e,
			   const char *what, int err)
{
	if (err == ENOSPC) {
		PROBE_SET(c->detail, "%s: %s (user.max_user_namespaces is %ld)",
			  what, strerror(err), e->max_user_namespaces);
		PROBE_SET(c->fix, "raise user.max_user_namespaces on the host "
				  "(sysctl -w user.max_user_namespaces=15000)");
	} else if (err == EUSERS) {
		PROBE_SET(c->detail, "%s: %s (32 nested user namespaces)", what,
			  strerror(err));
		PROBE_SET(c->fix, "run fewer levels of nested containers");
	} else if (err == EINVAL) {
		PROBE_SET(c->detail, "%s: %s (kernel without user namespaces)",
			  what, strerror(err));
		PROBE_SET(c->fix, "use a kernel built with CONFIG_USER_NS");
	} else if (err == EPERM && e->unprivileged_userns_clone == 0) {
		PROBE_SET(c->detail,
			  "%s: %s (kernel.unprivileged_userns_clone is 0)",
			  what, strerror(err));
		PROBE_SET(c->fix, "on the host: sysctl -w "
				  "kernel.unprivileged_userns_clone=1");
	} else if (err == EPERM && e->seccomp_mode == 2) {
		PROBE_SET(c->detail,
			  "%s: %s (denied by a seccomp filter, as "
			  "Docker's default profile does)",
			  what, strerror(err));
		PROBE_SET(c->fix, "%s", SECCOMP_FIX);
	} else {
		PROBE_SET(c->detail, "%s: %s", what, strerror(err));
		PROBE_SET(c->fix,
			  "run the container with a profile that allows "
			  "user namespaces (not from a chroot)");
	}
}

/* A step inside the new user namespace failed: a capability the namespace
 * should grant was refused. */
static void in_ns_denied(struct probe_check *c, const struct probe_env *e,
			 const char *what, int err)
{
	if ((err == EPERM || err == EACCES) &&
	    e->apparmor_restrict_userns == 1) {
		PROBE_SET(c->detail,
			  "%s: %s (AppArmor restricts unprivileged user "
			  "namespaces: "
			  "kernel.apparmor_restrict_unprivileged_userns=1)",
			  what, strerror(err));
		PROBE_SET(c->fix,
			  "on the host: sysctl -w kernel.apparmor_restrict_"
			  "unprivileged_userns=0, or an AppArmor profile "
			  "for bwrap that allows userns");
	} else if (err == EACCES && e->apparmor[0]) {
		PROBE_SET(c->detail, "%s: %s (AppArmor profile %s)", what,
			  strerror(err), e->apparmor);
		PROBE_SET(c->fix,
			  "start the container with an AppArmor profile "
			  "that allows mount (--security-opt apparmor=...)");
	} else if (err == EPERM && e->seccomp_mode == 2) {
		PROBE_SET(c->detail, "%s: %s (denied by a seccomp filter)",
			  what, strerror(err));
		PROBE_SET(c->fix, "%s", SECCOMP_FIX);
	} else {
		PROBE_SET(c->detail, "%s: %s", what, strerror(err));
		PROBE_SET(c->fix,
			  "run the container with a profile that lets "
			  "unprivileged user namespaces mount and configure "
			  "their own namespaces");
	}
}

void probe_explain(struct probe_check *c, const struct probe_env *e,
		   const char *what, int err)
{
	c->ok = false;
	if (strncmp(what, "clone(", 6) == 0 ||
	    strncmp(what, "unshare(", 8) == 0) {
		if (strstr(what, "CLONE_NEWUSER")) {
			user_ns_denied(c, e, what, err);
			return;
		}
	}
	if (strcmp(what, "mount proc") == 0 && err == EPERM && proc_masked()) {
		PROBE_SET(c->detail,
			  "%s: %s (the container's /proc is partly "
			  "masked, so a fresh one would reveal it)",
			  what, strerror(err));
		PROBE_SET(c->fix, "start the container with --security-opt "
				  "systempaths=unconfined, or have the sandbox "
				  "bind /proc instead of mounting a new one");
		return;
	}
	if (strncmp(what, "seccomp", 7) == 0) {
		PROBE_SET(c->detail, "%s: %s", what, strerror(err));
		PROBE_SET(c->fix, err == EINVAL
				      ? "use a kernel built with "
					"CONFIG_SECCOMP_FILTER"
				      : "check the container's seccomp "
					"and no-new-privileges settings");
		return;
	}
	in_ns_denied(c, e, what, err);
}
