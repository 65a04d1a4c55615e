#!/usr/bin/env bats
# shellcheck shell=bats
# The DNS-aware firewall in the test world: `corral apply` redirects all
# DNS in the box to `corral dns`, which answers only allowed names and opens
# exactly the addresses it returned, for as long as their TTL says.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'
load '../world/backend'

setup_file() { world_setup_file; }
teardown_file() { world_down; }
setup() {
	world_setup_test
	CONF=$WORLD_DIR/corral.conf
	DNS_LOG=$WORLD_DIR/corral-dns.log
	DNS_PID=
}
teardown() {
	stop_dns
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		echo "--- corral dns log"
		cat "$DNS_LOG" 2>/dev/null || true
		world_dump
		ruleset_dump || true
	fi
	box "$CORRAL_BIN" clear || true
}

# start LINE... : writes the config, applies it, starts the forwarder and
# waits until it answers.
start() {
	write_conf "$@"
	run box "$CORRAL_BIN" apply --config "$CONF"
	assert_success
	start_dns
}

# Starts corral dns with $CONF and waits until it answers.
start_dns() {
	# Not through the box function: $! must be corral's own PID.
	ip netns exec "$BOX" "$CORRAL_BIN" dns --config "$CONF" >"$DNS_LOG" 2>&1 3>&- &
	DNS_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if box dig +time=1 +tries=1 @127.0.0.1 ready.invalid >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "corral dns did not come up"
	cat "$DNS_LOG"
	return 1
}

stop_dns() {
	if [[ -n ${DNS_PID:-} ]]; then
		kill -TERM "$DNS_PID" 2>/dev/null || true
		wait "$DNS_PID" 2>/dev/null || true
		DNS_PID=
	fi
}

# q [dig options] NAME [TYPE]: ask through whatever server the box uses
# (its resolv.conf names the world's DNS; the ruleset redirects to corral).
q() { box dig +time=2 +tries=1 "$@"; }
qshort() { box dig +time=2 +tries=1 +short "$@"; }

assert_refused() {
	BOX_HTTP_TIMEOUT=3 run box_http "$1" "$2"
	assert_failure 7
	run world_reached "$1" "$2"
	assert_failure
}

assert_reaches() {
	run box_http "$1" "$2"
	assert_success
	assert_output "hello from $1 $2"
}

@test "an allowed name resolves and connects over IPv4 and IPv6" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	start "allow api.test"
	run box_http_name api.test 443
	assert_success
	assert_output --regexp "hello from (198.51.100.3|2001:db8:2::3) 443"
	run qshort api.test AAAA
	assert_output "2001:db8:2::3"
	assert_reaches 2001:db8:2::3 443
	assert_reaches 198.51.100.3 443
}

@test "a name that is not allowed gets no address and is never asked upstream" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add secret.test A 198.51.100.4
	start "allow api.test"
	world_dns_log_clear
	run q secret.test A
	assert_output --partial "status: NXDOMAIN"
	run q data-to-leak.secret.test TXT
	assert_output --partial "status: NXDOMAIN"
	run world_dns_asked secret.test
	assert_failure
	run world_dns_asked data-to-leak.secret.test
	assert_failure
	assert_refused 198.51.100.4 443
}

@test "an address that was never resolved is refused" {
	world_dns_add api.test A 198.51.100.3
	start "allow api.test"
	assert_refused 198.51.100.5 443
	assert_refused 2001:db8:2::5 443
}

@test "a query sent straight to any DNS server is intercepted and filtered" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add secret.test A 198.51.100.4
	start "allow api.test" "upstream $WORLD_DNS4"
	world_dns_log_clear
	# Straight to the world's resolver, v4 and v6, UDP and TCP, and to an
	# address with no DNS server at all: corral answers every time.
	run q "@$WORLD_DNS4" +short api.test A
	assert_output "198.51.100.3"
	run q "@$WORLD_DNS6" +short api.test A
	assert_output "198.51.100.3"
	run q "@198.51.100.9" +short api.test A
	assert_output "198.51.100.3"
	run q "@$WORLD_DNS4" +tcp secret.test A
	assert_output --partial "status: NXDOMAIN"
	run q "@$WORLD_DNS6" leak.secret.test A
	assert_output --partial "status: NXDOMAIN"
	run world_dns_asked secret.test
	assert_failure
	run world_dns_asked leak.secret.test
	assert_failure
}

@test "no query rides on corral's own flow to the upstream, whose ports are outside the ephemeral range" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add secret.test A 198.51.100.4
	start "allow api.test" "upstream $WORLD_DNS4"
	run qshort api.test A
	assert_output 198.51.100.3
	# corral's flows to the upstream as conntrack holds them: with its mark
	# (0x636f7272), from ports no client is given by the kernel.
	local range lo hi ports p
	range=$(box cat /proc/sys/net/ipv4/ip_local_port_range)
	read -r lo hi <<<"$range"
	# shellcheck disable=SC2016 # awk's own $0 and $i
	ports=$(box awk -v dst="dst=$WORLD_DNS4" '$0 ~ dst && / dport=53 / && / mark=1668248178 / {
		for (i = 1; i <= NF; i++) if ($i ~ /^sport=/) { print substr($i, 7); break } }' /proc/net/nf_conntrack)
	[[ -n $ports ]] || fail "no flow of corral's to $WORLD_DNS4 in conntrack"
	for p in $ports; do
		((p < lo || p > hi)) || fail "corral used port $p, in the ephemeral range $range"
	done
	# A client that binds one of those ports on purpose: its query would
	# follow corral's flow past the redirect; it is refused instead.
	world_dns_log_clear
	# shellcheck disable=SC2086 # one argument per port
	run box /usr/bin/python3 "$CORRAL_SRC/tests/world/dns_ride.py" "$WORLD_DNS4" secret.test $ports
	assert_output --regexp '^no answer: '
	run world_dns_asked secret.test
	assert_failure
}

@test "a CNAME chain to a name that is not allowed still opens the chain's addresses" {
	world_dns_add www.test CNAME www.cdn-elsewhere.test
	world_dns_add www.cdn-elsewhere.test CNAME edge.cdn-elsewhere.test
	world_dns_add edge.cdn-elsewhere.test A 198.51.100.7
	world_dns_add edge.cdn-elsewhere.test AAAA 2001:db8:2::7
	start "allow www.test"
	run qshort www.test A
	assert_line "198.51.100.7"
	run qshort www.test AAAA
	assert_line "2001:db8:2::7"
	assert_reaches 198.51.100.7 443
	assert_reaches 2001:db8:2::7 443
	# The CDN's name itself is not allowed.
	run q edge.cdn-elsewhere.test A
	assert_output --partial "status: NXDOMAIN"
}

@test "a wildcard matches subdomains at any depth but not the apex" {
	world_dns_add a.wild.test A 198.51.100.3
	world_dns_add b.c.d.wild.test A 198.51.100.4
	world_dns_add wild.test A 198.51.100.5
	start "allow *.wild.test"
	run qshort a.wild.test A
	assert_output "198.51.100.3"
	run qshort b.c.d.wild.test A
	assert_output "198.51.100.4"
	run q wild.test A
	assert_output --partial "status: NXDOMAIN"
	assert_reaches 198.51.100.3 80
	assert_reaches 198.51.100.4 80
	assert_refused 198.51.100.5 80
}

@test "ports of a name apply to the addresses its answers open" {
	world_dns_add git.test A 198.51.100.6
	start "allow git.test ports 22"
	run qshort git.test A
	assert_output "198.51.100.6"
	assert_reaches 198.51.100.6 22
	assert_refused 198.51.100.6 443
}

@test "after the TTL new connections are refused while an open one survives" {
	world_dns_add short.test A 198.51.100.8 1
	start "allow short.test" "ttl-min 2" "ttl-max 2"
	run q short.test A
	assert_output --partial "198.51.100.8"
	# The client may cache the answer no longer than the address stays open.
	assert_output --regexp "short\.test\.[[:space:]]+[0-2][[:space:]]+IN[[:space:]]+A"
	coproc HOLD { box socat - "TCP:198.51.100.8:$WORLD_ECHO_PORT" 3>&-; }
	echo first >&"${HOLD[1]}"
	read -r -t 3 line <&"${HOLD[0]}"
	[ "$line" = first ]
	sleep 3
	assert_refused 198.51.100.8 80
	echo second >&"${HOLD[1]}"
	read -r -t 3 line <&"${HOLD[0]}"
	[ "$line" = second ]
	kill "$HOLD_PID" 2>/dev/null || true
	# A fresh answer opens it again.
	run q short.test A
	assert_output --partial "198.51.100.8"
	assert_reaches 198.51.100.8 80
}

@test "rebinding answers are stripped unless their network is allowed" {
	world_dns_add evil.test A 198.51.100.3
	world_dns_add evil.test A 127.0.0.1
	world_dns_add evil.test A 10.9.0.1
	world_dns_add evil.test A 169.254.169.254
	world_dns_add evil.test AAAA fd00:9::1
	world_dns_add inside.test A 10.9.0.1
	start "allow evil.test inside.test 10.9.0.0/16"
	run qshort evil.test A
	assert_line "198.51.100.3"
	refute_line "127.0.0.1"
	refute_line "169.254.169.254"
	# 10.9.0.0/16 is allowed explicitly, so that address may come back.
	assert_line "10.9.0.1"
	run qshort evil.test AAAA
	refute_output --partial "fd00:9::1"
	assert_refused 169.254.169.254 80
	assert_refused fd00:9::1 80
	run cat "$DNS_LOG"
	assert_output --partial "169.254.169.254"
}

@test "DNS over TCP works" {
	world_dns_add api.test A 198.51.100.3
	start "allow api.test"
	run qshort +tcp api.test A
	assert_output "198.51.100.3"
	assert_reaches 198.51.100.3 80
}

@test "a truncated upstream answer is fetched again over TCP" {
	world_dns_add big.test A 198.51.100.3
	start "allow big.test"
	world_dns_mode truncate
	run qshort +notcp big.test A
	assert_output "198.51.100.3"
	run world_dns_log
	assert_output --partial "big.test A tcp"
}

@test "an upstream that is down gives a fast SERVFAIL" {
	world_dns_add api.test A 198.51.100.3
	# The ruleset lets corral reach both; the forwarder is told to use
	# 198.51.100.1 only, where no DNS server runs: the world refuses.
	start "allow api.test" "upstream $WORLD_DNS4 198.51.100.1"
	stop_dns
	write_conf "allow api.test" "upstream 198.51.100.1"
	start_dns
	run q api.test A
	assert_output --partial "status: SERVFAIL"
	run box dig +time=1 +tries=1 +short api.test A
	refute_output --partial "198.51.100.3"
}

@test "hostile upstream replies never crash corral and never open an address" {
	world_dns_add api.test A 198.51.100.3
	start "allow api.test injected.test loop1.test"
	local mode
	for mode in badptr wrongid wrongsrc; do
		world_dns_mode "$mode"
		run q api.test A
		refute_output --partial "198.51.100.3"
		run kill -0 "$DNS_PID"
		assert_success
	done
	# A CNAME loop in the upstream's data: no address, no crash.
	world_dns_mode normal
	world_dns_add loop1.test CNAME loop2.test
	world_dns_add loop2.test CNAME loop1.test
	run qshort loop1.test A
	refute_output --regexp "(^|[[:space:]])[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+"
	run kill -0 "$DNS_PID"
	assert_success
	world_dns_mode inject
	run qshort api.test A
	assert_line "198.51.100.3"
	refute_line "198.51.100.11"
	assert_refused 198.51.100.11 80
	run learned_dump
	refute_output --partial "198.51.100.11"
}

@test "1,000 concurrent queries are all answered" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	start "allow api.test"
	run box /usr/bin/python3 "$CORRAL_SRC/tests/world/dns_flood.py" 127.0.0.1 api.test 1000
	assert_success
	assert_output "sent 1000 answered 1000 noerror 1000"
}

@test "killing the forwarder's unprivileged process opens nothing and it comes back" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add x.later.test A 198.51.100.4
	# A wildcard is never resolved ahead: only an answer through the
	# forwarder can open x.later.test's address.
	start "allow api.test *.later.test"
	child=$(pgrep -P "$DNS_PID")
	[ -n "$child" ]
	# It runs without privileges.
	run ps -o user=,comm= -p "$child"
	refute_output --partial "root"
	kill -KILL "$child"
	assert_refused 198.51.100.4 80
	run qshort x.later.test A
	assert_output "198.51.100.4"
	new=$(pgrep -P "$DNS_PID")
	[ -n "$new" ] && [ "$new" != "$child" ]
	assert_reaches 198.51.100.4 80
	run cat "$DNS_LOG"
	assert_output --partial "restarting"
}
