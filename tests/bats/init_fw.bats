#!/usr/bin/env bats
# shellcheck shell=bats
# corral init in the test world: the box is closed before CMD runs, stays
# closed (root in the box cannot undo it), and status, wait and reload work.

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
	INIT_PID=
	LOG=$WORLD_DIR/init.log
	world_dns_add api.test A 198.51.100.3
	world_dns_add api.test AAAA 2001:db8:2::3
	world_dns_add other.test A 198.51.100.4
}
teardown() {
	if [[ -n ${INIT_PID:-} ]]; then
		kill -TERM "$INIT_PID" 2>/dev/null || true
		wait "$INIT_PID" 2>/dev/null || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		echo "--- init log"
		cat "$LOG" 2>/dev/null || true
		world_dump
	fi
}

conf() { write_conf "$@"; }

# init_bg: corral init without CMD in the box, in the background.
init_bg() {
	ip netns exec "$BOX" "$CORRAL_BIN" init --config "$CONF" >"$LOG" 2>&1 3>&- &
	INIT_PID=$!
}

@test "CMD runs behind the firewall from its first instant" {
	conf "allow api.test"
	# The very first thing CMD does is connect: refused, not a timeout.
	run box "$CORRAL_BIN" init --config "$CONF" -- \
		curl -q -sS --noproxy '*' --max-time 3 http://198.51.100.4/
	assert_failure 7
	assert_output --regexp "corral: ready in [0-9]+ ms: 1 names"
	assert_output --partial "firewall ${CORRAL_TEST_BACKEND:-nftables}"
	run world_reached 198.51.100.4
	assert_failure
	# An allowed name works, by name, through the forwarder.
	run box "$CORRAL_BIN" init --quiet --config "$CONF" -- \
		curl -q -sS --noproxy '*' --max-time 3 http://api.test/
	assert_success
	assert_output --regexp "hello from (198.51.100.3|2001:db8:2::3) 80"
	# And the policy went away with init.
	run box nft list tables
	refute_output --partial corral
	run box iptables-legacy-save
	refute_output --partial corral
}

@test "an invalid config stops init before CMD runs" {
	conf "allow api.test" "allow 198.51.100.4/24"
	run box "$CORRAL_BIN" init --config "$CONF" -- touch "$WORLD_DIR/ran"
	assert_failure 1
	assert_output --partial "$CONF:2: '198.51.100.4/24' has host bits set"
	[ ! -e "$WORLD_DIR/ran" ]
	run cat "$RUN/state"
	assert_output --partial "failed: "
}

@test "root in the box cannot delete, flush or outvote the policy (iptables: it is restored)" {
	conf "allow api.test"
	init_bg
	run box "$CORRAL_BIN" wait --timeout 10
	assert_success
	if on_iptables; then
		assert_restored
		return
	fi
	run box nft delete table inet corral
	assert_failure
	run box nft flush ruleset
	run box nft list tables
	assert_output --partial "inet corral"
	# Another table that accepts everything does not undo corral's drop.
	box nft add table inet mine
	box nft add chain inet mine out '{ type filter hook output priority -200; policy accept; }'
	box nft add rule inet mine out accept
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.4 80
	assert_failure 7
	run world_reached 198.51.100.4
	assert_failure
	box nft delete table inet mine
}

# Legacy iptables has no owner: root can change corral's chains, and
# corral's self-check (every 2 s) puts them back and says so.
assert_restored() {
	box iptables-legacy -D OUTPUT -j corral-output
	box ip6tables-legacy -D corral-output -p tcp -j REJECT --reject-with tcp-reset
	local i
	for ((i = 0; i < 50; i++)); do
		if box iptables-legacy -S OUTPUT | grep -q -- '-j corral-output' &&
			box ip6tables-legacy -S corral-output | grep -q -- 'tcp-reset'; then
			break
		fi
		sleep 0.2
	done
	run box iptables-legacy -S OUTPUT
	assert_line --index 1 "-A OUTPUT -j corral-output"
	run box ip6tables-legacy -S corral-output
	assert_line --partial "tcp-reset"
	run cat "$LOG"
	assert_output --partial "iptables filter: corral's chains were changed by someone else: restored"
	assert_output --partial "ip6tables filter: corral's chains were changed by someone else: restored"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.4 80
	assert_failure 7
	# An accept-all rule put before corral's jump is removed from rule 1.
	box iptables-legacy -I OUTPUT 1 -j ACCEPT
	sleep 2.5
	run box iptables-legacy -S OUTPUT
	assert_line --index 1 "-A OUTPUT -j corral-output"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.4 80
	assert_failure 7
	box iptables-legacy -D OUTPUT -j ACCEPT
}

@test "corral wait: fails before init, returns once it is ready" {
	run box "$CORRAL_BIN" wait --timeout 0.3
	assert_failure 1
	assert_output --partial "not ready"
	conf "allow api.test"
	# Started before init, wait returns once init is ready.
	ip netns exec "$BOX" "$CORRAL_BIN" wait --timeout 10 >"$WORLD_DIR/wait.out" 2>&1 3>&- &
	waiter=$!
	sleep 0.2
	init_bg
	wait "$waiter"
	run box "$CORRAL_BIN" status --json
	assert_output --partial '"ready":true'
	# Run from the root cgroup: every process's DNS goes to corral.
	assert_output --partial "\"dns_upstream\":\"$WORLD_DNS4\",\"dns_scope\":\"all\","
	run box "$CORRAL_BIN" status
	assert_line "dns          via $WORLD_DNS4; every query in this netns"
	run box "$CORRAL_BIN" wait --timeout 0
	assert_success
}

@test "corral wait reports why init failed" {
	conf "allow 192.0.2.1/24"
	run box "$CORRAL_BIN" init --config "$CONF" -- true
	assert_failure 1
	run box "$CORRAL_BIN" wait --timeout 2
	assert_failure 1
	assert_output --partial "host bits set"
}

@test "corral status works for an unprivileged user, plain and JSON" {
	conf "allow api.test *.wild.test 198.51.100.8/29"
	init_bg
	box "$CORRAL_BIN" wait --timeout 10
	box dig +time=2 +tries=1 +short secret.test A || true
	BOX_HTTP_TIMEOUT=3 box_http 198.51.100.4 80 || true
	run box setpriv --reuid 65534 --regid 65534 --clear-groups "$CORRAL_BIN" status --json
	assert_success
	assert_output --partial '"ready":true'
	assert_output --partial "\"backend\":\"${CORRAL_TEST_BACKEND:-nftables}\""
	assert_output --partial '"names":1'
	assert_output --partial '"wildcards":1'
	assert_output --partial '"networks":1'
	assert_output --regexp '"blocked_queries":[1-9]'
	assert_output --regexp '"blocked_connections":[1-9]'
	assert_output --partial '"name":"secret.test"'
	assert_output --partial '"allow":"allow secret.test"'
	/usr/bin/python3 -c 'import json,sys; json.loads(sys.argv[1])' "$output"
	run box setpriv --reuid 65534 --regid 65534 --clear-groups "$CORRAL_BIN" status
	assert_success
	assert_output --partial "allow secret.test"
	assert_output --partial "firewall     ${CORRAL_TEST_BACKEND:-nftables}"
	assert_output --regexp "blocked +[1-9][0-9]* DNS queries, [1-9][0-9]* connection attempts"
}

@test "a connection CMD makes that is blocked is listed in status with the line to allow it" {
	conf "allow api.test ports 443"
	if [[ ${CORRAL_TEST_BACKEND:-} == iptables ]]; then
		# The iptables backend counts what it rejects but does not log it.
		run box "$CORRAL_BIN" init --quiet --config "$CONF" -- sh -c "
			curl -q -sS --noproxy '*' --max-time 3 http://198.51.100.4:8080/
			'$CORRAL_BIN' status --json"
		assert_output --regexp '"blocked_connections":[1-9]'
		refute_output --partial '"kind":"connection"'
		return
	fi
	# From init's own CMD: a bare address, then api.test's address on a
	# port it is not allowed (its name was resolved first), then status.
	run box "$CORRAL_BIN" init --quiet --config "$CONF" -- sh -c "
		curl -q -sS --noproxy '*' --max-time 3 http://198.51.100.4:8080/
		getent hosts api.test >/dev/null || echo 'api.test did not resolve'
		curl -q -sS --noproxy '*' --max-time 3 http://198.51.100.3:80/
		'$CORRAL_BIN' status --json
		'$CORRAL_BIN' status"
	refute_output --partial "did not resolve"
	assert_output --partial '{"kind":"connection","protocol":"tcp","address":"198.51.100.4","port":8080,"name":"","packets":'
	assert_output --partial '"allow":"allow 198.51.100.4 ports 8080"}'
	assert_output --partial '{"kind":"connection","protocol":"tcp","address":"198.51.100.3","port":80,"name":"api.test","packets":'
	assert_output --partial '"allow":"allow api.test ports 80"}'
	# Newest first; the JSON parses.
	json=$(grep '^{"ready"' <<<"$output")
	/usr/bin/python3 -c '
import json, sys
s = json.loads(sys.argv[1])
c = [e for e in s["last_blocked"] if e["kind"] == "connection"]
assert [e["address"] for e in c[:2]] == ["198.51.100.3", "198.51.100.4"], c
assert s["blocked_connections"] >= 2, s' "$json"
	assert_output --regexp "tcp 198.51.100.4 port 8080 +allow 198.51.100.4 ports 8080"
	assert_output --regexp "tcp 198.51.100.3 port 80 +allow api.test ports 80"
	run world_reached 198.51.100.4
	assert_failure
}

@test "other tools' iptables rules survive init, reload and exit" {
	other_rules_add
	conf "allow api.test"
	init_bg
	run box "$CORRAL_BIN" wait --timeout 10
	assert_success
	conf "allow api.test other.test"
	run box "$CORRAL_BIN" reload
	assert_success
	other_rules_present
	kill -TERM "$INIT_PID"
	wait "$INIT_PID" || true
	INIT_PID=
	other_rules_alone
	other_rules_remove
}

@test "reload swaps the policy; an invalid config keeps the old one" {
	conf "allow api.test"
	init_bg
	box "$CORRAL_BIN" wait --timeout 10
	run box dig +time=2 +tries=1 +short api.test A
	assert_output "198.51.100.3"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.4 80
	assert_failure 7
	conf "allow api.test" "allow 198.51.100.4"
	run box "$CORRAL_BIN" reload
	assert_success
	run box_http 198.51.100.4 80
	assert_success
	# A learned address the new config still allows stays open.
	run box_http 198.51.100.3 80
	assert_success
	conf "allow api.test" "allow 198.51.100.4" "allwo typo.test"
	run box "$CORRAL_BIN" reload
	assert_failure 1
	assert_output --partial "$CONF:3: unknown directive 'allwo'"
	run box_http 198.51.100.4 80
	assert_success
	# Only root may reload.
	run box setpriv --reuid 65534 --regid 65534 --clear-groups "$CORRAL_BIN" reload
	assert_failure 1
	assert_output --partial "needs root"
}

@test "killing the forwarder under init opens nothing, and it comes back" {
	conf "allow *.wild.test"
	world_dns_add x.wild.test A 198.51.100.5
	init_bg
	box "$CORRAL_BIN" wait --timeout 10
	fwd=$(pgrep -P "$INIT_PID" -u nobody)
	[ -n "$fwd" ]
	kill -KILL "$fwd"
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.5 80
	assert_failure 7
	run box dig +time=2 +tries=1 +short x.wild.test A
	assert_output "198.51.100.5"
	run box_http 198.51.100.5 80
	assert_success
	new=$(pgrep -P "$INIT_PID" -u nobody)
	[ -n "$new" ] && [ "$new" != "$fwd" ]
}
