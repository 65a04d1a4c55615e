# shellcheck shell=bash
# Shared by the sandbox tests (probe.bats, init_sandbox.bats): root, the
# tools they need, and the deny_ns helper (a seccomp filter that refuses
# namespaces, as Docker's default profile does).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
bats_require_minimum_version 1.5.0

load need

# sandbox_setup TOOL...: sets CORRAL and DENY_NS.
sandbox_setup() {
	CORRAL=${CORRAL_BIN:?CORRAL_BIN is set by tests/run}
	DENY_NS=$(dirname "$CORRAL")/helpers/deny_ns
	if ((EUID != 0)); then
		[[ ${CI:-} == true ]] && fail "the sandbox tests need root"
		skip "needs root"
	fi
	need "$@"
	[[ -x $DENY_NS ]] || fail "missing $DENY_NS: run make unit"
}
