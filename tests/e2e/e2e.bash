# shellcheck shell=bash
# End-to-end harness: a real Docker engine, the Dev Containers CLI, the image
# from Dockerfile.secure, and a world container on an internal Docker
# network.  Sourced by tests/e2e/*.bats.
#
# What it does, in e2e_setup_file:
# - installs Debian's docker.io, debootstrap and npm when missing (apt-get),
#   and starts dockerd when no engine answers (e2e_teardown_file stops it
#   again, by PID, only if it started it);
# - builds the base image $E2E_BASE_IMAGE (scripts/base-image: Debian 12,
#   debootstrap --variant=minbase, `docker import`) unless it is there;
# - copies the repository into a throwaway workspace (the host's extra CA
#   certificates go to .devcontainer/certs/, as a user behind a
#   TLS-inspecting proxy would do; .devcontainer/corral.allow allows api.test);
# - creates an --internal network on 198.51.100.0/24 and the world
#   container: DNS on 198.51.100.53 and 198.51.100.3, hello servers on
#   198.51.100.1-3 (tests/world/*.py);
# - writes a copy of the devcontainer config that adds only the network and
#   a resolv.conf pointing at the world's DNS, and runs `devcontainer up`.
# Nothing the tests send can leave the internal network: it has no route out.
#
# Zone: api.test -> 198.51.100.1 (allowed), secret.test -> 198.51.100.2 (not).

E2E_BASE_IMAGE=${E2E_BASE_IMAGE:-corral-base:bookworm}
E2E_WORLD_IMAGE=corral-e2e-world:1
E2E_SUBNET=198.51.100.0/24
E2E_WORLD_DNS=198.51.100.53
E2E_ALLOWED_IP=198.51.100.1
E2E_BLOCKED_IP=198.51.100.2
E2E_OTHER_DNS=198.51.100.3

_e2e_log() { printf '# e2e: %s\n' "$*" >&3; }

# e2e_fail_or_skip MSG: a missing prerequisite fails in CI, skips elsewhere.
e2e_fail_or_skip() {
	if [[ ${CI:-} == true ]]; then
		echo "e2e: $1" >&2
		return 1
	fi
	echo "$1" >"$BATS_FILE_TMPDIR/skip"
	return 0
}

# In setup: skip what e2e_setup_file could not set up (never in CI).
e2e_setup_test() {
	if [[ -s $BATS_FILE_TMPDIR/skip ]]; then
		[[ ${CI:-} == true ]] && fail "$(cat "$BATS_FILE_TMPDIR/skip")"
		skip "$(cat "$BATS_FILE_TMPDIR/skip")"
	fi
}

_e2e_apt_install() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	_e2e_log "installing ${missing[*]} (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >/dev/null
}

# e2e_docker_up: an engine that answers (scripts/docker-engine installs
# docker.io and starts dockerd when none does; we remember its PID).
e2e_docker_up() {
	local pid
	pid=$("$CORRAL_SRC/scripts/docker-engine" "$BATS_FILE_TMPDIR/dockerd.log") || return 1
	[[ -z $pid ]] || echo "$pid" >"$BATS_FILE_TMPDIR/dockerd.pid"
}

# e2e_docker_down: stop dockerd if this file started it (TERM, then KILL).
e2e_docker_down() {
	local pid i
	pid=$(cat "$BATS_FILE_TMPDIR/dockerd.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 80; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	kill -KILL "$pid" 2>/dev/null
	rm -f "$BATS_FILE_TMPDIR/dockerd.pid"
	return 0
}

# e2e_devcontainer ARGS...: the Dev Containers CLI (installed on first use).
e2e_devcontainer() {
	"$CORRAL_SRC/scripts/devcontainer" "$@"
}

# Copy the repository (tracked and new files, as git sees them) into WS.
_e2e_workspace() {
	E2E_WS=$BATS_FILE_TMPDIR/ws
	mkdir -p "$E2E_WS"
	if git -C "$CORRAL_SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$CORRAL_SRC" && git ls-files -z -co --exclude-standard |
			tar --null -T - -c) | tar -x -C "$E2E_WS" || return 1
	else
		tar -C "$CORRAL_SRC" --exclude=./build --exclude='*.crt' -c . |
			tar -x -C "$E2E_WS" || return 1
	fi
	cp /usr/local/share/ca-certificates/*.crt "$E2E_WS/.devcontainer/certs/" 2>/dev/null
	echo 'allow api.test                   # the e2e world: the one allowed name' \
		>>"$E2E_WS/.devcontainer/corral.allow"
	# The user's uid in the container (dev) owns the workspace, as on a
	# developer's machine where the folder belongs to uid 1000.
	chown -R 1000:1000 "$E2E_WS"
	export E2E_WS
}

# Remove what an earlier run left behind when it was killed: world
# containers and networks whose creating process is gone.
_e2e_gc() {
	local obj pid
	for obj in $(docker ps -aq --filter label=corral-e2e.pid); do
		pid=$(docker inspect -f '{{index .Config.Labels "corral-e2e.pid"}}' "$obj")
		kill -0 "$pid" 2>/dev/null || docker rm -f "$obj" >/dev/null 2>&1
	done
	for obj in $(docker network ls -q --filter label=corral-e2e.pid); do
		pid=$(docker network inspect -f '{{index .Labels "corral-e2e.pid"}}' "$obj")
		kill -0 "$pid" 2>/dev/null && continue
		docker network inspect -f '{{range $id, $c := .Containers}}{{$id}} {{end}}' "$obj" |
			xargs -r docker rm -f >/dev/null 2>&1
		docker network rm "$obj" >/dev/null 2>&1
	done
	return 0
}

# e2e_world_up: the internal network and the world container.
e2e_world_up() {
	E2E_ID=$(printf '%04x%04x' $RANDOM $RANDOM)
	E2E_NET=corral-e2e-$E2E_ID
	E2E_WORLD=corral-e2e-world-$E2E_ID
	E2E_WORLD_DIR=$BATS_FILE_TMPDIR/world
	export E2E_ID E2E_NET E2E_WORLD E2E_WORLD_DIR
	echo "$E2E_ID" >"$BATS_FILE_TMPDIR/id"
	_e2e_gc
	docker image inspect "$E2E_WORLD_IMAGE" >/dev/null 2>&1 ||
		docker build -q --build-arg BASE_IMAGE="$E2E_BASE_IMAGE" -t "$E2E_WORLD_IMAGE" \
			- <"$CORRAL_SRC/tests/e2e/world.Dockerfile" >/dev/null || return 1
	mkdir -p "$E2E_WORLD_DIR"
	printf '%s\n' "api.test A $E2E_ALLOWED_IP 300" "secret.test A $E2E_BLOCKED_IP 300" \
		>"$E2E_WORLD_DIR/zone"
	echo normal >"$E2E_WORLD_DIR/dns_mode"
	echo "nameserver $E2E_WORLD_DNS" >"$E2E_WORLD_DIR/resolv.conf"
	# The gateway (the host's side of the bridge) is kept off the service
	# addresses; containers get addresses from the upper half.
	docker network create --internal --subnet "$E2E_SUBNET" \
		--ip-range 198.51.100.128/25 --gateway 198.51.100.254 \
		--label corral-e2e.pid=$$ "$E2E_NET" >/dev/null || return 1
	docker run -d --name "$E2E_WORLD" --label corral-e2e.pid=$$ \
		--network "$E2E_NET" --ip "$E2E_WORLD_DNS" --cap-add NET_ADMIN \
		-v "$CORRAL_SRC/tests/world:/srv/world:ro" -v "$E2E_WORLD_DIR:/world" \
		"$E2E_WORLD_IMAGE" sh -c "
		for a in $E2E_ALLOWED_IP $E2E_BLOCKED_IP $E2E_OTHER_DNS; do ip addr add \$a/24 dev eth0; done
		/usr/bin/python3 /srv/world/tcp_server.py --dir /world --addr $E2E_ALLOWED_IP \
			--addr $E2E_BLOCKED_IP --addr $E2E_OTHER_DNS 2>/world/tcp.err &
		exec /usr/bin/python3 /srv/world/dns_server.py --dir /world \
			--listen $E2E_WORLD_DNS --listen $E2E_OTHER_DNS 2>/world/dns.err" \
		>/dev/null || return 1
	local i
	for ((i = 0; i < 40; i++)); do
		grep -q listening "$E2E_WORLD_DIR/dns.err" 2>/dev/null &&
			grep -q listening "$E2E_WORLD_DIR/tcp.err" 2>/dev/null && return 0
		sleep 0.25
	done
	echo "e2e: the world container did not come up" >&2
	docker logs "$E2E_WORLD" >&2
	cat "$E2E_WORLD_DIR"/*.err >&2
	return 1
}

# e2e_config PROFILE: a copy of .devcontainer/PROFILE/devcontainer.json (or
# .devcontainer/devcontainer.json for "default") that adds only the internal
# network and DNS pointing at the world; prints its path.  The CLI takes
# only files named devcontainer.json, so the copy gets a folder of its own,
# and its build paths are made absolute.  "secure" gets the world's DNS as
# Docker's --dns: the container asks Docker's embedded DNS (127.0.0.11),
# which forwards to the world from inside the container's netns, as on any
# user-defined network or Compose project; "default" gets a resolv.conf
# naming the world's DNS, as on the default bridge.
e2e_config() {
	local src=$E2E_WS/.devcontainer/$1/devcontainer.json out=$E2E_WS/.devcontainer/e2e-$1
	[[ $1 == default ]] && src=$E2E_WS/.devcontainer/devcontainer.json
	mkdir -p "$out" && chown 1000:1000 "$out"
	out=$out/devcontainer.json
	e2e_devcontainer read-configuration --workspace-folder "$E2E_WS" --config "$src" \
		2>"$BATS_FILE_TMPDIR/read-configuration.log" |
		/usr/bin/python3 -c '
import json, os, sys
net, resolv, srcdir, dns = sys.argv[1:5]
conf = json.load(sys.stdin)["configuration"]
conf.pop("configFilePath", None)
for key in ("dockerfile", "context"):
    conf["build"][key] = os.path.normpath(os.path.join(srcdir, conf["build"][key]))
conf["runArgs"] = conf.get("runArgs", []) + ["--network=" + net]
if dns:
    conf["runArgs"].append("--dns=" + dns)
else:
    conf["mounts"] = conf.get("mounts", []) + [
        "source=%s,target=/etc/resolv.conf,type=bind,readonly" % resolv]
json.dump(conf, sys.stdout, indent=1)' "$E2E_NET" "$E2E_WORLD_DIR/resolv.conf" "${src%/*}" \
		"$([[ $1 == secure ]] && echo "$E2E_WORLD_DNS")" >"$out" || {
		cat "$BATS_FILE_TMPDIR/read-configuration.log" >&2
		return 1
	}
	echo "$out"
}

# e2e_up CONFIG [ARGS...]: devcontainer up; sets E2E_CID, E2E_CONFIG.
e2e_up() {
	E2E_CONFIG=$1
	shift
	local out=$BATS_FILE_TMPDIR/up.json log=$BATS_FILE_TMPDIR/up.log
	if ! timeout 900 "$CORRAL_SRC/scripts/devcontainer" up --workspace-folder "$E2E_WS" \
		--config "$E2E_CONFIG" "$@" >"$out" 2>"$log"; then
		echo "e2e: devcontainer up failed:" >&2
		tail -40 "$log" >&2
		cat "$out" >&2
		return 1
	fi
	E2E_CID=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["containerId"])' <"$out") || return 1
	echo "$E2E_CID" >>"$BATS_FILE_TMPDIR/containers"
	export E2E_CID E2E_CONFIG
}

# dev CMD: CMD (a bash script) in the dev container as its remote user,
# through `devcontainer exec`.
dev() {
	"$CORRAL_SRC/scripts/devcontainer" exec --workspace-folder "$E2E_WS" \
		--config "$E2E_CONFIG" --default-user-env-probe none bash -c "$1" 2>&1
}

# as_root CMD: CMD as root through `docker exec -u root` (the container's
# capabilities, not init's child's).
as_root() { docker exec -u root "$E2E_CID" bash -c "$1" 2>&1; }

# e2e_setup_file CONFIG_NAME: everything above, then `devcontainer up`.
e2e_setup_file() {
	: >"$BATS_FILE_TMPDIR/skip"
	if ((EUID != 0)); then
		e2e_fail_or_skip "the e2e tests need root (dockerd, apt-get)"
		return
	fi
	_e2e_apt_install ca-certificates git python3 || return 1
	command -v npm >/dev/null || _e2e_apt_install npm || return 1
	e2e_docker_up || return 1
	"$CORRAL_SRC/scripts/base-image" "$E2E_BASE_IMAGE" >/dev/null || return 1
	_e2e_workspace || return 1
	e2e_world_up || return 1
	# devcontainer.json passes ${localEnv:BASE_IMAGE} to the build.
	export BASE_IMAGE=$E2E_BASE_IMAGE
	local config
	config=$(e2e_config "$1") || return 1
	e2e_up "$config"
}

# e2e_teardown_file: containers, volumes, world, network, dockerd (if ours).
e2e_teardown_file() {
	local cid vols
	if [[ -s $BATS_FILE_TMPDIR/containers ]] && docker info >/dev/null 2>&1; then
		while read -r cid; do
			vols=$(docker inspect -f '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}} {{end}}{{end}}' \
				"$cid" 2>/dev/null)
			docker rm -f "$cid" >/dev/null 2>&1
			echo "$vols" >>"$BATS_FILE_TMPDIR/volumes"
		done < <(sort -u "$BATS_FILE_TMPDIR/containers")
		# shellcheck disable=SC2046 # one name per word
		docker volume rm $(tr ' ' '\n' <"$BATS_FILE_TMPDIR/volumes" | sort -u) >/dev/null 2>&1
	fi
	if [[ -n ${E2E_ID:-} ]] || E2E_ID=$(cat "$BATS_FILE_TMPDIR/id" 2>/dev/null); then
		docker rm -f "corral-e2e-world-$E2E_ID" >/dev/null 2>&1
		docker network rm "corral-e2e-$E2E_ID" >/dev/null 2>&1
	fi
	e2e_docker_down
	return 0
}

# dump: what a failed test needs to be understood.
e2e_dump() {
	echo "# container log:"
	docker logs "$E2E_CID" 2>&1 | tail -20 | sed 's/^/#   /'
	echo "# world DNS queries:"
	tail -20 "$E2E_WORLD_DIR/dns_queries.log" 2>/dev/null | sed 's/^/#   /'
	echo "# world connections:"
	tail -20 "$E2E_WORLD_DIR/conn.log" 2>/dev/null | sed 's/^/#   /'
}
