/* The messages between the DNS forwarder (unprivileged child: touches
 * packets from the network) and the privileged side (touches netlink).
 * A SOCK_SEQPACKET socketpair keeps message boundaries; every message
 * starts with struct ipc_hdr.  The privileged side trusts nothing in them:
 * it checks sizes, terminates strings itself, and re-checks each request
 * against the policy before it touches the kernel. */
#ifndef CORRAL_DNS_IPC_H
#define CORRAL_DNS_IPC_H

#include <stdint.h>

#include "../common/policy.h"

#define IPC_MAX_ADDRS 32    /* addresses per ALLOW request */
#define IPC_MAX_FDS 64      /* sockets per SOCKETS reply */
#define IPC_MSG_MAX 4096    /* no message is larger */

/* Marks the forwarder's own upstream sockets (SO_MARK, set by the
 * privileged side, which alone has CAP_NET_ADMIN): only packets with this
 * mark may send DNS to the upstreams, everything else is redirected to the
 * forwarder.  A process without CAP_NET_ADMIN/CAP_NET_RAW cannot forge it. */
#define CORRAL_DNS_MARK 0x636f7272u /* "corr" */

enum ipc_type {
	/* child -> privileged */
	IPC_SOCKETS_REQ = 1, /* give me fresh marked sockets */
	IPC_ALLOW_REQ = 2,   /* open these addresses of this name, then answer */
	IPC_BLOCKED = 3,     /* a query for a name not allowed was refused */
	/* privileged -> child */
	IPC_SOCKETS_REP = 101, /* + SCM_RIGHTS with n fds */
	IPC_ALLOW_REP = 102,
};

struct ipc_hdr {
	uint16_t type; /* enum ipc_type */
	uint16_t len;  /* whole message, header included */
	uint32_t id;   /* chosen by the child, echoed in the reply */
};

struct ipc_sockets_req {
	struct ipc_hdr h;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t proto;  /* IPPROTO_UDP or IPPROTO_TCP */
	uint8_t count;  /* 1..IPC_MAX_FDS */
	uint8_t pad;
};

struct ipc_sockets_rep {
	struct ipc_hdr h;
	uint8_t family, proto, count, pad; /* count fds in SCM_RIGHTS */
};

struct ipc_addr {
	struct ipaddr addr;
	uint8_t pad[3];
	uint32_t ttl; /* from the answer, before clamping */
};

struct ipc_allow_req {
	struct ipc_hdr h;
	char name[DNS_NAME_MAX + 1]; /* the asked name, as matched by policy */
	uint8_t n;                   /* entries used in addrs */
	uint8_t pad[1];
	struct ipc_addr addrs[IPC_MAX_ADDRS];
};

struct ipc_allow_rep {
	struct ipc_hdr h;
	uint8_t ok;       /* 1: every address is in the sets, live */
	uint8_t pad[3];
	uint32_t timeout; /* seconds the addresses stay open: cap client TTLs to it */
};

struct ipc_blocked {
	struct ipc_hdr h;
	uint16_t qtype;
	char name[DNS_NAME_MAX + 1];
};

#endif
