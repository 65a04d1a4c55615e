/* Shared between the probe's files only. */
#ifndef CORRAL_SANDBOX_PROBE_INT_H
#define CORRAL_SANDBOX_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "probe.h"

/* What the process that runs the probe is like: read once, used to explain
 * why an attempt failed (never to decide whether it did). */
struct probe_env {
	bool root;	   /* euid 0 */
	int seccomp_mode;  /* /proc/self/status Seccomp: 0, 1, 2; -1 unknown */
	bool no_new_privs; /* already set for this process */
	char apparmor[96]; /* confining profile, "" when unconfined */
	long max_user_namespaces;	/* -1 when unreadable */
	long unprivileged_userns_clone; /* Debian/Ubuntu sysctl, -1 absent */
	long apparmor_restrict_userns;	/* Ubuntu 24.04 sysctl, -1 absent */
};

void probe_env_read(struct probe_env *e);

/* Fills c->detail and c->fix for a failed step: what the errno means here
 * (a sysctl, seccomp, AppArmor) and what to change.  what names the step
 * as the kernel saw it, e.g. "clone(CLONE_NEWUSER)". */
void probe_explain(struct probe_check *c, const struct probe_env *e,
		   const char *what, int err);

/* The namespace checks (probe_ns.c): user namespace, uid/gid maps, network
 * namespace with loopback, mount namespace, pivot_root, /proc, in one
 * short-lived child, in that order.  Appends them to r. */
void probe_namespaces(struct probe_result *r, const struct probe_env *e);

/* Appends a check (ok, no detail yet) and returns it. */
struct probe_check *probe_add(struct probe_result *r, const char *name,
			      bool needed);
/* printf into a fixed field. */
void probe_set(char *field, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define PROBE_SET(field, ...) probe_set(field, sizeof(field), __VA_ARGS__)

/* How long a child of the probe may take before it is killed. */
#define PROBE_CHILD_TIMEOUT_MS 2000

/* Waits for pid until the deadline (ms, CLOCK_MONOTONIC) passes, then
 * kills it.  Returns its wait status, or -1 when it had to be killed. */
int probe_reap(int pid, double deadline_ms);
double probe_now_ms(void);

#endif
