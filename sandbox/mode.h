/* The sandbox mode corral init picks (nested or full-access), and the
 * files through which it tells the agents: Codex's system config and
 * Claude Code's managed settings.  corral owns these two files alone and
 * rewrites them at every start; users keep their own settings in their
 * own files (~/.codex/config.toml, ~/.claude/settings.json). */
#ifndef CORRAL_SANDBOX_MODE_H
#define CORRAL_SANDBOX_MODE_H

#include <stddef.h>

#include "../common/policy.h"
#include "probe.h"

/* "auto", "nested", "full-access". */
const char *sandbox_mode_name(enum sandbox_mode m);

/* The mode for the config's `sandbox` line and the probe's result:
 * full-access stays; auto is nested when r->nested, else full-access;
 * nested where nesting is impossible is an error naming the config line
 * and the check that failed ("FILE:LINE: sandbox nested: ...").  r may be
 * NULL for full-access only. */
int sandbox_mode_choose(const struct policy *p, const struct probe_result *r,
			enum sandbox_mode *out, char *err, size_t errlen);

/* $CORRAL_AGENT_ETC when it is an absolute path (tests, image builds),
 * else /etc. */
const char *sandbox_agent_etc(void);

/* Writes ETC/codex/config.toml and ETC/claude-code/managed-settings.json
 * for mode m (nested or full-access), each atomically (temp file, rename)
 * with mode 0644, creating the directories.  Tries both; returns 0, or -1
 * with the first failure in err. */
int sandbox_agent_configs_write(enum sandbox_mode m, char *err, size_t errlen);

/* Writes "nested\n" or "full-access\n" to DIR/sandbox atomically. */
int sandbox_mode_file_write(const char *dir, enum sandbox_mode m, char *err,
			    size_t errlen);

/* What corral writes, for the tests and docs: the file's text for m. */
const char *sandbox_codex_config(enum sandbox_mode m);
const char *sandbox_claude_settings(enum sandbox_mode m);

#endif
