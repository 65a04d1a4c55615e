/* Mode choice and the agents' files, without init: which mode each config
 * line and probe result give, the forced-nested error, and what lands on
 * disk (atomically, 0644, under CORRAL_AGENT_ETC). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../sandbox/mode.h"
#include "../../sandbox/probe_int.h"
#include "tap.h"

static char *files[] = {(char *)"/etc/corral/corral.conf"};

static void result(struct probe_result *r, bool userns_ok)
{
	memset(r, 0, sizeof *r);
	probe_add(r, "bwrap", true);
	struct probe_check *c = probe_add(r, "user-namespace", true);
	c->ok = userns_ok;
	if (!userns_ok) {
		PROBE_SET(c->detail, "denied");
		PROBE_SET(c->fix, "allow it");
	}
	r->nested = userns_ok;
}

static void test_choose(void)
{
	struct policy p = {.files = files, .n_files = 1};
	struct probe_result yes, no;
	result(&yes, true);
	result(&no, false);
	enum sandbox_mode m = SANDBOX_AUTO;
	char err[512] = "";
	ok(sandbox_mode_choose(&p, &yes, &m, err, sizeof err) == 0 &&
	       m == SANDBOX_NESTED,
	   "auto + nesting works -> nested");
	ok(sandbox_mode_choose(&p, &no, &m, err, sizeof err) == 0 &&
	       m == SANDBOX_FULL_ACCESS,
	   "auto + nesting fails -> full-access");
	p.sandbox = SANDBOX_FULL_ACCESS;
	ok(sandbox_mode_choose(&p, NULL, &m, err, sizeof err) == 0 &&
	       m == SANDBOX_FULL_ACCESS,
	   "full-access needs no probe");
	ok(sandbox_mode_choose(&p, &yes, &m, err, sizeof err) == 0 &&
	       m == SANDBOX_FULL_ACCESS,
	   "full-access stays full-access where nesting works");
	p.sandbox = SANDBOX_NESTED;
	p.sandbox_line = 7;
	ok(sandbox_mode_choose(&p, &yes, &m, err, sizeof err) == 0 &&
	       m == SANDBOX_NESTED,
	   "nested where it works");
	ok(sandbox_mode_choose(&p, &no, &m, err, sizeof err) == -1,
	   "nested where it cannot is an error");
	is_str(
	    err,
	    "/etc/corral/corral.conf:7: sandbox nested is not possible here: "
	    "user-namespace failed: denied; fix: allow it, or write 'sandbox "
	    "auto'",
	    "the error names the line, the check and the fix");
	is_str(sandbox_mode_name(SANDBOX_FULL_ACCESS), "full-access",
	       "mode names");
}

static char *slurp(const char *path)
{
	static char buf[1024];
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_files(void)
{
	char dir[] = "/tmp/corral-test-mode-XXXXXX";
	ok(mkdtemp(dir) != NULL, "temp dir");
	char etc[256], path[300], err[512];
	snprintf(etc, sizeof etc, "%s/etc", dir);
	setenv("CORRAL_AGENT_ETC", etc, 1);
	is_str(sandbox_agent_etc(), etc, "CORRAL_AGENT_ETC replaces /etc");
	ok(sandbox_agent_configs_write(SANDBOX_NESTED, err, sizeof err) == 0,
	   "nested configs written");
	snprintf(path, sizeof path, "%s/codex/config.toml", etc);
	ok(strstr(slurp(path) ? slurp(path) : "",
		  "\ndefault_permissions = \":workspace\"\n") != NULL,
	   "codex: the workspace profile");
	struct stat st;
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
	   "codex config is 0644");
	ok(sandbox_agent_configs_write(SANDBOX_FULL_ACCESS, err, sizeof err) ==
	       0,
	   "full-access configs written");
	ok(strstr(slurp(path) ? slurp(path) : "",
		  "\ndefault_permissions = \":danger-full-access\"\n") != NULL,
	   "codex: the full-access profile, replacing the other");
	snprintf(path, sizeof path, "%s/claude-code/managed-settings.json",
		 etc);
	ok(strstr(slurp(path) ? slurp(path) : "", "\"enabled\": false") != NULL,
	   "claude: sandbox off");
	ok(sandbox_mode_file_write(dir, SANDBOX_NESTED, err, sizeof err) == 0,
	   "mode file written");
	snprintf(path, sizeof path, "%s/sandbox", dir);
	is_str(slurp(path), "nested\n",
	       "the mode file holds the mode and a newline");
	setenv("CORRAL_AGENT_ETC", "relative/etc", 1);
	is_str(sandbox_agent_etc(), "/etc",
	       "a relative CORRAL_AGENT_ETC is ignored");
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ok(system(cmd) == 0, "cleaned up");
}

int main(void)
{
	test_choose();
	test_files();
	return tap_done();
}
