/* See lean.h. */
#include "lean.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int lean_find_code(struct lean_code *c)
{
	c->n = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	char line[512];
	while (c->n < LEAN_MAX_RANGES && fgets(line, sizeof line, f)) {
		uintptr_t lo, hi;
		char perm[5];
		int path = 0;
		/* "lo-hi perms offset dev inode path" */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*s %*s %*s %n",
			   &lo, &hi, perm, &path) != 3)
			continue;
		/* Private, executable, not writable, and from a file: never
		 * written, so dropping it loses nothing.  ([vdso] and
		 * [vsyscall] are not files.) */
		if (strcmp(perm, "r-xp") != 0 || path <= 0 || line[path] != '/')
			continue;
		c->r[c->n].lo = lo;
		c->r[c->n].hi = hi;
		c->n++;
	}
	fclose(f);
	return 0;
}

void lean_drop_code(const struct lean_code *c)
{
	for (size_t i = 0; i < c->n; i++)
		madvise((void *)c->r[i].lo, c->r[i].hi - c->r[i].lo,
			MADV_DONTNEED);
}

void lean_now(void)
{
	malloc_trim(0);
	struct lean_code c;
	if (lean_find_code(&c) == 0)
		lean_drop_code(&c);
}
