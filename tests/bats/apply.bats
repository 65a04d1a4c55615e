#!/usr/bin/env bats
# shellcheck shell=bats
# corral apply / show / clear in the test world: what a user of the static
# allowlist sees from inside the box.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'
load '../world/backend'

setup_file() { world_setup_file; }
teardown_file() { world_down; }
setup() {
	world_setup_test
	CONF=$WORLD_DIR/corral.conf
	box "$CORRAL_BIN" clear
	world_conn_log_clear
}
teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		world_dump
		ruleset_dump || true
	fi
}

# apply LINE... : writes the lines as the config and applies it in the box.
apply() {
	write_conf "$@"
	run box "$CORRAL_BIN" apply --config "$CONF"
}

# A blocked TCP connect must fail at once (reset: curl exit 7), never time
# out (exit 28), and must never reach the world.
assert_refused() {
	local addr=$1 port=$2
	BOX_HTTP_TIMEOUT=3 run box_http "$addr" "$port"
	assert_failure 7
	run world_reached "$addr" "$port"
	assert_failure
}

# The ruleset as nft (iptables-save) lists it, less the seconds left on
# learned addresses, which tick down between two listings, and counters.
ruleset() {
	ruleset_dump | grep -v '^#' |
		sed -E 's/ expires [0-9hms]+//g; s/until [0-9]+/until/; s/\[[0-9]+:[0-9]+\]//'
}

assert_reaches() {
	run box_http "$1" "$2"
	assert_success
	assert_output "hello from $1 $2"
}

@test "an allowed name is reachable over IPv4 and IPv6" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	apply "allow api.test"
	assert_success
	assert_output --partial "applied"
	assert_reaches 198.51.100.3 443
	assert_reaches 2001:db8:2::3 443
}

@test "anything not allowed is refused at once over IPv4 and IPv6" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	apply "allow api.test"
	assert_success
	assert_refused 198.51.100.4 443
	assert_refused 2001:db8:2::4 443
	assert_refused 10.9.0.1 80
	assert_refused fd00:9::1 80
}

@test "UDP to a non-allowed address is refused" {
	apply "allow 198.51.100.1"
	assert_success
	run box socat -T1 - "UDP:198.51.100.2:$WORLD_UDP_ECHO_PORT" <<<"ping"
	assert_failure
	run world_reached 198.51.100.2
	assert_failure
	run box socat -T1 - "UDP:198.51.100.1:$WORLD_UDP_ECHO_PORT" <<<"ping"
	assert_output "ping"
}

@test "ports limit a name, an address and a network, v4 and v6" {
	world_dns_add git.test A 198.51.100.5
	world_dns_add git.test AAAA 2001:db8:2::5
	apply "allow git.test ports 22,8000-8100" \
		"allow 198.51.100.6 2001:db8:2::6 ports 443" \
		"allow 198.51.100.8/29 ports 80"
	assert_success
	assert_reaches 198.51.100.5 22
	assert_reaches 198.51.100.5 8080
	assert_reaches 2001:db8:2::5 22
	assert_refused 198.51.100.5 443
	assert_refused 2001:db8:2::5 8443
	assert_reaches 198.51.100.6 443
	assert_reaches 2001:db8:2::6 443
	assert_refused 198.51.100.6 80
	assert_refused 2001:db8:2::6 22
	assert_reaches 198.51.100.9 80
	assert_refused 198.51.100.9 443
}

@test "networks are allowed without DNS, v4 and v6" {
	apply "allow 198.51.100.0/29" "allow 2001:db8:2::/124"
	assert_success
	assert_reaches 198.51.100.1 80
	assert_reaches 198.51.100.7 443
	assert_refused 198.51.100.8 80
	assert_reaches 2001:db8:2::9 80
	assert_refused 2001:db8:2::10 80
}

@test "CORRAL_ALLOW adds targets to the file's" {
	write_conf 'allow 198.51.100.1'
	CORRAL_ALLOW="198.51.100.2, 2001:db8:2::2" run box "$CORRAL_BIN" apply --config "$CONF"
	assert_success
	assert_reaches 198.51.100.1 80
	assert_reaches 198.51.100.2 80
	assert_reaches 2001:db8:2::2 80
	assert_refused 198.51.100.3 80
}

@test "a CNAME chain is followed to its addresses" {
	world_dns_add www.test CNAME cdn.test
	world_dns_add cdn.test CNAME edge.cdn.test
	world_dns_add edge.cdn.test A 198.51.100.7
	world_dns_add edge.cdn.test AAAA 2001:db8:2::7
	apply "allow www.test"
	assert_success
	assert_reaches 198.51.100.7 443
	assert_reaches 2001:db8:2::7 443
}

@test "shared addresses and unresolvable names are warnings, not failures" {
	world_dns_add one.test A 198.51.100.3
	world_dns_add two.test A 198.51.100.3
	world_dns_add three.test A 198.51.100.3
	world_dns_add three.test A 198.51.100.4
	apply "allow one.test two.test three.test missing.test 198.51.100.3"
	assert_success
	assert_output --partial "missing.test"
	assert_reaches 198.51.100.3 80
	assert_reaches 198.51.100.4 80
	assert_refused 198.51.100.5 80
}

@test "without the forwarder, DNS from the box gets no answer and never leaves it" {
	world_dns_add api.test A 198.51.100.3
	apply "allow api.test" "upstream $WORLD_DNS4"
	assert_success
	world_dns_log_clear
	# Every query is redirected to corral's forwarder (corral dns), which
	# is not running here: no process but the forwarder reaches a server.
	run box dig +time=1 +tries=1 "@$WORLD_DNS4" api.test A
	assert_failure
	run box dig +time=1 +tries=1 "@$WORLD_DNS6" leak.test A
	assert_failure
	run box dig +time=1 +tries=1 +tcp "@$WORLD_DNS4" leak-tcp.test A
	assert_failure
	run world_dns_log
	assert_output ""
}

@test "applying twice yields the identical ruleset" {
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	apply "allow api.test 192.0.2.128/25 2001:db8:3::/48" "allow 198.51.100.9 ports 22"
	assert_success
	first=$(ruleset)
	apply "allow api.test 192.0.2.128/25 2001:db8:3::/48" "allow 198.51.100.9 ports 22"
	assert_success
	run ruleset
	assert_output "$first"
}

@test "a failed apply leaves the rules in force exactly as they were" {
	world_dns_add api.test A 198.51.100.3
	apply "allow api.test"
	assert_success
	before=$(ruleset)

	apply "allow api.test" "allow 198.51.100.4/24"
	assert_failure 1
	assert_output --partial ":2: '198.51.100.4/24' has host bits set"
	assert_output --partial "nothing was changed"
	run ruleset
	assert_output "$before"

	world_dns_mode servfail
	apply "allow api.test other.test"
	assert_failure 1
	assert_output --partial "none of the 2 allowed names resolved"
	run ruleset
	assert_output "$before"
	world_dns_mode normal
	assert_reaches 198.51.100.3 80
	assert_refused 198.51.100.4 80
}

@test "the box still works for other tables' rules: corral touches only its own" {
	box nft add table inet other
	box nft add chain inet other keep
	apply "allow 198.51.100.1"
	assert_success
	run box nft list table inet other
	assert_success
	assert_output --partial "chain keep"
	box "$CORRAL_BIN" clear
	run box nft list table inet other
	assert_success
	box nft delete table inet other
}

@test "other tools' iptables rules survive apply, re-apply and clear; corral's jump stays first" {
	other_rules_add
	for _ in 1 2; do
		apply "allow 198.51.100.1"
		assert_success
		other_rules_present
	done
	if on_iptables; then
		run box iptables-legacy -S OUTPUT
		assert_line --index 1 "-A OUTPUT -j corral-output"
		# Under corral the user's rule comes too late: 198.51.100.7 is refused.
		assert_refused 198.51.100.7 80
	fi
	run box "$CORRAL_BIN" clear
	assert_success
	other_rules_alone
	other_rules_remove
}

@test "show prints the policy in force; clear removes it and opens the network" {
	world_dns_add api.test A 198.51.100.3
	apply "allow api.test 198.51.100.8/29 2001:db8:2::/124" "allow 198.51.100.9 ports 22,443"
	assert_success
	run box "$CORRAL_BIN" show
	assert_success
	assert_output --partial "198.51.100.8/29"
	assert_output --partial "2001:db8:2::/124"
	assert_output --partial "198.51.100.3"
	assert_output --partial "22"
	run box "$CORRAL_BIN" clear
	assert_success
	run box nft list tables
	refute_output --partial "corral"
	run box iptables-legacy-save
	refute_output --partial "corral"
	assert_reaches 198.51.100.4 80
	run box "$CORRAL_BIN" show
	assert_failure 1
	assert_output --partial "corral apply"
	run box "$CORRAL_BIN" clear
	assert_success
}

@test "without CAP_NET_ADMIN apply fails with advice and changes nothing" {
	write_conf 'allow 198.51.100.1'
	run box capsh --drop=cap_net_admin -- -c "'$CORRAL_BIN' apply --config '$CONF'"
	assert_failure 1
	assert_output --partial "missing CAP_NET_ADMIN"
	assert_output --partial "--cap-add=NET_ADMIN"
	run box nft list tables
	refute_output --partial "corral"
}
