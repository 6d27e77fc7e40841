#!/bin/sh
# The long soak (docs/reliability.md): tundra run fed a churning mix for DURATION seconds
# (default 3600) with a registry reload every second; the resident memory and the main
# counters every second go to CSV (default soak-rss.csv), and a summary is printed: RSS
# min/max and slope after the warm-up (WARMUP seconds, default 60), reloads, counters.
# Needs a build (build/ by default; TUNDRA and TUNDRA_GEN name other binaries).
#   scripts/soak.sh [DURATION] [CSV]
set -eu
cd "$(dirname "$0")/.."
DURATION=${1:-3600}
CSV=${2:-soak-rss.csv}
export TUNDRA="${TUNDRA:-build/tundra}"
export TUNDRA_GEN="${TUNDRA_GEN:-build/tests/tundra-gen}"
[ -x "$TUNDRA" ] && [ -x "$TUNDRA_GEN" ] || { echo "soak: build first (ninja -C build)" >&2; exit 2; }
exec python3 tests/e2e/soak.py "$DURATION" --csv "$CSV" --warmup "${WARMUP:-60}"
