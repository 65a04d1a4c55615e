/* The syscall table: Docker's default profile (moby's
 * profiles/seccomp/default.json, including its architecture and argument
 * conditions) as the base, with every difference marked by a comment that
 * says why.  The differences, in short:
 *   - the container may build namespaces without CAP_SYS_ADMIN (clone with
 *     namespace flags, unshare, setns, mount, umount2, pivot_root, and
 *     chroot without CAP_SYS_CHROOT), which is what bubblewrap needs to
 *     nest; the kernel still allows these only inside a user namespace
 *     the process owns;
 *   - io_uring is refused in both (ENOSYS, so programs fall back to plain
 *     syscalls): its ring performs I/O that seccomp never sees;
 *   - the sandbox refuses, on top of what the container refuses, ptrace,
 *     process_vm_*, every socket family but AF_UNIX (AF_INET, AF_INET6 and
 *     AF_NETLINK with --network), and anything that needs a capability.
 * Docker's rules that need a capability stay as they are: a container
 * started with that capability gets the same syscalls as under Docker's
 * default. */
#include "syscall_policy.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/socket.h>

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define BOTH	  (SP_CONTAINER | SP_SANDBOX)

/* CLONE_NEWNS | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWCGROUP */
#define CLONE_NS_FLAGS 0x7E020000ULL

#define PERSONALITY(v)                                                         \
	{                                                                      \
		.names = LIST("personality"), .where = BOTH,                   \
		.arg = {0, SP_OP_EQ, (v), 0},                                  \
	}
#define WITH_CAP(cap, ...)                                                     \
	{                                                                      \
		.names = LIST(__VA_ARGS__), .where = SP_CONTAINER,             \
		.caps = LIST(cap),                                             \
	}
#define ON_ARCH(arch_list, ...)                                                \
	{                                                                      \
		.names = LIST(__VA_ARGS__), .where = BOTH,                     \
		.arches = arch_list,                                           \
	}

const struct sp_rule sp_rules[] = {
    /* Docker's unconditional allowlist, less io_uring_setup,
     * io_uring_enter and io_uring_register (refused below). */
    {
	.names = LIST(
	    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk",
	    "capget", "capset", "chdir", "chmod", "chown", "chown32",
	    "clock_adjtime", "clock_adjtime64", "clock_getres",
	    "clock_getres_time64", "clock_gettime", "clock_gettime64",
	    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range",
	    "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
	    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old",
	    "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
	    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	    "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
	    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown",
	    "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
	    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
	    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs",
	    "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
	    "futex_time64", "futex_waitv", "futimesat", "getcpu", "getcwd",
	    "getdents", "getdents64", "getegid", "getegid32", "geteuid",
	    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
	    "getitimer", "getpeername", "getpgid", "getpgrp", "getpid",
	    "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
	    "getresuid", "getresuid32", "getrlimit", "get_robust_list",
	    "getrusage", "getsid", "getsockname", "getsockopt",
	    "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32",
	    "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
	    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy",
	    "io_getevents", "io_pgetevents", "io_pgetevents_time64",
	    "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
	    "landlock_add_rule", "landlock_create_ruleset",
	    "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
	    "linkat", "listen", "listxattr", "llistxattr", "_llseek",
	    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
	    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir",
	    "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall",
	    "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
	    "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
	    "mq_timedsend", "mq_timedsend_time64", "mq_unlink", "mremap",
	    "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
	    "munlockall", "munmap", "name_to_handle_at", "nanosleep",
	    "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
	    "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
	    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64",
	    "prctl", "pread64", "preadv", "preadv2", "prlimit64",
	    "process_mrelease", "pselect6", "pselect6_time64", "pwrite64",
	    "pwritev", "pwritev2", "read", "readahead", "readlink",
	    "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
	    "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
	    "rename", "renameat", "renameat2", "restart_syscall", "rmdir",
	    "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
	    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
	    "sched_getaffinity", "sched_getattr", "sched_getparam",
	    "sched_get_priority_max", "sched_get_priority_min",
	    "sched_getscheduler", "sched_rr_get_interval",
	    "sched_rr_get_interval_time64", "sched_setaffinity",
	    "sched_setattr", "sched_setparam", "sched_setscheduler",
	    "sched_yield", "seccomp", "select", "semctl", "semget", "semop",
	    "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64",
	    "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32",
	    "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups",
	    "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
	    "setregid32", "setresgid", "setresgid32", "setresuid",
	    "setresuid32", "setreuid", "setreuid32", "setrlimit",
	    "set_robust_list", "setsid", "setsockopt", "set_thread_area",
	    "set_tid_address", "setuid", "setuid32", "setxattr", "shmat",
	    "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd",
	    "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
	    "splice", "stat", "stat64", "statfs", "statfs64", "statx",
	    "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
	    "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
	    "timer_getoverrun", "timer_gettime", "timer_gettime64",
	    "timer_settime", "timer_settime64", "timerfd_create",
	    "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
	    "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
	    "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "utime",
	    "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
	    "wait4", "waitid", "waitpid", "write", "writev"),
	.where = BOTH,
    },
    {
	.names = LIST("process_vm_readv", "process_vm_writev", "ptrace"),
	.where = SP_CONTAINER,
	.min_kernel = "4.8",
    },
    /* Docker's socket rule: every family but AF_VSOCK. */
    {
	.names = LIST("socket"),
	.where = SP_CONTAINER,
	.arg = {0, SP_OP_NE, AF_VSOCK, 0},
    },
    {
	.names = LIST("socket"),
	.where = SP_SANDBOX,
	.arg = {0, SP_OP_EQ, AF_UNIX, 0},
	.comment = "corral sandbox: local sockets only",
    },
    {
	.names = LIST("socket"),
	.where = SP_SANDBOX_NET,
	.arg = {0, SP_OP_EQ, AF_INET, 0},
	.comment = "corral sandbox --network",
    },
    {
	.names = LIST("socket"),
	.where = SP_SANDBOX_NET,
	.arg = {0, SP_OP_EQ, AF_INET6, 0},
	.comment = "corral sandbox --network",
    },
    {
	.names = LIST("socket"),
	.where = SP_SANDBOX_NET,
	.arg = {0, SP_OP_EQ, AF_NETLINK, 0},
	.comment = "corral sandbox --network: getaddrinfo asks the kernel "
		   "for the addresses in use",
    },
    PERSONALITY(0x0),
    PERSONALITY(0x0008),
    PERSONALITY(0x20000),
    PERSONALITY(0x20008),
    PERSONALITY(0xffffffff),
    ON_ARCH(LIST("ppc64le"), "sync_file_range2", "swapcontext"),
    ON_ARCH(LIST("arm", "arm64"), "arm_fadvise64_64", "arm_sync_file_range",
	    "sync_file_range2", "breakpoint", "cacheflush", "set_tls"),
    ON_ARCH(LIST("amd64", "x32"), "arch_prctl"),
    ON_ARCH(LIST("amd64", "x32", "x86"), "modify_ldt"),
    ON_ARCH(LIST("s390", "s390x"), "s390_pci_mmio_read", "s390_pci_mmio_write",
	    "s390_runtime_instr"),
    ON_ARCH(LIST("riscv64"), "riscv_flush_icache"),
    WITH_CAP("CAP_DAC_READ_SEARCH", "open_by_handle_at"),
    WITH_CAP("CAP_SYS_ADMIN", "bpf", "clone", "clone3", "fanotify_init",
	     "fsconfig", "fsmount", "fsopen", "fspick", "lookup_dcookie",
	     "mount", "mount_setattr", "move_mount", "open_tree",
	     "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
	     "sethostname", "setns", "syslog", "umount", "umount2", "unshare"),
    /* clone without namespace flags (s390 passes the flags second). */
    {
	.names = LIST("clone"),
	.where = BOTH,
	.arg = {0, SP_OP_MASKED_EQ, CLONE_NS_FLAGS, 0},
	.not_caps = LIST("CAP_SYS_ADMIN"),
	.not_arches = LIST("s390", "s390x"),
    },
    {
	.names = LIST("clone"),
	.where = BOTH,
	.arg = {1, SP_OP_MASKED_EQ, CLONE_NS_FLAGS, 0},
	.arches = LIST("s390", "s390x"),
	.not_caps = LIST("CAP_SYS_ADMIN"),
    },
    /* clone3's flags are in memory seccomp cannot read: ENOSYS makes
     * glibc fall back to clone, whose flags it can. */
    {
	.names = LIST("clone3"),
	.where = BOTH,
	.action = SP_ERRNO,
	.errno_ret = ENOSYS,
	.not_caps = LIST("CAP_SYS_ADMIN"),
    },
    WITH_CAP("CAP_SYS_BOOT", "reboot"),
    WITH_CAP("CAP_SYS_CHROOT", "chroot"),
    WITH_CAP("CAP_SYS_MODULE", "delete_module", "init_module", "finit_module"),
    WITH_CAP("CAP_SYS_PACCT", "acct"),
    WITH_CAP("CAP_SYS_PTRACE", "kcmp", "pidfd_getfd", "process_madvise",
	     "process_vm_readv", "process_vm_writev", "ptrace"),
    WITH_CAP("CAP_SYS_RAWIO", "iopl", "ioperm"),
    WITH_CAP("CAP_SYS_TIME", "settimeofday", "stime", "clock_settime",
	     "clock_settime64"),
    WITH_CAP("CAP_SYS_TTY_CONFIG", "vhangup"),
    WITH_CAP("CAP_SYS_NICE", "get_mempolicy", "mbind", "set_mempolicy",
	     "set_mempolicy_home_node"),
    WITH_CAP("CAP_SYSLOG", "syslog"),
    WITH_CAP("CAP_BPF", "bpf"),
    WITH_CAP("CAP_PERFMON", "perf_event_open"),

    /* ---- corral's own rules ---- */
    {
	.names = LIST("clone", "unshare", "setns", "mount", "umount2",
		      "pivot_root", "chroot"),
	.where = SP_CONTAINER,
	.comment = "corral: lets bubblewrap build its namespaces without "
		   "CAP_SYS_ADMIN (nested sandbox; older bubblewrap also "
		   "chroots); the kernel allows namespaces other than a user "
		   "namespace, mounts and chroot only to a process with the "
		   "capability in a user namespace it created",
    },
    {
	.names = LIST("io_uring_setup", "io_uring_enter", "io_uring_register"),
	.where = SP_CONTAINER | SP_SANDBOX,
	.action = SP_ERRNO,
	.errno_ret = ENOSYS,
	.comment = "corral: io_uring does I/O that seccomp never sees; "
		   "ENOSYS makes programs fall back to plain syscalls",
    },
    /* Refused in the sandbox although the container may allow them (the
     * default refuses them already; listed so the table says it). */
    {
	.names = LIST("ptrace", "process_vm_readv", "process_vm_writev",
		      "process_madvise", "pidfd_getfd", "kcmp", "bpf", "keyctl",
		      "add_key", "request_key", "perf_event_open",
		      "userfaultfd", "kexec_load", "kexec_file_load",
		      "init_module", "finit_module", "delete_module", "unshare",
		      "setns", "mount", "umount2", "pivot_root", "chroot"),
	.where = SP_SANDBOX,
	.action = SP_ERRNO,
	.errno_ret = EPERM,
	.comment = "corral sandbox: no debugging or reading of other "
		   "processes, no kernel keyrings, eBPF, perf, userfaultfd, "
		   "kexec or modules, no new namespaces, mounts or chroot",
    },
};

const size_t sp_n_rules = sizeof sp_rules / sizeof sp_rules[0];

static bool in_list(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

const char *sp_native_arch(void)
{
	static const struct {
		uint32_t token;
		const char *name;
	} arches[] = {
	    {SCMP_ARCH_X86_64, "amd64"},    {SCMP_ARCH_X86, "x86"},
	    {SCMP_ARCH_X32, "x32"},	    {SCMP_ARCH_AARCH64, "arm64"},
	    {SCMP_ARCH_ARM, "arm"},	    {SCMP_ARCH_PPC64LE, "ppc64le"},
	    {SCMP_ARCH_S390X, "s390x"},	    {SCMP_ARCH_S390, "s390"},
	    {SCMP_ARCH_RISCV64, "riscv64"},
	};
	uint32_t native = seccomp_arch_native();
	for (size_t i = 0; i < sizeof arches / sizeof arches[0]; i++)
		if (arches[i].token == native)
			return arches[i].name;
	return NULL;
}

bool sp_rule_on_arch(const struct sp_rule *r, const char *arch)
{
	if (r->arches && !(arch && in_list(r->arches, arch)))
		return false;
	return !(arch && in_list(r->not_arches, arch));
}

bool sp_rule_in_sandbox(const struct sp_rule *r, bool network)
{
	unsigned want = SP_SANDBOX | (network ? SP_SANDBOX_NET : 0);
	return (r->where & want) && !r->caps;
}
