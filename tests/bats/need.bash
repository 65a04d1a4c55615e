# shellcheck shell=bash
# need CMD...: a missing prerequisite fails in CI and skips elsewhere.
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null && continue
		[[ ${CI:-} == true ]] && fail "missing prerequisite: $c"
		skip "missing $c"
	done
}
