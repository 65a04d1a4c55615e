/* Learned addresses of the iptables backend in ipsets, where the kernel
 * has them: hash:ip sets with timeouts (corral-addr4, corral-addr6 and
 * corral-addr4-pN / corral-addr6-pN per port spec, like nftables' dynamic
 * sets), changed through libipset's netlink session.  An add returns after
 * the kernel's ACK, and the kernel expires each element itself, so a
 * learned address costs one round trip whatever the tables hold. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libipset/ipset.h>

#include "../common/cleanup.h"
#include "ipt.h"

#define DEFAULT_TIMEOUT 300 /* every element is added with its own */

static struct ipset *ips;
static bool tried;
static char msg[512];
static struct {
	char *buf;
	size_t len, off;
} cap;

__attribute__((format(printf, 4, 5))) static int
on_error(struct ipset *s, void *p, int status, const char *fmt, ...)
{
	(void)s;
	(void)p;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return status ? -1 : 0;
}

static int on_session_error(struct ipset *s, void *p)
{
	(void)p;
	struct ipset_session *session = ipset_session(s);
	snprintf(msg, sizeof msg, "%s", ipset_session_report_msg(session));
	msg[strcspn(msg, "\n")] = 0;
	ipset_session_report_reset(session);
	return -1;
}

__attribute__((format(printf, 3, 4))) static int
on_output(struct ipset_session *s, void *p, const char *fmt, ...)
{
	(void)s;
	(void)p;
	if (!cap.buf)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cap.buf + cap.off,
			  cap.off < cap.len ? cap.len - cap.off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		cap.off += (size_t)n;
	return 0;
}

/* One ipset command line; err gets libipset's words on failure. */
__attribute__((format(printf, 3, 4))) static int cmd(char *err, size_t errlen,
						     const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char shown[256];
	snprintf(shown, sizeof shown, "%s", line);
	msg[0] = 0;
	int rc = ipset_parse_line(ips, line);
	/* Options such as -exist and -name stay set in the session. */
	static const enum ipset_envopt opts[] = {
	    IPSET_ENV_SORTED, IPSET_ENV_QUIET,	      IPSET_ENV_RESOLVE,
	    IPSET_ENV_EXIST,  IPSET_ENV_LIST_SETNAME, IPSET_ENV_LIST_HEADER};
	for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
		ipset_envopt_unset(ipset_session(ips), opts[i]);
	if (rc != 0) {
		snprintf(err, errlen, "ipset %s: %s", shown,
			 msg[0] ? msg : "failed");
		return -1;
	}
	return 0;
}

bool ipt_ipset_available(void)
{
	if (tried)
		return ips != NULL;
	tried = true;
	ipset_load_types();
	ips = ipset_init();
	if (!ips)
		return false;
	ipset_custom_printf(ips, on_error, on_session_error, on_output, NULL);
	/* The kernel answers only with nfnetlink and ip_set. */
	char err[256], out[4096];
	cap.buf = out;
	cap.len = sizeof out;
	cap.off = 0;
	int rc = cmd(err, sizeof err, "list -name");
	cap.buf = NULL;
	if (rc < 0) {
		ipset_fini(ips);
		ips = NULL;
	}
	return ips != NULL;
}

void ipt_ipset_name(int v, uint16_t spec, char *buf, size_t len)
{
	if (spec)
		snprintf(buf, len, "corral-addr%d-p%u", v, spec);
	else
		snprintf(buf, len, "corral-addr%d", v);
}

static int set_index(const char *name, uint16_t *index, char *err,
		     size_t errlen)
{
	cleanup_fd int fd =
	    socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	struct ip_set_req_get_set req = {.op = IP_SET_OP_GET_BYNAME,
					 .version = IPSET_PROTOCOL};
	snprintf(req.set.name, sizeof req.set.name, "%s", name);
	socklen_t len = sizeof req;
	if (fd < 0 || getsockopt(fd, SOL_IP, SO_IP_SET, &req, &len) < 0 ||
	    req.set.index == IPSET_INVALID_ID) {
		snprintf(err, errlen, "ipset %s: cannot find its index", name);
		return -1;
	}
	*index = req.set.index;
	return 0;
}

int ipt_ipset_prepare(int v, uint16_t spec, uint16_t *index, char *err,
		      size_t errlen)
{
	char name[32];
	ipt_ipset_name(v, spec, name, sizeof name);
	if (cmd(err, errlen, "create %s hash:ip family %s timeout %d -exist",
		name, v == 4 ? "inet" : "inet6", DEFAULT_TIMEOUT) < 0 ||
	    cmd(err, errlen, "flush %s", name) < 0)
		return -1;
	return set_index(name, index, err, errlen);
}

int ipt_ipset_add(const struct ipaddr *a, uint16_t spec, uint32_t timeout,
		  char *err, size_t errlen)
{
	char name[32], addr[64];
	int v = a->family == AF_INET6 ? 6 : 4;
	ipt_ipset_name(v, spec, name, sizeof name);
	ipaddr_str(a, -1, addr, sizeof addr);
	/* -exist: an address already there gets the new timeout. */
	return cmd(err, errlen, "add %s %s timeout %u -exist", name, addr,
		   timeout);
}

/* Calls fn for every set of corral's. */
static void each_set(void (*fn)(const char *name, void *ctx), void *ctx)
{
	static char out[65536];
	char err[256];
	cap.buf = out;
	cap.len = sizeof out;
	cap.off = 0;
	out[0] = 0;
	int rc = cmd(err, sizeof err, "list -name");
	cap.buf = NULL;
	if (rc < 0)
		return;
	char names[256][32];
	size_t n = 0;
	for (char *save = NULL, *l = strtok_r(out, "\n", &save); l && n < 256;
	     l = strtok_r(NULL, "\n", &save))
		if (strncmp(l, "corral-addr", 11) == 0)
			snprintf(names[n++], sizeof names[0], "%s", l);
	for (size_t i = 0; i < n; i++)
		fn(names[i], ctx);
}

static void destroy_one(const char *name, void *ctx)
{
	char *err = ctx;
	if (cmd(err, 256, "destroy %s", name) < 0)
		return;
}

void ipt_ipset_destroy_all(void)
{
	char err[256];
	if (ipt_ipset_available())
		each_set(destroy_one, err);
}

static void show_one(const char *name, void *ctx)
{
	FILE *out = ctx;
	static char text[1 << 20];
	char err[256];
	cap.buf = text;
	cap.len = sizeof text;
	cap.off = 0;
	text[0] = 0;
	int rc = cmd(err, sizeof err, "list %s", name);
	cap.buf = NULL;
	if (rc < 0)
		return;
	char *members = strstr(text, "Members:\n");
	if (!members)
		return;
	fprintf(out, "ipset %s (learned from DNS):\n", name);
	for (char *save = NULL, *l = strtok_r(members + 9, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char addr[64];
		unsigned left = 0;
		if (sscanf(l, "%63s timeout %u", addr, &left) == 2)
			fprintf(out, "  %s (%us left)\n", addr, left);
	}
}

void ipt_ipset_show(FILE *out)
{
	if (ipt_ipset_available())
		each_set(show_one, out);
}

bool ipt_ipset_in_use(void)
{
	char err[256];
	return ipt_ipset_available() &&
	       cmd(err, sizeof err, "list corral-addr4 -name") == 0;
}
