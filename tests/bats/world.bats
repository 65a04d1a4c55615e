#!/usr/bin/env bats
# shellcheck shell=bats
# The test world itself: namespaces, routes, DNS and TCP/HTTP servers.
# Every other network test builds on it, so it must be right first.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'

setup_file() { world_setup_file; }
teardown_file() { world_down; }
setup() { world_setup_test; }
teardown() {
	if [[ -z ${BATS_TEST_COMPLETED:-} ]]; then world_dump; fi
	# A test that builds a second world names it here, so that a failure
	# half-way does not leak it.
	if [[ -n ${extra_world:-} ]]; then world_down "$extra_world"; fi
}

# dig from the box, one try, short wait, so failure modes stay fast.
bdig() { box dig +time=1 +tries=1 "@$WORLD_DNS4" "$@"; }

@test "the box reaches every service address over IPv4 and IPv6 by HTTP" {
	local a p
	for a in $WORLD_SVC4 $WORLD_SVC6 $WORLD_PRIV4 $WORLD_PRIV6; do
		run box_http "$a" 80
		assert_success
		assert_output "hello from $a 80"
	done
	for p in $WORLD_TCP_PORTS; do
		run box_http 198.51.100.12 "$p"
		assert_output "hello from 198.51.100.12 $p"
		run box_http 2001:db8:2::12 "$p"
		assert_output "hello from 2001:db8:2::12 $p"
	done
	run world_reached 2001:db8:2::12 8443
	assert_success
	run world_reached 198.51.100.11 8443
	assert_failure
}

@test "a raw connect that sends nothing still gets hello" {
	run box socat -T3 - TCP:198.51.100.5:22 </dev/null
	assert_success
	assert_line "hello from 198.51.100.5 22"
	run box bash -c 'exec 3<>/dev/tcp/2001:db8:2::6/443 && cat <&3'
	assert_success
	assert_line "hello from 2001:db8:2::6 443"
}

@test "a world address that is not a service address refuses" {
	run box_http "$WORLD_GW4" 80
	assert_equal "$status" 7
	run box_http 198.51.100.1 81
	assert_equal "$status" 7
}

@test "the echo port keeps the connection open and echoes lines" {
	local a
	for a in 198.51.100.7 2001:db8:2::7; do
		# shellcheck disable=SC2016 # expanded by the inner bash
		run box bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
			echo one >&3; read -r -t 3 x <&3
			sleep 0.2
			echo two >&3; read -r -t 3 y <&3
			echo "$x $y"' _ "$a" "$WORLD_ECHO_PORT"
		assert_success
		assert_output "one two"
	done
}

@test "UDP echo answers on port 7 over IPv4 and IPv6" {
	run box socat -t0.3 -T2 - UDP:198.51.100.8:7 <<<"ping4"
	assert_output "ping4"
	run box socat -t0.3 -T2 - "UDP:[2001:db8:2::8]:7" <<<"ping6"
	assert_output "ping6"
	run world_reached 2001:db8:2::8 7
	assert_success
}

@test "a name added with world_dns_add resolves by dig and by curl" {
	world_dns_add web.test A 198.51.100.9
	run bdig +short web.test A
	assert_output "198.51.100.9"
	run box dig +short +time=1 +tries=1 +tcp "@$WORLD_DNS6" WEB.test. A
	assert_output "198.51.100.9"
	run box cat /etc/resolv.conf
	assert_output "nameserver $WORLD_DNS4"
	run box_http_name web.test 8080
	assert_success
	assert_output "hello from 198.51.100.9 8080"
}

@test "A, AAAA and CNAME chains resolve like a recursive resolver" {
	world_dns_add a.test CNAME b.test
	world_dns_add b.test CNAME c.test.
	world_dns_add c.test A 198.51.100.1
	world_dns_add c.test A 198.51.100.2
	world_dns_add c.test AAAA 2001:db8:2::1
	world_dns_add other.test A 198.51.100.1 # names may share an address

	run bdig +noall +answer a.test A
	assert_line --regexp '^a\.test\.\s+300\s+IN\s+CNAME\s+b\.test\.$'
	assert_line --regexp '^b\.test\.\s+300\s+IN\s+CNAME\s+c\.test\.$'
	assert_line --regexp '^c\.test\.\s+300\s+IN\s+A\s+198\.51\.100\.1$'
	assert_line --regexp '^c\.test\.\s+300\s+IN\s+A\s+198\.51\.100\.2$'
	assert_equal "${#lines[@]}" 4

	run bdig +short a.test AAAA
	assert_equal "${lines[2]}" "2001:db8:2::1"
	run bdig +short a.test CNAME
	assert_output "b.test."
	run bdig +short other.test A
	assert_output "198.51.100.1"

	run box_http_name a.test 80 # curl prefers the AAAA
	assert_output --regexp '^hello from (2001:db8:2::1|198\.51\.100\.[12]) 80$'
}

@test "unknown names are NXDOMAIN, missing types NOERROR and empty" {
	world_dns_add v4only.test A 198.51.100.3
	world_dns_add dangling.test CNAME nowhere.test
	run bdig v4only.test AAAA
	assert_output --partial "status: NOERROR"
	assert_output --partial "ANSWER: 0,"
	run bdig nosuch.test A
	assert_output --partial "status: NXDOMAIN"
	run bdig dangling.test A
	assert_output --partial "status: NXDOMAIN"
	assert_output --regexp 'dangling\.test\.\s+300\s+IN\s+CNAME\s+nowhere\.test\.'
}

@test "TTLs are served as set" {
	world_dns_add ttl.test A 198.51.100.4 42
	world_dns_add ttl.test AAAA 2001:db8:2::4 0
	world_dns_add dflt.test A 198.51.100.5
	run bdig +noall +answer ttl.test A
	assert_output --regexp '^ttl\.test\.\s+42\s+IN\s+A\s+198\.51\.100\.4$'
	run bdig +noall +answer ttl.test AAAA
	assert_output --regexp '^ttl\.test\.\s+0\s+IN\s+AAAA\s+2001:db8:2::4$'
	run bdig +noall +answer dflt.test A
	assert_output --regexp '^dflt\.test\.\s+300\s+IN\s+A'
}

@test "zone changes take effect at the next query" {
	world_dns_add flip.test A 198.51.100.6
	run bdig +short flip.test A
	assert_output "198.51.100.6"
	world_dns_clear
	world_dns_add flip.test A 198.51.100.7
	run bdig +short flip.test A
	assert_output "198.51.100.7"
	world_dns_clear
	run bdig flip.test A
	assert_output --partial "status: NXDOMAIN"
	world_dns_load <<-'EOF'
		# bulk load, for many names at once
		bulk1.test A 198.51.100.1 60

		bulk2.test AAAA 2001:db8:2::2
	EOF
	run bdig +short bulk2.test AAAA
	assert_output "2001:db8:2::2"
	run bdig +noall +answer bulk1.test A
	assert_output --regexp '^bulk1\.test\.\s+60\s+IN\s+A\s+198\.51\.100\.1$'
	run world_dns_load <<<"bad.test MX 10"
	assert_failure
}

@test "the query log records asked names, and only those" {
	world_dns_add logged.test A 198.51.100.8
	bdig +short logged.test AAAA >/dev/null
	bdig +short +tcp Logged.Test A >/dev/null
	run world_dns_log
	assert_line "logged.test AAAA udp"
	assert_line "logged.test A tcp"
	run world_dns_asked logged.test
	assert_success
	run world_dns_asked LOGGED.test.
	assert_success
	run world_dns_asked never-asked.test
	assert_failure
	run world_dns_asked test
	assert_failure
}

@test "mode servfail answers SERVFAIL" {
	world_dns_add m.test A 198.51.100.9
	world_dns_mode servfail
	run bdig m.test A
	assert_output --partial "status: SERVFAIL"
	world_dns_mode normal
	run bdig +short m.test A
	assert_output "198.51.100.9"
}

@test "mode drop never answers, over UDP or TCP, but logs the query" {
	world_dns_add m.test A 198.51.100.9
	world_dns_mode drop
	run bdig m.test A
	assert_equal "$status" 9
	assert_output --partial "timed out"
	run bdig +tcp m.test A
	assert_equal "$status" 9
	run world_dns_log
	assert_line "m.test A udp"
	assert_line "m.test A tcp"
}

@test "mode delay answers after the delay" {
	world_dns_add m.test A 198.51.100.9
	world_dns_mode delay 400
	run box dig +time=3 +tries=1 "@$WORLD_DNS4" m.test A
	assert_success
	assert_output --regexp 'ANSWER SECTION:'
	local ms
	ms=$(sed -n 's/^;; Query time: \([0-9]*\) msec$/\1/p' <<<"$output")
	((ms >= 380)) || fail "query took ${ms} ms, want >= 400"
	run bdig +tcp +short m.test A # 1 s timeout, 0.4 s delay
	assert_output "198.51.100.9"
}

@test "mode truncate sets TC over UDP and answers over TCP" {
	world_dns_add m.test A 198.51.100.9
	world_dns_mode truncate
	run bdig +notcp +ignore m.test A
	assert_output --regexp 'flags: qr [a-z ]*tc'
	assert_output --partial "ANSWER: 0,"
	run bdig +tcp +short m.test A
	assert_output "198.51.100.9"
	run bdig +short m.test A # dig falls back to TCP by itself
	assert_output "198.51.100.9"
}

@test "hostile modes: wrong ID and compression pointer loop" {
	world_dns_add m.test A 198.51.100.9
	world_dns_mode wrongid
	run bdig m.test A
	assert_output --partial "ID mismatch"
	world_dns_mode badptr
	run bdig m.test A
	assert_output --partial "bad compression pointer"
}

@test "the DNS server survives malformed queries" {
	world_dns_add m.test A 198.51.100.9
	printf 'junk' | box socat -t0.2 -T1 - UDP:198.51.100.53:53 || true
	printf '\0\5junk!' | box socat -t0.2 -T1 - TCP:198.51.100.53:53 || true
	head -c 600 /dev/urandom | box socat -t0.2 -T1 - "UDP:[2001:db8:53::53]:53" || true
	run bdig +short m.test A
	assert_output "198.51.100.9"
	run grep -c malformed "$WORLD_DIR/dns.log"
	assert_output --regexp '^[1-9]'
}

@test "the box has no interface or route except into the world" {
	run ip -n "$BOX" -o link show
	assert_equal "${#lines[@]}" 2
	assert_line --regexp "^1: lo:"
	assert_line --regexp "^[0-9]+: $BOX_IF@"
	# route get asks the kernel only: no packet is sent.
	run ip -n "$BOX" route get 198.51.100.250
	assert_output --regexp "^198\.51\.100\.250 via $WORLD_GW4 dev $BOX_IF "
	run ip -n "$BOX" -6 route get 2001:db8:ffff::1
	assert_output --regexp "via $WORLD_GW6 dev $BOX_IF "
	local devs
	devs=$({ ip -n "$BOX" route show table all
		ip -n "$BOX" -6 route show table all; } | grep -o 'dev [^ ]*' | sort -u)
	assert_equal "$devs" $'dev eth0\ndev lo'
	# The world itself leads nowhere.
	run ip -n "$WORLD" route get 198.51.100.250
	assert_failure
	run ip -n "$WORLD" -6 route get 2001:db8:ffff::1
	assert_failure
}

@test "two worlds can be up at once" {
	local id1=$WORLD_ID box1=$BOX id2 dir2
	world_up
	extra_world=$WORLD_ID
	id2=$WORLD_ID dir2=$WORLD_DIR
	[[ $id2 != "$id1" && $BOX != "$box1" ]]
	run box_http 198.51.100.10 80
	assert_output "hello from 198.51.100.10 80"
	world_dns_add two.test A 198.51.100.10
	run bdig +short two.test
	assert_output "198.51.100.10"
	world_down "$id2"
	[[ ! -e /run/netns/crl-box-$id2 && ! -d $dir2 ]]
	world_select "$id1"
	run box_http 198.51.100.10 80
	assert_output "hello from 198.51.100.10 80"
	run bdig two.test
	assert_output --partial "status: NXDOMAIN"
}

@test "world_down leaves no namespace, process, file or directory" {
	local id1=$WORLD_ID id2 dir2 box2 world2 pid
	local -a pids=()
	world_up
	extra_world=$WORLD_ID
	id2=$WORLD_ID dir2=$WORLD_DIR box2=$BOX world2=$WORLD
	while read -r pid _; do pids+=("$pid"); done <"$dir2/pids"
	assert_equal "${#pids[@]}" 2
	# A process a test left behind in the world goes too.
	world_exec sleep 300 </dev/null >/dev/null 2>&1 3>&- &
	pids+=("$!")
	sleep 0.1
	world_down "$id2"
	for pid in "${pids[@]}"; do
		if _world_alive "$pid"; then fail "pid $pid still alive"; fi
	done
	run ip netns list
	refute_output --partial "$box2"
	refute_output --partial "$world2"
	[[ ! -e /etc/netns/$box2 && ! -e $dir2 ]]
	run world_down "$id2" # idempotent
	assert_success
	world_select "$id1"
}

@test "world_down cleans up after a partial world_up" {
	local id=0badf00d
	mkdir -p "$WORLD_RUN_BASE/$id"
	echo "$$ $(_world_starttime $$)" >"$WORLD_RUN_BASE/$id/owner"
	ip netns add "crl-box-$id"
	mkdir -p "/etc/netns/crl-box-$id"
	world_down "$id"
	[[ ! -e /run/netns/crl-box-$id && ! -e /etc/netns/crl-box-$id ]]
	[[ ! -e $WORLD_RUN_BASE/$id ]]
}

@test "world_gc removes worlds whose owner is gone and keeps live ones" {
	local id pid
	# A world built by a process that then exits is stale.
	# shellcheck disable=SC2016 # expanded by the inner bash
	read -r id pid < <(bash -c 'source "$1"; world_up >/dev/null 2>&1 &&
		read -r pid _ <"$WORLD_DIR/pids" && echo "$WORLD_ID $pid"' _ \
		"$BATS_TEST_DIRNAME/../world/world.bash" 3>&-)
	[[ -n $id && -n $pid ]]
	world_gc
	[[ ! -e /run/netns/crl-box-$id && ! -e /run/netns/crl-world-$id ]]
	[[ ! -e $WORLD_RUN_BASE/$id ]]
	run _world_alive "$pid"
	assert_failure
	# The world of this file, owned by a live bats process, is kept.
	[[ -e /run/netns/$BOX ]]
	run box_http 198.51.100.1 80
	assert_success
}
