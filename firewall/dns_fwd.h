/* The unprivileged half of `corral dns`: the forwarder that parses DNS from
 * the network.  The privileged side (dns_priv.c) binds the listening
 * sockets, forks, and calls dns_forwarder_main in the child, which never
 * returns.  Everything the forwarder needs from the kernel beyond its own
 * sockets (fresh marked upstream sockets, opening addresses) it asks for
 * over the IPC socketpair (dns_ipc.h). */
#ifndef CORRAL_DNS_FWD_H
#define CORRAL_DNS_FWD_H

#include <stddef.h>
#include <sys/types.h>

#include "../common/policy.h"

/* Inherited listening sockets; any may be -1.  The TCP ones already
 * listen()ing.  They may be blocking: the forwarder sets O_NONBLOCK. */
struct dns_fwd_sockets {
	int udp4, udp6, tcp4, tcp6;
};

/* Closes every inherited fd but 0-2, the sockets of s and ipc_fd, drops
 * privileges to run_as_user (NULL or unknown: nobody, 65534), installs the
 * seccomp filter, and serves DNS until the IPC socket closes (exit status
 * 0: the privileged side went away) or a fatal error (exit status 1, with a
 * log line).  Exits with _exit(), so no atexit handler of the privileged
 * parent runs in the child.  Never returns. */
__attribute__((noreturn)) void
dns_forwarder_main(const struct policy *p, const struct dns_fwd_sockets *s,
		   int ipc_fd, const char *run_as_user);

/* For tests: dns_forwarder_main without dns_fwd_sandbox (so without the
 * privilege drop, the seccomp filter and the closing of stray fds).  Never
 * returns. */
__attribute__((noreturn)) void
dns_forwarder_loop(const struct policy *p, const struct dns_fwd_sockets *s,
		   int ipc_fd);

/* Closes every fd but 0-2 and keep_fds (-1 entries ignored), drops to
 * run_as_user (see above; already unprivileged is accepted),
 * verifies that no uid or gid is 0 and no capability is left, sets
 * no_new_privs, non-dumpable and SIGKILL on parent death, and installs the
 * seccomp allowlist (dns_sandbox.c lists it).  expected_ppid: the parent
 * the caller was forked from; when it is gone already, exits 0.  Any
 * failure ends the process with status 1 and a log line: the forwarder
 * never runs unsandboxed.  Open nothing afterwards: open/openat, socket,
 * execve, fork... kill the process (SIGSYS). */
void dns_fwd_sandbox(const char *run_as_user, pid_t expected_ppid,
		     const int *keep_fds, size_t n_keep);

#endif
