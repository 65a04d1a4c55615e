/* --user: whom CMD runs as, looked up in init before anything runs. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init_int.h"

/* A uid written in decimal, or -1. */
static long long parse_uid(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return -1;
	long long v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v < (long long)(uid_t)-1 ? v : -1;
}

static int lookup_groups(struct init_user *u, char *err, size_t errlen)
{
	int n = 32;
	for (int tries = 0; tries < 8; tries++) {
		gid_t *g = realloc(u->groups, (size_t)n * sizeof *g);
		if (!g)
			break;
		u->groups = g;
		int want = n;
		if (getgrouplist(u->name, u->gid, g, &want) >= 0) {
			u->n_groups = (size_t)want;
			return 0;
		}
		n = want > n ? want : n * 2;
	}
	snprintf(err, errlen, "cannot list the groups of user '%s'", u->name);
	return -1;
}

int init_user_lookup(const char *spec, struct init_user *u, char *err,
		     size_t errlen)
{
	memset(u, 0, sizeof *u);
	if (!spec)
		return 0;
	long long id = parse_uid(spec);
	errno = 0;
	struct passwd *pw = id >= 0 ? getpwuid((uid_t)id) : getpwnam(spec);
	if (!pw) {
		if (errno != 0 && errno != ENOENT && errno != ESRCH)
			snprintf(err, errlen, "cannot look up user '%s': %s",
				 spec, strerror(errno));
		else
			snprintf(err, errlen,
				 "--user %s: no such user in /etc/passwd: "
				 "pick an existing user or add it to the image",
				 spec);
		return -1;
	}
	u->set = true;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->name = strdup(pw->pw_name);
	u->home = strdup(pw->pw_dir && *pw->pw_dir ? pw->pw_dir : "/");
	if (!u->name || !u->home) {
		snprintf(err, errlen, "out of memory");
		init_user_free(u);
		return -1;
	}
	uid_t me = geteuid();
	if (me == 0) {
		u->switch_ids = true;
		if (lookup_groups(u, err, errlen) < 0) {
			init_user_free(u);
			return -1;
		}
	} else if (u->uid != me) {
		snprintf(err, errlen,
			 "--user %s: only root can run CMD as another user "
			 "(corral init runs as uid %u)",
			 spec, (unsigned)me);
		init_user_free(u);
		return -1;
	}
	return 0;
}

void init_user_free(struct init_user *u)
{
	free(u->groups);
	free(u->name);
	free(u->home);
	memset(u, 0, sizeof *u);
}
