/* corral init's firewall side: the hooks that bring the container up
 * closed before CMD runs (config, owned nftables table, DNS forwarder,
 * read-back check) and keep it closed while it runs (forwarder restarts,
 * control socket for status, wait and reload). */
#ifndef CORRAL_FW_BOOT_H
#define CORRAL_FW_BOOT_H

#include <stdbool.h>

#include "../common/policy.h"
#include "../firewall/dns_priv.h"
#include "init.h"

#define CORRAL_RUN_DIR "/run/corral"

/* CORRAL_RUN_DIR from the environment (tests run several inits on one
 * machine), else /run/corral; and the control socket and state file in it. */
const char *corral_run_dir(void);
const char *corral_run_path(const char *file, char *buf, size_t len);

struct fw_boot {
	const char *config; /* --config, or NULL for the default */
	const char *run_dir;
	const char *user; /* --user: the sandbox probe runs as CMD will */
	bool quiet; /* no ready line */
	/* init's drop set: the config's keep-caps takes bits out of it at boot,
	 * before the child is forked.  NULL: the config may not change it. */
	uint64_t *drop_caps;
	struct policy p;
	int owner_fd; /* the netlink socket that owns table inet corral */
	uint64_t dns_cgroup; /* nft_opts.dns_cgroup as applied at boot */
	struct dns_priv dns;
	bool dns_up;
	int ctl_fd;
	double t0;
	bool ready;
	int probe_fd; /* the probe started at boot reports here, -1: none */
	pid_t probe_pid;
	bool sandbox_set; /* the sandbox step has chosen: */
	enum sandbox_mode sandbox;
};

/* Fills h with the hooks, ctx = b. */
void fw_boot_hooks(struct fw_boot *b, struct init_hooks *h);

/* Control requests (control.c), answered from init's loop. */
int control_listen(const char *path, char *err, size_t errlen);
void control_serve(struct fw_boot *b);
/* Re-reads the config and swaps the policy atomically (fw_boot.c).
 * Returns 0, or -1 with err set and the old policy kept. */
int fw_reload(struct fw_boot *b, char *err, size_t errlen);
/* Starts the sandbox probe in a child, as CMD will run, once the config is
 * read: it runs while the firewall comes up (it sends nothing anywhere;
 * its namespaces are its own).  Nothing with `sandbox full-access`. */
void sandbox_probe_start(struct fw_boot *b);
/* The sandbox step (sandbox_boot.c), after the policy is verified: takes
 * the probe's answer, picks the mode, writes RUN_DIR/sandbox and the agents'
 * configs, sets CORRAL_SANDBOX for CMD.  -1 with err only when a forced
 * `sandbox nested` cannot work; other failures are warnings. */
int sandbox_boot(struct fw_boot *b, char *err, size_t errlen);
/* Writes "ready", "booting" or "failed: why" to the state file. */
void fw_write_state(const struct fw_boot *b, const char *state);

#endif
