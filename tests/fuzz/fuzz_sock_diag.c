/* libFuzzer harness for firewall/sock_diag.c: arbitrary bytes as one
 * datagram of the kernel's inet_diag dump, in a buffer of exactly the
 * input's length, parsed for two inodes.  Beyond memory safety: a cgroup
 * id is only ever reported for a socket that was found.
 *   make fuzz FUZZ_SECONDS=120 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../firewall/sock_diag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	static const uint64_t inodes[] = {42, 0};
	for (size_t i = 0; i < 2; i++) {
		uint64_t cg = 0;
		bool found = false;
		int rc =
		    sock_diag_cgroup_parse(buf, size, inodes[i], &cg, &found);
		if (rc < -1 || rc > 1 || (cg && !found))
			__builtin_trap();
	}
	free(buf);
	return 0;
}
