/* The policy: plain data built once from the config.  The firewall backends,
 * the resolver and (later) the DNS forwarder all read this one structure, so
 * apply, init and reload cannot disagree. */
#ifndef CORRAL_POLICY_H
#define CORRAL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define POLICY_MAX_UPSTREAMS 8
#define PORTSPEC_MAX_RANGES 32
#define DNS_NAME_MAX 253 /* presentation form without the final dot */
#define POLICY_TTL_MIN_DEFAULT 60
#define POLICY_TTL_MAX_DEFAULT 3600

struct port_range {
	uint16_t lo, hi;
};

/* A list of port ranges a target is limited to.  Index 0 of
 * policy.portspecs is always the empty spec, meaning "every port". */
struct portspec {
	uint8_t n;
	struct port_range r[PORTSPEC_MAX_RANGES];
};

enum target_kind {
	TARGET_NAME,     /* api.openai.com */
	TARGET_WILDCARD, /* *.example.com: one or more labels under it, not the apex */
	TARGET_NET,      /* 192.0.2.0/24, 2001:db8::/32, bare address = full prefix */
};

/* An IPv4 or IPv6 address; IPv4 uses the first 4 bytes. */
struct ipaddr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t b[16];
};

struct target {
	uint8_t kind;    /* enum target_kind */
	uint8_t prefix;  /* TARGET_NET: prefix length */
	uint16_t portspec; /* index into policy.portspecs; 0 = all ports */
	uint16_t file;   /* index into policy.files */
	uint32_t line;   /* 0 when the target came from CORRAL_ALLOW */
	struct ipaddr addr; /* TARGET_NET: network address, host bits zero */
	char *name;      /* NAME/WILDCARD: lower case, no trailing dot; a
			    wildcard stores the suffix without "*." */
};

struct upstream {
	struct ipaddr addr;
	uint16_t port; /* host order, 53 unless given */
};

enum sandbox_mode { SANDBOX_AUTO = 0, SANDBOX_NESTED, SANDBOX_FULL_ACCESS };
enum fw_backend_choice { BACKEND_AUTO = 0, BACKEND_NFTABLES, BACKEND_IPTABLES };

struct policy {
	struct target *targets;
	size_t n_targets, cap_targets;
	struct portspec *portspecs;
	size_t n_portspecs, cap_portspecs;
	char **files; /* config files read, for file:line messages */
	size_t n_files;
	struct upstream upstreams[POLICY_MAX_UPSTREAMS];
	size_t n_upstreams;
	bool upstreams_from_resolv; /* no upstream line: taken from resolv.conf */
	/* Bounds on how long an address learned from DNS stays open (seconds):
	 * the element timeout is the record's TTL clamped to [ttl_min, ttl_max]. */
	uint32_t ttl_min, ttl_max;
	/* `sandbox auto|nested|full-access` (issue 5); sandbox_line is 0 when the
	 * config does not say, so a forced mode's error can name its line. */
	enum sandbox_mode sandbox;
	uint32_t sandbox_line;
	uint16_t sandbox_file;
	/* `backend auto|nftables|iptables` (issue 7); backend_line 0: not said. */
	enum fw_backend_choice backend;
	uint32_t backend_line;
	uint16_t backend_file;
	/* `keep-caps CAP,...`: capabilities the child keeps in its bounding set
	 * (net_admin, net_raw and sys_admin are dropped by default).  Kept as
	 * text: init parses it (init_caps_parse) and names file:line on error. */
	char *keep_caps;
	uint32_t keep_caps_line;
	uint16_t keep_caps_file;
	size_t n_names, n_wildcards, n_nets; /* counts by kind */
};

/* Default paths; tests point CORRAL_CONF_DIR elsewhere only through --config. */
#define CORRAL_DEFAULT_CONFIG "/etc/corral/corral.conf"
#define CORRAL_DEFAULT_ALLOW_DIR "/etc/corral/allow.d"
#define CORRAL_RESOLV_CONF "/etc/resolv.conf"

struct config_source {
	const char *config_path;  /* NULL: CORRAL_DEFAULT_CONFIG */
	const char *allow_dir;    /* NULL: CORRAL_DEFAULT_ALLOW_DIR; "" = none */
	const char *env_allow;    /* value of CORRAL_ALLOW, may be NULL */
	const char *resolv_conf;  /* NULL: CORRAL_RESOLV_CONF */
};

/* Reads the config files and CORRAL_ALLOW into *p.  On error returns -1 and
 * writes one line "file:line: what is wrong" into err; *p is then empty. */
int policy_load(struct policy *p, const struct config_source *src, char *err,
		size_t errlen);
/* Parses one config file's text (used by policy_load and by the unit tests). */
int policy_parse_text(struct policy *p, const char *file, const char *text,
		      char *err, size_t errlen);
/* Parses one target ("api.openai.com", "*.x.test", "192.0.2.0/24",
 * "2001:db8::1") with an already-parsed port spec index. */
int policy_add_target(struct policy *p, const char *word, uint16_t portspec,
		      uint16_t file, uint32_t line, char *err, size_t errlen);
/* Parses "22,443,8000-8100" into *spec. */
int portspec_parse(const char *s, struct portspec *spec, char *err, size_t errlen);
uint16_t policy_intern_portspec(struct policy *p, const struct portspec *spec);
void policy_free(struct policy *p);

/* Formats an address or network for people ("192.0.2.0/24", "2001:db8::1"). */
const char *ipaddr_str(const struct ipaddr *a, int prefix, char *buf, size_t len);
/* Formats a port spec ("22,443,8000-8100"; "" for all ports). */
const char *portspec_str(const struct portspec *spec, char *buf, size_t len);
/* The upstream as a socket address for connect()/sendto(); returns its length. */
socklen_t upstream_sockaddr(const struct upstream *u, struct sockaddr_storage *ss);
/* Does name (lower case, no trailing dot) match the target's name or wildcard? */
bool target_matches_name(const struct target *t, const char *name);

#endif
