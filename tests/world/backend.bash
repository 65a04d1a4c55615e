# shellcheck shell=bash
# The integration suites run against either firewall backend: with
# CORRAL_TEST_BACKEND=iptables (tests/run's second pass) every test config
# ends in `backend iptables`.

on_iptables() { [[ ${CORRAL_TEST_BACKEND:-} == iptables ]]; }

# The config line that forces the backend under test, or nothing.
backend_line() {
	if [[ -n ${CORRAL_TEST_BACKEND:-} ]]; then
		echo "backend $CORRAL_TEST_BACKEND"
	fi
}

# fresh_run_dir: an empty $RUN under the world's folder for corral init's
# control socket and state, readable by the unprivileged users the tests
# run as, exported as CORRAL_RUN_DIR.
fresh_run_dir() {
	RUN=$WORLD_DIR/run
	rm -rf "$RUN"
	mkdir -p "$RUN"
	chmod 755 "$WORLD_DIR" "$RUN"
	export CORRAL_RUN_DIR=$RUN
}

# Writes the lines and the backend line to $CONF.
write_conf() { { printf '%s\n' "$@"; backend_line; } >"$CONF"; }

# What is in force in the box, as the backend's own tool lists it.
ruleset_dump() {
	if on_iptables; then
		box iptables-legacy-save
		box ip6tables-legacy-save
	else
		box nft list ruleset
	fi
}

# The learned addresses in force, as the backend's tool lists them.
learned_dump() {
	if on_iptables; then
		box iptables-legacy -S corral-learned
		box ip6tables-legacy -S corral-learned
		box ipset list
	else
		box nft list set inet corral addr4
		box nft list set inet corral addr6
	fi
}

# Rules another tool put into the box's legacy iptables tables, which corral
# must never flush, reorder or leave behind.
other_rules_add() {
	box iptables-legacy -A OUTPUT -d 198.51.100.7 -j ACCEPT
	box iptables-legacy -t nat -A OUTPUT -d 198.51.100.6 -p tcp --dport 8080 \
		-j DNAT --to-destination 198.51.100.5:80
	box ip6tables-legacy -A OUTPUT -d 2001:db8:2::7 -j ACCEPT
}

# They are all still there (corral's own rules may be there too).
other_rules_present() {
	run box iptables-legacy -S OUTPUT
	assert_line "-A OUTPUT -d 198.51.100.7/32 -j ACCEPT"
	run box iptables-legacy -t nat -S OUTPUT
	assert_line --partial "--to-destination 198.51.100.5:80"
	run box ip6tables-legacy -S OUTPUT
	assert_line "-A OUTPUT -d 2001:db8:2::7/128 -j ACCEPT"
}

# They are all that is left: corral took away exactly what it added.
other_rules_alone() {
	run box iptables-legacy -S OUTPUT
	assert_output "-P OUTPUT ACCEPT
-A OUTPUT -d 198.51.100.7/32 -j ACCEPT"
	run box iptables-legacy -t nat -S OUTPUT
	assert_line --partial "--to-destination 198.51.100.5:80"
	refute_output --partial corral
	run box ip6tables-legacy -S OUTPUT
	assert_output "-P OUTPUT ACCEPT
-A OUTPUT -d 2001:db8:2::7/128 -j ACCEPT"
}

other_rules_remove() {
	box iptables-legacy -D OUTPUT -d 198.51.100.7 -j ACCEPT
	box iptables-legacy -t nat -F OUTPUT
	box ip6tables-legacy -D OUTPUT -d 2001:db8:2::7 -j ACCEPT
}
