# The e2e tests' world: DNS and TCP/HTTP servers of tests/world/ in a
# container on an internal Docker network.  Built on the local base image.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	python3 python3-dnslib iproute2 >/dev/null \
 && rm -rf /var/lib/apt/lists/*
