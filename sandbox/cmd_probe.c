/* corral probe: can an agent's bubblewrap sandbox nest in this container? */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/command.h"
#include "probe.h"

static int run_probe(int argc, char **argv);

const struct command cmd_probe = {
    .name = "probe",
    .usage = "corral probe [--json]",
    .summary = "check whether an agent's bwrap sandbox can nest here",
    .help =
	"Tries, in short-lived children, what bubblewrap needs: bwrap and\n"
	"its version, a user namespace with uid/gid maps, a network\n"
	"namespace with loopback up, a mount namespace with / made slave,\n"
	"pivot_root, a fresh /proc, no_new_privs, a seccomp filter, and\n"
	"finally bwrap itself.  Each failure says why (a sysctl, seccomp,\n"
	"AppArmor) and what to change.  `sandbox auto` in the config picks\n"
	"nested when every needed check passes, full-access otherwise.\n\n"
	"  --json      "
	"{\"nested\":BOOL,\"elapsed_ms\":N,\"checks\":[{\"name\",\n"
	"              \"ok\",\"needed\",\"detail\",\"fix\"},...]}\n\n"
	"Exit status: 0 when a nested sandbox works here, 1 when it does\n"
	"not, 2 usage error.\n",
    .run = run_probe,
};

static int run_probe(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool json = false;
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(&cmd_probe, argc, argv, "+:jh", opts)) != -1)
		if (c == 'j')
			json = true;
	cmd_no_operands(&cmd_probe, argc, argv);
	struct probe_result r;
	probe_run(&r, NULL);
	if (json)
		probe_print_json(&r, stdout);
	else
		probe_print_table(&r, stdout);
	return r.nested ? EXIT_OK : EXIT_FAIL;
}
