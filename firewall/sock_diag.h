/* Parsing the kernel's sock_diag (inet_diag) dump: which cgroup v2 a
 * socket of ours belongs to (dns_scope.c asks).  Kept apart so that the
 * fuzzer (tests/fuzz/fuzz_sock_diag.c) builds it alone. */
#ifndef CORRAL_SOCK_DIAG_H
#define CORRAL_SOCK_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One datagram of the dump: finds the socket with inode ino and its
 * INET_DIAG_CGROUP_ID; *cgroup and *found carry over between datagrams.
 * MNL_CB_STOP (0) at the dump's end, MNL_CB_OK (1) for more, MNL_CB_ERROR
 * (-1) on an error message. */
int sock_diag_cgroup_parse(const void *buf, size_t len, uint64_t ino,
			   uint64_t *cgroup, bool *found);

#endif
