#!/usr/bin/env bats
# shellcheck shell=bats
# corral probe: every check passes here, as root and as an unprivileged
# user; each way of taking nesting away (no user namespaces, a seccomp
# filter like Docker's, no bwrap) turns `nested` false and names the check
# that failed.  Nothing here touches the network: the probe's namespaces
# are its own and die with it.
# shellcheck disable=SC2016

load 'sandbox_common'

setup() {
	sandbox_setup bwrap unshare setpriv python3
	# A copy every user can run (the build tree may be private).
	T=$(mktemp -d)
	chmod 755 "$T"
	cp "$CORRAL" "$T/corral"
	chmod 755 "$T/corral"
}

teardown() {
	[[ -n ${T:-} ]] && rm -rf "$T"
	true
}

# probe_json_is EXPR: the JSON in $output parses, has nested and checks
# with name, ok, detail and fix each, and EXPR (Python, over d) holds.
probe_json_is() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
assert isinstance(d["nested"], bool), "nested is not a bool"
assert d["checks"], "no checks"
for c in d["checks"]:
    for k in ("name", "ok", "detail", "fix"):
        assert k in c, "check without " + k
ok = {c["name"]: c for c in d["checks"]}
assert eval(sys.argv[1]), sys.argv[1]
' "$1" "$output"
}

# failed NAME: the first failed needed check, as the JSON says.
first_failed() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
print(next(c["name"] + ": " + c["detail"] for c in d["checks"] if c["needed"] and not c["ok"]))
' "$output"
}

@test "every check passes here, as root" {
	run "$T/corral" probe --json
	assert_success
	probe_json_is 'd["nested"] and all(c["ok"] for c in d["checks"])'
	probe_json_is 'set(ok) >= {"bwrap", "bwrap-setuid", "user-namespace", "uid-map",
		"network-namespace", "mount-namespace", "pivot-root", "proc",
		"no-new-privs", "seccomp", "bwrap-run"}'
	probe_json_is '"version" in ok["bwrap"]["detail"]'
}

@test "every check passes here, as an unprivileged user" {
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$T/corral" probe --json
	assert_success
	probe_json_is 'd["nested"] and all(c["ok"] for c in d["checks"])'
}

@test "the plain form is a short table with the verdict" {
	run "$T/corral" probe
	assert_success
	assert_line --regexp '^ok +user-namespace +created'
	assert_line --regexp '^ok +bwrap +/.*bwrap, version [0-9]'
	assert_line --partial 'nested sandbox: yes'
	((${#lines[@]} <= 16))
}

@test "no user namespaces (max_user_namespaces 0): not nested, user-namespace says why" {
	run unshare --user --map-root-user sh -c \
		'echo 0 > /proc/sys/user/max_user_namespaces; exec "$1" probe --json' sh "$T/corral"
	assert_failure 1
	probe_json_is 'not d["nested"] and not ok["user-namespace"]["ok"]'
	probe_json_is '"max_user_namespaces is 0" in ok["user-namespace"]["detail"]'
	probe_json_is '"max_user_namespaces" in ok["user-namespace"]["fix"]'
	probe_json_is 'not ok["bwrap-run"]["ok"] and ok["seccomp"]["ok"]'
	run first_failed
	assert_output --partial "user-namespace: clone(CLONE_NEWUSER): No space left on device"
	# The table says the same in a line a person reads.
	run unshare --user --map-root-user sh -c \
		'echo 0 > /proc/sys/user/max_user_namespaces; exec "$1" probe' sh "$T/corral"
	assert_failure 1
	assert_line --regexp '^FAIL +user-namespace .*max_user_namespaces is 0'
	assert_line --partial 'nested sandbox: no, user-namespace failed'
}

@test "a seccomp filter that denies namespaces: not nested, seccomp named" {
	run "$DENY_NS" "$T/corral" probe --json
	assert_failure 1
	probe_json_is 'not d["nested"] and not ok["user-namespace"]["ok"]'
	probe_json_is '"seccomp filter" in ok["user-namespace"]["detail"]'
	probe_json_is '"seccomp" in ok["user-namespace"]["fix"]'
	# bwrap itself fails the same way, and the probe shows its words.
	probe_json_is 'not ok["bwrap-run"]["ok"] and "bwrap" in ok["bwrap-run"]["detail"]'
	run first_failed
	assert_output --partial "user-namespace: clone(CLONE_NEWUSER): Operation not permitted"
	# As an unprivileged user too.
	run "$DENY_NS" setpriv --reuid=65534 --regid=65534 --clear-groups "$T/corral" probe --json
	assert_failure 1
	probe_json_is '"seccomp filter" in ok["user-namespace"]["detail"]'
}

@test "no bwrap on PATH: not nested, bwrap named" {
	run env PATH=/nonexistent "$T/corral" probe --json
	assert_failure 1
	probe_json_is 'not d["nested"] and not ok["bwrap"]["ok"]'
	probe_json_is '"install bubblewrap" in ok["bwrap"]["fix"]'
	# The kernel side still works and says so.
	probe_json_is 'ok["user-namespace"]["ok"] and ok["proc"]["ok"]'
	run first_failed
	assert_output "bwrap: no bwrap on PATH"
}

@test "JSON strings are escaped" {
	# The bwrap path lands in a detail: give it a quote and a backslash.
	local dir="$T/a\"b\\c"
	mkdir -p "$dir"
	ln -s "$(command -v bwrap)" "$dir/bwrap"
	run env PATH="$dir" "$T/corral" probe --json
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
detail = next(c["detail"] for c in d["checks"] if c["name"] == "bwrap")
assert detail.startswith(sys.argv[2] + "/bwrap, version"), detail
' "$output" "$dir"
}

@test "probe: usage errors exit 2" {
	run "$T/corral" probe --bogus
	assert_failure 2
	run "$T/corral" probe extra
	assert_failure 2
	run "$T/corral" probe --help
	assert_success
	assert_output --partial "Exit status: 0 when a nested sandbox works here, 1 when it does"
}
