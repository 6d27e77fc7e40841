#!/bin/sh
# Installs every Debian 12 package tundra needs to build, run and test.
# Idempotent: packages already present are left as they are.
set -eu
PKGS="gcc g++ clang llvm pkg-config meson ninja-build python3 \
libdpdk-dev dpdk libhyperscan-dev libjemalloc-dev libpcap-dev libmicrohttpd-dev libyaml-dev \
tcpdump iproute2 jq curl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "install-deps: installing:$missing" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
