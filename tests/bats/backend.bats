#!/usr/bin/env bats
# shellcheck shell=bats
# Backend choice (issue 7): `backend auto` falls back to legacy iptables
# when the kernel has no nf_tables, a forced backend that cannot work stops
# corral with the reason.  A kernel without an interface is simulated by
# tests/helpers/without_backend: a seccomp filter failing the very call
# such a kernel fails (no nfnetlink socket: EPROTONOSUPPORT; no ip_tables:
# ENOPROTOOPT on IPT_SO_GET_INFO), with the errno that kernel returns.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'
load '../world/backend'

setup_file() { world_setup_file; }
teardown_file() { world_down; }
setup() {
	world_setup_test
	CONF=$WORLD_DIR/corral.conf
	fresh_run_dir
	WITHOUT=$(dirname "$CORRAL_BIN")/helpers/without_backend
	[[ -x $WITHOUT ]] || fail "build the helpers: make unit"
	INIT_PID=
	LOG=$WORLD_DIR/init.log
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
}
teardown() {
	if [[ -n ${INIT_PID:-} ]]; then
		kill -TERM "$INIT_PID" 2>/dev/null || true
		wait "$INIT_PID" 2>/dev/null || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		cat "$LOG" 2>/dev/null || true
		world_dump
	fi
	box "$CORRAL_BIN" clear || true
}

@test "without nf_tables, auto picks iptables: ready line, status and the policy say so" {
	printf '%s\n' "allow api.test" >"$CONF"
	ip netns exec "$BOX" "$WITHOUT" nftables "$CORRAL_BIN" init --config "$CONF" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	run box "$CORRAL_BIN" wait --timeout 10
	assert_success
	run cat "$LOG"
	assert_output --partial "firewall iptables"
	run box "$CORRAL_BIN" status --json
	assert_output --partial '"backend":"iptables"'
	run box nft list tables
	refute_output --partial corral
	run box iptables-legacy -S OUTPUT
	assert_line --index 1 "-A OUTPUT -j corral-output"
	run box ip6tables-legacy -S OUTPUT
	assert_line --index 1 "-A OUTPUT -j corral-output"
	# The policy holds: the name works through the forwarder, v4 and v6,
	# anything else is refused at once.
	run box curl -q -sS --noproxy '*' --max-time 3 -4 http://api.test/
	assert_success
	assert_output "hello from 198.51.100.3 80"
	run box curl -q -sS --noproxy '*' --max-time 3 -6 http://api.test/
	assert_success
	assert_output "hello from 2001:db8:2::3 80"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.4 80
	assert_failure 7
	BOX_HTTP_TIMEOUT=3 run box_http 2001:db8:2::4 80
	assert_failure 7
	# Its own changes never look like someone else's to its self-check.
	sleep 2.5
	run cat "$LOG"
	refute_output --partial "changed by someone else"
	# It goes with init, and other rules stay.
	kill -TERM "$INIT_PID"
	wait "$INIT_PID" || true
	INIT_PID=
	run box iptables-legacy-save
	refute_output --partial corral
}

@test "with nf_tables, auto picks nftables" {
	printf '%s\n' "allow api.test" >"$CONF"
	run box "$CORRAL_BIN" init --config "$CONF" -- true
	assert_success
	assert_output --partial "firewall nftables"
}

@test "a forced backend the kernel lacks stops corral with the reason" {
	printf '%s\n' "allow api.test" "backend nftables" >"$CONF"
	run box "$WITHOUT" nftables "$CORRAL_BIN" init --config "$CONF" -- touch "$WORLD_DIR/ran"
	assert_failure
	assert_output --partial "$CONF:2: backend nftables does not work here: the kernel has no nf_tables"
	[ ! -e "$WORLD_DIR/ran" ]
	printf '%s\n' "allow api.test" "backend iptables" >"$CONF"
	run box "$WITHOUT" iptables "$CORRAL_BIN" apply --config "$CONF"
	assert_failure 1
	assert_output --partial "$CONF:2: backend iptables does not work here: the kernel has no legacy iptables table filter"
	assert_output --partial "backend nftables"
	run box iptables-legacy-save
	refute_output --partial corral
	printf '%s\n' "allow api.test" "backend fast" >"$CONF"
	run box "$CORRAL_BIN" apply --config "$CONF"
	assert_failure 1
	assert_output --partial "$CONF:2: 'backend' needs one of auto, nftables, iptables"
}

@test "without nfnetlink (no ipset either) corral's timers expire learned addresses; open connections survive" {
	world_dns_add short.test A 198.51.100.8 1
	printf '%s\n' "allow short.test" "ttl-min 2" "ttl-max 2" >"$CONF"
	ip netns exec "$BOX" "$WITHOUT" nftables "$CORRAL_BIN" init --config "$CONF" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
	run box "$CORRAL_BIN" wait --timeout 10
	assert_success
	run box dig +time=2 +tries=1 +short short.test A
	assert_output "198.51.100.8"
	run box iptables-legacy -S corral-learned
	assert_output --partial "-d 198.51.100.8/32"
	assert_output --partial "corral learned until"
	coproc HOLD { box socat - "TCP:198.51.100.8:$WORLD_ECHO_PORT" 3>&-; }
	echo first >&"${HOLD[1]}"
	read -r -t 3 line <&"${HOLD[0]}"
	[ "$line" = first ]
	sleep 3.5
	run box iptables-legacy -S corral-learned
	refute_output --partial "198.51.100.8"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.8 80
	assert_failure 7
	echo second >&"${HOLD[1]}"
	read -r -t 3 line <&"${HOLD[0]}"
	[ "$line" = second ]
	kill "$HOLD_PID" 2>/dev/null || true
}
