/* Shared between the files of init/ only. */
#ifndef CORRAL_INIT_INT_H
#define CORRAL_INIT_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whom CMD runs as (user.c).  Looked up before the fork, so that an unknown
 * user stops init before anything runs. */
struct init_user {
	bool set;	 /* --user was given */
	bool switch_ids; /* init is root: set groups, gid and uid */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* the user's groups, gid included */
	size_t n_groups;
	char *name;
	char *home;
};

/* spec NULL: u->set stays false.  Returns -1 with one line in err. */
int init_user_lookup(const char *spec, struct init_user *u, char *err,
		     size_t errlen);
void init_user_free(struct init_user *u);

/* caps.c.  In init, before the fork: can the child lose these? */
int init_caps_check(uint64_t drop, char *err, size_t errlen);
/* In the child, while still privileged: out of the bounding and ambient
 * sets. */
int init_caps_drop_bounding(uint64_t drop, char *err, size_t errlen);
/* In the child, after the uid change: out of the effective, permitted and
 * inheritable sets. */
int init_caps_drop_sets(uint64_t drop, char *err, size_t errlen);

/* spawn.c */
struct init_spawn {
	char **argv;
	const struct init_user *user;
	uint64_t drop_caps;
	const sigset_t *child_mask; /* the mask init was started with */
	const char *cwd;
	bool take_tty; /* init owns the terminal's foreground: hand it on */
};

/* Forks and execs CMD.  Returns its pid once exec succeeded, or -1 after
 * printing one line, with *code set to 126, 127 or 1. */
pid_t init_spawn(const struct init_spawn *s, int *code);

#endif
