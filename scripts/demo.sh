#!/bin/sh
# Installs what is missing, builds tundra and classifies the bundled demo
# capture against the bundled registry: a flow table on standard output,
# the summary on standard error.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
ninja -C build >/dev/null
exec build/tundra classify pcaps/demo.pcap --registry pcaps/registry.csv "$@"
