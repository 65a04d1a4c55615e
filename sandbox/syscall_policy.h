/* The one syscall policy, with two outputs: the libseccomp filter that
 * `corral sandbox` installs in the sandboxed process, and the Docker/OCI
 * seccomp profile that `corral seccomp-profile` prints for the container.
 * Both are allowlists (everything not allowed fails with EPERM) built
 * from the same rules; a rule says in which of the two it applies. */
#ifndef CORRAL_SANDBOX_SYSCALL_POLICY_H
#define CORRAL_SANDBOX_SYSCALL_POLICY_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where a rule applies (bits). */
enum {
	SP_CONTAINER = 1,   /* the container's profile */
	SP_SANDBOX = 2,	    /* corral sandbox, always */
	SP_SANDBOX_NET = 4, /* corral sandbox --network only */
};

enum sp_action { SP_ALLOW, SP_ERRNO };

/* Argument comparisons, as in the OCI runtime spec. */
enum sp_op { SP_OP_NONE, SP_OP_EQ, SP_OP_NE, SP_OP_MASKED_EQ };

struct sp_arg {
	unsigned index; /* 0..5 */
	enum sp_op op;
	uint64_t value;	    /* for SP_OP_MASKED_EQ: the mask */
	uint64_t value_two; /* for SP_OP_MASKED_EQ: the value after masking */
};

/* A list of strings ends with NULL. */
struct sp_rule {
	const char *const *names;
	unsigned where;
	enum sp_action action;
	int errno_ret; /* for SP_ERRNO */
	struct sp_arg arg;
	/* Docker's conditions.  Architectures by Docker's names (amd64, x86,
	 * x32, arm, arm64, ppc64le, s390, s390x, riscv64), capabilities as
	 * CAP_*.  The sandbox honours the architecture conditions; its
	 * process has no capabilities, so a rule that needs one is for the
	 * container only and one excluded by a capability still applies. */
	const char *const *arches, *const *not_arches;
	const char *const *caps, *const *not_caps;
	const char *min_kernel; /* "4.8" */
	/* Why the rule differs from Docker's default profile (printed as the
	 * profile's "comment"), or NULL where it is Docker's own rule. */
	const char *comment;
};

extern const struct sp_rule sp_rules[];
extern const size_t sp_n_rules;

/* The default for everything not allowed, in both outputs. */
#define SP_DEFAULT_ERRNO 1 /* EPERM */

/* Docker's name for the architecture this binary runs on ("amd64"), or
 * NULL when Docker has none. */
const char *sp_native_arch(void);

/* Whether a rule restricted to some architectures applies on arch. */
bool sp_rule_on_arch(const struct sp_rule *r, const char *arch);

/* Whether a rule is part of the sandbox filter (network: --network). */
bool sp_rule_in_sandbox(const struct sp_rule *r, bool network);

/* Adds a rule to a libseccomp filter whose default is SP_DEFAULT_ERRNO,
 * for the native architecture (names it does not have are skipped); 0,
 * or a negative errno from libseccomp. */
int sp_rule_add(scmp_filter_ctx ctx, const struct sp_rule *r);

/* Writes corral sandbox's filter as BPF (for bwrap's --seccomp FD) to
 * fd; 0, or -1 with errno.  network: --network. */
int sandbox_filter_write(int fd, bool network);
/* The same in a rewound memfd; -1 with errno on failure. */
int sandbox_filter_fd(bool network);

/* Writes the container's profile (JSON) to out; 0, or -1 on a write
 * error. */
int seccomp_profile_write(FILE *out);

#endif
