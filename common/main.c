/* corral: one binary, subcommands.  main() only dispatches. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

static const struct command *const commands[] = {
	&cmd_init,
	&cmd_wait,
	&cmd_status,
	&cmd_reload,
	&cmd_apply,
	&cmd_show,
	&cmd_clear,
	&cmd_dns,
	&cmd_probe,
	&cmd_sandbox,
	&cmd_seccomp_profile,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void print_usage(FILE *out)
{
	fprintf(out, "usage: corral [--version] [--help] COMMAND [ARGS...]\n\n"
		     "corral makes a dev container a safe place to run a coding agent:\n"
		     "an egress allowlist enforced by nftables.\n\ncommands:\n");
	int width = 8;
	for (size_t i = 0; i < N_COMMANDS; i++)
		if ((int)strlen(commands[i]->name) > width)
			width = (int)strlen(commands[i]->name);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-*s %s\n", width, commands[i]->name,
			commands[i]->summary);
	fprintf(out, "  %-*s %s\n", width, "help", "show help for a command");
	fprintf(out, "\nRun 'corral help COMMAND' for a command's options.\n");
}

void print_command_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: %s\n\n%s\n\n%s", cmd->usage, cmd->summary, cmd->help);
}

void usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("corral: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "usage: %s\n", cmd->usage);
	else
		fputs("usage: corral [--version] [--help] COMMAND [ARGS...]\n", stderr);
	exit(EXIT_USAGE);
}

void cmd_getopt_reset(void)
{
	opterr = 0;
	optind = 1;
}

int cmd_getopt(const struct command *cmd, int argc, char **argv,
	       const char *shortopts, const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	switch (c) {
	case 'h':
		print_command_help(cmd, stdout);
		exit(EXIT_OK);
	case ':':
		usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	case '?':
		usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
	default:
		return c;
	}
}

void cmd_no_operands(const struct command *cmd, int argc, char **argv)
{
	if (optind < argc)
		usage_error(cmd, "unexpected argument '%s'", argv[optind]);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	const char *arg = argv[1];
	if (strcmp(arg, "--version") == 0 || strcmp(arg, "-V") == 0) {
		printf("corral %s\n", CORRAL_VERSION);
		return EXIT_OK;
	}
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(arg, "help") == 0) {
		if (argc == 2) {
			print_usage(stdout);
			return EXIT_OK;
		}
		const struct command *c = find(argv[2]);
		if (!c)
			usage_error(NULL, "no such command '%s'", argv[2]);
		print_command_help(c, stdout);
		return EXIT_OK;
	}
	if (arg[0] == '-')
		usage_error(NULL, "unknown option '%s'", arg);
	const struct command *c = find(arg);
	if (!c)
		usage_error(NULL, "unknown command '%s' (see 'corral --help')", arg);
	return c->run(argc - 1, argv + 1);
}
