#!/bin/sh
# Installs every Debian 12 package tundra needs to build, run and test.
# Idempotent: packages already present are left as they are.
set -eu
# libbpf-dev and linux-libc-dev: the XDP enforcer (libbpf loads it; clang
# compiles it against <linux/bpf.h>). libdpdk-dev brings the net_af_xdp PMD.
# wireguard-go, wireguard-tools, iputils-ping: tests/e2e/test_xdp.py runs a
# real WireGuard tunnel between namespaces (the kernel module is not needed;
# --no-install-recommends below keeps wireguard-tools from pulling a kernel).
PKGS="gcc g++ clang llvm pkg-config meson ninja-build python3 \
libdpdk-dev dpdk libhyperscan-dev libjemalloc-dev libpcap-dev libmicrohttpd-dev libyaml-dev \
libbpf-dev linux-libc-dev \
tcpdump iproute2 jq curl wireguard-go wireguard-tools iputils-ping"
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
