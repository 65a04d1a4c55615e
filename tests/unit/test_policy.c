/* Config grammar and target parsing, as a user writes them. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/policy.h"
#include "tap.h"

static char err[512];

static int parse(struct policy *p, const char *text)
{
	memset(p, 0, sizeof *p);
	struct portspec all = {0};
	policy_intern_portspec(p, &all);
	err[0] = '\0';
	return policy_parse_text(p, "test.conf", text, err, sizeof err);
}

static void expect_error(const char *text, const char *want)
{
	struct policy p;
	int rc = parse(&p, text);
	ok(rc == -1 && strstr(err, want) != NULL, "rejects %.*s", (int)strcspn(text, "\n"), text);
	if (rc != -1 || !strstr(err, want))
		printf("#   error was: '%s'\n#   wanted substring: '%s'\n", err, want);
	policy_free(&p);
}

static void test_pinned_example(void)
{
	struct policy p;
	int rc = parse(&p,
		       "allow api.example.test              # a name\n"
		       "allow *.usercontent.example.test     # wildcard\n"
		       "allow 192.0.2.128/25             # an IPv4 network\n"
		       "allow 2001:db8:50::/48              # an IPv6 network\n"
		       "allow git.example.test ports 22,443     # ports\n"
		       "upstream 198.51.100.53            # DNS server\n");
	is_int(rc, 0, "the pinned example parses");
	is_int(p.n_targets, 5, "five targets");
	is_int(p.n_names, 2, "two names");
	is_int(p.n_wildcards, 1, "one wildcard");
	is_int(p.n_nets, 2, "two networks");
	is_str(p.targets[0].name, "api.example.test", "name kept");
	is_int(p.targets[0].line, 1, "line number recorded");
	is_str(p.targets[1].name, "usercontent.example.test", "wildcard stores its suffix");
	is_int(p.targets[1].kind, TARGET_WILDCARD, "wildcard kind");
	char buf[64];
	is_str(ipaddr_str(&p.targets[2].addr, p.targets[2].prefix, buf, sizeof buf),
	       "192.0.2.128/25", "v4 network");
	is_str(ipaddr_str(&p.targets[3].addr, p.targets[3].prefix, buf, sizeof buf),
	       "2001:db8:50::/48", "v6 network");
	ok(p.targets[4].portspec != 0, "git.example.test is port-limited");
	is_str(portspec_str(&p.portspecs[p.targets[4].portspec], buf, sizeof buf),
	       "22,443", "ports 22,443");
	is_int(p.targets[0].portspec, 0, "a bare name allows every port");
	is_int(p.n_upstreams, 1, "one upstream");
	is_int(p.upstreams[0].port, 53, "upstream port defaults to 53");
	policy_free(&p);
}

static void test_targets(void)
{
	struct policy p;
	char buf[64];
	is_int(parse(&p, "allow 192.0.2.7\nallow 2001:db8::1\n"), 0, "bare addresses");
	is_int(p.targets[0].prefix, 32, "bare IPv4 address is a /32");
	is_int(p.targets[1].prefix, 128, "bare IPv6 address is a /128");
	is_str(ipaddr_str(&p.targets[1].addr, p.targets[1].prefix, buf, sizeof buf),
	       "2001:db8::1", "bare v6 printed without prefix");
	policy_free(&p);

	is_int(parse(&p, "allow Example.TEST. a.test b.test\n"), 0, "several targets on a line");
	is_str(p.targets[0].name, "example.test", "lower-cased, trailing dot dropped");
	is_int(p.n_targets, 3, "three targets");
	policy_free(&p);

	is_int(parse(&p, "allow 0.0.0.0/0 ::/0\n"), 0, "default routes are networks");
	is_int(p.targets[0].prefix, 0, "0.0.0.0/0");
	policy_free(&p);

	is_int(parse(&p, "allow a.test ports 8000-8100,443,80,443,81\n"), 0,
	       "ports parse");
	policy_free(&p);
	expect_error("allow a.test ports 8100-8000\n", "runs backwards");

	is_int(parse(&p, "allow a.test ports 443,80-81\nallow b.test ports 80,81,443\n"),
	       0, "equal port lists");
	is_int(p.targets[0].portspec, p.targets[1].portspec, "equal port lists share a spec");
	is_str(portspec_str(&p.portspecs[p.targets[0].portspec], buf, sizeof buf),
	       "80-81,443", "port list sorted and merged");
	policy_free(&p);

	is_int(parse(&p, "upstream 198.51.100.53:5353 [2001:db8::53]:54 2001:db8::1\n"), 0,
	       "upstreams with ports");
	is_int(p.n_upstreams, 3, "three upstreams");
	is_int(p.upstreams[0].port, 5353, "v4 port");
	is_int(p.upstreams[1].port, 54, "v6 port");
	is_int(p.upstreams[2].port, 53, "bare v6 upstream");
	policy_free(&p);

	is_int(parse(&p, "# only a comment\n\n   \t\n"), 0, "comments and blank lines");
	is_int(p.n_targets, 0, "no targets");
	policy_free(&p);
}

static void test_errors(void)
{
	expect_error("allow\n", "test.conf:1: 'allow' needs");
	expect_error("\n\nallwo a.test\n", "test.conf:3: unknown directive 'allwo'");
	expect_error("allow 192.0.2.1/24\n", "host bits set: write 192.0.2.0/24");
	expect_error("allow 192.0.2.0/33\n", "prefix length must be 0 to 32");
	expect_error("allow 2001:db8::/129\n", "prefix length must be 0 to 128");
	expect_error("allow foo.*.test\n", "only allowed as the whole first label");
	expect_error("allow *\n", "only allowed as the whole first label");
	expect_error("allow a..test\n", "not a valid name");
	expect_error("allow -a.test\n", "not a valid name");
	expect_error("allow 1.2.3\n", "not a valid address");
	expect_error("allow a.test ports 0\n", "not a port");
	expect_error("allow a.test ports 65536\n", "not a port");
	expect_error("allow a.test ports\n", "'ports' must be followed");
	expect_error("allow a.test ports 22 b.test\n", "'ports' must be followed");
	expect_error("allow a.test ports 22,,23\n", "not a port");
	expect_error("allow ports 22\n", "needs a name");
	expect_error("upstream resolver.test\n", "not an IP address");
	expect_error("upstream 198.51.100.53:0\n", "bad port");
	expect_error("allow a$b.test\n", "not a valid name");
	expect_error("ttl-min\n", "'ttl-min' needs one number of seconds");
	expect_error("ttl-max 5s\n", "'ttl-max' needs one number of seconds");
	expect_error("ttl-max -5\n", "'ttl-max' needs one number of seconds");
	char longlabel[128];
	memset(longlabel, 'a', 64);
	strcpy(longlabel + 64, ".test\n");
	char line[160];
	snprintf(line, sizeof line, "allow %s", longlabel);
	expect_error(line, "over 63");
}

static void test_wildcards(void)
{
	struct policy p;
	parse(&p, "allow *.example.test exact.test\n");
	const struct target *w = &p.targets[0], *n = &p.targets[1];
	ok(target_matches_name(w, "a.example.test"), "wildcard matches one label");
	ok(target_matches_name(w, "a.b.c.example.test"), "wildcard matches many labels");
	ok(!target_matches_name(w, "example.test"), "wildcard does not match the apex");
	ok(!target_matches_name(w, "badexample.test"), "wildcard needs a label boundary");
	ok(target_matches_name(n, "exact.test"), "exact name matches");
	ok(!target_matches_name(n, "a.exact.test"), "exact name does not match subdomains");
	policy_free(&p);
}

static void test_load(void)
{
	char dir[] = "/tmp/corral-test-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char path[256], allow[256], f[300];
	snprintf(path, sizeof path, "%s/corral.conf", dir);
	snprintf(allow, sizeof allow, "%s/allow.d", dir);
	FILE *fp = fopen(path, "w");
	fputs("allow main.test\n", fp);
	fclose(fp);
	mkdir(allow, 0755);
	snprintf(f, sizeof f, "%s/20-b.conf", allow);
	fp = fopen(f, "w");
	fputs("allow b.test\n", fp);
	fclose(fp);
	snprintf(f, sizeof f, "%s/10-a.conf", allow);
	fp = fopen(f, "w");
	fputs("allow a.test\n", fp);
	fclose(fp);
	snprintf(f, sizeof f, "%s/ignored.txt", allow);
	fp = fopen(f, "w");
	fputs("garbage\n", fp);
	fclose(fp);
	snprintf(f, sizeof f, "%s/resolv.conf", dir);
	fp = fopen(f, "w");
	fputs("search test\nnameserver 198.51.100.53\nnameserver fe80::1%eth0\n"
	      "nameserver 2001:db8:53::53\n", fp);
	fclose(fp);

	struct policy p;
	struct config_source src = {.config_path = path, .allow_dir = allow,
				    .env_allow = "env1.test, 192.0.2.0/24 env2.test",
				    .resolv_conf = f};
	is_int(policy_load(&p, &src, err, sizeof err), 0, "loads file, allow.d, env");
	is_int(p.n_targets, 6, "six targets");
	is_str(p.targets[1].name, "a.test", "allow.d read in lexical order (10-a first)");
	is_str(p.targets[2].name, "b.test", "then 20-b");
	is_str(p.targets[3].name, "env1.test", "CORRAL_ALLOW last");
	is_int(p.targets[4].kind, TARGET_NET, "CORRAL_ALLOW takes networks");
	is_int(p.n_upstreams, 2, "resolv.conf nameservers used, scoped one skipped");
	is_int(p.ttl_min, POLICY_TTL_MIN_DEFAULT, "ttl-min default");
	is_int(p.ttl_max, POLICY_TTL_MAX_DEFAULT, "ttl-max default");
	ok(p.upstreams_from_resolv, "marked as coming from resolv.conf");
	policy_free(&p);

	fp = fopen(f, "w");
	fclose(fp);
	snprintf(f, sizeof f, "%s/30-bad.conf", allow);
	fp = fopen(f, "w");
	fputs("# fine\nallow ok.test\nallow bad..test\n", fp);
	fclose(fp);
	int rc = policy_load(&p, &src, err, sizeof err);
	ok(rc == -1 && strstr(err, "allow.d/30-bad.conf:3: ") != NULL,
	   "error in allow.d names file:line (%s)", err);
	is_int(p.n_targets, 0, "nothing kept from an invalid config");

	fp = fopen(path, "w");
	fputs("allow main.test\nttl-min 600\nttl-max 300\n", fp);
	fclose(fp);
	unlink(f);
	rc = policy_load(&p, &src, err, sizeof err);
	ok(rc == -1 && strstr(err, "ttl-min (600) is larger than ttl-max (300)") != NULL,
	   "ttl-min above ttl-max is an error (%s)", err);
	fp = fopen(path, "w");
	fputs("allow main.test\nttl-min 5\nttl-max 86400\n", fp);
	fclose(fp);
	rc = policy_load(&p, &src, err, sizeof err);
	is_int(rc, 0, "ttl-min/ttl-max parse");
	is_int(p.ttl_min, 5, "ttl-min read");
	is_int(p.ttl_max, 86400, "ttl-max read");
	is_int(p.sandbox, SANDBOX_AUTO, "sandbox defaults to auto");
	ok(p.keep_caps == NULL, "no keep-caps by default");
	policy_free(&p);

	fp = fopen(path, "w");
	fputs("allow main.test\nsandbox full-access\nkeep-caps net_raw,sys_admin\n", fp);
	fclose(fp);
	rc = policy_load(&p, &src, err, sizeof err);
	is_int(rc, 0, "sandbox and keep-caps parse");
	is_int(p.sandbox, SANDBOX_FULL_ACCESS, "sandbox full-access read");
	is_int(p.sandbox_line, 2, "sandbox line kept for messages");
	ok(p.keep_caps && strcmp(p.keep_caps, "net_raw,sys_admin") == 0, "keep-caps text kept");
	is_int(p.keep_caps_line, 3, "keep-caps line kept for messages");
	policy_free(&p);
	fp = fopen(path, "w");
	fputs("allow main.test\nsandbox maybe\n", fp);
	fclose(fp);
	rc = policy_load(&p, &src, err, sizeof err);
	ok(rc == -1 && strstr(err, "corral.conf:2: 'sandbox' needs one of auto, nested, full-access"),
	   "bad sandbox mode names file:line (%s)", err);
	fp = fopen(path, "w");
	fputs("allow main.test\n", fp);
	fclose(fp);

	src.env_allow = "good.test,bad_.-x";
	unlink(f);
	rc = policy_load(&p, &src, err, sizeof err);
	ok(rc == -1 && strncmp(err, "CORRAL_ALLOW: ", 14) == 0, "env errors name CORRAL_ALLOW (%s)", err);

	src.config_path = "/nonexistent/corral.conf";
	src.env_allow = NULL;
	rc = policy_load(&p, &src, err, sizeof err);
	ok(rc == -1 && strstr(err, "/nonexistent/corral.conf: cannot read") != NULL,
	   "--config with a missing file is an error");
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
}

int main(void)
{
	test_pinned_example();
	test_targets();
	test_errors();
	test_wildcards();
	test_load();
	return tap_done();
}
