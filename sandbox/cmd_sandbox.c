/* corral sandbox: runs a command under bubblewrap with a seccomp filter,
 * or fails; it never runs the command unsandboxed.
 *
 * To tell bwrap's own failure (it could not build the sandbox) from the
 * command's, bwrap gets a pipe holding one byte as --block-fd: it reads
 * that byte only once the sandbox is built, just before it installs the
 * filter and execs the command.  A byte still there when bwrap has exited
 * means the sandbox was never built, and only then is the (slower) probe
 * run to say why.  The command is looked up on PATH first, so that "not
 * found" is 127 and not bwrap's exec error. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/command.h"
#include "../common/log.h"
#include "probe.h"
#include "sandbox.h"
#include "syscall_policy.h"

/* The sandbox could not be built (the reason is printed). */
#define EXIT_NO_SANDBOX 125
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND	127

static int run_sandbox(int argc, char **argv);

const struct command cmd_sandbox = {
    .name = "sandbox",
    .usage = "corral sandbox [--write PATH]... [--deny-read GLOB]... "
	     "[--network] [--] CMD [ARGS...]",
    .summary = "run a command in a bubblewrap sandbox with a seccomp filter",
    .help =
	"The root is read-only; the current directory and each --write PATH\n"
	"are writable, except .git, .codex, .claude and .devcontainer inside\n"
	"them.  New user, PID, IPC, UTS and network namespaces, a seccomp\n"
	"filter (no ptrace, io_uring, bpf, keyrings, perf, userfaultfd,\n"
	"kexec, modules; only AF_UNIX sockets).\n\n"
	"  -w, --write PATH       also writable (repeatable)\n"
	"  -d, --deny-read GLOB   hide matching files and directories; a\n"
	"                         relative GLOB is matched below the current\n"
	"                         directory, ** spans directories: '**/*.env'\n"
	"  -n, --network          keep the network (AF_INET, AF_INET6 and\n"
	"                         AF_NETLINK sockets allowed)\n\n"
	"Exit status: CMD's own; 128+N when CMD was killed by signal N; 125\n"
	"the sandbox could not be built (the reason and the fix are printed;\n"
	"CMD never ran); 126 CMD could not be run; 127 CMD not found; 2 usage\n"
	"error.\n",
    .run = run_sandbox,
};

/* 0 when CMD can be run (an executable file, on PATH unless it names a
 * path), else the exit status, with the reason printed. */
static int check_command(const char *cmd)
{
	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK) == 0)
			return 0;
		int err = errno;
		log_msg(NULL, "sandbox: %s: %s", cmd, strerror(err));
		return err == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		char file[4096];
		struct stat st;
		if (snprintf(file, sizeof file, "%.*s%s%s", (int)len, path,
			     len ? "/" : "", cmd) < (int)sizeof file &&
		    stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(file, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	log_msg(NULL, "sandbox: %s: command not found", cmd);
	return EXIT_NOT_FOUND;
}

struct options {
	struct strv write, deny_globs;
	bool network;
};

static void parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"write", required_argument, NULL, 'w'},
	    {"deny-read", required_argument, NULL, 'd'},
	    {"network", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(&cmd_sandbox, argc, argv, "+:w:d:nh",
			       longopts)) != -1) {
		switch (c) {
		case 'w': {
			char *real = realpath(optarg, NULL);
			if (!real)
				usage_error(&cmd_sandbox, "--write %s: %s",
					    optarg, strerror(errno));
			if (strv_add(&o->write, real) < 0)
				die("out of memory");
			free(real);
			break;
		}
		case 'd':
			if (!*optarg)
				usage_error(&cmd_sandbox,
					    "--deny-read needs a glob");
			if (strv_add(&o->deny_globs, optarg) < 0)
				die("out of memory");
			break;
		case 'n':
			o->network = true;
			break;
		}
	}
	if (optind >= argc)
		usage_error(&cmd_sandbox, "no command given");
}

/* The mode-000 stand-ins for hidden files and directories, in a private
 * directory removed when the sandbox ends. */
static char *make_standins(char *file, char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	char *base = malloc(len);
	if (!base)
		die("out of memory");
	snprintf(base, len, "%s/corral-sandbox-XXXXXX",
		 tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(base))
		die_errno("sandbox: creating %s", base);
	snprintf(file, len, "%s/file", base);
	snprintf(dir, len, "%s/dir", base);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0 || mkdir(dir, 0) < 0)
		die_errno("sandbox: creating %s", file);
	close(fd);
	return base;
}

static void remove_standins(char *base, const char *file, const char *dir)
{
	if (!base)
		return;
	unlink(file);
	rmdir(dir);
	rmdir(base);
	free(base);
}

/* bwrap never got to run CMD: say why, from the probe. */
static int explain_failure(void)
{
	struct probe_result r;
	probe_run(&r, NULL);
	const struct probe_check *b = probe_blocker(&r);
	if (b)
		log_msg(NULL,
			"sandbox: cannot build the sandbox, the command did "
			"not run: %s: %s; fix: %s",
			b->name, b->detail, b->fix);
	else
		log_msg(NULL,
			"sandbox: bwrap failed to build the sandbox "
			"(its message is above); the command did not run");
	return EXIT_NO_SANDBOX;
}

static volatile sig_atomic_t bwrap_pid;

/* SIGTERM, SIGINT, SIGHUP: passed to bwrap, whose end (--die-with-parent)
 * ends CMD; corral still waits for it and cleans up. */
static void forward_signal(int sig)
{
	if (bwrap_pid > 0)
		kill((pid_t)bwrap_pid, sig);
}

static void forward_signals(void)
{
	struct sigaction sa = {.sa_handler = forward_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static pid_t spawn_bwrap(char **argv, int seccomp_fd, int block_fd)
{
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* bwrap, and with it the sandbox, goes when corral goes. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(EXIT_NO_SANDBOX);
	if (fcntl(seccomp_fd, F_SETFD, 0) < 0 ||
	    fcntl(block_fd, F_SETFD, 0) < 0)
		_exit(EXIT_NO_SANDBOX);
	execvp(argv[0], argv);
	_exit(EXIT_NOT_FOUND);
}

/* Writes the filter for bwrap; 0, or the errno.  On failure bwrap is
 * killed before the pipe closes, so it never runs CMD with part of a
 * filter.  (A bwrap that could not build the sandbox and is gone makes
 * the write fail too.) */
static int send_filter(int fd, pid_t bwrap, bool network)
{
	signal(SIGPIPE, SIG_IGN); /* after the fork: CMD keeps the default */
	int err = 0;
	if (bwrap > 0 && sandbox_filter_write(fd, network) < 0) {
		err = errno ? errno : EIO;
		kill(bwrap, SIGKILL);
	}
	close(fd);
	return err;
}

/* One run of bwrap.  Whether it built the sandbox (and so ran CMD, whose
 * wait status is in *status). */
static bool run_bwrap(struct sandbox_spec *spec, int *status, int *filter_err)
{
	/* The filter goes through a pipe, written while bwrap starts: the
	 * two take turns on the machine's cores instead of one after the
	 * other.  Room for the whole program, so that a bwrap that died
	 * early never leaves corral blocked on a full pipe. */
	int filter[2];
	if (pipe2(filter, O_CLOEXEC) < 0)
		die_errno("sandbox: pipe");
	fcntl(filter[1], F_SETPIPE_SZ, 1 << 20);
	/* The byte bwrap takes once the sandbox is built; with the write
	 * end closed, an empty pipe reads as end of file. */
	int block[2];
	if (pipe2(block, O_CLOEXEC) < 0 || write(block[1], "1", 1) != 1)
		die_errno("sandbox: pipe");
	close(block[1]);
	spec->seccomp_fd = filter[0];
	spec->block_fd = block[0];
	struct strv bwrap = {0};
	if (bwrap_args_build(spec, &bwrap) < 0)
		die("out of memory");

	pid_t pid = spawn_bwrap(bwrap.v, filter[0], block[0]);
	close(filter[0]);
	bwrap_pid = pid;
	forward_signals();
	*filter_err = send_filter(filter[1], pid, spec->network);
	while (pid > 0 && waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	bwrap_pid = 0;
	char byte;
	bool built = pid > 0 && read(block[0], &byte, 1) == 0;
	close(block[0]);
	strv_free(&bwrap);
	return built;
}

static int run_sandbox(int argc, char **argv)
{
	struct options o = {0};
	parse(argc, argv, &o);
	char **cmd = argv + optind;
	int rc = check_command(cmd[0]);
	if (rc)
		return rc;

	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		die_errno("sandbox: the current directory");
	bool root_writable = strcmp(cwd, "/") == 0;
	for (size_t i = 0; i < o.write.n; i++)
		root_writable |= strcmp(o.write.v[i], "/") == 0;
	if (root_writable) {
		log_msg(NULL, "sandbox: refusing to make / writable: run it "
			      "from the project's directory");
		return EXIT_NO_SANDBOX;
	}
	struct strv deny = {0};
	if (deny_read_find((const char *const *)o.deny_globs.v, o.deny_globs.n,
			   cwd, &deny) < 0)
		die("out of memory");
	char file[4096], dir[4096], *standins = NULL;
	if (deny.n)
		standins = make_standins(file, dir, sizeof file);

	struct sandbox_spec spec = {
	    .cwd = cwd,
	    .write = (const char *const *)o.write.v,
	    .n_write = o.write.n,
	    .deny = (const char *const *)deny.v,
	    .n_deny = deny.n,
	    .deny_file = file,
	    .deny_dir = dir,
	    .network = o.network,
	    .cmd = cmd,
	};
	int status = 0, filter_err = 0;
	bool built = run_bwrap(&spec, &status, &filter_err);
	/* bwrap's recursive read-only bind of / fails when a mount below it
	 * comes or goes meanwhile (containers starting on the host): CMD
	 * never ran, so one more try is safe.  Not when bwrap is missing. */
	if (!built &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_NOT_FOUND)) {
		log_msg(NULL, "sandbox: bwrap could not build the sandbox, "
			      "trying once more");
		built = run_bwrap(&spec, &status, &filter_err);
	}
	remove_standins(standins, file, dir);
	strv_free(&deny);
	strv_free(&o.write);
	strv_free(&o.deny_globs);
	if (!built)
		return explain_failure();
	if (filter_err) {
		log_msg(NULL,
			"sandbox: building the seccomp filter: %s; the "
			"command did not run",
			strerror(filter_err));
		return EXIT_NO_SANDBOX;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
