/* Mode choice and the agents' config files.  Codex reads its permission
 * profile from default_permissions (a `sandbox_mode` line in a config file
 * does not change what `codex sandbox` allows: checked with Codex CLI, see
 * docs/sandbox.md); Claude Code takes sandbox.enabled from its managed
 * settings, which override the user's and the project's. */
#include "mode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *sandbox_mode_name(enum sandbox_mode m)
{
	switch (m) {
	case SANDBOX_NESTED:
		return "nested";
	case SANDBOX_FULL_ACCESS:
		return "full-access";
	case SANDBOX_AUTO:
		break;
	}
	return "auto";
}

int sandbox_mode_choose(const struct policy *p, const struct probe_result *r,
			enum sandbox_mode *out, char *err, size_t errlen)
{
	if (p->sandbox == SANDBOX_FULL_ACCESS || !r) {
		*out = SANDBOX_FULL_ACCESS;
		return 0;
	}
	const struct probe_check *b = probe_blocker(r);
	if (p->sandbox == SANDBOX_AUTO) {
		*out = b ? SANDBOX_FULL_ACCESS : SANDBOX_NESTED;
		return 0;
	}
	if (!b) {
		*out = SANDBOX_NESTED;
		return 0;
	}
	const char *file = p->sandbox_line && p->sandbox_file < p->n_files
			       ? p->files[p->sandbox_file]
			       : "config";
	snprintf(err, errlen,
		 "%s:%u: sandbox nested is not possible here: %s failed: %s; "
		 "fix: %s, or write 'sandbox auto'",
		 file, p->sandbox_line, b->name, b->detail,
		 b->fix[0] ? b->fix : "see corral probe");
	return -1;
}

const char *sandbox_agent_etc(void)
{
	const char *d = getenv("CORRAL_AGENT_ETC");
	return d && d[0] == '/' ? d : "/etc";
}

const char *sandbox_codex_config(enum sandbox_mode m)
{
	return m == SANDBOX_NESTED
		   ? "# Written by corral init at every start: nested "
		     "sandboxes work in this\n"
		     "# container, so Codex runs commands in its own "
		     "sandbox, writing only\n"
		     "# in the workspace.  Your own settings belong in "
		     "~/.codex/config.toml.\n"
		     "default_permissions = \":workspace\"\n"
		   : "# Written by corral init at every start: nested "
		     "sandboxes cannot work in\n"
		     "# this container (see corral probe), so the "
		     "container and corral's\n"
		     "# egress allowlist are the boundary.  Your own "
		     "settings belong in\n"
		     "# ~/.codex/config.toml.\n"
		     "default_permissions = \":danger-full-access\"\n";
}

const char *sandbox_claude_settings(enum sandbox_mode m)
{
	/* No escape hatch when the sandbox works: a command the sandbox
	 * refuses is not silently retried outside it. */
	return m == SANDBOX_NESTED ? "{\n"
				     "  \"sandbox\": {\n"
				     "    \"enabled\": true,\n"
				     "    \"failIfUnavailable\": true,\n"
				     "    \"allowUnsandboxedCommands\": false\n"
				     "  }\n"
				     "}\n"
				   : "{\n"
				     "  \"sandbox\": {\n"
				     "    \"enabled\": false\n"
				     "  }\n"
				     "}\n";
}

/* DIR/NAME holds text afterwards, or it is as it was: a temp file beside
 * it, then rename. */
static int write_atomic(const char *dir, const char *name, const char *text,
			char *err, size_t errlen)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s.corral-tmp", path);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	int fd = open(
	    tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path,
			 strerror(errno));
		return -1;
	}
	size_t len = strlen(text);
	bool ok = fchmod(fd, 0644) == 0 && write(fd, text, len) == (ssize_t)len;
	int saved = errno;
	if (close(fd) < 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp, path) == 0)
		return 0;
	if (ok)
		saved = errno;
	unlink(tmp);
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(saved));
	return -1;
}

int sandbox_agent_configs_write(enum sandbox_mode m, char *err, size_t errlen)
{
	const char *etc = sandbox_agent_etc();
	char dir[4096];
	char err2[512];
	mkdir(etc, 0755); /* an image build's or a test's directory */
	snprintf(dir, sizeof dir, "%s/codex", etc);
	int rc = write_atomic(dir, "config.toml", sandbox_codex_config(m), err,
			      errlen);
	snprintf(dir, sizeof dir, "%s/claude-code", etc);
	if (write_atomic(dir, "managed-settings.json",
			 sandbox_claude_settings(m), rc < 0 ? err2 : err,
			 rc < 0 ? sizeof err2 : errlen) < 0)
		rc = -1;
	return rc;
}

int sandbox_mode_file_write(const char *dir, enum sandbox_mode m, char *err,
			    size_t errlen)
{
	char text[32];
	snprintf(text, sizeof text, "%s\n", sandbox_mode_name(m));
	return write_atomic(dir, "sandbox", text, err, errlen);
}
