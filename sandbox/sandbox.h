/* corral sandbox's pieces: the bwrap command line and the deny-read
 * globs.  (The seccomp side is in syscall_policy.h.) */
#ifndef CORRAL_SANDBOX_SANDBOX_H
#define CORRAL_SANDBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* A growing, NULL-terminated list of strings it owns. */
struct strv {
	char **v;
	size_t n, cap;
};
/* Appends a copy; -1 when out of memory (then the list is unchanged). */
int strv_add(struct strv *sv, const char *s);
int strv_addf(struct strv *sv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strv_free(struct strv *sv);

/* Whether path (relative, '/'-separated) matches glob, where a "**"
 * segment stands for any number of directories (none included) and the
 * other segments are fnmatch(3) patterns; "*" matches a leading dot, so
 * the glob "**"-slash-"*.env" matches ".env" too. */
bool glob_match(const char *glob, const char *path);

/* Adds to out the real path of every file or directory that matches one
 * of the globs: a relative glob is matched below cwd, an absolute one
 * below its longest prefix without wildcards.  Symbolic links are not
 * followed while walking; a matching link adds its target.  0, or -1
 * when out of memory. */
int deny_read_find(const char *const *globs, size_t n_globs, const char *cwd,
		   struct strv *out);

struct sandbox_spec {
	const char *cwd;	  /* real path, writable */
	const char *const *write; /* real paths, writable */
	size_t n_write;
	const char *const *deny; /* real paths to hide */
	size_t n_deny;
	const char *deny_file, *deny_dir; /* mode-000 stand-ins */
	bool network;
	int seccomp_fd;
	int block_fd; /* bwrap reads its byte once the sandbox is built */
	char *const *cmd;
};

/* The whole bwrap command line, "bwrap" first.  0, or -1 when out of
 * memory. */
int bwrap_args_build(const struct sandbox_spec *s, struct strv *out);

/* The sub-directories of every writable path that stay read-only. */
extern const char *const sandbox_protected[];

#endif
