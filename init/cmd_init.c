/* corral init: the command line.  The work is in init_run (init.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/command.h"
#include "../common/log.h"
#include "fw_boot.h"
#include "init.h"

static int run_init(int argc, char **argv);

const struct command cmd_init = {
    .name = "init",
    .usage = "corral init [--config PATH] [--user USER] [--pgroup] "
	     "[--keep-caps CAP,...] [--quiet] [--verbose] [-- CMD [ARGS...]]",
    .summary = "be the container's PID 1: run CMD, forward signals, reap",
    .help =
	"Runs CMD and exits with its status (128+N if signal N killed it,\n"
	"126 if it cannot be executed, 127 if it is not found).  Forwards\n"
	"every signal to CMD and reaps every process that ends in the\n"
	"container.  Without CMD, runs until SIGTERM or SIGINT.  Not PID 1,\n"
	"it registers as a child subreaper.  CMD runs in its own process\n"
	"group, in the foreground of the terminal if init had it, without\n"
	"init's descriptors above 2, and without cap_net_admin, cap_net_raw\n"
	"and cap_sys_admin (bounding, inheritable and ambient sets).\n\n"
	"  -c, --config PATH      read PATH instead of "
	"/etc/corral/corral.conf\n"
	"  -u, --user USER        run CMD as USER (name or uid) with its "
	"groups\n"
	"  -g, --pgroup           forward signals to CMD's whole process "
	"group\n"
	"      --keep-caps CAPS   do not drop these (e.g. net_raw,sys_admin)\n"
	"  -v, --verbose          say more\n\n"
	"Exit status: CMD's, 1 if init could not start it (one line says\n"
	"why; CMD never ran), 0 without CMD, 2 usage error.\n",
    .run = run_init,
};

enum { OPT_KEEP_CAPS = 256 };

static int run_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"user", required_argument, NULL, 'u'},
	    {"pgroup", no_argument, NULL, 'g'},
	    {"keep-caps", required_argument, NULL, OPT_KEEP_CAPS},
	    {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	bool quiet = false;
	struct init_opts o = {.drop_caps = INIT_DEFAULT_DROP_CAPS};
	uint64_t keep = 0;
	char err[256];
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(&cmd_init, argc, argv, "+:c:u:gvqh", opts)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'g':
			o.pgroup = true;
			break;
		case OPT_KEEP_CAPS:
			if (init_caps_parse(optarg, &keep, err, sizeof err) < 0)
				usage_error(&cmd_init, "--keep-caps: %s", err);
			break;
		case 'v':
			log_verbose = true;
			break;
		case 'q':
			quiet = true;
			break;
		}
	}
	o.drop_caps &= ~keep;
	if (optind < argc)
		o.argv = argv + optind;
	/* Config, owned table, forwarder and read-back all happen in the boot
	 * hook, before CMD is forked (fw_boot.c). */
	static struct fw_boot b;
	struct init_hooks h;
	b.config = config;
	b.quiet = quiet;
	b.user = o.user;
	b.drop_caps = &o.drop_caps;
	fw_boot_hooks(&b, &h);
	return init_run(&o, &h);
}
