/* The kernel's sock_diag reply, parsed like any input (sock_diag.h). */
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <libmnl/libmnl.h>

#include "nft_int.h"
#include "sock_diag.h"

struct diag_find {
	uint64_t ino;
	uint64_t cgroup;
	bool found;
};

static int diag_attr_cb(const struct nlattr *a, void *data)
{
	struct diag_find *f = data;
	if (mnl_attr_get_type(a) == INET_DIAG_CGROUP_ID &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		f->cgroup = mnl_attr_get_u64(a);
	return MNL_CB_OK;
}

static void diag_msg(const struct nlmsghdr *nlh, struct diag_find *f)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg))
		return;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	if (f->found || m->idiag_inode != f->ino)
		return;
	f->found = true;
	mnl_attr_parse(nlh, sizeof *m, diag_attr_cb, f);
}

int sock_diag_cgroup_parse(const void *buf, size_t len, uint64_t ino,
			   uint64_t *cgroup, bool *found)
{
	struct diag_find f = {.ino = ino, .cgroup = *cgroup, .found = *found};
	int rc = MNL_CB_OK, left = len > INT_MAX ? INT_MAX : (int)len;
	/* Not mnl_cb_run: it trusts nlmsg_len (nft_nlmsg_ok). */
	for (const struct nlmsghdr *nlh = buf; nft_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != 1)
			continue; /* not the answer to our dump */
		if (nlh->nlmsg_type == NLMSG_DONE) {
			rc = MNL_CB_STOP;
			break;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			rc = MNL_CB_ERROR;
			break;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY)
			diag_msg(nlh, &f);
	}
	*cgroup = f.cgroup;
	*found = f.found;
	return rc;
}
