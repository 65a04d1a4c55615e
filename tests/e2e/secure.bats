#!/usr/bin/env bats
# shellcheck shell=bats
# The secure dev container end to end (issue 6): Dockerfile.secure built on
# a local Debian 12 image, started by the real Dev Containers CLI from
# .devcontainer/devcontainer.secure.json (the shipped seccomp profile), on an
# internal Docker network whose world container plays the internet.  Every
# check runs through `devcontainer exec` as dev, or `docker exec -u root`
# where the point is what root can do.  See tests/e2e/e2e.bash.
# The scripts run in the container are in single quotes on purpose:
# shellcheck disable=SC2016

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load 'e2e'
bats_require_minimum_version 1.5.0

setup_file() { e2e_setup_file secure; }
teardown_file() { e2e_teardown_file; }
setup() {
	e2e_setup_test
	WSC=/workspaces/ws
}
teardown() { [[ -n ${BATS_TEST_COMPLETED:-} ]] || e2e_dump; }

@test "the container came up with corral init as PID 1 and the firewall ready" {
	run dev 'cat /proc/1/cmdline | tr "\0" " "; echo; corral status'
	assert_success
	assert_line --partial 'corral init -- sleep infinity'
	assert_line --regexp '^corral +ready'
	run docker logs "$E2E_CID"
	assert_output --regexp 'corral: ready in [0-9]+ ms: .* DNS via 127\.0\.0\.11,'
	# Its one network is the internal one: nothing the tests send gets out.
	run docker inspect -f '{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{end}}' "$E2E_CID"
	assert_output "$E2E_NET "
	run docker network inspect -f '{{.Internal}}' "$E2E_NET"
	assert_output true
}

@test "the image has the pinned agents, Node.js 22, gh, and bubblewrap without setuid" {
	run dev 'node --version; codex --version; claude --version; gh --version | head -1; stat -c %A "$(command -v bwrap)"'
	assert_success
	assert_line --regexp '^v22\.'
	assert_line --regexp '^codex-cli [0-9]+\.[0-9]+\.[0-9]+$'
	assert_line --regexp '^[0-9]+\.[0-9]+\.[0-9]+ \(Claude Code\)$'
	assert_line --regexp '^gh version [0-9]'
	assert_line -- '-rwxr-xr-x'
}

@test "the team allowlist is mounted read-only, for dev and for root" {
	run dev 'cat /etc/corral/allow.d/50-team.conf; echo "allow secret.test" >>/etc/corral/allow.d/50-team.conf'
	assert_failure
	assert_line --partial 'allow api.test'
	run as_root 'echo "allow secret.test" >>/etc/corral/allow.d/50-team.conf'
	assert_failure
	assert_output --partial 'Read-only file system'
}

@test "an allowed name resolves and connects" {
	run dev 'getent hosts api.test; curl -sS -m 5 http://api.test/'
	assert_success
	assert_line --regexp "^$E2E_ALLOWED_IP +api\.test"
	assert_line "hello from $E2E_ALLOWED_IP 80"
}

@test "Docker's embedded DNS forwards for corral: its queries are the host's, the container's are corral's" {
	# The upstream is 127.0.0.11; dockerd forwards to the world from a
	# socket in the container's netns but in dockerd's cgroup.
	run dev 'cat /etc/resolv.conf'
	assert_line 'nameserver 127.0.0.11'
	run as_root 'corral show'
	assert_success
	assert_line --partial "from the container's cgroup goes to corral's forwarder"
	assert_line --regexp '^  host dns passed +[1-9][0-9]* packets'
	assert_line --regexp '^  dns upstreams .*127\.0\.0\.11'
	run dev 'corral status --json; corral status'
	assert_output --regexp '"dns_upstream":"127\.0\.0\.11","dns_scope":"container","host_dns_packets":[1-9]'
	assert_line --regexp "^dns +via 127\.0\.0\.11; the container's queries only \(the host's passed: [1-9][0-9]* packets\)$"
	: >"$E2E_WORLD_DIR/dns_queries.log"
	run dev 'getent hosts api.test'
	assert_success
	# Asked by dockerd on corral's behalf: it reached the world.
	run grep -F api.test "$E2E_WORLD_DIR/dns_queries.log"
	assert_success
}

@test "a name not allowed gets no address, and a direct connect is refused" {
	run dev 'getent hosts secret.test'
	assert_failure 2
	run dev "curl -sS -m 5 http://$E2E_BLOCKED_IP/"
	assert_failure 7
	run dev "curl -sS -m 5 http://$E2E_BLOCKED_IP:443/"
	assert_failure 7
	run grep -F " $E2E_BLOCKED_IP " "$E2E_WORLD_DIR/conn.log"
	assert_failure
	run dev 'corral status --json'
	assert_output --partial '"allow":"allow secret.test"'
}

@test "DNS sent to another server is answered by corral, never by that server" {
	: >"$E2E_WORLD_DIR/dns_queries.log"
	run dev "python3 $WSC/tests/e2e/dnsq.py $E2E_OTHER_DNS secret.test"
	refute_output --partial "$E2E_BLOCKED_IP"
	run dev "python3 $WSC/tests/e2e/dnsq.py $E2E_WORLD_DNS secret.test"
	refute_output --partial "$E2E_BLOCKED_IP"
	run dev "python3 $WSC/tests/e2e/dnsq.py $E2E_OTHER_DNS api.test"
	assert_output "rcode=0 answers=$E2E_ALLOWED_IP"
	# The world saw no query for the blocked name, from anyone.
	run grep -F secret.test "$E2E_WORLD_DIR/dns_queries.log"
	assert_failure
}

@test "dev has no capabilities, no new privileges, no sudo, and setuid does not lift it" {
	run dev 'id -u; grep -E "^(CapEff|CapBnd|NoNewPrivs):" /proc/self/status'
	assert_line 1000
	assert_line --regexp '^CapEff:\s+0000000000000000$'
	assert_line --regexp '^NoNewPrivs:\s+1$'
	run dev 'sudo -n true; echo "sudo exit $?"'
	assert_line --regexp '^sudo exit [1-9][0-9]*$'
	# A setuid-root copy of id, made by root, runs as dev all the same.
	run as_root 'cp /usr/bin/id /usr/local/bin/suid-id && chmod 4755 /usr/local/bin/suid-id && stat -c %A /usr/local/bin/suid-id'
	assert_output '-rwsr-xr-x'
	run dev '/usr/local/bin/suid-id -u; su -c true root </dev/null'
	assert_line 1000
	refute_line 0
	assert_failure
}

@test "corral status --json works for dev and says nested under the shipped profile" {
	run dev 'corral status --json'
	assert_success
	run /usr/bin/python3 -c 'import json,sys; j=json.loads(sys.argv[1]); print(j["ready"], j["backend"], j["sandbox"])' "$output"
	assert_output 'True nftables nested'
	run dev 'cat /run/corral/sandbox; cat /etc/codex/config.toml'
	assert_line nested
	assert_line 'default_permissions = ":workspace"'
	run dev 'cat /etc/claude-code/managed-settings.json'
	assert_success
	run /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sandbox"]["enabled"])' "$output"
	assert_output True
}

@test "codex sandbox writes inside the workspace and is refused outside it" {
	run dev "cd $WSC && codex sandbox -- sh -c 'echo inside >codex-inside.txt' && cat codex-inside.txt"
	assert_success
	assert_output inside
	run dev "cd $WSC && codex sandbox -- sh -c 'echo outside >/home/dev/codex-outside.txt'"
	assert_failure
	run dev 'test -e /home/dev/codex-outside.txt'
	assert_failure
}

@test "root in the container cannot delete or flush the table" {
	run as_root 'nft delete table inet corral'
	assert_failure
	run as_root 'nft flush table inet corral'
	assert_failure
	run as_root 'nft flush ruleset; nft list tables'
	assert_line 'table inet corral'
	run dev "curl -sS -m 5 http://$E2E_BLOCKED_IP/"
	assert_failure 7
	run as_root "curl -sS -m 5 http://$E2E_BLOCKED_IP/"
	assert_failure 7
}

@test "after docker restart the policy is in force before the first exec" {
	docker restart -t 2 "$E2E_CID" >/dev/null
	# No corral wait: the very first exec already meets a closed network.
	run docker exec -u dev "$E2E_CID" curl -sS -m 5 "http://$E2E_BLOCKED_IP/"
	assert_failure 7
	run grep -F " $E2E_BLOCKED_IP " "$E2E_WORLD_DIR/conn.log"
	assert_failure
	run dev 'corral wait --timeout 10 && curl -sS -m 5 http://api.test/'
	assert_success
	assert_line "hello from $E2E_ALLOWED_IP 80"
}

@test "the named volumes survive devcontainer up --remove-existing-container" {
	run dev 'for d in .codex .claude .config/gh .shell-history; do echo kept >~/$d/e2e-marker; done'
	assert_success
	local old=$E2E_CID
	e2e_up "$E2E_CONFIG" --remove-existing-container
	[[ $E2E_CID != "$old" ]]
	run docker inspect "$old"
	assert_failure
	run dev 'cat ~/.codex/e2e-marker ~/.claude/e2e-marker ~/.config/gh/e2e-marker ~/.shell-history/e2e-marker; corral status --json'
	assert_success
	assert_equal "$(grep -c '^kept$' <<<"$output")" 4
	assert_output --partial '"ready":true'
}
