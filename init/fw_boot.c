/* Boot order: config, firewall (owned table), forwarder, read-back, then
 * CMD.  Any failure before CMD: one line and a non-zero exit, and nothing
 * ever ran with an open network.  After CMD starts: log and carry on. */
#include "fw_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../firewall/backend.h"
#include "../firewall/dns_scope.h"
#include "../firewall/lean.h"
#include "../firewall/nflog.h"
#include "../firewall/resolve.h"
#include "../sandbox/mode.h"


static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *corral_run_dir(void)
{
	const char *d = getenv("CORRAL_RUN_DIR");
	return d && d[0] == '/' ? d : CORRAL_RUN_DIR;
}

const char *corral_run_path(const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", corral_run_dir(), file);
	return buf;
}

void fw_write_state(const struct fw_boot *b, const char *state)
{
	char path[256], tmp[272];
	snprintf(path, sizeof path, "%s/state", b->run_dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	fprintf(f, "%s\n", state);
	if (fclose(f) == 0)
		rename(tmp, path);
}

__attribute__((noreturn, format(printf, 2, 3))) static void
boot_fail(struct fw_boot *b, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	char state[640];
	snprintf(state, sizeof state, "failed: %s", msg);
	fw_write_state(b, state);
	die("%s", msg);
}

/* A container's loopback is up; a bare network namespace's is not, and
 * the forwarder listens on it. */
static void loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct ifreq ifr = {0};
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			warn("cannot bring the loopback interface up: %s", strerror(errno));
	}
	close(fd);
}

static int boot(void *ctx)
{
	struct fw_boot *b = ctx;
	char err[512];
	b->t0 = now_s();
	mkdir(b->run_dir, 0755);
	fw_write_state(b, "booting");
	loopback_up();

	struct config_source src = {.config_path = b->config,
				    .env_allow = getenv("CORRAL_ALLOW")};
	if (policy_load(&b->p, &src, err, sizeof err) < 0)
		boot_fail(b, "%s", err);
	if (b->p.keep_caps && b->drop_caps) {
		uint64_t keep = 0;
		if (init_caps_parse(b->p.keep_caps, &keep, err, sizeof err) < 0)
			boot_fail(b, "%s:%u: keep-caps: %s", b->p.files[b->p.keep_caps_file],
				  b->p.keep_caps_line, err);
		*b->drop_caps &= ~keep;
	}
	sandbox_probe_start(b);
	if (b->p.n_upstreams == 0)
		boot_fail(b, "no DNS upstream: add an 'upstream' line to the config or a "
			  "nameserver to /etc/resolv.conf");

	/* No name is resolved here: the forwarder resolves every allowed name
	 * as soon as it starts (its warm-up), through the same checked path as
	 * any answer, so ready does not wait for an upstream's round trips. */
	/* What the ruleset refuses is also logged to an NFLOG group, so status
	 * can list blocked connections; a kernel without NFLOG gets the table
	 * without that rule (they are still counted). */
	struct nft_opts o = {.owner = true, .log_group = CORRAL_NFLOG_GROUP};
	b->owner_fd = -1;
	if (fw_apply_dns_scoped(&b->p, NULL, 0, &o, &b->owner_fd, err, sizeof err) < 0) {
		char err2[512];
		o.log_group = 0;
		if (fw_apply_dns_scoped(&b->p, NULL, 0, &o, &b->owner_fd, err2,
					sizeof err2) < 0)
			boot_fail(b, "%s", err);
		warn("blocked connections are counted, not listed: %s", err);
	}
	b->dns_cgroup = o.dns_cgroup;
	/* The batch for thousands of networks is freed: give its pages back
	 * before the forwarder is forked (it would share them) and for good. */
	malloc_trim(0);

	if (dns_priv_start(&b->dns, &b->p, NULL, err, sizeof err) < 0)
		boot_fail(b, "%s", err);
	b->dns.nl_fd = b->owner_fd; /* only the owner may add to its sets */
	b->dns_up = true;
	if (o.log_group &&
	    dns_priv_watch_blocked(&b->dns, o.log_group, err, sizeof err) < 0)
		warn("blocked connections are counted, not listed: %s", err);

	if (fw_verify(true, err, sizeof err) < 0)
		boot_fail(b, "%s", err);
	if (sandbox_boot(b, err, sizeof err) < 0)
		boot_fail(b, "%s", err);

	char sock[256];
	b->ctl_fd = control_listen(corral_run_path("control", sock, sizeof sock), err, sizeof err);
	if (b->ctl_fd < 0)
		warn("%s: corral status, wait and reload will not work", err);
	b->ready = true;
	fw_write_state(b, "ready");
	char up[64];
	ipaddr_str(&b->p.upstreams[0].addr, -1, up, sizeof up);
	if (!b->quiet)
		info("ready in %.0f ms: %zu names, %zu wildcards, %zu networks, DNS via %s, "
		     "sandbox %s, firewall %s",
		     (now_s() - b->t0) * 1e3, b->p.n_names, b->p.n_wildcards, b->p.n_nets, up,
		     sandbox_mode_name(b->sandbox), fw_backend_name());
	lean_now(); /* what boot alone needed goes back (lean.h) */
	return 0;
}

static bool reaped(void *ctx, pid_t pid, int status)
{
	struct fw_boot *b = ctx;
	return b->dns_up && dns_priv_child_exited(&b->dns, pid, status);
}

static size_t pollfds(void *ctx, struct pollfd *pf, size_t max, int *timeout_ms)
{
	struct fw_boot *b = ctx;
	size_t n = 0;
	if (!b->dns_up || max < 2)
		return 0;
	int t = dns_priv_tick(&b->dns);
	if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
		*timeout_ms = t;
	t = fw_tick(); /* iptables: expiry and self-check */
	if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
		*timeout_ms = t;
	if (b->dns.ipc_fd >= 0)
		pf[n++] = (struct pollfd){.fd = b->dns.ipc_fd, .events = POLLIN};
	if (b->dns.nflog_fd >= 0 && n < max)
		pf[n++] = (struct pollfd){.fd = b->dns.nflog_fd, .events = POLLIN};
	if (b->ctl_fd >= 0)
		pf[n++] = (struct pollfd){.fd = b->ctl_fd, .events = POLLIN};
	return n;
}

static void events(void *ctx, const struct pollfd *pf, size_t n)
{
	struct fw_boot *b = ctx;
	for (size_t i = 0; i < n; i++) {
		if (!pf[i].revents)
			continue;
		if (pf[i].fd == b->dns.ipc_fd)
			dns_priv_handle_ipc(&b->dns);
		else if (pf[i].fd == b->dns.nflog_fd)
			dns_priv_handle_nflog(&b->dns);
		else if (pf[i].fd == b->ctl_fd)
			control_serve(b);
	}
}

static void stop(void *ctx, int exit_code)
{
	struct fw_boot *b = ctx;
	(void)exit_code;
	if (b->ctl_fd >= 0) {
		char sock[256];
		close(b->ctl_fd);
		unlink(corral_run_path("control", sock, sizeof sock));
	}
	if (b->dns_up)
		dns_priv_stop(&b->dns); /* closes the owner socket: the table goes */
	fw_stop(); /* iptables has no owner: its chains are removed */
	fw_write_state(b, "stopped");
}

void fw_boot_hooks(struct fw_boot *b, struct init_hooks *h)
{
	memset(h, 0, sizeof *h);
	h->ctx = b;
	h->boot = boot;
	h->reaped = reaped;
	h->pollfds = pollfds;
	h->events = events;
	h->stop = stop;
	b->ctl_fd = -1;
	b->owner_fd = -1;
	b->probe_fd = -1;
	if (!b->run_dir)
		b->run_dir = corral_run_dir();
}

struct keep_ctx {
	const struct policy *p;
	struct resolve_result *r;
	char (*names)[DNS_NAME_MAX + 1]; /* parallel to r->v */
	double now;
};

static int keep_push(struct keep_ctx *k, const struct resolved *e, const char *name)
{
	if (k->r->n == k->r->cap) {
		size_t cap = k->r->cap ? k->r->cap * 2 : 64;
		struct resolved *v = reallocarray(k->r->v, cap, sizeof *v);
		if (!v)
			return -1;
		k->r->v = v;
		k->r->cap = cap;
	}
	char(*nn)[DNS_NAME_MAX + 1] = reallocarray(k->names, k->r->cap, sizeof *nn);
	if (!nn)
		return -1;
	k->names = nn;
	snprintf(k->names[k->r->n], sizeof k->names[0], "%s", name);
	k->r->v[k->r->n++] = *e;
	return 0;
}

/* A learned address survives a reload when a name of the new policy still
 * matches the name that opened it; it keeps the time it had left. */
static void keep_live(void *ctx, const struct ipaddr *a, uint16_t portspec, double expires,
		      const char *name)
{
	struct keep_ctx *k = ctx;
	(void)portspec;
	for (size_t i = 0; i < k->p->n_targets; i++) {
		const struct target *t = &k->p->targets[i];
		if (!target_matches_name(t, name))
			continue;
		struct resolved e = {.addr = *a, .ttl = (uint32_t)(expires - k->now) + 1,
				     .portspec = t->portspec, .target = (uint32_t)i};
		if (keep_push(k, &e, name) < 0)
			return;
	}
}

int fw_reload(struct fw_boot *b, char *err, size_t errlen)
{
	struct policy np;
	struct config_source src = {.config_path = b->config,
				    .env_allow = getenv("CORRAL_ALLOW")};
	if (policy_load(&np, &src, err, errlen) < 0) {
		warn("reload: %s (the policy in force is unchanged)", err);
		return -1;
	}
	struct resolve_result r = {0};
	struct keep_ctx k = {.p = &np, .r = &r, .now = now_s()};
	dns_priv_each_live(&b->dns, keep_live, &k);
	struct nft_opts o = {.owner = true,
			     .log_group = b->dns.nflog_fd >= 0 ? CORRAL_NFLOG_GROUP : 0,
			     .dns_cgroup = b->dns_cgroup};
	int rc = fw_apply(&np, r.v, r.n, &o, &b->owner_fd, err, errlen);
	if (rc < 0) {
		warn("reload: %s (the policy in force is unchanged)", err);
		resolve_result_free(&r);
		free(k.names);
		policy_free(&np);
		return -1;
	}
	if (np.backend && strcmp(np.backend == BACKEND_IPTABLES ? "iptables" : "nftables",
				 fw_backend_name()) != 0)
		warn("reload: the backend stays %s until corral init restarts", fw_backend_name());
	policy_free(&b->p);
	b->p = np;
	b->dns.p = &b->p;
	dns_priv_reset_learned(&b->dns, r.v, r.n, k.names);
	resolve_result_free(&r);
	free(k.names);
	/* The forwarder holds a copy of the old policy: restart it on the new
	 * one.  Queries wait in the socket buffers meanwhile. */
	dns_priv_restart(&b->dns);
	info("reloaded: %zu names, %zu wildcards, %zu networks", b->p.n_names, b->p.n_wildcards,
	     b->p.n_nets);
	return 0;
}
