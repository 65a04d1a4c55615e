/* Giving back, once set-up is over, the memory only set-up needed.
 *
 * Boot runs a lot of code that the loops never run again (the config
 * parser, the nftables batch, libseccomp's filter compiler, stdio), and the
 * kernel maps code 64 KiB around every page that faults in, so a process
 * that booted keeps ~1 MiB of library code mapped that it will not touch.
 * Those pages are the page cache's, shared with every process, but they
 * count in the process's resident size (what ps and top show).  Dropping
 * the mappings of code (read-only, executable, backed by a file: never
 * written, so nothing is lost) lets the loop fault back only what it runs.
 * Data mappings are never touched. */
#ifndef CORRAL_LEAN_H
#define CORRAL_LEAN_H

#include <stddef.h>
#include <stdint.h>

#define LEAN_MAX_RANGES 32

struct lean_code {
	size_t n;
	struct {
		uintptr_t lo, hi;
	} r[LEAN_MAX_RANGES];
};

/* Finds the code mappings in /proc/self/maps (call while open() is still
 * allowed).  Returns 0, or -1 when the file cannot be read (c->n is 0). */
int lean_find_code(struct lean_code *c);
/* Drops them (madvise MADV_DONTNEED): they fault back in as they run. */
void lean_drop_code(const struct lean_code *c);
/* malloc_trim, then finds and drops the code mappings. */
void lean_now(void);

#endif
