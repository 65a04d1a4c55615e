/* The probe's reporting and advice, without a kernel: JSON escaping, the
 * blocker, and which explanation each errno gets in which environment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../sandbox/probe_int.h"
#include "tap.h"

static char *json_of(const struct probe_result *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	probe_print_json(r, f);
	fclose(f);
	return buf;
}

static void test_json(void)
{
	struct probe_result r = {.nested = false, .elapsed_ms = 1.5};
	struct probe_check *c = probe_add(&r, "bwrap", true);
	PROBE_SET(c->detail, "say \"hi\"\\\n\ttab\x01\xc3\xa9");
	c->ok = false;
	char *j = json_of(&r);
	is_str(j,
	       "{\"nested\":false,\"elapsed_ms\":1.5,\"checks\":[{\"name\":"
	       "\"bwrap\","
	       "\"ok\":false,\"needed\":true,\"detail\":\"say "
	       "\\\"hi\\\"\\\\\\n\\ttab"
	       "\\u0001??\",\"fix\":\"\"}]}\n",
	       "JSON escapes quotes, backslashes and control bytes, drops "
	       "non-ASCII");
	free(j);
}

static void test_blocker(void)
{
	struct probe_result r = {0};
	probe_add(&r, "a", true);
	struct probe_check *warn_only = probe_add(&r, "b", false);
	warn_only->ok = false;
	ok(probe_blocker(&r) == NULL,
	   "a failed check that is not needed blocks nothing");
	struct probe_check *c = probe_add(&r, "c", true);
	c->ok = false;
	struct probe_check *d = probe_add(&r, "d", true);
	d->ok = false;
	ok(probe_blocker(&r) == c,
	   "the first failed needed check is the blocker");
	for (int i = 0; i < PROBE_MAX_CHECKS; i++)
		probe_add(&r, "x", true);
	is_int(r.n_checks, PROBE_MAX_CHECKS, "checks stop at PROBE_MAX_CHECKS");
	ok(probe_add(&r, "y", true) == NULL,
	   "one more is refused, not written");
}

static struct probe_check explain(const struct probe_env *e, const char *what,
				  int err)
{
	struct probe_check c = {.name = "t", .ok = true};
	probe_explain(&c, e, what, err);
	return c;
}

static void test_explain(void)
{
	struct probe_env e = {.seccomp_mode = 0,
			      .max_user_namespaces = 0,
			      .unprivileged_userns_clone = -1,
			      .apparmor_restrict_userns = -1};
	struct probe_check c = explain(&e, "clone(CLONE_NEWUSER)", ENOSPC);
	ok(!c.ok, "an explained check failed");
	ok(strstr(c.detail, "max_user_namespaces is 0") != NULL, "ENOSPC: %s",
	   c.detail);
	e.seccomp_mode = 2;
	c = explain(&e, "clone(CLONE_NEWUSER)", EPERM);
	ok(strstr(c.detail, "seccomp filter") != NULL,
	   "EPERM under seccomp: %s", c.detail);
	ok(strstr(c.fix, "corral seccomp-profile") != NULL, "fix: %s", c.fix);
	e.unprivileged_userns_clone = 0;
	c = explain(&e, "clone(CLONE_NEWUSER)", EPERM);
	ok(strstr(c.detail, "unprivileged_userns_clone is 0") != NULL,
	   "the Debian sysctl comes before seccomp: %s", c.detail);
	e.apparmor_restrict_userns = 1;
	c = explain(&e, "writing uid_map", EPERM);
	ok(strstr(c.detail, "apparmor_restrict_unprivileged_userns=1") != NULL,
	   "uid_map EPERM with the AppArmor restriction: %s", c.detail);
	e.apparmor_restrict_userns = 0;
	snprintf(e.apparmor, sizeof e.apparmor, "docker-default (enforce)");
	c = explain(&e, "making / slave", EACCES);
	ok(strstr(c.detail, "AppArmor profile docker-default") != NULL,
	   "mount EACCES under AppArmor: %s", c.detail);
	c = explain(&e, "seccomp filter", EINVAL);
	ok(strstr(c.fix, "CONFIG_SECCOMP_FILTER") != NULL, "seccomp EINVAL: %s",
	   c.fix);
}

int main(void)
{
	test_json();
	test_blocker();
	test_explain();
	return tap_done();
}
