/* libFuzzer harness for firewall/nflog.c: arbitrary bytes as a buffer of
 * netlink messages from the NFLOG group, and as a packet, each in a buffer
 * of exactly the input's length.  Beyond memory safety: every event has an
 * address family, and a port only for a transport that has ports.
 *   make fuzz FUZZ_SECONDS=120 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../firewall/nflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(bool c)
{
	if (!c)
		__builtin_trap();
}

static void check_event(void *ctx, const struct nflog_event *ev)
{
	(void)ctx;
	must(ev->addr.family == AF_INET || ev->addr.family == AF_INET6);
	must(ev->port == 0 || ev->proto == IPPROTO_TCP ||
	     ev->proto == IPPROTO_UDP || ev->proto == IPPROTO_SCTP ||
	     ev->proto == IPPROTO_UDPLITE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	nflog_parse(buf, size, check_event, NULL);
	struct nflog_event ev;
	if (nflog_parse_packet(buf, size, &ev) == 0)
		check_event(NULL, &ev);
	free(buf);
	return 0;
}
