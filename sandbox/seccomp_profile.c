/* corral seccomp-profile: prints the container's seccomp profile
 * (profile_json.c), made from the same table as corral sandbox's
 * filter. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "../common/command.h"
#include "../common/log.h"
#include "syscall_policy.h"

static int run_seccomp_profile(int argc, char **argv);

const struct command cmd_seccomp_profile = {
    .name = "seccomp-profile",
    .usage = "corral seccomp-profile",
    .summary = "print the container's seccomp profile (Docker/OCI JSON)",
    .help =
	"Prints a seccomp profile for the container itself, as strict as\n"
	"Docker's default except that it lets bubblewrap build its\n"
	"namespaces (so `corral sandbox` and the agents' own sandboxes can\n"
	"nest) and refuses io_uring.  Use it with\n"
	"  docker run --security-opt seccomp=PROFILE.json ...\n"
	"The differences and their reasons are in docs/sandbox.md and in\n"
	"each rule's \"comment\".\n\n"
	"Exit status: 0 printed, 1 write error, 2 usage error.\n",
    .run = run_seccomp_profile,
};

static int run_seccomp_profile(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	cmd_getopt_reset();
	while (cmd_getopt(&cmd_seccomp_profile, argc, argv, "+:h", longopts) !=
	       -1)
		;
	cmd_no_operands(&cmd_seccomp_profile, argc, argv);
	if (seccomp_profile_write(stdout) < 0) {
		log_msg(NULL, "writing the profile: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
