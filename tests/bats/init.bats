#!/usr/bin/env bats
# shellcheck shell=bats
# corral init as PID 1 (issue 4): exit codes, signals, zombies, the terminal,
# --user, and the capabilities CMD runs without.  Each test runs init as
# PID 1 of a PID namespace it creates (unshare), or as a plain process for
# the subreaper tests; nothing here touches the network of the host.
# The scripts CMD runs are in single quotes on purpose:
# shellcheck disable=SC2016

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
	CORRAL=${CORRAL_BIN:?CORRAL_BIN is set by tests/run}
	if ((EUID != 0)); then
		[[ ${CI:-} == true ]] && fail "corral init tests need root"
		skip "needs root"
	fi
	need unshare nsenter script setpriv capsh ip python3 pgrep
	T=$BATS_TEST_TMPDIR
	UNSHARE_PID='' INIT_PID=''
	# corral init brings up its firewall before CMD: give every init a
	# network namespace of its own (as a container has), so the host's is
	# never touched, a quiet start, and a run directory of its own.
	REAL_CORRAL=$CORRAL
	mkdir -p "$T/run"
	printf 'upstream 192.0.2.53\n' >"$T/corral.conf"
	cat >"$T/corral" <<EOF
#!/bin/sh
if [ "\$1" = init ]; then
	shift
	exec unshare --net -- "$REAL_CORRAL" init --quiet --config "$T/corral.conf" "\$@"
fi
exec "$REAL_CORRAL" "\$@"
EOF
	chmod +x "$T/corral"
	CORRAL=$T/corral
	export CORRAL_RUN_DIR=$T/run
}

teardown() {
	# Whatever a failed test left running, by PID.
	[[ -n $INIT_PID ]] && kill -KILL "$INIT_PID" 2>/dev/null
	[[ -n $UNSHARE_PID ]] && kill -KILL "$UNSHARE_PID" 2>/dev/null
	true
}

load need

# in_ns ARGS...: corral init ARGS as PID 1 of a new PID namespace.
in_ns() { unshare --pid --fork --mount-proc "$CORRAL" init "$@"; }

# script NAME BODY: an executable shell script in the test's directory.
mkscript() {
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}

# start_init ARGS...: in_ns in the background; sets UNSHARE_PID and
# INIT_PID (init's pid as seen from here) once init blocks its signals, so
# that a signal sent afterwards is init's to handle.
start_init() {
	unshare --pid --fork --mount-proc --kill-child "$CORRAL" init "$@" 3>&- &
	UNSHARE_PID=$!
	local i blk
	for ((i = 0; i < 250; i++)); do
		INIT_PID=$(pgrep -P "$UNSHARE_PID" || true)
		if [[ -n $INIT_PID ]]; then
			blk=$(awk '/^SigBlk:/ {print $2}' "/proc/$INIT_PID/status" 2>/dev/null || true)
			[[ -n $blk && $blk != 0000000000000000 ]] && return 0
		fi
		sleep 0.02
	done
	fail "corral init did not start"
}

# wait_init: waits (at most 10 s) for the background init to end; sets rc.
wait_init() {
	local i
	for ((i = 0; i < 500; i++)); do
		[[ -e /proc/$INIT_PID ]] || break
		sleep 0.02
	done
	[[ -e /proc/$INIT_PID ]] && kill -KILL "$INIT_PID"
	rc=0
	wait "$UNSHARE_PID" || rc=$?
	INIT_PID='' UNSHARE_PID=''
}

# wait_for FILE LINE: until FILE has LINE (at most 5 s).
wait_for() {
	local i
	for ((i = 0; i < 250; i++)); do
		grep -qx -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.02
	done
	fail "no line '$2' in $1: $(cat "$1" 2>/dev/null)"
}

# cap_bits LINE: the hex mask of a /proc/PID/status Cap* line, as a number.
cap_bits() { echo $((16#${1##*[[:space:]]})); }

# ---- exit codes -------------------------------------------------------------

@test "exit code is CMD's: 0 and 3" {
	run in_ns -- true
	assert_success
	assert_output ""
	run in_ns -- sh -c 'exit 3'
	assert_failure 3
}

@test "a CMD killed by signal N gives 128+N" {
	run in_ns -- sh -c 'kill -KILL $$'
	assert_failure 137
	run in_ns -- sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "a CMD that is not found gives 127 and one line" {
	run -127 in_ns -- corral-no-such-command
	assert_output "corral: cannot run 'corral-no-such-command': No such file or directory"
	run -127 in_ns -- "$T/missing"
}

@test "a CMD that cannot be executed gives 126 and one line" {
	printf 'echo ran\n' >"$T/plain"
	run in_ns -- "$T/plain"
	assert_failure 126
	assert_output "corral: cannot run '$T/plain': Permission denied"
	# Executable but no #! and no ELF: the kernel says ENOEXEC, and CMD
	# is not handed to /bin/sh behind the user's back.
	chmod +x "$T/plain"
	run in_ns -- "$T/plain"
	assert_failure 126
	assert_output "corral: cannot run '$T/plain': Exec format error"
	run in_ns -- "$T"
	assert_failure 126
}

@test "usage: help, unknown options, bad --keep-caps" {
	run "$CORRAL" help init
	assert_success
	assert_output --partial "usage: corral init [--config PATH] [--user USER]"
	assert_output --partial "--keep-caps"
	run "$CORRAL" init --frobnicate
	assert_failure 2
	assert_output --partial "unknown option '--frobnicate'"
	run "$CORRAL" init --keep-caps net_admin,frobnicate -- true
	assert_failure 2
	assert_output --partial "unknown capability 'frobnicate'"
	run "$CORRAL" init --user
	assert_failure 2
}

# ---- signals ----------------------------------------------------------------

@test "SIGHUP, SIGUSR1, SIGINT and SIGTERM are forwarded to CMD" {
	# Started in the background by a shell, init inherits SIGINT ignored;
	# CMD must still be able to trap it.
	mkscript cmd 'log=$1
for s in HUP USR1 INT; do trap "echo $s >>$log" $s; done
trap "echo TERM >>$log; exit 7" TERM
echo ready >>"$log"
while :; do sleep 0.02; done'
	start_init -- "$T/cmd" "$T/log"
	wait_for "$T/log" ready
	for s in HUP USR1 INT; do
		kill -s "$s" "$INIT_PID"
		wait_for "$T/log" "$s"
	done
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 7 ]
	run cat "$T/log"
	assert_output "$(printf '%s\n' ready HUP USR1 INT TERM)"
}

@test "SIGTERM to init ends a CMD that does not handle it: 143" {
	mkscript cmd 'echo ready >"$1"; exec sleep 30'
	start_init -- "$T/cmd" "$T/log"
	wait_for "$T/log" ready
	sleep 0.1 # past the exec
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 143 ]
}

# pgroup.sh: CMD traps SIGTERM, and reports the state of its own child
# (a sleep in its process group) after the signal: dead (Z or gone) with
# --pgroup, still sleeping (S) without.
pgroup_script() {
	mkscript cmd 'sleep 30 &
gc=$!
trap "echo TERM >>$1" TERM
echo ready >>"$1"
wait $gc
sleep 0.3
st=$(sed "s/.*) //" /proc/$gc/stat 2>/dev/null | cut -d" " -f1)
echo "child:${st:-gone}" >>"$1"
kill $gc 2>/dev/null
exit 0'
}

@test "signals go to CMD only, or to its process group with --pgroup" {
	pgroup_script
	start_init -- "$T/cmd" "$T/log"
	wait_for "$T/log" ready
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 0 ]
	wait_for "$T/log" TERM
	wait_for "$T/log" "child:S"

	rm -f "$T/log"
	start_init --pgroup -- "$T/cmd" "$T/log"
	wait_for "$T/log" ready
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 0 ]
	wait_for "$T/log" TERM
	run grep -Ex 'child:(Z|gone)' "$T/log"
	assert_success
}

@test "without CMD, init ignores SIGHUP and ends with 0 on SIGTERM or SIGINT" {
	start_init
	kill -s HUP "$INIT_PID"
	sleep 0.2
	[ -e "/proc/$INIT_PID" ]
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 0 ]

	start_init
	kill -s INT "$INIT_PID"
	wait_init
	[ "$rc" -eq 0 ]
}

# ---- zombies ----------------------------------------------------------------

# zombies.sh INIT_PID: orphans two sleeps (their parent shell exits at
# once), checks that they were handed to init, waits until they end, gives
# init a moment to reap them, and reports what is left of each ("gone" once
# reaped, "Z" for a zombie) and how many zombies there are in all.
zombie_script() {
	mkscript zombies 'init=$1
state() { sed "s/.*) //" /proc/$1/stat 2>/dev/null | cut -d" " -f1; }
sh -c "sleep 0.2 & echo \$! >$0.o1; sleep 0.2 & echo \$! >$0.o2"
orphans=$(cat $0.o1 $0.o2)
for o in $orphans; do
	ppid=$(sed "s/.*) //" /proc/$o/stat | cut -d" " -f2)
	echo "orphan parent: $ppid (init $init)"
done
for o in $orphans; do
	i=0
	while [ $i -lt 250 ] && [ "$(state $o)" != Z ] && [ -n "$(state $o)" ]; do
		sleep 0.02
		i=$((i + 1))
	done
done
sleep 0.2
for o in $orphans; do
	st=$(state $o)
	echo "orphan end: ${st:-gone}"
done
z=0
for f in /proc/[0-9]*/stat; do
	st=$(sed "s/.*) //" $f 2>/dev/null | cut -d" " -f1)
	[ "$st" = Z ] && z=$((z + 1))
done
echo "zombies: $z"'
}

@test "orphaned grandchildren are reaped by init as PID 1" {
	zombie_script
	run in_ns -- "$T/zombies" 1
	assert_success
	[ "$(grep -c "^orphan parent: 1 (init 1)$" <<<"$output")" -eq 2 ]
	[ "$(grep -c "^orphan end: gone$" <<<"$output")" -eq 2 ]
	assert_line "zombies: 0"
}

@test "not PID 1: init is a subreaper and still reaps orphans" {
	zombie_script
	run "$CORRAL" init -- sh -c '"$0" $PPID' "$T/zombies"
	assert_success
	refute_output --partial "subreaper" # quiet unless --verbose
	pid=$(sed -n 's/^orphan parent: \([0-9]*\) .*/\1/p' <<<"$output" | head -1)
	[ "$(grep -c "^orphan parent: $pid (init $pid)$" <<<"$output")" -eq 2 ]
	# The zombie count covers the whole host here: only this test's
	# orphans are checked.
	[ "$(grep -c "^orphan end: gone$" <<<"$output")" -eq 2 ]
	run "$CORRAL" init --verbose -- true
	assert_success
	assert_output --partial "registered as a child subreaper"
}

@test "without CMD, init reaps what others leave behind in its namespace" {
	start_init
	# As docker exec does: a process enters the namespace, and its child
	# is orphaned to init.
	orphan=$(nsenter -t "$INIT_PID" -p -m -- sh -c 'sleep 0.2 & echo $!')
	# Until it has ended (a zombie, or gone), then a moment to reap it.
	for ((i = 0; i < 250; i++)); do
		st=$(nsenter -t "$INIT_PID" -p -m -- sed 's/.*) //' "/proc/$orphan/stat" 2>/dev/null | cut -d' ' -f1)
		[[ -z $st || $st == Z ]] && break
		sleep 0.02
	done
	sleep 0.2
	run nsenter -t "$INIT_PID" -p -m -- cat "/proc/$orphan/stat"
	assert_failure # gone: neither running nor a zombie
	kill -s TERM "$INIT_PID"
	wait_init
	[ "$rc" -eq 0 ]
}

# ---- what CMD inherits ------------------------------------------------------

@test "stdin, stdout and stderr pass through" {
	run bash -c "echo hi | unshare --pid --fork --mount-proc '$CORRAL' init -- cat"
	assert_success
	assert_output "hi"
	run in_ns -- sh -c 'echo out; echo err >&2'
	assert_output "$(printf 'out\nerr')"
}

@test "CMD runs in its own process group, in the terminal's foreground" {
	mkscript pgrp 'set -- $(cat /proc/$$/stat)
echo "pid=$1 pgrp=$5 tpgid=$8"'
	run script -qec "$CORRAL init -- $T/pgrp" /dev/null </dev/null
	assert_success
	line=$(tr -d '\r' <<<"$output")
	[[ $line =~ ^pid=([0-9]+)\ pgrp=([0-9]+)\ tpgid=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${BASH_REMATCH[2]}" = "${BASH_REMATCH[3]}" ]
}

@test "Ctrl-C on the terminal reaches CMD: 130" {
	run bash -c "{ sleep 0.5; printf '\\003'; sleep 1; } | script -qec '$CORRAL init -- sleep 5' /dev/null"
	assert_failure 130
}

@test "started in the background, init does not take the terminal" {
	mkscript pgrp 'set -- $(cat /proc/$$/stat)
echo "pid=$1 pgrp=$5 tpgid=$8"'
	run script -qec "bash --norc -ic '$CORRAL init -- $T/pgrp & wait'" /dev/null </dev/null
	line=$(tr -d '\r' <<<"$output" | grep '^pid=')
	[[ $line =~ ^pid=([0-9]+)\ pgrp=([0-9]+)\ tpgid=([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
	[ "${BASH_REMATCH[2]}" != "${BASH_REMATCH[3]}" ]
}

@test "descriptors above 2 are not inherited" {
	exec 7</dev/null
	run in_ns -- sh -c 'ls /proc/$$/fd'
	exec 7<&-
	assert_success
	assert_output "$(printf '0\n1\n2')"
}

@test "CMD starts in init's directory, or in / if it is gone" {
	mkdir "$T/here" "$T/gone"
	run bash -c "cd '$T/here' && unshare --pid --fork --mount-proc '$CORRAL' init -- pwd"
	assert_output "$T/here"
	# Not through the wrapper script: a shell in a deleted directory warns.
	run bash -c "cd '$T/gone' && rmdir '$T/gone' && unshare --pid --fork --mount-proc --net '$REAL_CORRAL' init --quiet --config '$T/corral.conf' -- pwd"
	assert_success
	assert_output "/"
}

# ---- --user -----------------------------------------------------------------

@test "--user runs CMD as that user, name or uid, with HOME, USER, LOGNAME" {
	home=$(getent passwd nobody | cut -d: -f6)
	run in_ns --user nobody -- sh -c 'echo "$(id -u):$(id -g) $HOME $USER $LOGNAME"'
	assert_success
	assert_output "65534:$(getent passwd nobody | cut -d: -f4) $home nobody nobody"
	run in_ns --user 65534 -- id -un
	assert_success
	assert_output "nobody"
}

@test "--user sets exactly the user's groups" {
	# init's own extra groups must not leak into CMD ...
	run setpriv --groups 4,5 unshare --pid --fork --mount-proc "$CORRAL" init --user nobody -- id -G
	assert_success
	assert_output "$(getent passwd nobody | cut -d: -f4)"
	# ... and the user's supplementary groups from /etc/group are set.
	{ cat /etc/group; echo "corraltest:x:4242:nobody"; } >"$T/group"
	run unshare --mount sh -c "mount --bind '$T/group' /etc/group && '$CORRAL' init --user nobody -- id -G"
	assert_success
	assert_output "$(getent passwd nobody | cut -d: -f4) 4242"
}

@test "an unknown user stops init before CMD runs" {
	run in_ns --user corral-no-such-user -- touch "$T/ran"
	assert_failure 1
	assert_output --partial "corral: --user corral-no-such-user: no such user"
	[ "${#lines[@]}" -eq 1 ]
	[ ! -e "$T/ran" ]
	run in_ns --user 4242424 -- touch "$T/ran"
	assert_failure 1
	[ ! -e "$T/ran" ]
}

# ---- capabilities -----------------------------------------------------------

@test "CMD's bounding set lacks net_admin, net_raw and sys_admin, and only those" {
	run grep '^CapBnd' /proc/self/status
	before=$(cap_bits "$output")
	run in_ns -- grep '^Cap' /proc/self/status
	assert_success
	for set in CapBnd CapPrm CapEff; do
		bits=$(cap_bits "$(grep "^$set" <<<"$output")")
		for cap in 12 13 21; do
			(((bits >> cap & 1) == 0)) || fail "$set has capability $cap"
		done
		# Nothing else was dropped: chown (0) and setuid (7) stay.
		[ "$bits" -eq $((before & ~(1 << 12 | 1 << 13 | 1 << 21))) ]
	done
	assert_line --regexp '^CapInh:[[:space:]]+0+$'
	assert_line --regexp '^CapAmb:[[:space:]]+0+$'
}

@test "capabilities init holds in its inheritable and ambient sets do not reach CMD" {
	# Root's exec adds the inheritable set back to the permitted one: the
	# bounding set alone would not keep net_admin out.
	run capsh --inh=cap_net_admin,cap_net_raw --addamb=cap_net_admin -- -c \
		"grep '^Cap' /proc/self/status; '$CORRAL' init -- grep '^Cap' /proc/self/status"
	assert_success
	[ "${#lines[@]}" -eq 10 ]
	# Before: init has them.
	((($(cap_bits "${lines[0]}") >> 12 & 1) == 1)) # CapInh
	((($(cap_bits "${lines[4]}") >> 12 & 1) == 1)) # CapAmb
	# CMD has none of them, in any set.
	for i in 5 6 7 8 9; do
		bits=$(cap_bits "${lines[i]}")
		(((bits >> 12 & 1) == 0)) || fail "${lines[i]}"
		(((bits >> 13 & 1) == 0)) || fail "${lines[i]}"
	done
}

@test "a root CMD cannot regain cap_net_admin or open raw and packet sockets" {
	# In a network namespace of the test's own.  Without init, root can.
	run unshare --net -- ip link set lo up
	assert_success
	run unshare --net --pid --fork --mount-proc "$CORRAL" init -- ip link set lo up
	assert_failure
	assert_output --partial "Operation not permitted"
	run in_ns -- capsh --caps=cap_net_admin+eip -- -c true
	assert_failure
	run in_ns -- capsh --inh=cap_net_admin --addamb=cap_net_admin -- -c true
	assert_failure
	run in_ns -- python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)'
	assert_failure
	assert_output --partial "PermissionError"
	run in_ns -- python3 -c 'import socket; socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)'
	assert_failure
	assert_output --partial "PermissionError"
	# The same bounding set for another user.
	run in_ns --user nobody -- capsh --print
	assert_success
	bnd=$(grep '^Bounding set =' <<<"$output")
	[[ $bnd == *cap_chown* && $bnd != *cap_net_admin* ]]
}

@test "--keep-caps keeps one of them" {
	run unshare --net --pid --fork --mount-proc "$CORRAL" init --keep-caps net_admin -- sh -c 'ip link set lo up && grep ^CapBnd /proc/self/status'
	assert_success
	bits=$(cap_bits "$output")
	(((bits >> 12 & 1) == 1))
	(((bits >> 13 & 1) == 0))
	(((bits >> 21 & 1) == 0))
}

@test "keep-caps in the config keeps them; a bad one names file:line" {
	printf 'keep-caps net_raw\n' >>"$T/corral.conf"
	run unshare --pid --fork --mount-proc "$CORRAL" init -- grep ^CapBnd /proc/self/status
	assert_success
	bits=$(cap_bits "$output")
	(((bits >> 12 & 1) == 0))
	(((bits >> 13 & 1) == 1))
	(((bits >> 21 & 1) == 0))
	printf 'keep-caps net_raw,frobnicate\n' >>"$T/corral.conf"
	run unshare --pid --fork --mount-proc "$CORRAL" init -- echo ran
	assert_failure 1
	assert_output --partial "corral.conf:3: keep-caps: "
	assert_output --partial "frobnicate"
	refute_output --partial "ran"
}

@test "an init that cannot drop the capabilities refuses to start CMD" {
	# Without cap_setpcap, init cannot shrink CMD's bounding set.
	run capsh --drop=cap_setpcap -- -c "'$CORRAL' init -- echo ran"
	assert_failure 1
	assert_output --partial "cannot drop cap_net_admin from the bounding set of CMD"
	refute_output --partial "ran"
	run capsh --drop=cap_setpcap -- -c "'$CORRAL' init --keep-caps net_admin,net_raw,sys_admin -- echo ran"
	assert_success
	assert_output "ran"
}

@test "an init without CAP_NET_ADMIN never starts CMD" {
	# As nobody, init cannot load its firewall: CMD must not run open.
	conf=$(mktemp /tmp/corral-init-test-XXXXXX)
	chmod 644 "$conf"
	cp "$T/corral.conf" "$conf"
	run setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all \
		"$REAL_CORRAL" init --config "$conf" \
		--keep-caps net_admin,net_raw,sys_admin -- echo ran
	rm -f "$conf"
	assert_failure 1
	assert_output --partial "missing CAP_NET_ADMIN"
	refute_output --partial "ran"
}
