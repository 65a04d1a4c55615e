#!/usr/bin/env bats
# shellcheck shell=bats
# corral sandbox (issue 5): what the sandboxed command can write, read and
# call, the network with and without --network (in the test world), exit
# codes, failing clearly where nesting is impossible, and the container's
# seccomp profile (corral seccomp-profile).  Runs as root (CI) and, where it
# says so, as the unprivileged user nobody, as agents run.
# The scripts CMD runs are in single quotes on purpose:
# shellcheck disable=SC2016

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '../world/world'
bats_require_minimum_version 1.5.0

setup_file() { world_setup_file; }
teardown_file() { world_down; }

setup() {
	CORRAL=${CORRAL_BIN:?CORRAL_BIN is set by tests/run}
	HELPERS=$(dirname "$CORRAL")/helpers
	if ((EUID != 0)); then
		[[ ${CI:-} == true ]] && fail "corral sandbox tests need root"
		skip "needs root"
	fi
	need bwrap setpriv unshare /usr/bin/python3
	[[ -x $HELPERS/try_syscall ]] || fail "build the helpers: make unit"
	# A tree every user can reach: nobody runs here too.
	U=$(mktemp -d /tmp/corral-sbx-XXXXXX)
	chmod 755 "$U"
	cp "$CORRAL" "$HELPERS/try_syscall" "$HELPERS/under_container_policy" "$U/"
	mkdir -p "$U/work/.git" "$U/work/.claude" "$U/extra/.codex" "$U/outside"
	chmod -R a+rwX "$U/work" "$U/extra" "$U/outside"
	SOCAT_PID=
	cd "$U/work" || return 1
}

teardown() {
	[[ -n ${SOCAT_PID:-} ]] && kill "$SOCAT_PID" 2>/dev/null
	cd / && rm -rf "$U"
}

load need

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

@test "the current directory is writable, the rest of the tree is not" {
	run "$CORRAL" sandbox -- sh -c 'echo a >here; echo b >"$0/outside/x"' "$U"
	assert_failure
	assert_output --partial "Read-only file system"
	[[ $(cat here) == a ]]
	[[ ! -e $U/outside/x ]]
	run "$CORRAL" sandbox -- touch /etc/corral-sandbox-test
	assert_failure
	[[ ! -e /etc/corral-sandbox-test ]]
}

@test "--write makes a path writable; .git, .codex, .claude inside stay read-only" {
	run "$CORRAL" sandbox --write "$U/extra" -- sh -c 'echo x >"$0/extra/new"' "$U"
	assert_success
	[[ $(cat "$U/extra/new") == x ]]
	for d in work/.git work/.claude extra/.codex; do
		run "$CORRAL" sandbox --write "$U/extra" -- touch "$U/$d/hook"
		assert_failure
		assert_output --partial "Read-only file system"
		[[ ! -e $U/$d/hook ]]
	done
	# Without --write, the extra path is read-only too.
	run "$CORRAL" sandbox -- touch "$U/extra/new2"
	assert_failure
}

@test "--deny-read '**/*.env' hides matching files at any depth, others stay readable" {
	mkdir -p deep/er secrets
	echo top >.env
	echo deep >deep/er/prod.env
	echo fine >deep/er/readme
	echo key >secrets/id
	mkdir "$U/tmp"
	run env TMPDIR="$U/tmp" "$CORRAL" sandbox --deny-read '**/*.env' --deny-read 'secrets' -- \
		sh -c 'cat .env; cat deep/er/prod.env; ls secrets; cat deep/er/readme'
	assert_line --partial ".env: Permission denied"
	assert_line --partial "prod.env: Permission denied"
	assert_line --partial "'secrets': Permission denied"
	assert_line "fine"
	refute_output --partial "top"
	refute_output --partial "deep"$'\n'
	refute_output --partial "key"
	# An absolute glob, outside the current directory.
	echo private >"$U/outside/id.key"
	run "$CORRAL" sandbox --deny-read "$U/outside/*.key" -- cat "$U/outside/id.key"
	assert_failure
	assert_output --partial "Permission denied"
	# The files are intact outside, the stand-ins are gone.
	[[ $(cat .env) == top ]]
	run ls -A "$U/tmp"
	assert_output ""
}

@test "a UNIX socket outside stays reachable unless --deny-read hides it" {
	need socat
	socat UNIX-LISTEN:"$U/outside/s.sock",fork SYSTEM:'echo hello' &
	SOCAT_PID=$!
	for _ in $(seq 50); do [[ -S $U/outside/s.sock ]] && break; sleep 0.1; done
	run "$CORRAL" sandbox -- socat - UNIX-CONNECT:"$U/outside/s.sock"
	assert_output hello
	run "$CORRAL" sandbox --deny-read "$U/outside/s.sock" -- \
		socat - UNIX-CONNECT:"$U/outside/s.sock"
	assert_failure
	assert_output --partial "Permission denied"
}

@test "denied syscalls fail inside, and the same calls reach the kernel outside" {
	local s
	for s in ptrace process_vm_readv process_vm_writev bpf keyctl add_key \
		request_key perf_event_open userfaultfd kexec_load init_module \
		finit_module unshare socket:packet socket:vsock socket:inet \
		socket:inet6 socket:netlink; do
		run "$U/try_syscall" "$s"
		refute_output EPERM
		run "$CORRAL" sandbox -- "$U/try_syscall" "$s"
		assert_failure
		[[ $output == EPERM ]] || fail "$s in the sandbox: $output"
	done
	run "$U/try_syscall" io_uring_setup
	refute_output ENOSYS
	run "$CORRAL" sandbox -- "$U/try_syscall" io_uring_setup
	assert_output ENOSYS
	run "$CORRAL" sandbox -- "$U/try_syscall" getpid
	assert_success
	assert_output ok
	run "$CORRAL" sandbox -- "$U/try_syscall" socket:unix
	assert_output ok
}

@test "--network allows AF_INET, AF_INET6, AF_NETLINK, still no AF_PACKET or AF_VSOCK" {
	local s
	for s in socket:inet socket:inet6 socket:netlink socket:unix; do
		run "$CORRAL" sandbox --network -- "$U/try_syscall" "$s"
		[[ $output == ok ]] || fail "$s with --network: $output"
	done
	for s in socket:packet socket:vsock ptrace; do
		run "$CORRAL" sandbox --network -- "$U/try_syscall" "$s"
		[[ $output == EPERM ]] || fail "$s with --network: $output"
	done
}

@test "without --network a connect to the world fails; with it, it works" {
	world_setup_test
	need curl
	local url=http://198.51.100.1:80/
	run box curl -sS --max-time 5 "$url"
	assert_output "hello from 198.51.100.1 80"
	world_conn_log_clear
	run box "$CORRAL" sandbox -- curl -sS --max-time 5 "$url"
	assert_failure
	refute_output --partial "hello from"
	run ! world_reached 198.51.100.1 80
	run box "$CORRAL" sandbox --network -- curl -sS --max-time 5 "$url"
	assert_success
	assert_output "hello from 198.51.100.1 80"
	world_reached 198.51.100.1 80
}

@test "exit status passes through: 0, 3, 128+N for a signal, 127 not found" {
	run "$CORRAL" sandbox -- true
	assert_success
	run "$CORRAL" sandbox -- sh -c 'exit 3'
	assert_equal "$status" 3
	run "$CORRAL" sandbox -- sh -c 'kill -TERM $$'
	assert_equal "$status" 143
	run "$CORRAL" sandbox -- sh -c 'kill -KILL $$'
	assert_equal "$status" 137
	run -127 "$CORRAL" sandbox -- no-such-command-here
	assert_output --partial "no-such-command-here"
	run "$CORRAL" sandbox
	assert_equal "$status" 2
	assert_output --partial "usage: corral sandbox"
}

@test "SIGTERM to corral ends the sandboxed command; / is never made writable" {
	"$CORRAL" sandbox -- sh -c 'echo up >started; exec sleep 31.7' &
	local pid=$!
	for _ in $(seq 50); do [[ -e started ]] && break; sleep 0.1; done
	[[ -e started ]] || fail "the command did not start"
	pgrep -f 'sleep 31[.]7' >/dev/null
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 143
	sleep 0.2
	run pgrep -f 'sleep 31[.]7'
	assert_failure
	cd /
	run "$CORRAL" sandbox -- true
	assert_equal "$status" 125
	assert_output --partial "refusing to make / writable"
	cd "$U/work"
	run "$CORRAL" sandbox --write / -- true
	assert_equal "$status" 125
}

@test "the command gets a new PID namespace, no capabilities and no extra fds" {
	run "$CORRAL" sandbox -- sh -c 'echo $$; grep CapEff /proc/self/status'
	assert_success
	assert_line --index 0 2
	assert_line --index 1 --regexp 'CapEff:[[:space:]]+0+$'
	local outside inside
	outside=$(sh -c 'ls /proc/$$/fd' | sort | tr '\n' ' ')
	inside=$("$CORRAL" sandbox -- sh -c 'ls /proc/$$/fd' | sort | tr '\n' ' ')
	assert_equal "$inside" "$outside"
}

@test "bwrap missing: fails with the probe's reason, the command never runs" {
	mkdir "$U/bin"
	run env PATH="$U/bin" "$CORRAL" sandbox -- /usr/bin/touch marker
	assert_equal "$status" 125
	assert_output --partial "cannot build the sandbox"
	assert_output --partial "bwrap"
	assert_output --partial "install bubblewrap"
	[[ ! -e marker ]]
}

@test "user namespaces off: fails with the probe's reason, the command never runs" {
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" sandbox -- touch marker' \
		"$CORRAL"
	assert_equal "$status" 125
	assert_output --partial "cannot build the sandbox"
	assert_output --partial "max_*_namespaces"
	[[ ! -e marker ]]
}

@test "as an unprivileged user: same confinement" {
	run as_nobody "$U/corral" sandbox -- sh -c 'id -u; echo a >here; touch "$0/outside/x"' "$U"
	assert_failure
	assert_line --index 0 65534
	[[ $(cat here) == a ]]
	[[ ! -e $U/outside/x ]]
	run as_nobody "$U/corral" sandbox -- touch .git/hook
	assert_failure
	[[ ! -e .git/hook ]]
	run as_nobody "$U/corral" sandbox -- "$U/try_syscall" ptrace
	assert_output EPERM
	run as_nobody "$U/corral" sandbox -- sh -c 'exit 7'
	assert_equal "$status" 7
}

@test "the container's policy lets bwrap nest as a user; Docker's default does not" {
	run as_nobody "$U/under_container_policy" "$U/corral" sandbox -- sh -c 'echo a >here; id -u'
	assert_success
	assert_output 65534
	run as_nobody "$U/under_container_policy" --without-corral-rules \
		"$U/corral" sandbox -- touch marker
	assert_equal "$status" 125
	assert_output --partial "No permissions to create new namespace"
	assert_output --partial "cannot build the sandbox"
	[[ ! -e marker ]]
}

@test "corral seccomp-profile prints valid JSON, the same every time" {
	run "$CORRAL" seccomp-profile
	assert_success
	local first=$output
	run "$CORRAL" seccomp-profile
	assert_equal "$output" "$first"
	"$CORRAL" seccomp-profile | /usr/bin/python3 -c '
import json, sys
p = json.load(sys.stdin)
assert p["defaultAction"] == "SCMP_ACT_ERRNO", p["defaultAction"]
names = {n for r in p["syscalls"] if r["action"] == "SCMP_ACT_ALLOW"
         and not r.get("includes") and not r.get("args") for n in r["names"]}
for n in ("read", "execve", "pivot_root", "unshare", "mount"):
    assert n in names, n
for n in ("keyctl", "userfaultfd", "io_uring_setup"):
    assert n not in names, n
'
}

@test "the shipped .devcontainer/seccomp.json is what corral seccomp-profile prints" {
	local shipped=${CORRAL_SRC:?}/.devcontainer/seccomp.json
	[[ -f $shipped ]] || fail "$shipped is missing"
	diff -u "$shipped" <("$CORRAL" seccomp-profile)
}
