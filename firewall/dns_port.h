/* Source ports of corral's own DNS sockets (to the upstreams).
 *
 * The DNS redirect is NAT, and NAT is decided on a flow's first packet: a
 * query whose tuple (address and source port, upstream address and port)
 * matches a flow corral itself opened to the upstream in the last half
 * minute is not redirected but follows corral's flow.  Clients pick their
 * source ports from the kernel's ephemeral range, so corral binds its
 * sockets to random ports outside that range, where no client lands by
 * chance.  A client that binds such a port on purpose is refused by the
 * ruleset (the flow carries corral's conntrack mark: docs/firewall.md). */
#ifndef CORRAL_DNS_PORT_H
#define CORRAL_DNS_PORT_H

#include <stdbool.h>
#include <stdint.h>

/* The range corral draws from: up to 16384 ports just below the ephemeral
 * range (/proc/sys/net/ipv4/ip_local_port_range, read once; 16384-32767
 * with the default 32768-60999), else just above it.  false when neither
 * side has 1024 ports. */
bool dns_port_range(uint16_t *lo, uint16_t *hi);

/* Binds fd (a socket of family AF_INET or AF_INET6, not yet bound) to the
 * wildcard address and a random port of that range, trying a few ports.
 * 0, or -1 when no port was free or there is no range (fd stays unbound:
 * the kernel picks an ephemeral port at connect). */
int dns_port_bind(int fd, int family);

#endif
