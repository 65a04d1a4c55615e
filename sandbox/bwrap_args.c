/* The bwrap command line for corral sandbox.  bwrap applies its mount
 * options in order, each over the ones before: the read-only root, then
 * the writable paths, then the read-only directories inside them, then
 * the stand-ins over what --deny-read hides. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox.h"

const char *const sandbox_protected[] = {".git", ".codex", ".claude",
					 ".devcontainer", NULL};

int strv_add(struct strv *sv, const char *s)
{
	if (sv->n + 2 > sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 64;
		char **v = realloc(sv->v, cap * sizeof *v);
		if (!v)
			return -1;
		sv->v = v;
		sv->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -1;
	sv->v[sv->n++] = copy;
	sv->v[sv->n] = NULL;
	return 0;
}

int strv_addf(struct strv *sv, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	return strv_add(sv, buf);
}

void strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	*sv = (struct strv){0};
}

static int add3(struct strv *sv, const char *a, const char *b, const char *c)
{
	if (strv_add(sv, a) < 0 || strv_add(sv, b) < 0)
		return -1;
	return c ? strv_add(sv, c) : 0;
}

/* .git and the agents' directories inside a writable path, read-only
 * where they exist (at their real place, in case they are links). */
static int protect_inside(struct strv *sv, const char *dir)
{
	for (const char *const *p = sandbox_protected; *p; p++) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, *p) >=
		    sizeof path)
			continue;
		char *real = realpath(path, NULL);
		if (!real)
			continue;
		int rc = add3(sv, "--ro-bind", real, real);
		free(real);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int bwrap_args_build(const struct sandbox_spec *s, struct strv *sv)
{
	if (add3(sv, "bwrap", "--unshare-user", "--unshare-pid") < 0 ||
	    add3(sv, "--unshare-ipc", "--unshare-uts", NULL) < 0 ||
	    (!s->network && strv_add(sv, "--unshare-net") < 0) ||
	    add3(sv, "--die-with-parent", "--new-session", NULL) < 0 ||
	    add3(sv, "--cap-drop", "ALL", NULL) < 0 ||
	    add3(sv, "--ro-bind", "/", "/") < 0 ||
	    add3(sv, "--dev", "/dev", NULL) < 0 ||
	    add3(sv, "--proc", "/proc", NULL) < 0)
		return -1;
	if (add3(sv, "--bind", s->cwd, s->cwd) < 0)
		return -1;
	for (size_t i = 0; i < s->n_write; i++)
		if (add3(sv, "--bind", s->write[i], s->write[i]) < 0)
			return -1;
	if (protect_inside(sv, s->cwd) < 0)
		return -1;
	for (size_t i = 0; i < s->n_write; i++)
		if (protect_inside(sv, s->write[i]) < 0)
			return -1;
	for (size_t i = 0; i < s->n_deny; i++) {
		struct stat st;
		if (stat(s->deny[i], &st) < 0)
			continue;
		const char *standin =
		    S_ISDIR(st.st_mode) ? s->deny_dir : s->deny_file;
		if (add3(sv, "--ro-bind", standin, s->deny[i]) < 0)
			return -1;
	}
	if (add3(sv, "--chdir", s->cwd, NULL) < 0 ||
	    strv_add(sv, "--seccomp") < 0 ||
	    strv_addf(sv, "%d", s->seccomp_fd) < 0 ||
	    strv_add(sv, "--block-fd") < 0 ||
	    strv_addf(sv, "%d", s->block_fd) < 0 || strv_add(sv, "--") < 0)
		return -1;
	for (char *const *c = s->cmd; *c; c++)
		if (strv_add(sv, *c) < 0)
			return -1;
	return 0;
}
