/* The capabilities CMD runs without: names, and dropping them.  Raw
 * syscalls, so that corral needs no libcap. */
#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "init.h"
#include "init_int.h"

static const char *const cap_names[] = {
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
};
#define N_CAP_NAMES	(sizeof cap_names / sizeof cap_names[0])
#define CAP_SETPCAP_BIT 8

const char *init_cap_name(unsigned cap)
{
	return cap < N_CAP_NAMES ? cap_names[cap] : NULL;
}

/* One name, number or cap_name, of length len: its number, or -1. */
static int parse_one(const char *s, size_t len)
{
	if (len > 4 && strncasecmp(s, "cap_", 4) == 0) {
		s += 4;
		len -= 4;
	}
	if (len > 0 && len <= 2 && isdigit((unsigned char)s[0]) &&
	    (len == 1 || isdigit((unsigned char)s[1]))) {
		int n = s[0] - '0';
		if (len == 2)
			n = n * 10 + s[1] - '0';
		return n < 64 ? n : -1;
	}
	for (size_t i = 0; i < N_CAP_NAMES; i++)
		if (strlen(cap_names[i]) == len &&
		    strncasecmp(cap_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

int init_caps_parse(const char *list, uint64_t *caps, char *err, size_t errlen)
{
	const char *p = list;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, ",");
		size_t end = len;
		while (end > 0 && p[end - 1] == ' ')
			end--;
		int cap = parse_one(p, end);
		if (cap < 0) {
			snprintf(err, errlen,
				 "unknown capability '%.*s': write a name like "
				 "net_admin or cap_net_raw",
				 (int)(end > 64 ? 64 : end), p);
			return -1;
		}
		*caps |= INIT_CAP_BIT(cap);
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

/* "net_admin", or "45" for a capability newer than the table. */
static void cap_label(unsigned cap, char *buf, size_t len)
{
	const char *n = init_cap_name(cap);
	if (n)
		snprintf(buf, len, "%s", n);
	else
		snprintf(buf, len, "%u", cap);
}

/* 1 if cap is in the bounding set, 0 if not or unknown to this kernel. */
static int in_bounding(unsigned cap)
{
	return prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) == 1;
}

static int get_caps(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {
	    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	return (int)syscall(SYS_capget, &h, d);
}

int init_caps_check(uint64_t drop, char *err, size_t errlen)
{
	struct __user_cap_data_struct d[2];
	bool can_drop =
	    get_caps(d) == 0 && (d[0].effective & (1U << CAP_SETPCAP_BIT)) != 0;
	if (can_drop)
		return 0;
	for (unsigned cap = 0; cap < 64; cap++) {
		if (!(drop & INIT_CAP_BIT(cap)) || !in_bounding(cap))
			continue;
		char label[40];
		cap_label(cap, label, sizeof label);
		snprintf(err, errlen,
			 "cannot drop cap_%s from the bounding set of CMD: "
			 "corral init lacks CAP_SETPCAP (run it as root, or "
			 "keep the capability with --keep-caps %s)",
			 label, label);
		return -1;
	}
	return 0;
}

int init_caps_drop_bounding(uint64_t drop, char *err, size_t errlen)
{
	for (unsigned cap = 0; cap < 64; cap++) {
		if (!(drop & INIT_CAP_BIT(cap)))
			continue;
		char label[40];
		cap_label(cap, label, sizeof label);
		/* Kernels without ambient capabilities say EINVAL: nothing
		 * to lower there. */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER,
			  (unsigned long)cap, 0, 0) < 0 &&
		    errno != EINVAL) {
			snprintf(err, errlen,
				 "cannot drop cap_%s from the ambient set: %s",
				 label, strerror(errno));
			return -1;
		}
		if (in_bounding(cap) &&
		    prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) {
			snprintf(err, errlen,
				 "cannot drop cap_%s from the bounding set: %s",
				 label, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int init_caps_drop_sets(uint64_t drop, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {
	    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0) {
		snprintf(err, errlen, "cannot read capabilities: %s",
			 strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		uint32_t keep = ~(uint32_t)(drop >> (32 * i));
		d[i].effective &= keep;
		d[i].permitted &= keep;
		d[i].inheritable &= keep;
	}
	if (syscall(SYS_capset, &h, d) < 0) {
		snprintf(err, errlen, "cannot drop capabilities: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}
