/* Which firewall backend runs, and the calls that go to it. */
#include "backend.h"

#include <string.h>

#include "../common/log.h"
#include "ipt.h"

static const struct fw_backend nft_backend = {
    .name = "nftables",
    .summary = "nftables, table inet corral (owned by corral init)",
    .apply = nft_apply,
    .dyn_add = nft_dyn_add,
    .verify = nft_verify,
    .show = nft_show,
    .clear = nft_clear,
    .blocked_packets = nft_blocked_packets,
    .host_dns_packets = nft_host_dns_packets,
};

static const struct fw_backend ipt_backend = {
    .name = "iptables",
    .summary = "iptables (legacy), chains corral-* (not root-proof: restored "
	       "when changed)",
    .apply = ipt_apply,
    .dyn_add = ipt_dyn_add,
    .verify = ipt_verify,
    .show = ipt_show,
    .clear = ipt_clear,
    .blocked_packets = ipt_blocked_packets,
    .host_dns_packets = ipt_host_dns_packets,
    .tick = ipt_tick,
    .stop = ipt_stop,
};

static const struct fw_backend *current;

static const struct fw_backend *forced(const struct policy *p,
				       const struct fw_backend *b, int ok,
				       const char *why, char *err,
				       size_t errlen)
{
	if (ok == 0)
		return current = b;
	char where[300] = "";
	if (p->backend_line && p->backend_file < p->n_files)
		snprintf(where, sizeof where,
			 "%s:%u: ", p->files[p->backend_file], p->backend_line);
	char msg[512];
	snprintf(msg, sizeof msg, "%s", why);
	snprintf(err, errlen, "%sbackend %s does not work here: %s", where,
		 b->name, msg);
	return NULL;
}

const struct fw_backend *fw_select(const struct policy *p, char *err,
				   size_t errlen)
{
	if (current)
		return current;
	char why[400];
	switch (p->backend) {
	case BACKEND_NFTABLES:
		return forced(p, &nft_backend, nft_probe(why, sizeof why), why,
			      err, errlen);
	case BACKEND_IPTABLES:
		return forced(p, &ipt_backend, ipt_tc_probe(why, sizeof why),
			      why, err, errlen);
	case BACKEND_AUTO:
		break;
	}
	int rc = nft_probe(why, sizeof why);
	if (rc == 0)
		return current = &nft_backend;
	if (rc < 0) { /* nf_tables is there but refused us (no CAP_NET_ADMIN) */
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	char why_ipt[400];
	if (ipt_tc_probe(why_ipt, sizeof why_ipt) == 0) {
		debug("backend auto: %s; using legacy iptables", why);
		return current = &ipt_backend;
	}
	snprintf(err, errlen,
		 "no firewall backend works: nftables: %s; iptables: %s", why,
		 why_ipt);
	return NULL;
}

const char *fw_backend_name(void)
{
	return current ? current->name : nft_backend.name;
}

const char *fw_backend_summary(void)
{
	return current ? current->summary : nft_backend.summary;
}

int fw_apply(const struct policy *p, const struct resolved *addrs,
	     size_t n_addrs, const struct nft_opts *o, int *sock_fd, char *err,
	     size_t errlen)
{
	const struct fw_backend *b = fw_select(p, err, errlen);
	return b ? b->apply(p, addrs, n_addrs, o, sock_fd, err, errlen) : -1;
}

int fw_dyn_add(int *sock_fd, const struct policy *p,
	       const struct nft_dyn_elem *e, size_t n, char *err, size_t errlen)
{
	const struct fw_backend *b = fw_select(p, err, errlen);
	return b ? b->dyn_add(sock_fd, p, e, n, err, errlen) : -1;
}

static const struct fw_backend *cur(void)
{
	return current ? current : &nft_backend;
}

int fw_verify(bool owner, char *err, size_t errlen)
{
	return cur()->verify(owner, err, errlen);
}

int fw_blocked_packets(uint64_t *packets, char *err, size_t errlen)
{
	return cur()->blocked_packets(packets, err, errlen);
}

int fw_host_dns_packets(uint64_t *packets, char *err, size_t errlen)
{
	return cur()->host_dns_packets(packets, err, errlen);
}

int fw_tick(void)
{
	return current && current->tick ? current->tick() : -1;
}

void fw_stop(void)
{
	if (current && current->stop)
		current->stop();
}

int fw_show(FILE *out, char *err, size_t errlen)
{
	char why[400];
	int nft = nft_probe(why, sizeof why);
	if (nft < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (nft == 0) {
		int rc = nft_show(out, err, errlen);
		if (rc != 1)
			return rc;
	}
	return ipt_show(out, err, errlen);
}

int fw_clear(char *err, size_t errlen)
{
	char why[400];
	int nft = nft_probe(why, sizeof why);
	if (nft < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (nft == 0 && nft_clear(err, errlen) < 0)
		return -1;
	return ipt_clear(err, errlen);
}
