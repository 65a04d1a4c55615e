#!/usr/bin/env bats
# shellcheck shell=bats
# DNS of the container only (firewall/dns_scope.h): corral runs in a cgroup
# of its own, as in a container; a process of another cgroup that entered
# the box's netns (what dockerd's embedded resolver does when it forwards a
# query) sends DNS that is neither redirected nor refused, while every
# process of corral's cgroup, and of the cgroups below it, still goes
# through the forwarder.  Needs a writable cgroup v2 hierarchy (root).
# Runs for both backends (tests/run: iptables:tests/bats/dns_scope.bats).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'
load '../world/backend'
load 'need'

setup_file() { world_setup_file; }
teardown_file() { world_down; }
setup() {
	world_setup_test
	CONF=$WORLD_DIR/corral.conf
	DNS_LOG=$WORLD_DIR/corral-dns.log
	DNS_PID=
	CG=
	local root
	root=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -1)
	if [[ -z $root || ! -w $root ]]; then
		[[ ${CI:-} == true ]] && fail "no writable cgroup v2 hierarchy (findmnt -t cgroup2)"
		skip "no writable cgroup v2 hierarchy"
	fi
	# The container's cgroup, and one below it (a container's own children).
	CG=$root/corral-test-$$-$BATS_TEST_NUMBER
	CG_PATH=${CG#"$root"} # as /proc/PID/cgroup names it
	mkdir -p "$CG/child"
	# A sibling at the container's level: dockerd's cgroup on a systemd
	# host (system.slice/docker.service beside system.slice/docker-ID.scope).
	SIB=$CG-host
	mkdir -p "$SIB"
}
teardown() {
	if [[ -n ${DNS_PID:-} ]]; then
		kill -TERM "$DNS_PID" 2>/dev/null || true
		wait "$DNS_PID" 2>/dev/null || true
	fi
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then
		echo "--- corral dns log"
		cat "$DNS_LOG" 2>/dev/null || true
		world_dump
		ruleset_dump || true
	fi
	box "$CORRAL_BIN" clear || true
	# The forwarder's unprivileged child leaves a moment after its parent:
	# a cgroup with a process in it cannot be removed yet.
	local i
	for ((i = 0; i < 40; i++)); do
		[[ -n ${CG:-} && -d $CG ]] && find "$CG" -depth -type d -exec rmdir {} + 2>/dev/null
		[[ -n ${SIB:-} && -d $SIB ]] && rmdir "$SIB" 2>/dev/null
		[[ -d ${CG:-/nonexistent} || -d ${SIB:-/nonexistent} ]] || break
		sleep 0.05
	done
}

# in_cg CGROUP CMD...: CMD in the box, as a process of CGROUP.
# Joins the cgroup in $1, then execs the rest: a background `bash -c
# "$JOIN_CG" ...  &` leaves $! the PID of what it runs (a function in the
# background would be a subshell, and killing it would leave CMD running).
# shellcheck disable=SC2016 # expanded by that bash
JOIN_CG='echo $$ >"$1/cgroup.procs" && shift && exec "$@"'
in_cg() {
	local cg=$1
	shift
	bash -c "$JOIN_CG" _ "$cg" ip netns exec "$BOX" "$@"
}

# start_dns_in CGROUP: the forwarder, as a process of CGROUP ("/": this
# test's own), up and answering; DNS_PID is its PID.
start_dns_in() {
	if [[ $1 == / ]]; then
		ip netns exec "$BOX" "$CORRAL_BIN" dns --config "$CONF" >"$DNS_LOG" 2>&1 3>&- &
	else
		bash -c "$JOIN_CG" _ "$1" ip netns exec "$BOX" "$CORRAL_BIN" dns --config "$CONF" \
			>"$DNS_LOG" 2>&1 3>&- &
	fi
	DNS_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		box dig +time=1 +tries=1 @127.0.0.1 ready.invalid >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	cat "$DNS_LOG"
	fail "corral dns did not come up"
}

# Applies LINE... and starts the forwarder, both in $CG.
start_in_cg() {
	write_conf "$@"
	run in_cg "$CG" "$CORRAL_BIN" apply --config "$CONF"
	assert_success
	start_dns_in "$CG"
}

# assert_scoped_show: corral show says the DNS rules are scoped to $CG.
assert_scoped_show() {
	run box "$CORRAL_BIN" show
	assert_success
	if on_iptables; then
		assert_line --regexp "^  -A corral-dns -p udp -m mark ! --mark 0x636f7272 --dport 53 -m cgroup ! --path \"${CG_PATH}[^\"]*\" -j RETURN\$"
		assert_line --regexp "^  -A corral-output -p udp -m mark ! --mark 0x636f7272 --dport 53 -m cgroup ! --path \"${CG_PATH}[^\"]*\" -j ACCEPT\$"
	else
		assert_line --regexp '^  chain dns_host +regular +rules: 17$'
		assert_line --partial "from the container's cgroup goes to corral's forwarder"
	fi
}

# refute_scoped_show: corral show has no rules for the host's DNS.
refute_scoped_show() {
	run box "$CORRAL_BIN" show
	assert_success
	refute_line --partial 'dns_host'
	refute_line --partial 'cgroup'
	refute_line --partial 'host dns passed'
	on_iptables || assert_line --partial "every query to port 53 goes to corral's forwarder"
}

# assert_all_redirected CGROUP: with the forwarder started in CGROUP ("/":
# this test's own), this test's process, whatever its cgroup, asks the
# world's DNS for secret.test and gets no answer from it.
assert_all_redirected() {
	start_dns_in "$1"
	world_dns_log_clear
	run box dig +time=2 +tries=3 +short "@$WORLD_DNS4" secret.test
	assert_output ''
	run world_dns_asked secret.test
	assert_failure
}

@test "DNS from outside corral's cgroup passes untouched; the container's own is still filtered" {
	world_dns_add api.test A 198.51.100.10
	world_dns_add secret.test A 198.51.100.20
	start_in_cg "allow api.test"
	assert_scoped_show

	# corral's cgroup and the one below it: asked at the world's DNS,
	# answered by corral, which never asks for secret.test.
	world_dns_log_clear
	for cg in "$CG" "$CG/child"; do
		run in_cg "$cg" dig +time=2 +tries=1 +short "@$WORLD_DNS4" secret.test
		assert_success
		assert_output ''
		run in_cg "$cg" dig +time=2 +tries=1 +short "@$WORLD_DNS4" api.test
		assert_output 198.51.100.10
	done
	run world_dns_asked secret.test
	assert_failure

	# Another cgroup (this test's own, and a sibling at the container's
	# level): straight to the world's DNS.
	run box dig +time=2 +tries=1 +short "@$WORLD_DNS4" secret.test
	assert_success
	assert_output 198.51.100.20
	run world_dns_asked secret.test
	assert_success
	world_dns_log_clear
	run in_cg "$SIB" dig +time=2 +tries=1 +short "@$WORLD_DNS4" secret.test
	assert_success
	assert_output 198.51.100.20
	run world_dns_asked secret.test
	assert_success
	run box "$CORRAL_BIN" show
	assert_line --regexp '^ *host dns passed +[1-9][0-9]* packets'
	# DNS is all it gets: its other traffic is refused like anyone's.
	BOX_HTTP_TIMEOUT=3 run box_http 198.51.100.20 80
	assert_failure 7
}

@test "without a cgroup of its own, corral redirects every process's DNS" {
	# This test's process is in the cgroup v2 root here, as are the box's
	# other processes: nothing to tell apart.
	if [[ $(sed -n 's/^0:://p' /proc/self/cgroup) != / ]]; then
		skip "this test runs in a cgroup other than the root: covered by the test above"
	fi
	world_dns_add api.test A 198.51.100.10
	world_dns_add secret.test A 198.51.100.20
	write_conf "allow api.test"
	run box "$CORRAL_BIN" apply --config "$CONF"
	assert_success
	refute_output --partial warning
	refute_scoped_show
	assert_all_redirected /
}

@test "a cgroup deeper than 16 levels: the nftables rules cannot see it, the self-test catches that; iptables matches by path" {
	world_dns_add api.test A 198.51.100.10
	world_dns_add secret.test A 198.51.100.20
	# $CG is at level 1 (or deeper); 16 more put corral below level 16.
	local deep=$CG i
	for ((i = 0; i < 16; i++)); do deep=$deep/d; done
	mkdir -p "$deep"
	write_conf "allow api.test"
	run in_cg "$deep" "$CORRAL_BIN" apply --config "$CONF"
	assert_success
	if on_iptables; then
		# A path has no depth limit: scoped, and the self-test agrees.
		refute_output --partial warning
		assert_scoped_show
		run box dig +time=2 +tries=1 +short "@$WORLD_DNS4" secret.test
		assert_output 198.51.100.20
		return
	fi
	assert_output --partial "warning: the DNS of processes outside the container"
	assert_output --partial "nested deeper than 16 cgroup levels"
	refute_scoped_show
	assert_all_redirected "$deep"
}
