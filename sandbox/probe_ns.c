/* The namespace checks, made the way bubblewrap makes its sandbox: clone a
 * child into a new user namespace, map its uid and gid, then, inside it, a
 * network namespace whose loopback is brought up over rtnetlink, a mount
 * namespace with / made slave, pivot_root into a fresh tmpfs and a fresh
 * /proc in a new PID namespace.  The child reports each step on a pipe;
 * the parent turns the reports into checks.  Everything happens in
 * namespaces that die with the child. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe_int.h"

enum ns_step {
	STEP_UID_MAP,
	STEP_NET,
	STEP_MOUNT,
	STEP_PIVOT,
	STEP_PROC,
	N_STEPS
};

static const struct {
	const char *name;
	int needs; /* the step that must have worked first, or -1 */
	const char *ok_detail;
} steps[N_STEPS] = {
    [STEP_UID_MAP] = {"uid-map", -1, "uid and gid mapped to root inside"},
    [STEP_NET] = {"network-namespace", -1,
		  "created; loopback up over rtnetlink and answering"},
    [STEP_MOUNT] = {"mount-namespace", -1,
		    "created; / made slave, so "
		    "mounts stay inside"},
    [STEP_PIVOT] = {"pivot-root", STEP_MOUNT, "pivot_root into a fresh tmpfs"},
    [STEP_PROC] = {"proc", STEP_PIVOT,
		   "fresh /proc mounted in a new PID namespace"},
};

struct step_report {
	int step;
	int err; /* 0: the step worked */
	char what[48];
};

struct ns_child {
	int fd; /* the report pipe's write end */
	uid_t uid;
	gid_t gid;
};

static void report(int fd, enum ns_step step, int err, const char *what)
{
	struct step_report r = {.step = step, .err = err};
	snprintf(r.what, sizeof r.what, "%s", what);
	ssize_t n;
	do
		n = write(fd, &r, sizeof r);
	while (n < 0 && errno == EINTR);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t len = (ssize_t)strlen(text);
	int err = write(fd, text, (size_t)len) == len ? 0 : errno;
	close(fd);
	return err;
}

/* As bubblewrap: setgroups denied, then one-line maps of our own ids. */
static int map_ids(const struct ns_child *c, const char **what)
{
	char map[64];
	int err = write_file("/proc/self/setgroups", "deny");
	if (err && err != ENOENT) {
		*what = "writing setgroups";
		return err;
	}
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)c->uid);
	*what = "writing uid_map";
	if ((err = write_file("/proc/self/uid_map", map)))
		return err;
	snprintf(map, sizeof map, "0 %u 1\n", (unsigned)c->gid);
	*what = "writing gid_map";
	return write_file("/proc/self/gid_map", map);
}

/* One rtnetlink request, answered by an ACK: 0 or the errno it carries. */
static int rtnl_request(int fd, struct nlmsghdr *nh)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof kernel) < 0)
		return errno;
	char buf[512] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0)
		return errno;
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(h, (size_t)n) || h->nlmsg_type != NLMSG_ERROR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
		return EPROTO;
	const struct nlmsgerr *e = NLMSG_DATA(h);
	return -e->error;
}

static void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data,
		     size_t len)
{
	struct rtattr *rta =
	    (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* bubblewrap's loopback_setup: RTM_NEWADDR 127.0.0.1/8 on lo, then
 * RTM_NEWLINK up ("Failed RTM_NEWADDR" is the error users see). */
static int loopback_up(const char **what)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	*what = "rtnetlink socket";
	if (fd < 0)
		return errno;
	union {
		struct nlmsghdr nh;
		char buf[256];
	} req;
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	req.nh.nlmsg_type = RTM_NEWADDR;
	req.nh.nlmsg_flags =
	    NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	req.nh.nlmsg_seq = 1;
	struct ifaddrmsg *ifa = NLMSG_DATA(&req.nh);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 8;
	ifa->ifa_flags = IFA_F_PERMANENT;
	ifa->ifa_scope = RT_SCOPE_HOST;
	ifa->ifa_index = 1; /* lo is always 1 in a new network namespace */
	struct in_addr lo = {htonl(INADDR_LOOPBACK)};
	add_attr(&req.nh, IFA_LOCAL, &lo, sizeof lo);
	add_attr(&req.nh, IFA_ADDRESS, &lo, sizeof lo);
	*what = "RTM_NEWADDR on lo";
	int err = rtnl_request(fd, &req.nh);
	if (!err) {
		memset(&req, 0, sizeof req);
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
		req.nh.nlmsg_type = RTM_NEWLINK;
		req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		req.nh.nlmsg_seq = 2;
		struct ifinfomsg *ifi = NLMSG_DATA(&req.nh);
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = 1;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
		*what = "RTM_NEWLINK lo up";
		err = rtnl_request(fd, &req.nh);
	}
	close(fd);
	return err;
}

/* A datagram to ourselves over 127.0.0.1: the loopback really works. */
static int loopback_answers(const char **what)
{
	*what = "a datagram over 127.0.0.1";
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr = {htonl(INADDR_LOOPBACK)}};
	socklen_t len = sizeof sa;
	char b = 'x';
	int err = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sendto(fd, &b, 1, 0, (struct sockaddr *)&sa, len) != 1 ||
	    recv(fd, &b, 1, MSG_DONTWAIT) != 1)
		err = errno ? errno : EIO;
	close(fd);
	return err;
}

static int step_net(const char **what)
{
	*what = "unshare(CLONE_NEWNET)";
	if (unshare(CLONE_NEWNET) < 0)
		return errno;
	int err = loopback_up(what);
	return err ? err : loopback_answers(what);
}

/* Mount namespace, / slave, then pivot_root into a tmpfs on /tmp (where
 * bubblewrap builds its root), keeping the old root at /oldroot for the
 * proc step: the kernel lets a user namespace mount proc only while a
 * full proc is visible in its mount namespace. */
static int step_pivot(const char **what)
{
	*what = "mount tmpfs on /tmp";
	if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") <
	    0)
		return errno;
	*what = "pivot_root";
	if (mkdir("/tmp/oldroot", 0755) < 0 || chdir("/tmp") < 0)
		return errno;
	if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
		return errno;
	return chdir("/") < 0 ? errno : 0;
}

static int step_proc(const char **what)
{
	*what = "unshare(CLONE_NEWPID)";
	if (mkdir("/proc", 0555) < 0 && errno != EEXIST)
		return errno;
	if (unshare(CLONE_NEWPID) < 0)
		return errno;
	*what = "mount proc";
	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		int rc = mount("proc", "/proc", "proc",
			       MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		_exit(rc < 0 ? errno : 0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

static int ns_child(void *arg)
{
	const struct ns_child *c = arg;
	const char *what = "";
	int err = map_ids(c, &what);
	report(c->fd, STEP_UID_MAP, err, what);
	err = step_net(&what);
	report(c->fd, STEP_NET, err, what);
	what = "unshare(CLONE_NEWNS)";
	err = unshare(CLONE_NEWNS) < 0 ? errno : 0;
	if (!err && mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0) {
		what = "making / slave";
		err = errno;
	}
	report(c->fd, STEP_MOUNT, err, what);
	if (err)
		_exit(0);
	err = step_pivot(&what);
	report(c->fd, STEP_PIVOT, err, what);
	if (err)
		_exit(0);
	err = step_proc(&what);
	report(c->fd, STEP_PROC, err, what);
	_exit(0);
}

/* The clone child's stack: without CLONE_VM the child runs on its own copy
 * of this buffer. */
static char child_stack[128 * 1024] __attribute__((aligned(16)));

static void read_reports(int fd, double deadline, struct step_report *got,
			 bool *have)
{
	for (;;) {
		int left = (int)(deadline - probe_now_ms());
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&pf, 1, left) <= 0)
			return;
		struct step_report r;
		ssize_t n = read(fd, &r, sizeof r);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof r)
			return; /* EOF: the child is done */
		if (r.step >= 0 && r.step < N_STEPS) {
			got[r.step] = r;
			have[r.step] = true;
		}
	}
}

void probe_namespaces(struct probe_result *r, const struct probe_env *e)
{
	struct probe_check *userns = probe_add(r, "user-namespace", true);
	struct probe_check *chk[N_STEPS];
	for (int i = 0; i < N_STEPS; i++)
		chk[i] = probe_add(r, steps[i].name, true);
	if (!userns)
		return;
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0) {
		probe_explain(userns, e, "pipe", errno);
		return;
	}
	struct ns_child c = {.fd = fds[1], .uid = geteuid(), .gid = getegid()};
	double deadline = probe_now_ms() + PROBE_CHILD_TIMEOUT_MS;
	pid_t pid = clone(ns_child, child_stack + sizeof child_stack,
			  CLONE_NEWUSER | SIGCHLD, &c);
	int clone_err = errno;
	close(fds[1]);
	struct step_report got[N_STEPS];
	bool have[N_STEPS] = {false};
	if (pid < 0) {
		probe_explain(userns, e, "clone(CLONE_NEWUSER)", clone_err);
	} else {
		PROBE_SET(userns->detail, "created with clone(CLONE_NEWUSER)");
		read_reports(fds[0], deadline, got, have);
		int status = probe_reap(pid, deadline);
		if (status < 0)
			PROBE_SET(userns->detail, "created, but the child "
						  "hung and was killed");
	}
	close(fds[0]);
	for (int i = 0; i < N_STEPS; i++) {
		struct probe_check *ck = chk[i];
		if (!ck)
			continue;
		if (have[i] && got[i].err == 0) {
			PROBE_SET(ck->detail, "%s", steps[i].ok_detail);
		} else if (have[i]) {
			probe_explain(ck, e, got[i].what, got[i].err);
		} else {
			ck->ok = false;
			int need = steps[i].needs;
			ck->skipped = pid < 0 || (need >= 0 && have[need] &&
						  got[need].err);
			if (pid < 0)
				PROBE_SET(ck->detail,
					  "not attempted: no user namespace");
			else if (need >= 0 && have[need] && got[need].err)
				PROBE_SET(ck->detail,
					  "not attempted: %s failed",
					  steps[need].name);
			else
				PROBE_SET(ck->detail,
					  "no answer from the probe's child");
		}
	}
}
