/* The config grammar (pinned by issue 2):
 *
 *   allow TARGET... [ports SPEC]   name, *.wildcard, IPv4/IPv6 network or address
 *   upstream ADDR[:PORT]...        DNS server(s) corral itself asks
 *
 *   ttl-min SECONDS / ttl-max SECONDS   bounds on how long a learned address stays open
 *   sandbox auto|nested|full-access     how agents sandbox their commands (issue 5)
 *   keep-caps CAP[,CAP...]              capabilities the child keeps (issue 4)
 *   backend auto|nftables|iptables      which netfilter interface (issue 7)
 *
 * One directive per line, '#' starts a comment.  A config error stops
 * everything: nothing is applied from a config that does not parse. */
#include "policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

#define MAX_WORDS 256

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen,
						      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void *grow(void *v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return v;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	void *nv = reallocarray(v, n, elem);
	if (nv)
		*cap = n;
	return nv;
}

static int cmp_range(const void *a, const void *b)
{
	const struct port_range *x = a, *y = b;
	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1)
			      : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

/* Sorted and merged, so two specs that allow the same ports are equal. */
static void portspec_normalise(struct portspec *s)
{
	qsort(s->r, s->n, sizeof s->r[0], cmp_range);
	uint8_t out = 0;
	for (uint8_t i = 0; i < s->n; i++) {
		if (out && (uint32_t)s->r[i].lo <= (uint32_t)s->r[out - 1].hi + 1) {
			if (s->r[i].hi > s->r[out - 1].hi)
				s->r[out - 1].hi = s->r[i].hi;
		} else {
			s->r[out++] = s->r[i];
		}
	}
	s->n = out;
}

static int parse_port(const char *s, size_t len, uint16_t *out)
{
	if (len == 0 || len > 5)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int portspec_parse(const char *s, struct portspec *spec, char *err, size_t errlen)
{
	memset(spec, 0, sizeof *spec);
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		struct port_range r;
		int bad = dash ? parse_port(p, (size_t)(dash - p), &r.lo) ||
					 parse_port(dash + 1, len - (size_t)(dash - p) - 1, &r.hi)
			       : parse_port(p, len, &r.lo);
		if (!dash)
			r.hi = r.lo;
		if (bad)
			return fail(err, errlen,
				    "'%.*s' is not a port or range (1-65535, e.g. 443 or 8000-8100)",
				    (int)len, p);
		if (r.lo > r.hi)
			return fail(err, errlen, "port range '%.*s' runs backwards",
				    (int)len, p);
		if (spec->n == PORTSPEC_MAX_RANGES)
			return fail(err, errlen, "more than %d port ranges in '%s'",
				    PORTSPEC_MAX_RANGES, s);
		spec->r[spec->n++] = r;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	portspec_normalise(spec);
	return 0;
}

uint16_t policy_intern_portspec(struct policy *p, const struct portspec *spec)
{
	if (p->n_portspecs == 0) {
		p->portspecs = grow(p->portspecs, &p->cap_portspecs, 1, sizeof *p->portspecs);
		if (!p->portspecs)
			return UINT16_MAX;
		memset(&p->portspecs[0], 0, sizeof p->portspecs[0]);
		p->n_portspecs = 1;
	}
	for (size_t i = 0; i < p->n_portspecs; i++)
		if (p->portspecs[i].n == spec->n &&
		    memcmp(p->portspecs[i].r, spec->r, spec->n * sizeof spec->r[0]) == 0)
			return (uint16_t)i;
	if (p->n_portspecs >= UINT16_MAX)
		return UINT16_MAX;
	struct portspec *v = grow(p->portspecs, &p->cap_portspecs,
				  p->n_portspecs + 1, sizeof *v);
	if (!v)
		return UINT16_MAX;
	p->portspecs = v;
	v[p->n_portspecs] = *spec;
	return (uint16_t)p->n_portspecs++;
}

/* Letters, digits, '-' and '_' (SRV-style and some CDN names use '_'). */
static int check_name(const char *name, char *err, size_t errlen, const char *orig)
{
	size_t len = strlen(name);
	if (len == 0 || len > DNS_NAME_MAX)
		return fail(err, errlen, "'%s' is not a valid name (1 to 253 characters)", orig);
	const char *label = name;
	bool all_digits = true;
	for (const char *c = name;; c++) {
		if (*c == '.' || *c == '\0') {
			size_t ll = (size_t)(c - label);
			if (ll == 0 || ll > 63)
				return fail(err, errlen,
					    "'%s' is not a valid name (empty label or label over 63 characters)",
					    orig);
			if (label[0] == '-' || c[-1] == '-')
				return fail(err, errlen,
					    "'%s' is not a valid name (a label starts or ends with '-')",
					    orig);
			if (*c == '\0')
				break;
			label = c + 1;
			all_digits = true;
			continue;
		}
		if (*c == '*')
			return fail(err, errlen,
				    "'%s': '*' is only allowed as the whole first label, as in *.example.com",
				    orig);
		if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
			return fail(err, errlen, "'%s' is not a valid name, address or network", orig);
		if (!isdigit((unsigned char)*c))
			all_digits = false;
	}
	if (all_digits)
		return fail(err, errlen, "'%s' is not a valid address, network or name", orig);
	return 0;
}

static int parse_net(const char *word, struct ipaddr *a, uint8_t *prefix,
		     char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	if (strlen(word) >= sizeof buf)
		return 1;
	strcpy(buf, word);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(a, 0, sizeof *a);
	int bits;
	if (inet_pton(AF_INET, buf, a->b) == 1) {
		a->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, a->b) == 1) {
		a->family = AF_INET6;
		bits = 128;
	} else {
		return 1; /* not an address: maybe a name */
	}
	int plen = bits;
	if (slash) {
		char *end;
		errno = 0;
		long v = strtol(slash + 1, &end, 10);
		if (!isdigit((unsigned char)slash[1]) || *end || errno || v < 0 || v > bits)
			return fail(err, errlen, "'%s': prefix length must be 0 to %d", word, bits);
		plen = (int)v;
	}
	for (int i = 0; i < bits; i++) {
		if (i < plen)
			continue;
		if (a->b[i / 8] & (0x80 >> (i % 8))) {
			char net[INET6_ADDRSTRLEN + 8];
			struct ipaddr m = *a;
			for (int j = plen; j < bits; j++)
				m.b[j / 8] &= (uint8_t) ~(0x80 >> (j % 8));
			return fail(err, errlen,
				    "'%s' has host bits set: write %s",
				    word, ipaddr_str(&m, plen, net, sizeof net));
		}
	}
	*prefix = (uint8_t)plen;
	return 0;
}

int policy_add_target(struct policy *p, const char *word, uint16_t portspec,
		      uint16_t file, uint32_t line, char *err, size_t errlen)
{
	struct target t = {.portspec = portspec, .file = file, .line = line};
	int r = parse_net(word, &t.addr, &t.prefix, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0) {
		t.kind = TARGET_NET;
	} else {
		const char *name = word;
		t.kind = TARGET_NAME;
		if (strncmp(word, "*.", 2) == 0) {
			t.kind = TARGET_WILDCARD;
			name = word + 2;
		}
		size_t len = strlen(name);
		if (len && name[len - 1] == '.')
			len--; /* "example.com." is the same name */
		t.name = strndup(name, len);
		if (!t.name)
			return fail(err, errlen, "out of memory");
		for (char *c = t.name; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (check_name(t.name, err, errlen, word) < 0) {
			free(t.name);
			return -1;
		}
	}
	struct target *v = grow(p->targets, &p->cap_targets, p->n_targets + 1, sizeof *v);
	if (!v) {
		free(t.name);
		return fail(err, errlen, "out of memory");
	}
	p->targets = v;
	v[p->n_targets++] = t;
	if (t.kind == TARGET_NAME)
		p->n_names++;
	else if (t.kind == TARGET_WILDCARD)
		p->n_wildcards++;
	else
		p->n_nets++;
	return 0;
}

static int parse_upstream(struct policy *p, const char *word, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 16];
	if (strlen(word) >= sizeof buf)
		return fail(err, errlen, "'%s' is not an IP address", word);
	strcpy(buf, word);
	struct upstream u = {.port = 53};
	char *host = buf, *port = NULL;
	if (buf[0] == '[') { /* [2001:db8::53]:5353 */
		char *close = strchr(buf, ']');
		if (!close || (close[1] && close[1] != ':'))
			return fail(err, errlen, "'%s': write an IPv6 upstream with a port as [ADDR]:PORT", word);
		*close = '\0';
		host = buf + 1;
		if (close[1] == ':')
			port = close + 2;
	} else if (strchr(buf, '.') && strchr(buf, ':')) { /* 198.51.100.53:5353 */
		port = strchr(buf, ':');
		*port++ = '\0';
	}
	if (inet_pton(AF_INET, host, u.addr.b) == 1)
		u.addr.family = AF_INET;
	else if (inet_pton(AF_INET6, host, u.addr.b) == 1)
		u.addr.family = AF_INET6;
	else
		return fail(err, errlen, "upstream '%s' is not an IP address (corral must not need DNS to find its DNS server)", word);
	if (port && parse_port(port, strlen(port), &u.port) < 0)
		return fail(err, errlen, "upstream '%s': bad port", word);
	if (p->n_upstreams == POLICY_MAX_UPSTREAMS)
		return fail(err, errlen, "more than %d upstreams", POLICY_MAX_UPSTREAMS);
	p->upstreams[p->n_upstreams++] = u;
	return 0;
}

static int add_file(struct policy *p, const char *file, uint16_t *idx)
{
	char **v = reallocarray(p->files, p->n_files + 1, sizeof *v);
	if (!v)
		return -1;
	p->files = v;
	if (!(v[p->n_files] = strdup(file)))
		return -1;
	*idx = (uint16_t)p->n_files++;
	return 0;
}

static int parse_line(struct policy *p, uint16_t file, uint32_t lineno, char *line,
		      char *err, size_t errlen)
{
	char *words[MAX_WORDS];
	size_t n = 0;
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	for (char *save = NULL, *w = strtok_r(line, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == MAX_WORDS)
			return fail(err, errlen, "line has more than %d words", MAX_WORDS);
		words[n++] = w;
	}
	if (n == 0)
		return 0;
	if (strcmp(words[0], "allow") == 0) {
		size_t ntargets = n - 1;
		uint16_t spec = 0;
		for (size_t i = 1; i < n; i++) {
			if (strcmp(words[i], "ports") != 0)
				continue;
			if (i != n - 2)
				return fail(err, errlen, "'ports' must be followed by one list, e.g. ports 22,443,8000-8100, at the end of the line");
			struct portspec ps;
			if (portspec_parse(words[i + 1], &ps, err, errlen) < 0)
				return -1;
			spec = policy_intern_portspec(p, &ps);
			if (spec == UINT16_MAX)
				return fail(err, errlen, "out of memory");
			ntargets = i - 1;
		}
		if (ntargets == 0)
			return fail(err, errlen, "'allow' needs a name, *.wildcard or network");
		for (size_t i = 1; i <= ntargets; i++)
			if (policy_add_target(p, words[i], spec, file, lineno, err, errlen) < 0)
				return -1;
		return 0;
	}
	if (strcmp(words[0], "upstream") == 0) {
		if (n < 2)
			return fail(err, errlen, "'upstream' needs an IP address");
		for (size_t i = 1; i < n; i++)
			if (parse_upstream(p, words[i], err, errlen) < 0)
				return -1;
		return 0;
	}
	if (strcmp(words[0], "ttl-min") == 0 || strcmp(words[0], "ttl-max") == 0) {
		char *end;
		errno = 0;
		unsigned long v = n == 2 ? strtoul(words[1], &end, 10) : 0;
		if (n != 2 || !isdigit((unsigned char)words[1][0]) || *end || errno ||
		    v > 604800)
			return fail(err, errlen, "'%s' needs one number of seconds (0 to 604800)",
				    words[0]);
		if (strcmp(words[0], "ttl-min") == 0)
			p->ttl_min = (uint32_t)v;
		else
			p->ttl_max = (uint32_t)v;
		return 0;
	}
	if (strcmp(words[0], "sandbox") == 0) {
		static const char *const modes[] = {"auto", "nested", "full-access"};
		for (size_t m = 0; n == 2 && m < sizeof modes / sizeof modes[0]; m++)
			if (strcmp(words[1], modes[m]) == 0) {
				p->sandbox = (enum sandbox_mode)m;
				p->sandbox_file = file;
				p->sandbox_line = lineno;
				return 0;
			}
		return fail(err, errlen, "'sandbox' needs one of auto, nested, full-access");
	}
	if (strcmp(words[0], "backend") == 0) {
		static const char *const kinds[] = {"auto", "nftables", "iptables"};
		for (size_t k = 0; n == 2 && k < sizeof kinds / sizeof kinds[0]; k++)
			if (strcmp(words[1], kinds[k]) == 0) {
				p->backend = (enum fw_backend_choice)k;
				p->backend_file = file;
				p->backend_line = lineno;
				return 0;
			}
		return fail(err, errlen, "'backend' needs one of auto, nftables, iptables");
	}
	if (strcmp(words[0], "keep-caps") == 0) {
		if (n != 2)
			return fail(err, errlen, "'keep-caps' needs one list, e.g. keep-caps net_raw,sys_admin");
		char *dup = strdup(words[1]);
		if (!dup)
			return fail(err, errlen, "out of memory");
		free(p->keep_caps);
		p->keep_caps = dup;
		p->keep_caps_file = file;
		p->keep_caps_line = lineno;
		return 0;
	}
	return fail(err, errlen,
		    "unknown directive '%s' (known: allow, upstream, ttl-min, ttl-max, sandbox, keep-caps, backend)",
		    words[0]);
}

static void prefix_err(char *err, size_t errlen, const char *file, uint32_t line)
{
	char tmp[512];
	snprintf(tmp, sizeof tmp, "%s", err);
	if (line)
		snprintf(err, errlen, "%s:%u: %s", file, line, tmp);
	else
		snprintf(err, errlen, "%s: %s", file, tmp);
}

int policy_parse_text(struct policy *p, const char *file, const char *text,
		      char *err, size_t errlen)
{
	uint16_t fidx;
	if (add_file(p, file, &fidx) < 0)
		return fail(err, errlen, "out of memory");
	uint32_t lineno = 0;
	const char *s = text;
	while (*s) {
		size_t len = strcspn(s, "\n");
		lineno++;
		cleanup_free char *line = strndup(s, len);
		if (!line)
			return fail(err, errlen, "out of memory");
		if (parse_line(p, fidx, lineno, line, err, errlen) < 0) {
			prefix_err(err, errlen, file, lineno);
			return -1;
		}
		s += len;
		if (*s == '\n')
			s++;
	}
	return 0;
}

static char *read_file(const char *path, int *err_no)
{
	cleanup_file FILE *f = fopen(path, "re");
	if (!f) {
		*err_no = errno;
		return NULL;
	}
	size_t len = 0, cap = 4096;
	cleanup_free char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			*err_no = ENOMEM;
			return NULL;
		}
		len += fread(buf + len, 1, cap - len - 1, f);
		if (ferror(f)) {
			*err_no = errno ? errno : EIO;
			return NULL;
		}
		if (feof(f))
			break;
		if (cap - len - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				*err_no = ENOMEM;
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		*err_no = EILSEQ;
		return NULL;
	}
	return steal_ptr(&buf);
}

static int load_file(struct policy *p, const char *path, bool must_exist,
		     char *err, size_t errlen)
{
	int e = 0;
	cleanup_free char *text = read_file(path, &e);
	if (!text) {
		if (e == ENOENT && !must_exist)
			return 0;
		if (e == EILSEQ)
			return fail(err, errlen, "%s: contains a NUL byte: not a config file", path);
		return fail(err, errlen, "%s: cannot read: %s", path, strerror(e));
	}
	return policy_parse_text(p, path, text, err, errlen);
}

static int conf_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return d->d_name[0] != '.' && len > 5 && strcmp(d->d_name + len - 5, ".conf") == 0;
}

static int load_dir(struct policy *p, const char *dir, char *err, size_t errlen)
{
	struct dirent **list;
	int n = scandir(dir, &list, conf_filter, alphasort);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return fail(err, errlen, "%s: cannot read: %s", dir, strerror(errno));
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		char path[4096];
		if (rc == 0) {
			snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
			rc = load_file(p, path, true, err, errlen);
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

static int load_env(struct policy *p, const char *env, char *err, size_t errlen)
{
	uint16_t fidx;
	if (add_file(p, "CORRAL_ALLOW", &fidx) < 0)
		return fail(err, errlen, "out of memory");
	cleanup_free char *copy = strdup(env);
	if (!copy)
		return fail(err, errlen, "out of memory");
	for (char *save = NULL, *w = strtok_r(copy, " \t\n,", &save); w;
	     w = strtok_r(NULL, " \t\n,", &save)) {
		if (policy_add_target(p, w, 0, fidx, 0, err, errlen) < 0) {
			prefix_err(err, errlen, "CORRAL_ALLOW", 0);
			return -1;
		}
	}
	return 0;
}

/* The nameservers of resolv.conf, used when the config names no upstream. */
static int load_resolv(struct policy *p, const char *path)
{
	cleanup_file FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[512];
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *kw = strtok_r(line, " \t\r\n", &save);
		if (!kw || strcmp(kw, "nameserver") != 0)
			continue;
		char *addr = strtok_r(NULL, " \t\r\n", &save);
		if (!addr || strchr(addr, '%')) /* scoped link-local: unusable here */
			continue;
		char dummy[1];
		if (parse_upstream(p, addr, dummy, sizeof dummy) == 0)
			p->upstreams_from_resolv = true;
	}
	return 0;
}

int policy_load(struct policy *p, const struct config_source *src, char *err,
		size_t errlen)
{
	memset(p, 0, sizeof *p);
	p->ttl_min = POLICY_TTL_MIN_DEFAULT;
	p->ttl_max = POLICY_TTL_MAX_DEFAULT;
	struct portspec all = {0};
	if (policy_intern_portspec(p, &all) != 0)
		return fail(err, errlen, "out of memory");
	const char *conf = src && src->config_path ? src->config_path : CORRAL_DEFAULT_CONFIG;
	const char *dir = src && src->allow_dir ? src->allow_dir : CORRAL_DEFAULT_ALLOW_DIR;
	int rc = load_file(p, conf, src && src->config_path, err, errlen);
	if (rc == 0 && dir[0])
		rc = load_dir(p, dir, err, errlen);
	if (rc == 0 && src && src->env_allow)
		rc = load_env(p, src->env_allow, err, errlen);
	if (rc == 0 && p->ttl_min > p->ttl_max)
		rc = fail(err, errlen, "ttl-min (%u) is larger than ttl-max (%u)", p->ttl_min,
			  p->ttl_max);
	if (rc == 0 && p->n_upstreams == 0)
		rc = load_resolv(p, src && src->resolv_conf ? src->resolv_conf : CORRAL_RESOLV_CONF);
	if (rc < 0) {
		policy_free(p);
		return -1;
	}
	return 0;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_targets; i++)
		free(p->targets[i].name);
	free(p->targets);
	free(p->portspecs);
	for (size_t i = 0; i < p->n_files; i++)
		free(p->files[i]);
	free(p->files);
	free(p->keep_caps);
	memset(p, 0, sizeof *p);
}

const char *ipaddr_str(const struct ipaddr *a, int prefix, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(a->family, a->b, tmp, sizeof tmp))
		snprintf(tmp, sizeof tmp, "?");
	int full = a->family == AF_INET ? 32 : 128;
	if (prefix >= 0 && prefix != full)
		snprintf(buf, len, "%s/%d", tmp, prefix);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

const char *portspec_str(const struct portspec *spec, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (uint8_t i = 0; i < spec->n && off < len; i++) {
		int w = spec->r[i].lo == spec->r[i].hi
				? snprintf(buf + off, len - off, "%s%u", i ? "," : "", spec->r[i].lo)
				: snprintf(buf + off, len - off, "%s%u-%u", i ? "," : "",
					   spec->r[i].lo, spec->r[i].hi);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

bool target_matches_name(const struct target *t, const char *name)
{
	if (t->kind == TARGET_NAME)
		return strcmp(t->name, name) == 0;
	if (t->kind != TARGET_WILDCARD)
		return false;
	size_t nl = strlen(name), sl = strlen(t->name);
	return nl > sl + 1 && name[nl - sl - 1] == '.' && strcmp(name + nl - sl, t->name) == 0;
}

socklen_t upstream_sockaddr(const struct upstream *u,
			    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (u->addr.family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(u->port);
		memcpy(&s6->sin6_addr, u->addr.b, 16);
		return sizeof *s6;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(u->port);
	memcpy(&s4->sin_addr, u->addr.b, 4);
	return sizeof *s4;
}
