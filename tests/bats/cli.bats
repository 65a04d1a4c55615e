#!/usr/bin/env bats
# The command line a user sees: version, help, usage errors (exit 2).

load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

setup() {
	CORRAL=${CORRAL_BIN:?CORRAL_BIN is set by tests/run}
}

@test "--version prints the version" {
	run "$CORRAL" --version
	assert_success
	assert_output --regexp '^corral [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "--help lists the commands" {
	run "$CORRAL" --help
	assert_success
	assert_output --partial "usage: corral"
	assert_output --partial "apply"
	assert_output --partial "show"
	assert_output --partial "clear"
}

@test "help CMD shows that command's usage and options" {
	run "$CORRAL" help apply
	assert_success
	assert_output --partial "usage: corral apply [--config PATH]"
	assert_output --partial "--config PATH"
	run "$CORRAL" apply --help
	assert_success
	assert_output --partial "usage: corral apply"
}

@test "no command is a usage error" {
	run "$CORRAL"
	assert_failure 2
	assert_output --partial "usage: corral"
}

@test "an unknown command is a usage error" {
	run "$CORRAL" frobnicate
	assert_failure 2
	assert_output --partial "unknown command 'frobnicate'"
}

@test "an unknown flag is a usage error" {
	run "$CORRAL" --frobnicate
	assert_failure 2
	assert_output --partial "unknown option '--frobnicate'"
	run "$CORRAL" apply --frobnicate
	assert_failure 2
	assert_output --partial "unknown option '--frobnicate'"
	assert_output --partial "usage: corral apply"
	run "$CORRAL" show --config x
	assert_failure 2
}

@test "a flag without its value is a usage error" {
	run "$CORRAL" apply --config
	assert_failure 2
	assert_output --partial "needs a value"
}

@test "help for an unknown command is a usage error" {
	run "$CORRAL" help frobnicate
	assert_failure 2
}

@test "an invalid config names file:line and changes nothing" {
	conf=$(mktemp)
	printf 'allow ok.test\nallow 192.0.2.1/24\n' >"$conf"
	run "$CORRAL" apply --config "$conf"
	rm -f "$conf"
	assert_failure 1
	assert_output --partial "$conf:2: '192.0.2.1/24' has host bits set: write 192.0.2.0/24"
	assert_output --partial "nothing was changed"
}

@test "make install honours PREFIX and DESTDIR" {
	dest=$(mktemp -d)
	run make -C "$CORRAL_SRC" --no-print-directory install BUILD="$(dirname "$CORRAL_BIN")" DESTDIR="$dest" PREFIX=/opt/corral
	assert_success
	[ -x "$dest/opt/corral/sbin/corral" ]
	run "$dest/opt/corral/sbin/corral" --version
	assert_success
	rm -rf "$dest"
}

@test "--help lists every command, help CMD works for each" {
	run "$CORRAL" --help
	assert_success
	for c in init wait status reload apply show clear dns; do
		assert_output --partial "  $c "
		run "$CORRAL" help "$c"
		assert_success
		assert_output --partial "usage: corral $c"
		run "$CORRAL" --help
	done
}

@test "status, wait and reload say when corral init is not running" {
	export CORRAL_RUN_DIR=$BATS_TEST_TMPDIR/none
	run "$CORRAL" status
	assert_failure 1
	assert_output --partial "corral init is not running"
	run "$CORRAL" status --json
	assert_failure 1
	assert_output --partial '"ready":false'
	run "$CORRAL" wait --timeout 0.1
	assert_failure 1
	assert_output --partial "not ready after"
	run "$CORRAL" reload
	assert_failure 1
	run "$CORRAL" wait --timeout soon
	assert_failure 2
}
