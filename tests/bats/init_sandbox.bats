#!/usr/bin/env bats
# shellcheck shell=bats
# corral init's sandbox step: `sandbox auto` picks nested where the probe
# says bwrap can nest and full-access where it cannot (init run under the
# deny_ns helper, a seccomp filter like Docker's default); the mode reaches
# the run dir, CMD's environment, corral status and both agents' configs.
# A forced `sandbox nested` that cannot work stops init before CMD.  Each
# init gets a network namespace of its own (unshare --net), as in
# init.bats, so the host's network is never touched.
# The scripts CMD runs are in single quotes on purpose:
# shellcheck disable=SC2016

load 'sandbox_common'

setup() {
	sandbox_setup unshare bwrap python3 stat
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/run"
	export CORRAL_RUN_DIR=$T/run CORRAL_AGENT_ETC=$T/etc
	CODEX=$T/etc/codex/config.toml
	CLAUDE=$T/etc/claude-code/managed-settings.json
}

conf() { printf '%s\n' 'upstream 192.0.2.53' "$@" >"$T/corral.conf"; }

# init [WRAPPER...] -- CMD...: corral init in a network namespace of its
# own, CMD printing what it was told.
init() {
	local wrap=()
	while [[ $1 != -- ]]; do
		wrap+=("$1")
		shift
	done
	shift
	unshare --net -- "${wrap[@]}" "$CORRAL" init --config "$T/corral.conf" -- "$@"
}

# The mode CMD sees, and corral status in both forms, from inside CMD.
report='echo "env=$CORRAL_SANDBOX"; "$0" status --json; "$0" status'

# claude_sandbox_enabled: sandbox.enabled in the managed settings.
claude_sandbox_enabled() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sandbox"]["enabled"])' "$CLAUDE"
}

# told MODE: the run dir and both agents' configs say MODE.
told() {
	local profile=':workspace' enabled=True
	if [[ $1 == full-access ]]; then
		profile=':danger-full-access' enabled=False
	fi
	run cat "$T/run/sandbox"
	assert_output "$1"
	run grep -x "default_permissions = \"$profile\"" "$CODEX"
	assert_success
	run claude_sandbox_enabled
	assert_output "$enabled"
}

@test "sandbox auto where bwrap can nest: nested everywhere" {
	conf 'sandbox auto'
	run init -- sh -c "$report" "$CORRAL"
	assert_success
	assert_line "env=nested"
	assert_line --partial '"sandbox":"nested"'
	assert_line --regexp '^sandbox +nested: '
	assert_line --regexp 'ready in [0-9]+ ms: .*, sandbox nested, firewall nftables$'
	told nested
	run stat -c %a "$CODEX" "$CLAUDE"
	assert_output $'644\n644'
}

@test "sandbox auto where a seccomp filter denies namespaces: full-access everywhere" {
	conf 'sandbox auto'
	run init "$DENY_NS" -- sh -c "$report" "$CORRAL"
	assert_success
	assert_line "env=full-access"
	assert_line --partial '"sandbox":"full-access"'
	assert_line --regexp '^sandbox +full-access: the container is the boundary'
	# One line says why, naming the check.
	assert_line --regexp '^corral: sandbox full-access: user-namespace failed: .*seccomp filter'
	told full-access
}

@test "the default (no sandbox line) is auto" {
	conf
	run init "$DENY_NS" -- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_success
	assert_line "env=full-access"
	run init -- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_success
	assert_line "env=nested"
}

@test "sandbox nested where it cannot work: init stops before CMD, naming check and line" {
	conf '# nesting or nothing' 'sandbox nested'
	run init "$DENY_NS" -- touch "$T/ran"
	assert_failure 1
	assert_output --regexp "^corral: $T/corral.conf:3: sandbox nested is not possible here: user-namespace failed: .*seccomp"
	((${#lines[@]} == 1))
	[ ! -e "$T/ran" ]
	run cat "$T/run/state"
	assert_output --partial "failed: $T/corral.conf:3: sandbox nested"
	[ ! -e "$T/run/sandbox" ]
}

@test "sandbox nested where it works, sandbox full-access where nested would" {
	conf 'sandbox nested'
	run init -- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_success
	assert_line "env=nested"
	conf 'sandbox full-access'
	run init -- sh -c "$report" "$CORRAL"
	assert_success
	assert_line "env=full-access"
	assert_line --partial '"sandbox":"full-access"'
	told full-access
}

@test "the probe runs as CMD's user" {
	conf 'sandbox auto'
	run init -- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_line "env=nested"
	# Under the filter, nobody gets full-access too (and CMD runs as it).
	run unshare --net -- "$DENY_NS" "$CORRAL" init --user nobody --config "$T/corral.conf" \
		-- sh -c 'echo "env=$CORRAL_SANDBOX uid=$(id -u)"'
	assert_success
	assert_line "env=full-access uid=$(id -u nobody)"
	run unshare --net -- "$CORRAL" init --user nobody --config "$T/corral.conf" \
		-- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_line "env=nested"
}

@test "the agents' files are replaced whole, never edited" {
	conf 'sandbox auto'
	mkdir -p "$T/etc/codex" "$T/etc/claude-code"
	printf 'model = "x"\nsandbox_mode = "danger-full-access"\n' >"$CODEX"
	ln -s "$T/victim" "$CLAUDE"
	run init -- true
	assert_success
	run cat "$CODEX"
	refute_output --partial 'model = "x"'
	assert_output --partial 'default_permissions = ":workspace"'
	# A symlink is replaced, not followed.
	[ ! -e "$T/victim" ]
	[ ! -L "$CLAUDE" ]
	run find "$T/etc" -name '*corral-tmp*'
	assert_output ""
}

@test "agents' configs that cannot be written: a warning, and init carries on" {
	conf 'sandbox auto'
	: >"$T/not-a-dir"
	CORRAL_AGENT_ETC=$T/not-a-dir run init -- sh -c 'echo "env=$CORRAL_SANDBOX"'
	assert_success
	assert_line "env=nested"
	assert_line --regexp '^corral: warning: cannot (create|write) .*not-a-dir.*the agents keep their own sandbox settings'
	run cat "$T/run/sandbox"
	assert_output nested
}
