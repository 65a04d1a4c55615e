/* try_syscall NAME: makes one syscall, with arguments that the kernel
 * itself rejects with an errno of its own (EFAULT, EINVAL, EBADF, ESRCH)
 * where it can, so that EPERM or ENOSYS show the seccomp filter, as
 * bubblewrap's tests do.  Prints "ok" or the errno's name (EPERM); exits
 * 0 when the call succeeded, 1 when it failed, 2 for an unknown NAME. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

static long try(const char *name)
{
	if (strcmp(name, "getpid") == 0)
		return syscall(SYS_getpid) > 0 ? 0 : -1;
	if (strcmp(name, "ptrace") == 0)
		return syscall(SYS_ptrace, PTRACE_PEEKDATA, -1, 0, 0);
	if (strcmp(name, "process_vm_readv") == 0)
		return syscall(SYS_process_vm_readv, -1, NULL, 0, NULL, 0, 0);
	if (strcmp(name, "process_vm_writev") == 0)
		return syscall(SYS_process_vm_writev, -1, NULL, 0, NULL, 0, 0);
	if (strcmp(name, "io_uring_setup") == 0)
		return syscall(SYS_io_uring_setup, 0, NULL);
	if (strcmp(name, "bpf") == 0)
		return syscall(SYS_bpf, -1, NULL, 0);
	if (strcmp(name, "keyctl") == 0)
		return syscall(SYS_keyctl, -1, 0, 0, 0, 0);
	if (strcmp(name, "add_key") == 0)
		return syscall(SYS_add_key, NULL, NULL, NULL, 0, 0);
	if (strcmp(name, "request_key") == 0)
		return syscall(SYS_request_key, NULL, NULL, NULL, 0);
	if (strcmp(name, "perf_event_open") == 0)
		return syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
	if (strcmp(name, "userfaultfd") == 0)
		return syscall(SYS_userfaultfd, -1);
	if (strcmp(name, "kexec_load") == 0)
		return syscall(SYS_kexec_load, 0, 0, NULL, -1);
	if (strcmp(name, "init_module") == 0)
		return syscall(SYS_init_module, NULL, 0, NULL);
	if (strcmp(name, "finit_module") == 0)
		return syscall(SYS_finit_module, -1, NULL, 0);
	if (strcmp(name, "unshare") == 0)
		return syscall(SYS_unshare, 0x10000000);
	if (strncmp(name, "socket:", 7) == 0) {
		static const struct {
			const char *name;
			int family, type;
		} families[] = {
		    {"unix", AF_UNIX, SOCK_STREAM},
		    {"inet", AF_INET, SOCK_STREAM},
		    {"inet6", AF_INET6, SOCK_STREAM},
		    {"netlink", AF_NETLINK, SOCK_RAW},
		    {"packet", AF_PACKET, SOCK_RAW},
		    {"vsock", AF_VSOCK, SOCK_STREAM},
		};
		for (size_t i = 0; i < sizeof families / sizeof *families; i++)
			if (strcmp(name + 7, families[i].name) == 0)
				return syscall(SYS_socket, families[i].family,
					       families[i].type, 0);
	}
	errno = 0;
	return -2;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: try_syscall NAME\n");
		return 2;
	}
	errno = 0;
	long rc = try(argv[1]);
	if (rc == -2 && errno == 0) {
		fprintf(stderr, "try_syscall: unknown syscall %s\n", argv[1]);
		return 2;
	}
	if (rc >= 0) {
		puts("ok");
		return 0;
	}
	const char *e = strerrorname_np(errno);
	puts(e ? e : "E?");
	return 1;
}
