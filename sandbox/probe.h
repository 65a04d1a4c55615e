/* corral probe: can bubblewrap build a nested sandbox in this container?
 * Every check is a real attempt made in a short-lived child, not a sysctl
 * read, because seccomp, AppArmor and the user-namespace limits each say
 * "no" in their own way and only trying tells them apart. */
#ifndef CORRAL_SANDBOX_PROBE_H
#define CORRAL_SANDBOX_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define PROBE_MAX_CHECKS 16

struct probe_check {
	const char *name; /* stable identifier, e.g. "user-namespace" */
	bool ok;
	bool needed;	  /* nesting is impossible when a needed check fails */
	bool skipped;	  /* not attempted: a check it builds on failed (!ok) */
	char detail[256]; /* what was seen, e.g. "bwrap 0.8.0" or the errno */
	char fix[256];	  /* what to change when !ok, "" when ok */
};

struct probe_result {
	bool nested; /* every needed check passed: bwrap can nest here */
	size_t n_checks;
	struct probe_check checks[PROBE_MAX_CHECKS];
	double elapsed_ms; /* how long probe_run took */
};

/* Runs every check.  bwrap is looked up on PATH unless bwrap_path is given.
 * Never dies: a check that cannot even be attempted is a failed check. */
void probe_run(struct probe_result *r, const char *bwrap_path);

/* The first failed needed check (the reason nesting is impossible), or NULL
 * when r->nested. */
const struct probe_check *probe_blocker(const struct probe_result *r);

/* {"nested":bool,"elapsed_ms":N,"checks":[{"name","ok","needed","detail",
 * "fix"},...]} and a newline. */
void probe_print_json(const struct probe_result *r, FILE *out);
/* The table for people: one line per check, the fix under each failure,
 * and the verdict. */
void probe_print_table(const struct probe_result *r, FILE *out);

#endif
