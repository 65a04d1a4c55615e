/* Subcommands of the one corral binary. */
#ifndef CORRAL_COMMAND_H
#define CORRAL_COMMAND_H

#include <stdio.h>

struct command {
	const char *name;
	const char *usage;   /* "corral NAME ..." */
	const char *summary; /* one line for `corral --help` */
	const char *help;    /* the rest of `corral help NAME` */
	int (*run)(int argc, char **argv);
};

/* Exit codes shared by every command. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

/* Prints "corral: MSG" and the command's usage line, exits 2. */
__attribute__((noreturn, format(printf, 2, 3))) void
usage_error(const struct command *cmd, const char *fmt, ...);
/* Handles -h/--help for a command: prints its help and exits 0. */
void print_command_help(const struct command *cmd, FILE *out);

struct option;
/* getopt_long with corral's conventions: shortopts must start with "+:"
 * and contain 'h'; -h/--help prints the command's help and exits 0; an
 * unknown option or a missing value is a usage error (exit 2).  Returns
 * the next option, or -1 at the end (then optind is the first operand).
 * Start each command's parse with optind = 1 (cmd_getopt_reset). */
int cmd_getopt(const struct command *cmd, int argc, char **argv,
	       const char *shortopts, const struct option *longopts);
void cmd_getopt_reset(void);
/* Usage error if operands are left after the options. */
void cmd_no_operands(const struct command *cmd, int argc, char **argv);

extern const struct command cmd_apply, cmd_show, cmd_clear, cmd_dns, cmd_init, cmd_status, cmd_wait, cmd_reload, cmd_probe;

#endif
