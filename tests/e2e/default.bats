#!/usr/bin/env bats
# shellcheck shell=bats
# The everyday profile end to end (issue 6): .devcontainer/devcontainer.json,
# the same image under Docker's default seccomp profile.  The firewall is
# the same; the agents cannot nest their sandboxes, so corral says
# full-access and tells Codex so.  Harness: tests/e2e/e2e.bash.

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'e2e'
bats_require_minimum_version 1.5.0

setup_file() { e2e_setup_file default; }
teardown_file() { e2e_teardown_file; }
setup() { e2e_setup_test; }
teardown() { [[ -n ${BATS_TEST_COMPLETED:-} ]] || e2e_dump; }

@test "the firewall is the same: the allowed name connects, the other is refused" {
	run dev 'curl -sS -m 5 http://api.test/'
	assert_success
	assert_output "hello from $E2E_ALLOWED_IP 80"
	run dev "getent hosts secret.test; curl -sS -m 5 http://$E2E_BLOCKED_IP/"
	assert_failure 7
	refute_line --regexp "^$E2E_BLOCKED_IP +secret\.test"
}

@test "under Docker's default seccomp the sandbox mode is full-access" {
	run dev 'corral status --json'
	assert_success
	run /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["ready"], j["sandbox"])' "$output"
	assert_output 'True full-access'
	run dev 'cat /run/corral/sandbox; corral probe'
	assert_line full-access
	assert_output --partial 'nested sandbox: no'
	run docker logs "$E2E_CID"
	assert_output --partial 'sandbox full-access'
}

@test "in full-access mode Codex gets danger-full-access and Claude Code no sandbox" {
	run dev 'cat /etc/codex/config.toml'
	assert_success
	assert_line 'default_permissions = ":danger-full-access"'
	run dev 'ls -l /etc/codex/config.toml; echo x >>/etc/codex/config.toml'
	assert_failure
	assert_line --regexp '^-rw-r--r-- 1 root root '
	run dev 'cat /etc/claude-code/managed-settings.json'
	assert_success
	run /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sandbox"]["enabled"])' "$output"
	assert_output False
}
