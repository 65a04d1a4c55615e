# shellcheck shell=bash
# The test world: a "box" network namespace (where the code under test
# runs) wired by a veth pair to a "world" namespace that plays the whole
# internet: service addresses with TCP/HTTP and UDP echo servers, and a
# DNS server the tests program.  Source it from bats files, demos and
# benchmarks; see tests/world/README.md for the API and addresses.
#
# Every address is documentation or private space and lives only inside
# namespaces created here: the box's only routes lead to the world, and
# the world has no route anywhere else.

WORLD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORLD_PYTHON=/usr/bin/python3 # Debian's, the one that sees python3-dnslib
WORLD_RUN_BASE=${CORRAL_TEST_RUN:-/run/corral-test}

export BOX_IF=eth0 WORLD_IF=veth0
export BOX_IP4=192.0.2.2 BOX_IP6=2001:db8:1::2
export WORLD_GW4=192.0.2.1 WORLD_GW6=2001:db8:1::1
export WORLD_DNS4=198.51.100.53 WORLD_DNS6=2001:db8:53::53
export WORLD_SVC4 WORLD_SVC6
WORLD_SVC4=$(printf '198.51.100.%d ' {1..12})
WORLD_SVC4=${WORLD_SVC4% }
WORLD_SVC6=$(printf '2001:db8:2::%d ' {1..12})
WORLD_SVC6=${WORLD_SVC6% }
# Private addresses the world also serves, for DNS-rebinding tests.
export WORLD_PRIV4="10.9.0.1 172.16.9.1 192.168.9.1 169.254.169.254"
export WORLD_PRIV6="fd00:9::1"
export WORLD_TCP_PORTS="22 80 443 8080 8443"
export WORLD_ECHO_PORT=9000 WORLD_UDP_ECHO_PORT=7

# ---------------------------------------------------------------- helpers

_world_err() { printf 'world: %s\n' "$*" >&2; }

_world_valid_id() { [[ ${1:-} =~ ^[0-9a-f]{8}$ ]]; }

# Print "STATE STARTTIME" of a process, from /proc/PID/stat.
_world_proc_stat() {
	local s f
	[[ ${1:-} =~ ^[0-9]+$ ]] || return 1
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	[[ -n $s ]] || return 1
	s=${s##*) } # comm may contain spaces and parentheses
	read -r -a f <<<"$s"
	printf '%s %s\n' "${f[0]}" "${f[19]}"
}

_world_starttime() {
	local st start
	read -r st start < <(_world_proc_stat "$1") || return 1
	[[ -n $st ]] && printf '%s\n' "$start"
}

# True if PID runs, is no zombie, and (when given) started at START:
# a recycled PID is not ours.
_world_alive() {
	local st start
	read -r st start < <(_world_proc_stat "$1") || return 1
	[[ -n $st && $st != Z && $st != X ]] || return 1
	[[ -z ${2:-} || $2 == "$start" ]]
}

# _world_kill PID:START... : TERM, wait up to 2 s, then KILL.
_world_kill() {
	local p i
	local -a live=() still
	for p in "$@"; do
		if _world_alive "${p%%:*}" "${p#*:}"; then live+=("$p"); fi
	done
	((${#live[@]})) || return 0
	for p in "${live[@]}"; do kill -TERM "${p%%:*}" 2>/dev/null || true; done
	for ((i = 0; i < 150; i++)); do
		still=()
		for p in "${live[@]}"; do
			if _world_alive "${p%%:*}" "${p#*:}"; then still+=("$p"); fi
		done
		((${#still[@]})) || return 0
		if ((i == 100)); then
			for p in "${still[@]}"; do kill -KILL "${p%%:*}" 2>/dev/null || true; done
		fi
		sleep 0.02
	done
	_world_err "processes did not die: ${still[*]}"
	return 1
}

_world_need() {
	if [[ -z ${WORLD_DIR:-} || -z ${BOX:-} || ! -d ${WORLD_DIR:-/nonexistent} ]]; then
		_world_err "${FUNCNAME[1]}: no world is up (call world_up first)"
		return 1
	fi
}

# Tear down world ID: processes, namespaces, resolv.conf, directory.
_world_teardown() {
	local id=$1 dir ns pid start name rc=0
	local -a procs=()
	_world_valid_id "$id" || return 0
	dir=$WORLD_RUN_BASE/$id
	if [[ -r $dir/pids ]]; then
		while read -r pid start name; do
			[[ -n $pid ]] && procs+=("$pid:$start")
		done <"$dir/pids"
	fi
	# Anything else a test started inside our namespaces is ours too, and
	# would keep a deleted namespace alive.
	for ns in "crl-box-$id" "crl-world-$id"; do
		[[ -e /run/netns/$ns ]] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			[[ $pid == "$$" || $pid == "$BASHPID" ]] && continue
			start=$(_world_starttime "$pid") && procs+=("$pid:$start")
		done
	done
	_world_kill "${procs[@]}" || rc=1
	for ns in "crl-box-$id" "crl-world-$id"; do
		if [[ -e /run/netns/$ns ]]; then
			ip netns del "$ns" 2>/dev/null || { _world_err "cannot delete netns $ns"; rc=1; }
		fi
	done
	rm -rf "/etc/netns/crl-box-$id"
	rm -rf "$dir"
	return "$rc"
}

# Write FILE atomically (content on stdin), so the DNS server never reads
# a half-written zone or mode.
_world_write() {
	local tmp=$1.tmp.$BASHPID
	cat >"$tmp" && mv -f "$tmp" "$1"
}

# Start a server in the world namespace, record PID and start time.
_world_spawn() {
	local name=$1 pid start
	shift
	# fd 3 is bats' output channel: a server holding it would hang bats.
	ip netns exec "$WORLD" "$@" </dev/null >>"$WORLD_DIR/$name.log" 2>&1 3>&- &
	pid=$!
	disown "$pid" 2>/dev/null || true
	start=$(_world_starttime "$pid") || start=0
	printf '%s %s %s\n' "$pid" "$start" "$name" >>"$WORLD_DIR/pids"
	printf '%s\n' "$pid"
}

# Wait (bounded) for a server's ready file; fail at once if it died.
_world_wait_ready() {
	local name=$1 pid=$2 i
	for ((i = 0; i < 500; i++)); do
		[[ -s $WORLD_DIR/$name.ready ]] && return 0
		if ! _world_alive "$pid"; then
			_world_err "$name server exited during startup"
			return 1
		fi
		sleep 0.01
	done
	_world_err "$name server not ready after 5 s"
	return 1
}

_world_build() {
	local a
	ip netns add "$BOX" || return 1
	ip netns add "$WORLD" || return 1
	# No duplicate address detection: v6 addresses are usable at once.
	ip netns exec "$BOX" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
	ip netns exec "$WORLD" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
	ip link add name "$BOX_IF" netns "$BOX" type veth \
		peer name "$WORLD_IF" netns "$WORLD" || return 1
	{
		echo "link set lo up"
		echo "link set $WORLD_IF up"
		echo "address add $WORLD_GW4/24 dev $WORLD_IF"
		echo "address add $WORLD_GW6/64 dev $WORLD_IF nodad"
		for a in $WORLD_SVC4 $WORLD_DNS4 $WORLD_PRIV4; do
			echo "address add $a/32 dev lo"
		done
		for a in $WORLD_SVC6 $WORLD_DNS6 $WORLD_PRIV6; do
			echo "address add $a/128 dev lo nodad"
		done
	} | ip -n "$WORLD" -batch - || return 1
	{
		echo "link set lo up"
		echo "link set $BOX_IF up"
		echo "address add $BOX_IP4/24 dev $BOX_IF"
		echo "address add $BOX_IP6/64 dev $BOX_IF nodad"
		echo "route add default via $WORLD_GW4 dev $BOX_IF"
		echo "route add default via $WORLD_GW6 dev $BOX_IF"
	} | ip -n "$BOX" -batch - || return 1
	mkdir -p "/etc/netns/$BOX" || return 1
	printf 'nameserver %s\n' "$WORLD_DNS4" >"/etc/netns/$BOX/resolv.conf" || return 1

	local dns_pid tcp_pid
	local -a tcp_args=()
	for a in $WORLD_SVC4 $WORLD_SVC6 $WORLD_PRIV4 $WORLD_PRIV6; do
		tcp_args+=(--addr "$a")
	done
	dns_pid=$(_world_spawn dns "$WORLD_PYTHON" -u "$WORLD_LIB_DIR/dns_server.py" \
		--dir "$WORLD_DIR" --listen "$WORLD_DNS4" --listen "$WORLD_DNS6")
	tcp_pid=$(_world_spawn tcp "$WORLD_PYTHON" -u "$WORLD_LIB_DIR/tcp_server.py" \
		--dir "$WORLD_DIR" "${tcp_args[@]}" --ports "${WORLD_TCP_PORTS// /,}" \
		--echo-port "$WORLD_ECHO_PORT" --udp-echo-port "$WORLD_UDP_ECHO_PORT")
	_world_wait_ready dns "$dns_pid" || return 1
	_world_wait_ready tcp "$tcp_pid" || return 1
	_world_probe || return 1
	: >"$WORLD_DIR/dns_queries.log"
	: >"$WORLD_DIR/conn.log"
}

# Ready files say the sockets are bound; check the box really gets answers.
_world_probe() {
	local i a
	for ((i = 0; i < 50; i++)); do
		a=$(box dig +short +time=1 +tries=1 "@$WORLD_DNS4" probe.world.test A 2>/dev/null) &&
			[[ $a == 192.0.2.99 ]] &&
			[[ $(BOX_HTTP_TIMEOUT=2 box_http "${WORLD_SVC4%% *}" 80 2>/dev/null) == "hello from "* ]] &&
			return 0
		sleep 0.05
	done
	_world_err "servers do not answer the box"
	return 1
}

# -------------------------------------------------------------- lifecycle

# world_require: 0 if this machine can build a world, else print why, 1.
world_require() {
	local -a missing=()
	local c
	((EUID == 0)) || missing+=("root")
	for c in ip curl dig socat flock sysctl; do
		command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	if ! "$WORLD_PYTHON" -c 'import dnslib' 2>/dev/null; then
		missing+=("python3-dnslib for $WORLD_PYTHON")
	fi
	if ((EUID == 0)) && ! ip netns list >/dev/null 2>&1; then
		missing+=("ip netns support")
	fi
	WORLD_REQUIRE_MSG=""
	((${#missing[@]} == 0)) && return 0
	WORLD_REQUIRE_MSG="test world needs: ${missing[*]}"
	_world_err "$WORLD_REQUIRE_MSG"
	return 1
}

# world_up: build a fresh pair of namespaces and start the servers.
# Exports BOX, WORLD, WORLD_DIR, WORLD_ID.  On failure it prints the
# server logs, removes what it built and returns 1.
world_up() {
	local id="" i
	world_require || return 1
	world_gc
	mkdir -p "$WORLD_RUN_BASE" || return 1
	for ((i = 0; i < 20; i++)); do
		id=$(printf '%08x' "$SRANDOM")
		mkdir "$WORLD_RUN_BASE/$id" 2>/dev/null && break
		id=""
	done
	if [[ -z $id ]]; then
		_world_err "cannot create a world directory in $WORLD_RUN_BASE"
		return 1
	fi
	export WORLD_ID=$id BOX=crl-box-$id WORLD=crl-world-$id
	export WORLD_DIR=$WORLD_RUN_BASE/$id
	# The owner record lets world_gc tell a live world from a stale one.
	printf '%s %s\n' "$$" "$(_world_starttime "$$")" >"$WORLD_DIR/owner"
	: >"$WORLD_DIR/pids"
	: >"$WORLD_DIR/dns_queries.log"
	: >"$WORLD_DIR/conn.log"
	echo normal | _world_write "$WORLD_DIR/dns_mode"
	echo "probe.world.test A 192.0.2.99 300" | _world_write "$WORLD_DIR/zone"
	if ! _world_build; then
		_world_err "world_up failed"
		world_dump >&2
		world_down "$WORLD_ID"
		return 1
	fi
	world_dns_clear
}

# world_down [ID]: stop the servers by PID, delete the namespaces, the
# resolv.conf and WORLD_DIR.  Idempotent; fine after a partial world_up.
world_down() {
	local id=${1:-${WORLD_ID:-}} rc=0
	[[ -n $id ]] || return 0
	_world_teardown "$id" || rc=1
	if [[ $id == "${WORLD_ID:-}" ]]; then
		unset WORLD_ID BOX WORLD WORLD_DIR
	fi
	return "$rc"
}

# world_select ID: make world ID (one of several up) the current one.
world_select() {
	if ! _world_valid_id "${1:-}" || [[ ! -d $WORLD_RUN_BASE/$1 ]]; then
		_world_err "no world ${1:-}"
		return 1
	fi
	export WORLD_ID=$1 BOX=crl-box-$1 WORLD=crl-world-$1
	export WORLD_DIR=$WORLD_RUN_BASE/$1
}

# world_gc: remove worlds whose creating process is gone.
world_gc() {
	local d id owner start ns now mtime
	declare -A keep=()
	now=$(date +%s)
	for d in "$WORLD_RUN_BASE"/*; do
		[[ -d $d ]] || continue
		id=${d##*/}
		_world_valid_id "$id" || continue
		if read -r owner start 2>/dev/null <"$d/owner"; then
			if _world_alive "$owner" "$start"; then
				keep[$id]=1
				continue
			fi
		else
			# world_up writes the owner right after mkdir: give it time.
			mtime=$(stat -c %Y "$d" 2>/dev/null) || continue
			if ((now - mtime < 60)); then
				keep[$id]=1
				continue
			fi
		fi
		_world_err "removing stale world $id"
		_world_teardown "$id" || true
	done
	# Namespaces or resolv.conf left without a directory are stale too.
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}') /etc/netns/crl-box-*; do
		ns=${ns##*/}
		[[ $ns =~ ^crl-(box|world)-([0-9a-f]{8})$ ]] || continue
		id=${BASH_REMATCH[2]}
		[[ -n ${keep[$id]:-} || -d $WORLD_RUN_BASE/$id ]] && continue
		_world_err "removing stale namespace $ns"
		_world_teardown "$id" || true
	done
	return 0
}

# ------------------------------------------------------- bats integration

# In setup_file: build the world, or (outside CI) remember why not so that
# world_setup_test skips.  In CI a missing prerequisite fails.
world_setup_file() {
	if ! world_require; then
		[[ ${CI:-} == true ]] && return 1
		export WORLD_SKIP_REASON=$WORLD_REQUIRE_MSG
		return 0
	fi
	world_up
}

# In setup: skip if world_setup_file could not build (never in CI), and
# give each test a clean DNS zone and mode, and empty logs.
world_setup_test() {
	if [[ -n ${WORLD_SKIP_REASON:-} ]]; then
		[[ ${CI:-} == true ]] && return 1
		skip "$WORLD_SKIP_REASON"
	fi
	_world_need || return 1
	world_dns_reset && world_conn_log_clear
}

# ------------------------------------------------------------- execution

box() {
	_world_need || return 1
	ip netns exec "$BOX" "$@"
}

world_exec() {
	_world_need || return 1
	ip netns exec "$WORLD" "$@"
}

# box_http ADDR PORT: GET / from the box; prints the body, returns curl's
# code (7 refused, 28 timeout).  BOX_HTTP_TIMEOUT overrides the 5 s.
box_http() {
	if (($# != 2)); then
		_world_err "usage: box_http ADDR PORT"
		return 2
	fi
	local host=$1
	[[ $host == *:* ]] && host="[$host]"
	_world_curl "http://$host:$2/"
}

# box_http_name NAME PORT: same, by name, resolved through the box's
# /etc/resolv.conf.
box_http_name() {
	if (($# != 2)); then
		_world_err "usage: box_http_name NAME PORT"
		return 2
	fi
	_world_curl "http://$1:$2/"
}

_world_curl() {
	# -q: ignore any .curlrc; --noproxy: a proxy variable must not matter.
	box curl -q -sS --noproxy '*' --max-time "${BOX_HTTP_TIMEOUT:-5}" -g "$1"
}

# ------------------------------------------------------------------- DNS

# Set _world_line to the zone line for NAME TYPE VALUE [TTL] (no
# subshell: world_dns_load may see thousands), or complain and fail.
_world_dns_line() {
	if (($# < 3 || $# > 4)); then
		_world_err "world_dns_add: want NAME A|AAAA|CNAME VALUE [TTL], got: $*"
		return 2
	fi
	local name=${1,,} type=${2^^} value=$3 ttl=${4:-300}
	[[ $name == . ]] || name=${name%.}
	case $type in
	A) [[ $value =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] ;;
	AAAA) [[ $value =~ ^[0-9a-fA-F:.]+$ && $value == *:* ]] ;;
	CNAME)
		value=${value,,}
		value=${value%.}
		[[ -n $value && $value != *[[:space:]]* ]]
		;;
	*) false ;;
	esac || {
		_world_err "world_dns_add: bad $type record value '$value'"
		return 2
	}
	if [[ -z $name || $name == *[[:space:]]* || ! $ttl =~ ^[0-9]+$ ]]; then
		_world_err "world_dns_add: bad name '$1' or TTL '$ttl'"
		return 2
	fi
	_world_line="$name $type $value $ttl"
}

# Append zone lines (stdin) under the lock, in one atomic rename.
_world_zone_append() {
	(
		flock 9
		{
			cat "$WORLD_DIR/zone" 2>/dev/null
			cat
		} | _world_write "$WORLD_DIR/zone"
	) 9>"$WORLD_DIR/zone.lock"
}

# world_dns_add NAME TYPE VALUE [TTL]: add a record (A, AAAA or CNAME;
# TTL defaults to 300).  Several records per name are fine.
world_dns_add() {
	_world_need || return 1
	local _world_line
	_world_dns_line "$@" || return 2
	_world_zone_append <<<"$_world_line"
}

# world_dns_load: add many records at once, "NAME TYPE VALUE [TTL]" per
# line on stdin (blank lines and # comments skipped).  All or nothing.
world_dns_load() {
	_world_need || return 1
	local -a f
	local out="" _world_line
	while read -r -a f; do
		if ((${#f[@]} == 0)) || [[ ${f[0]} == \#* ]]; then continue; fi
		_world_dns_line "${f[@]}" || return 2
		out+=$_world_line$'\n'
	done
	printf '%s' "$out" | _world_zone_append
}

world_dns_clear() {
	_world_need || return 1
	(
		flock 9
		_world_write "$WORLD_DIR/zone" </dev/null
	) 9>"$WORLD_DIR/zone.lock"
}

# world_dns_mode normal|servfail|drop|truncate|badptr|wrongid|wrongsrc|inject|delay MS
world_dns_mode() {
	_world_need || return 1
	case ${1:-}:${2:-} in
	normal: | servfail: | drop: | truncate: | badptr: | wrongid: | wrongsrc: | inject:) ;;
	delay:*) [[ ${2:-} =~ ^[0-9]+$ ]] || {
		_world_err "world_dns_mode delay MS: bad MS '${2:-}'"
		return 2
	} ;;
	*)
		_world_err "usage: world_dns_mode normal|servfail|drop|truncate|badptr|wrongid|wrongsrc|inject|delay MS"
		return 2
		;;
	esac
	echo "$*" | _world_write "$WORLD_DIR/dns_mode"
}

# world_dns_log: the query log, one "NAME TYPE udp|tcp" line per query.
world_dns_log() {
	_world_need || return 1
	cat "$WORLD_DIR/dns_queries.log"
}

world_dns_log_clear() {
	_world_need || return 1
	: >"$WORLD_DIR/dns_queries.log"
}

# world_dns_asked NAME: 0 if NAME was queried (any type), else 1.
world_dns_asked() {
	_world_need || return 1
	local name=${1,,}
	[[ $name == . ]] || name=${name%.}
	awk -v n="$name" '$1 == n { found = 1; exit } END { exit !found }' \
		"$WORLD_DIR/dns_queries.log"
}

# world_dns_reset: empty zone, normal mode, empty query log.
world_dns_reset() {
	world_dns_clear && world_dns_mode normal && world_dns_log_clear
}

# ----------------------------------------------------- connection records

# world_conn_log: one "tcp|udp PEER ADDR PORT" line per connection or
# datagram that reached a world server.
world_conn_log() {
	_world_need || return 1
	cat "$WORLD_DIR/conn.log"
}

world_conn_log_clear() {
	_world_need || return 1
	: >"$WORLD_DIR/conn.log"
}

# world_reached ADDR [PORT]: 0 if traffic to ADDR (and PORT) reached the
# world's servers.
world_reached() {
	_world_need || return 1
	awk -v a="$1" -v p="${2:-}" '$3 == a && (p == "" || $4 == p) { f = 1; exit }
		END { exit !f }' "$WORLD_DIR/conn.log"
}

# world_dump: everything useful after a failure (call from teardown).
world_dump() {
	local f pid start name state
	if [[ -z ${WORLD_DIR:-} || ! -d ${WORLD_DIR:-/nonexistent} ]]; then
		echo "world_dump: no world directory"
		return 0
	fi
	echo "=== world $WORLD_ID: box $BOX, world $WORLD, dir $WORLD_DIR"
	if [[ -r $WORLD_DIR/pids ]]; then
		while read -r pid start name; do
			state=dead
			_world_alive "$pid" "$start" && state=alive
			echo "--- server $name pid $pid: $state"
		done <"$WORLD_DIR/pids"
	fi
	for f in dns_mode zone dns_queries.log conn.log dns.log tcp.log; do
		[[ -e $WORLD_DIR/$f ]] || continue
		echo "--- $f"
		tail -n 50 "$WORLD_DIR/$f"
	done
	if [[ -e /run/netns/$BOX ]]; then
		echo "--- box addresses and routes"
		ip -n "$BOX" -br address 2>&1
		ip -n "$BOX" route 2>&1
		ip -n "$BOX" -6 route 2>&1
	fi
	return 0
}
