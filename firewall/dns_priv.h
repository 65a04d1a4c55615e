/* The privileged side of the DNS forwarder: binds the listening sockets,
 * runs the unprivileged forwarder as a child (restarting it when it dies),
 * hands it marked upstream sockets, and opens the addresses it asks for
 * after checking them again against the policy.  Driven by the caller's
 * poll loop (corral dns now, corral init later). */
#ifndef CORRAL_DNS_PRIV_H
#define CORRAL_DNS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/policy.h"
#include "dns_fwd.h"
#include "resolve.h"

struct dns_expiry; /* address -> when its element times out */

struct dns_priv_stats {
	uint64_t blocked_queries;   /* names not allowed, refused locally */
	uint64_t allowed_answers;   /* answers released after their ACK */
	uint64_t failed_inserts;    /* answers turned into SERVFAIL */
	uint64_t rejected_requests; /* requests the policy re-check refused */
	uint64_t restarts;          /* forwarder restarts */
};

#define DNS_PRIV_RECENT 8

struct dns_blocked_event {
	char name[DNS_NAME_MAX + 1];
	uint16_t qtype;
	double when; /* monotonic seconds */
};

/* A connection the ruleset refused (as NFLOG reported it). */
struct dns_conn_event {
	struct ipaddr addr;
	uint16_t port;  /* 0: none (ICMP, a later fragment) */
	uint8_t proto;  /* IPPROTO_* */
	unsigned count; /* packets logged for it (retries included) */
	double when;	/* monotonic seconds, the latest */
	char name[DNS_NAME_MAX + 1]; /* a name that resolved to addr, or "" */
};

struct dns_priv {
	const struct policy *p;
	const char *run_as; /* user the forwarder runs as (NULL: nobody) */
	struct dns_fwd_sockets listen;
	int ipc_fd;  /* our end of the socketpair, -1 while no child */
	pid_t child; /* 0 while none */
	int nl_fd;   /* netlink socket for element adds, -1 until first use */
	double child_started; /* monotonic seconds */
	double next_restart;  /* monotonic seconds; restart backoff */
	unsigned quick_deaths;
	bool restart_requested;
	struct dns_expiry *exp;
	struct dns_priv_stats st;
	double last_blocked_log;
	unsigned blocked_logged;
	/* The last blocked queries, newest at recent[(recent_next - 1) % N]. */
	struct dns_blocked_event recent[DNS_PRIV_RECENT];
	size_t recent_next;
	/* Blocked connections: the NFLOG socket (-1: only counted), and the
	 * last ones, distinct (protocol, address, port), in a ring too. */
	int nflog_fd;
	struct dns_conn_event conns[DNS_PRIV_RECENT];
	size_t conns_next;
	double last_conn_log;
	unsigned conns_logged;
};

/* Binds UDP and TCP on 127.0.0.1:53 and [::1]:53 (IPv6 optional: a box
 * without ::1 gets a warning), raises RLIMIT_NOFILE and starts the child.
 * Returns 0, or -1 with err set (nothing left running). */
int dns_priv_start(struct dns_priv *d, const struct policy *p,
		   const char *run_as, char *err, size_t errlen);
/* Call when d->ipc_fd is readable (or hung up). */
void dns_priv_handle_ipc(struct dns_priv *d);
/* Call for every child the caller reaped: true when it was the forwarder
 * (its death is logged and a restart is scheduled). */
bool dns_priv_child_exited(struct dns_priv *d, pid_t pid, int status);
/* Call from the loop: restarts the forwarder when due.  Returns the poll
 * timeout in ms until the next restart is due, or -1 for none pending. */
int dns_priv_tick(struct dns_priv *d);
/* Number of learned addresses whose timeout has not passed. */
size_t dns_priv_live(struct dns_priv *d);
/* Calls fn for every learned address still open. */
void dns_priv_each_live(struct dns_priv *d,
			void (*fn)(void *ctx, const struct ipaddr *a,
				   uint16_t portspec, double expires,
				   const char *name),
			void *ctx);
/* After a reload: forget what was learned under the old policy and record
 * what the new table holds (ttl = seconds left; names[i] opened v[i]). */
void dns_priv_reset_learned(struct dns_priv *d, const struct resolved *v,
			    size_t n, char (*names)[DNS_NAME_MAX + 1]);
/* Reads what the ruleset refuses from NFLOG group (the table must log to
 * it: nft_opts.log_group); call after dns_priv_start.  0, or -1 with err
 * set (blocked connections are then only counted). */
int dns_priv_watch_blocked(struct dns_priv *d, uint16_t group, char *err,
			   size_t errlen);
/* Call when d->nflog_fd is readable. */
void dns_priv_handle_nflog(struct dns_priv *d);
/* The config line that would allow e: `allow NAME ports P` when a name
 * resolved to its address, else `allow ADDRESS ports P` (no ports for a
 * protocol without them). */
void dns_conn_allow_line(const struct dns_conn_event *e, char *buf,
			 size_t len);

/* Stops the forwarder so that it starts again on d->p (after a reload). */
void dns_priv_restart(struct dns_priv *d);
/* Stops the child and closes everything. */
void dns_priv_stop(struct dns_priv *d);

#endif
