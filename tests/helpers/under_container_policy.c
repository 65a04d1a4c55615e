/* under_container_policy [--without-corral-rules] CMD [ARGS...]: runs CMD
 * under the container's seccomp policy as a container without extra
 * capabilities gets it (the rules corral seccomp-profile prints, for the
 * process's architecture), so tests can check that bubblewrap nests under
 * it.  --without-corral-rules leaves out corral's own additions (the rules
 * with a comment), which is Docker's default profile. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../../sandbox/syscall_policy.h"

int main(int argc, char **argv)
{
	int first = 1;
	bool docker_only =
	    argc > 1 && strcmp(argv[1], "--without-corral-rules") == 0;
	first += docker_only;
	if (first >= argc) {
		fprintf(stderr, "usage: under_container_policy "
				"[--without-corral-rules] CMD [ARGS...]\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(SP_DEFAULT_ERRNO));
	const char *arch = sp_native_arch();
	for (size_t i = 0; ctx && i < sp_n_rules; i++) {
		const struct sp_rule *r = &sp_rules[i];
		if (!(r->where & SP_CONTAINER) || r->caps ||
		    !sp_rule_on_arch(r, arch) || (docker_only && r->comment))
			continue;
		int rc = sp_rule_add(ctx, r);
		if (rc < 0) {
			fprintf(stderr, "rule %zu: %s\n", i, strerror(-rc));
			return 1;
		}
	}
	if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    seccomp_load(ctx) < 0) {
		fprintf(stderr, "under_container_policy: cannot load\n");
		return 1;
	}
	execvp(argv[first], argv + first);
	fprintf(stderr, "under_container_policy: %s: %s\n", argv[first],
		strerror(errno));
	return 127;
}
