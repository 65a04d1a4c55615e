/* corral status | wait | reload: clients of corral init's control socket. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/command.h"
#include "../common/log.h"
#include "fw_boot.h"

static int run_status(int argc, char **argv);
static int run_wait(int argc, char **argv);
static int run_reload(int argc, char **argv);

const struct command cmd_status = {
	.name = "status",
	.usage = "corral status [--json]",
	.summary = "show what corral init enforces and what it blocked",
	.help = "Works for any user.  --json prints one object with at least ready,\n"
		"backend, names, wildcards, networks, dynamic_addresses,\n"
		"blocked_queries, blocked_connections and last_blocked (each with the\n"
		"config line that would allow it).\n\n"
		"Exit status: 0 shown, 1 corral init is not running, 2 usage error.\n",
	.run = run_status,
};

const struct command cmd_wait = {
	.name = "wait",
	.usage = "corral wait [--timeout SECONDS]",
	.summary = "return as soon as corral init is ready (for postStartCommand)",
	.help = "  -t, --timeout SECONDS   give up after this long (default 30)\n\n"
		"Exit status: 0 ready, 1 timed out or init failed (the reason is\n"
		"printed), 2 usage error.\n",
	.run = run_wait,
};

const struct command cmd_reload = {
	.name = "reload",
	.usage = "corral reload",
	.summary = "make corral init re-read the config and swap the policy atomically",
	.help = "Root only.  An invalid config keeps the policy in force; the reason is\n"
		"printed and the exit status is 1.  Addresses learned from DNS that the\n"
		"new config still allows stay open.\n\n"
		"Exit status: 0 reloaded, 1 refused or failed, 2 usage error.\n",
	.run = run_reload,
};

/* Sends one request line, reads the whole reply into buf.  -1 with errno
 * when init is not there. */
static ssize_t request(const char *req, char *buf, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	corral_run_path("control", sa.sun_path, sizeof sa.sun_path);
	cleanup_fd int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	/* A reload re-resolves names: give it time. */
	struct timeval tv = {30, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	size_t rl = strlen(req);
	if (send(fd, req, rl, MSG_NOSIGNAL) != (ssize_t)rl)
		return -1;
	size_t off = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + off, len - 1 - off, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0 || (off += (size_t)n) == len - 1)
			break;
	}
	buf[off] = '\0';
	return (ssize_t)off;
}

static void read_state(char *buf, size_t len)
{
	buf[0] = '\0';
	char path[256];
	FILE *f = fopen(corral_run_path("state", path, sizeof path), "re");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static void no_flags(const struct command *cmd, int argc, char **argv, bool *json, double *timeout)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(cmd, argc, argv, "+:jt:h", opts)) != -1) {
		char *end;
		switch (c) {
		case 'j':
			if (!json)
				usage_error(cmd, "unknown option '--json'");
			*json = true;
			break;
		case 't':
			if (!timeout)
				usage_error(cmd, "unknown option '--timeout'");
			*timeout = strtod(optarg, &end);
			if (*end || *timeout < 0)
				usage_error(cmd, "--timeout needs a number of seconds");
			break;
		}
	}
	cmd_no_operands(cmd, argc, argv);
}

static int run_status(int argc, char **argv)
{
	bool json = false;
	no_flags(&cmd_status, argc, argv, &json, NULL);
	char buf[8192];
	if (request(json ? "status-json\n" : "status\n", buf, sizeof buf) < 0) {
		char state[512];
		read_state(state, sizeof state);
		if (json)
			printf("{\"ready\":false,\"backend\":null,\"error\":\"corral init is not running\"}\n");
		log_msg(NULL, "corral init is not running here (%s%s)",
			state[0] ? "last state: " : "no control socket in ", state[0] ? state : corral_run_dir());
		return EXIT_FAIL;
	}
	fputs(buf, stdout);
	return EXIT_OK;
}

static int run_wait(int argc, char **argv)
{
	double timeout = 30;
	no_flags(&cmd_wait, argc, argv, NULL, &timeout);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char buf[256], state[512];
	for (;;) {
		if (request("wait\n", buf, sizeof buf) > 0 && strncmp(buf, "ready", 5) == 0)
			return EXIT_OK;
		read_state(state, sizeof state);
		if (strncmp(state, "failed", 6) == 0) {
			log_msg(NULL, "corral init %s", state);
			return EXIT_FAIL;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		double el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		if (el >= timeout) {
			log_msg(NULL, "corral init not ready after %.0f s (%s)", timeout,
				state[0] ? state : "not started");
			return EXIT_FAIL;
		}
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

static int run_reload(int argc, char **argv)
{
	no_flags(&cmd_reload, argc, argv, NULL, NULL);
	char buf[1024];
	if (request("reload\n", buf, sizeof buf) < 0) {
		log_msg(NULL, "corral init is not running here (no control socket in %s)",
			corral_run_dir());
		return EXIT_FAIL;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (strncmp(buf, "ok", 2) == 0) {
		info("reloaded");
		return EXIT_OK;
	}
	log_msg(NULL, "%s", strncmp(buf, "error: ", 7) == 0 ? buf + 7 : buf);
	return EXIT_FAIL;
}
