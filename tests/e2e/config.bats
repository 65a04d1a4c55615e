#!/usr/bin/env bats
# shellcheck shell=bats
# The shipped dev container configuration (issue 6), without a container:
# both profiles parse with the Dev Containers CLI, the shipped seccomp
# profile is what `corral seccomp-profile` generates, and the image's
# default allowlist is a valid corral config with a comment on every line.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

setup() {
	CORRAL=${CORRAL_BIN:?CORRAL_BIN is set by tests/run}
	cd "$CORRAL_SRC" || exit 1
	if ! command -v npm >/dev/null; then
		[[ ${CI:-} == true ]] && fail "missing prerequisite: npm (for the Dev Containers CLI)"
		skip "missing npm"
	fi
}

# read_config FILE: the parsed configuration as JSON.  The CLI asks Docker
# for a running container of that config; a stub that knows none keeps this
# test independent of an engine.
read_config() {
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/docker"
	chmod +x "$BATS_TEST_TMPDIR/docker"
	scripts/devcontainer read-configuration --docker-path "$BATS_TEST_TMPDIR/docker" \
		--workspace-folder "$CORRAL_SRC" --config "$1" 2>/dev/null
}

@test "both profiles parse with devcontainer read-configuration" {
	local f
	for f in .devcontainer/devcontainer.json .devcontainer/devcontainer.secure.json \
		.devcontainer/secure/devcontainer.json; do
		run read_config "$f"
		assert_success
		run /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["configuration"]
print(c["remoteUser"], c["overrideCommand"], c["postStartCommand"], c["waitFor"])
print(" ".join(c["runArgs"]))' <<<"$output"
		assert_line 'dev False corral wait postStartCommand'
		assert_output --partial '--cap-add=NET_ADMIN --cap-drop=NET_RAW --security-opt=no-new-privileges'
		refute_output --partial 'seccomp=unconfined'
		refute_output --partial 'apparmor=unconfined'
	done
	run read_config .devcontainer/secure/devcontainer.json
	assert_output --partial "\"--security-opt=seccomp=$CORRAL_SRC/.devcontainer/seccomp.json\""
	assert_output --partial "target=/etc/corral/allow.d/50-team.conf,type=bind,readonly"
}

@test "secure/devcontainer.json is devcontainer.secure.json one folder deeper" {
	# The body from the opening brace on, with the paths made the same.
	body() { sed -n '/^{/,$p' "$1" | sed -e 's#"\.\./\.\./#"../#' -e 's#"context": "\.\./\.\."#"context": ".."#'; }
	run diff <(body .devcontainer/devcontainer.secure.json) <(body .devcontainer/secure/devcontainer.json)
	assert_success
	grep -q '"dockerfile": "../Dockerfile.secure"' .devcontainer/devcontainer.secure.json
	grep -q '"dockerfile": "../../Dockerfile.secure"' .devcontainer/secure/devcontainer.json
}

@test "the shipped seccomp profile is what corral seccomp-profile generates" {
	if ! "$CORRAL" help seccomp-profile >/dev/null 2>&1; then
		[[ ${CI:-} == true ]] && fail "this corral has no seccomp-profile command"
		skip "this corral has no seccomp-profile command (branch sbxrun)"
	fi
	run -0 "$CORRAL" seccomp-profile
	assert_equal "$output" "$(cat .devcontainer/seccomp.json)"
}

@test "the image's default allowlist is valid, and every allow line says what it is for" {
	if ((EUID != 0)); then
		[[ ${CI:-} == true ]] && fail "needs root (a network namespace for corral init)"
		skip "needs root"
	fi
	run env CORRAL_RUN_DIR="$BATS_TEST_TMPDIR" unshare -n "$CORRAL" init --quiet \
		--config docker/corral.conf -- true
	assert_success
	run grep -E '^allow ' docker/corral.conf
	assert_success
	run grep -E '^allow [^#]*$' docker/corral.conf
	assert_failure
}
