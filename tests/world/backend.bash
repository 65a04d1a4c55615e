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
