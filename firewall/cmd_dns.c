/* corral dns: the DNS-aware forwarder in the foreground, for tests and for
 * use without corral init.  Expects the ruleset from `corral apply`. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/command.h"
#include "../common/log.h"
#include "../common/policy.h"
#include "backend.h"
#include "dns_priv.h"

static int run_dns(int argc, char **argv);

const struct command cmd_dns = {
	.name = "dns",
	.usage = "corral dns [--config PATH] [--user USER] [--verbose]",
	.summary = "run the DNS-aware forwarder in the foreground",
	.help = "Listens on 127.0.0.1:53 and [::1]:53 (UDP and TCP), answers only allowed\n"
		"names, and opens the addresses of each answer in table inet corral for as\n"
		"long as its TTL says (clamped by ttl-min and ttl-max) before the client\n"
		"sees the answer.  Every other name gets NXDOMAIN and is never forwarded.\n"
		"Run 'corral apply' first: its ruleset redirects all DNS to the forwarder.\n\n"
		"  -c, --config PATH   read PATH instead of /etc/corral/corral.conf\n"
		"  -u, --user USER     run the packet-parsing process as USER (default: nobody)\n"
		"  -v, --verbose       say more\n\n"
		"Stops on SIGTERM or SIGINT.  Exit status: 0 stopped, 1 failed to start,\n"
		"2 usage error.\n",
	.run = run_dns,
};

static int run_dns(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"user", required_argument, NULL, 'u'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config = NULL, *user = NULL;
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(&cmd_dns, argc, argv, "+:c:u:vh", opts)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			log_verbose = true;
			break;
		}
	}
	cmd_no_operands(&cmd_dns, argc, argv);

	char err[512];
	struct policy p;
	struct config_source src = {.config_path = config, .env_allow = getenv("CORRAL_ALLOW")};
	if (policy_load(&p, &src, err, sizeof err) < 0)
		die("%s", err);
	if (p.n_upstreams == 0)
		die("no DNS upstream: add an 'upstream' line to the config or a nameserver to "
		    "/etc/resolv.conf");

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die_errno("signalfd");

	struct dns_priv d;
	if (dns_priv_start(&d, &p, user, err, sizeof err) < 0)
		die("%s", err);
	info("DNS forwarder ready on 127.0.0.1:53%s: %zu names, %zu wildcards",
	     d.listen.udp6 >= 0 ? " and [::1]:53" : "", p.n_names, p.n_wildcards);

	for (;;) {
		struct pollfd pf[2] = {{.fd = sfd, .events = POLLIN}, {.fd = d.ipc_fd, .events = POLLIN}};
		int timeout = dns_priv_tick(&d), fw = fw_tick();
		if (fw >= 0 && (timeout < 0 || fw < timeout))
			timeout = fw;
		pf[1].fd = d.ipc_fd;
		if (poll(pf, 2, timeout) < 0 && errno != EINTR)
			die_errno("poll");
		if (pf[1].revents)
			dns_priv_handle_ipc(&d);
		if (!(pf[0].revents & POLLIN))
			continue;
		struct signalfd_siginfo si;
		bool stop = false;
		while (read(sfd, &si, sizeof si) == sizeof si) {
			if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				stop = true;
			if (si.ssi_signo != SIGCHLD)
				continue;
			int status;
			pid_t pid;
			while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
				dns_priv_child_exited(&d, pid, status);
		}
		if (stop)
			break;
	}
	info("DNS forwarder stopping: %llu answers, %llu blocked queries",
	     (unsigned long long)d.st.allowed_answers, (unsigned long long)d.st.blocked_queries);
	dns_priv_stop(&d);
	policy_free(&p);
	close(sfd);
	return EXIT_OK;
}
