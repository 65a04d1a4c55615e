/* deny_ns CMD [ARGS...]: runs CMD under a seccomp filter that refuses to
 * create namespaces the way Docker's default profile does for a container
 * without CAP_SYS_ADMIN: unshare and clone with any namespace flag fail
 * with EPERM, clone3 with ENOSYS (so libc falls back to clone, whose flags
 * a filter can see).  Everything else is allowed.  For the probe's tests. */
#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <unistd.h>

static const unsigned long ns_flags[] = {
    CLONE_NEWNS,   CLONE_NEWUTS, CLONE_NEWIPC,	  CLONE_NEWUSER,
    CLONE_NEWPID,  CLONE_NEWNET, CLONE_NEWCGROUP,
#ifdef CLONE_NEWTIME
    CLONE_NEWTIME,
#endif
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: deny_ns CMD [ARGS...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	int rc = 0;
	for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++) {
		scmp_datum_t f = ns_flags[i];
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				       SCMP_SYS(unshare), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM),
				       SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
	}
	rc |=
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		fprintf(stderr, "deny_ns: cannot install the filter: %d\n", rc);
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror(argv[1]);
	return 127;
}
