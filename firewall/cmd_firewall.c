/* corral apply | show | clear: the static allowlist, by hand. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/command.h"
#include "../common/log.h"
#include "../common/policy.h"
#include "dns_ipc.h"
#include "backend.h"
#include "dns_scope.h"
#include "rebind.h"
#include "resolve.h"

#define RESOLVE_TIMEOUT_MS 5000

static int run_apply(int argc, char **argv);
static int run_show(int argc, char **argv);
static int run_clear(int argc, char **argv);

const struct command cmd_apply = {
	.name = "apply",
	.usage = "corral apply [--config PATH] [--verbose]",
	.summary = "resolve the allowed names and load the whole policy, atomically",
	.help = "Reads /etc/corral/corral.conf (or PATH), then /etc/corral/allow.d/*.conf\n"
		"and CORRAL_ALLOW, resolves every allowed name through the upstream(s),\n"
		"and replaces table inet corral in one atomic nftables transaction.\n"
		"On any failure the rules in force stay exactly as they were.\n\n"
		"  -c, --config PATH   read PATH instead of /etc/corral/corral.conf\n"
		"  -v, --verbose       say more\n\n"
		"Exit status: 0 applied, 1 failed (nothing changed), 2 usage error.\n",
	.run = run_apply,
};

const struct command cmd_show = {
	.name = "show",
	.usage = "corral show",
	.summary = "print the policy in force, read back from the kernel",
	.help = "Exit status: 0 shown, 1 no corral table or error, 2 usage error.\n",
	.run = run_show,
};

const struct command cmd_clear = {
	.name = "clear",
	.usage = "corral clear",
	.summary = "remove table inet corral (opens the network)",
	.help = "Exit status: 0 removed or absent, 1 error, 2 usage error.\n",
	.run = run_clear,
};

struct fw_args {
	const char *config;
};

static void parse_args(const struct command *cmd, int argc, char **argv,
		       struct fw_args *a, bool takes_config)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	cmd_getopt_reset();
	int c;
	while ((c = cmd_getopt(cmd, argc, argv, "+:c:vh", opts)) != -1) {
		switch (c) {
		case 'c':
			if (!takes_config)
				usage_error(cmd, "unknown option '--config'");
			a->config = optarg;
			break;
		case 'v':
			log_verbose = true;
			break;
		}
	}
	cmd_no_operands(cmd, argc, argv);
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The same rebinding protection as the forwarder's: a name never opens a
 * private, loopback, link-local... address unless a network allows it. */
static void strip_rebinding(const struct policy *p, struct resolve_result *r)
{
	size_t out = 0;
	for (size_t i = 0; i < r->n; i++) {
		const char *range = rebind_range(&r->v[i].addr);
		if (range && !policy_allows_address(p, &r->v[i].addr)) {
			char buf[64];
			warn("dropped %s (%s address) from the answer for %s",
			     ipaddr_str(&r->v[i].addr, -1, buf, sizeof buf), range,
			     p->targets[r->v[i].target].name);
			continue;
		}
		r->v[out++] = r->v[i];
	}
	r->n = out;
}

static int run_apply(int argc, char **argv)
{
	struct fw_args a = {0};
	parse_args(&cmd_apply, argc, argv, &a, true);
	double start = now_ms();
	char err[512];
	struct policy p;
	struct config_source src = {.config_path = a.config,
				    .env_allow = getenv("CORRAL_ALLOW")};
	if (policy_load(&p, &src, err, sizeof err) < 0) {
		log_msg(NULL, "%s (nothing was changed)", err);
		return EXIT_FAIL;
	}
	if (p.n_wildcards)
		warn("%zu wildcard name(s) need the DNS forwarder and are not opened by "
		     "'corral apply' alone", p.n_wildcards);
	struct resolve_result r = {0};
	if (p.n_names) {
		/* Marked like the forwarder's sockets, so a second apply still
		 * reaches the upstream through the first one's DNS redirect. */
		resolve_set_mark(CORRAL_DNS_MARK);
		if (resolve_policy(&p, RESOLVE_TIMEOUT_MS, &r, err, sizeof err) < 0) {
			log_msg(NULL, "%s (nothing was changed)", err);
			policy_free(&p);
			return EXIT_FAIL;
		}
		strip_rebinding(&p, &r);
		if (r.names_ok == 0) {
			char up[64] = "no upstream";
			if (p.n_upstreams)
				ipaddr_str(&p.upstreams[0].addr, -1, up, sizeof up);
			log_msg(NULL, "none of the %zu allowed names resolved through %s: "
				"check the upstream DNS server (nothing was changed)",
				p.n_names, up);
			resolve_result_free(&r);
			policy_free(&p);
			return EXIT_FAIL;
		}
	}
	struct nft_opts o = {0};
	int rc = fw_apply_dns_scoped(&p, r.v, r.n, &o, NULL, err, sizeof err);
	if (rc < 0) {
		log_msg(NULL, "%s (nothing was changed)", err);
	} else {
		info("applied in %.0f ms: %zu name(s) (%zu addresses), %zu network(s)",
		     now_ms() - start, p.n_names, r.n, p.n_nets);
	}
	resolve_result_free(&r);
	policy_free(&p);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

static int run_show(int argc, char **argv)
{
	struct fw_args a = {0};
	parse_args(&cmd_show, argc, argv, &a, false);
	char err[512];
	int rc = fw_show(stdout, err, sizeof err);
	if (rc < 0) {
		log_msg(NULL, "%s", err);
		return EXIT_FAIL;
	}
	if (rc == 1) {
		log_msg(NULL, "no corral policy in force (table inet corral does not exist): "
			"run 'corral apply'");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int run_clear(int argc, char **argv)
{
	struct fw_args a = {0};
	parse_args(&cmd_clear, argc, argv, &a, false);
	char err[512];
	if (fw_clear(err, sizeof err) < 0) {
		log_msg(NULL, "%s", err);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
