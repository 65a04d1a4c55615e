/* The control socket: corral status (anyone), corral wait (anyone), corral
 * reload (root).  One short request line per connection, answered from
 * init's loop; a client that does not send its line at once is dropped, so
 * no client can stall PID 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/cleanup.h"
#include "../common/log.h"
#include "../firewall/backend.h"
#include "../firewall/nflog.h"
#include "../firewall/nft.h"
#include "../sandbox/mode.h"
#include "fw_boot.h"

#define REPLY_MAX 8192

int control_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	cleanup_fd int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		return -1;
	}
	/* status and wait are for everyone; reload checks the peer's uid. */
	chmod(path, 0666);
	return steal_fd(&fd);
}

/* JSON strings: names may hold '"' (DNS allows it); nothing else needs
 * escaping since names are printable ASCII without '\\'. */
static size_t json_str(char *out, size_t len, const char *s)
{
	size_t o = 0;
	if (o < len)
		out[o++] = '"';
	for (; *s && o + 2 < len; s++) {
		if (*s == '"' || *s == '\\')
			out[o++] = '\\';
		out[o++] = *s;
	}
	if (o < len)
		out[o++] = '"';
	if (o < len)
		out[o] = '\0';
	return o;
}

#define APPEND(...)                                                            \
	do {                                                                   \
		int n_ = snprintf(out + off, off < len ? len - off : 0,       \
				  __VA_ARGS__);                                \
		if (n_ > 0)                                                    \
			off += (size_t)n_;                                     \
	} while (0)

/* The last blocked events, DNS queries and connections, newest first. */
struct blocked_ref {
	double when;
	const struct dns_blocked_event *q; /* or */
	const struct dns_conn_event *c;
};

static size_t last_blocked(const struct dns_priv *d, struct blocked_ref *v)
{
	size_t n = 0;
	for (size_t i = 0; i < DNS_PRIV_RECENT && i < d->recent_next; i++)
		v[n++] = (struct blocked_ref){.when = d->recent[i].when, .q = &d->recent[i]};
	for (size_t i = 0; i < DNS_PRIV_RECENT; i++)
		if (d->conns[i].count)
			v[n++] = (struct blocked_ref){.when = d->conns[i].when, .c = &d->conns[i]};
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j].when > v[j - 1].when; j--) {
			struct blocked_ref t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n;
}

static size_t status(struct fw_boot *b, bool json, char *out, size_t len)
{
	size_t off = 0;
	uint64_t blocked_conn = 0;
	char err[256];
	bool have_conn = fw_blocked_packets(&blocked_conn, err, sizeof err) == 0;
	const struct dns_priv *d = &b->dns;
	size_t live = dns_priv_live(&b->dns);
	struct blocked_ref recent[2 * DNS_PRIV_RECENT];
	size_t n_recent = last_blocked(d, recent);
	/* The host's DNS in this netns (Docker's embedded DNS forwarding):
	 * passed only when corral could tell its cgroup apart (dns_scope.h). */
	uint64_t host_dns = 0;
	bool scoped = b->dns_cgroup &&
		      fw_host_dns_packets(&host_dns, err, sizeof err) == 0;
	char up[64] = "none";
	if (b->p.n_upstreams)
		ipaddr_str(&b->p.upstreams[0].addr, -1, up, sizeof up);
	if (json) {
		APPEND("{\"ready\":%s,\"backend\":\"%s\",", b->ready ? "true" : "false", fw_backend_name());
		if (b->sandbox_set)
			APPEND("\"sandbox\":\"%s\",", sandbox_mode_name(b->sandbox));
		APPEND("\"dns_upstream\":\"%s\",\"dns_scope\":\"%s\",", up,
		       scoped ? "container" : "all");
		if (scoped)
			APPEND("\"host_dns_packets\":%llu,", (unsigned long long)host_dns);
		APPEND("\"names\":%zu,\"wildcards\":%zu,"
		       "\"networks\":%zu,\"dynamic_addresses\":%zu,\"blocked_queries\":%llu,"
		       "\"blocked_connections\":%llu,\"forwarder_restarts\":%llu,\"last_blocked\":[",
		       b->p.n_names, b->p.n_wildcards, b->p.n_nets, live,
		       (unsigned long long)d->st.blocked_queries, (unsigned long long)blocked_conn,
		       (unsigned long long)d->st.restarts);
		for (size_t i = 0; i < n_recent; i++) {
			char name[2 * DNS_NAME_MAX + 4], line[2 * DNS_NAME_MAX + 64];
			char allow[DNS_NAME_MAX + 32];
			const struct dns_blocked_event *e = recent[i].q;
			const struct dns_conn_event *c = recent[i].c;
			if (e) {
				json_str(name, sizeof name, e->name);
				snprintf(allow, sizeof allow, "allow %s", e->name);
				json_str(line, sizeof line, allow);
				APPEND("%s{\"kind\":\"dns\",\"name\":%s,\"qtype\":%u,\"allow\":%s}",
				       i ? "," : "", name, e->qtype, line);
				continue;
			}
			char ip[INET6_ADDRSTRLEN], pb[8];
			json_str(name, sizeof name, c->name);
			dns_conn_allow_line(c, allow, sizeof allow);
			json_str(line, sizeof line, allow);
			APPEND("%s{\"kind\":\"connection\",\"protocol\":\"%s\",\"address\":\"%s\","
			       "\"port\":%u,\"name\":%s,\"packets\":%u,\"allow\":%s}",
			       i ? "," : "", nflog_proto_str(c->proto, pb, sizeof pb),
			       ipaddr_str(&c->addr, -1, ip, sizeof ip), c->port, name, c->count,
			       line);
		}
		APPEND("]}\n");
		return off;
	}
	APPEND("corral       %s\n", b->ready ? "ready, the network is closed but for the allowlist"
					 : "starting");
	APPEND("firewall     %s\n", fw_backend_summary());
	if (b->sandbox_set)
		APPEND("sandbox      %s\n",
		       b->sandbox == SANDBOX_NESTED
			       ? "nested: agents run commands in their own bwrap sandbox"
			       : "full-access: the container is the boundary (see corral probe)");
	if (scoped)
		APPEND("dns          via %s; the container's queries only (the host's "
		       "passed: %llu packets)\n",
		       up, (unsigned long long)host_dns);
	else
		APPEND("dns          via %s; every query in this netns\n", up);
	APPEND("allowed      %zu names, %zu wildcards, %zu networks\n", b->p.n_names,
	       b->p.n_wildcards, b->p.n_nets);
	APPEND("open now     %zu addresses learned from DNS answers\n", live);
	APPEND("blocked      %llu DNS queries, %s connection attempts\n",
	       (unsigned long long)d->st.blocked_queries,
	       have_conn ? (snprintf(err, sizeof err, "%llu", (unsigned long long)blocked_conn), err)
			 : "?");
	if (n_recent)
		APPEND("\nrecently blocked (add the line to allow it):\n");
	for (size_t i = 0; i < n_recent; i++) {
		const struct dns_blocked_event *e = recent[i].q;
		const struct dns_conn_event *c = recent[i].c;
		if (e) {
			APPEND("  %-44s allow %s\n", e->name, e->name);
			continue;
		}
		char what[INET6_ADDRSTRLEN + 32], ip[INET6_ADDRSTRLEN], pb[8];
		char allow[DNS_NAME_MAX + 32];
		snprintf(what, sizeof what, "%s %s%s%.0u", nflog_proto_str(c->proto, pb, sizeof pb),
			 ipaddr_str(&c->addr, -1, ip, sizeof ip), c->port ? " port " : "", c->port);
		dns_conn_allow_line(c, allow, sizeof allow);
		APPEND("  %-44s %s\n", what, allow);
	}
	return off;
}

void control_serve(struct fw_boot *b)
{
	for (int budget = 16; budget > 0; budget--) {
		cleanup_fd int c = accept4(b->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return;
		/* Clients send their line right after connect; 200 ms is
		 * generous and bounds what a silent client costs init. */
		struct timeval tv = {0, 200 * 1000};
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		char req[64];
		ssize_t n = recv(c, req, sizeof req - 1, 0);
		if (n <= 0)
			continue;
		req[n] = '\0';
		req[strcspn(req, "\r\n")] = '\0';
		char out[REPLY_MAX];
		size_t len = 0;
		if (strcmp(req, "status") == 0 || strcmp(req, "status-json") == 0) {
			len = status(b, req[6] == '-', out, sizeof out);
		} else if (strcmp(req, "wait") == 0) {
			len = (size_t)snprintf(out, sizeof out, "%s\n", b->ready ? "ready" : "starting");
		} else if (strcmp(req, "reload") == 0) {
			struct ucred cred;
			socklen_t cl = sizeof cred;
			char err[512];
			if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != 0)
				len = (size_t)snprintf(out, sizeof out,
						       "error: corral reload needs root\n");
			else if (fw_reload(b, err, sizeof err) < 0)
				len = (size_t)snprintf(out, sizeof out,
						       "error: %s (the policy in force is unchanged)\n", err);
			else
				len = (size_t)snprintf(out, sizeof out, "ok\n");
		} else {
			len = (size_t)snprintf(out, sizeof out, "error: unknown request\n");
		}
		if (len > sizeof out - 1)
			len = sizeof out - 1;
		if (send(c, out, len, MSG_NOSIGNAL) < 0)
			debug("control: reply not sent: %s", strerror(errno));
	}
}
