/* corral sandbox --deny-read GLOB: which files the globs name. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sandbox.h"

#define MAX_DEPTH 64

/* Length of the first segment of s. */
static size_t seg_len(const char *s)
{
	return strcspn(s, "/");
}

/* What follows the first segment (and its slash). */
static const char *next_seg(const char *s)
{
	s += seg_len(s);
	return *s == '/' ? s + 1 : s;
}

static bool seg_match(const char *glob, size_t glen, const char *name,
		      size_t nlen)
{
	char g[NAME_MAX + 1], n[NAME_MAX + 1];
	if (glen > NAME_MAX || nlen > NAME_MAX)
		return false;
	memcpy(g, glob, glen);
	g[glen] = '\0';
	memcpy(n, name, nlen);
	n[nlen] = '\0';
	return fnmatch(g, n, 0) == 0;
}

static bool match_from(const char *glob, const char *path, int depth)
{
	if (depth > MAX_DEPTH)
		return false;
	if (*glob == '\0')
		return *path == '\0';
	size_t glen = seg_len(glob);
	if (glen == 2 && glob[0] == '*' && glob[1] == '*') {
		const char *rest = next_seg(glob);
		if (*rest == '\0')
			return true;
		for (const char *p = path;; p = next_seg(p)) {
			if (match_from(rest, p, depth + 1))
				return true;
			if (*p == '\0')
				return false;
		}
	}
	if (*path == '\0')
		return false;
	return seg_match(glob, glen, path, seg_len(path)) &&
	       match_from(next_seg(glob), next_seg(path), depth + 1);
}

bool glob_match(const char *glob, const char *path)
{
	return match_from(glob, path, 0);
}

struct walk {
	const char *const *globs; /* relative to the walk's root */
	size_t n_globs;
	struct strv *out;
	char path[PATH_MAX]; /* absolute */
	size_t root_len;     /* path[root_len..] is the relative part */
};

static int add_match(struct walk *w)
{
	char *real = realpath(w->path, NULL);
	if (!real)
		return 0; /* a dangling link hides nothing */
	int rc = strv_add(w->out, real);
	free(real);
	return rc;
}

static int walk_dir(struct walk *w, size_t len, int depth)
{
	if (depth > MAX_DEPTH)
		return 0;
	DIR *d = opendir(w->path);
	if (!d)
		return 0; /* unreadable: the sandbox cannot read it either */
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* A glob from / does not walk the kernel's trees: the sandbox
		 * gets its own /proc and /dev anyway. */
		if (len == 0 && (strcmp(e->d_name, "proc") == 0 ||
				 strcmp(e->d_name, "sys") == 0 ||
				 strcmp(e->d_name, "dev") == 0))
			continue;
		size_t nlen = strlen(e->d_name);
		if (len + 1 + nlen >= sizeof w->path)
			continue;
		w->path[len] = '/';
		memcpy(w->path + len + 1, e->d_name, nlen + 1);
		const char *rel = w->path + w->root_len + 1;
		bool hit = false;
		for (size_t i = 0; i < w->n_globs && !hit; i++)
			hit = glob_match(w->globs[i], rel);
		struct stat st;
		bool is_dir = e->d_type == DT_DIR ||
			      (e->d_type == DT_UNKNOWN &&
			       lstat(w->path, &st) == 0 && S_ISDIR(st.st_mode));
		if (hit)
			rc = add_match(w);
		else if (is_dir)
			rc = walk_dir(w, len + 1 + nlen, depth + 1);
		w->path[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Walks root for the globs (relative to root). */
static int walk_root(const char *root, const char *const *globs, size_t n_globs,
		     struct strv *out)
{
	struct walk w = {.globs = globs, .n_globs = n_globs, .out = out};
	size_t len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (len >= sizeof w.path)
		return 0;
	memcpy(w.path, root, len);
	w.path[len] = '\0';
	if (len == 1) /* "/": relative parts start right after it */
		len = 0;
	w.root_len = len;
	return walk_dir(&w, len, 0);
}

int deny_read_find(const char *const *globs, size_t n_globs, const char *cwd,
		   struct strv *out)
{
	/* The relative globs in one walk of cwd. */
	const char **rel = calloc(n_globs + 1, sizeof *rel);
	if (!rel)
		return -1;
	size_t n_rel = 0;
	for (size_t i = 0; i < n_globs; i++)
		if (globs[i][0] != '/')
			rel[n_rel++] = globs[i];
	int rc = n_rel ? walk_root(cwd, rel, n_rel, out) : 0;
	free(rel);
	if (rc < 0)
		return -1;
	/* Each absolute glob below its literal prefix. */
	for (size_t i = 0; i < n_globs; i++) {
		if (globs[i][0] != '/')
			continue;
		const char *g = globs[i], *wild = g + strcspn(g, "*?[");
		const char *slash = wild;
		while (slash > g && *slash != '/')
			slash--;
		char root[PATH_MAX];
		size_t rlen = (size_t)(slash - g);
		if (rlen >= sizeof root)
			continue;
		memcpy(root, g, rlen);
		root[rlen] = '\0';
		if (*wild == '\0') { /* no wildcard: the path itself */
			char *real = realpath(g, NULL);
			rc = real ? strv_add(out, real) : 0;
			free(real);
			if (rc < 0)
				return -1;
			continue;
		}
		const char *sub = slash + 1;
		if (walk_root(rlen ? root : "/", &sub, 1, out) < 0)
			return -1;
	}
	return 0;
}
