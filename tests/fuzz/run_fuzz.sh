#!/bin/sh
# Runs one libFuzzer target for FUZZ_SECONDS (default 20) over its seeds.
# New inputs go to a corpus in the build tree, never into the seed folder.
set -eu
fuzzer=$1 seeds=$2
work="$(dirname "$fuzzer")/fuzz-work/$(basename "$fuzzer")"
mkdir -p "$work/corpus"
exec "$fuzzer" -max_total_time="${FUZZ_SECONDS:-20}" -timeout=10 -rss_limit_mb=4096 \
	-artifact_prefix="$work/" -print_final_stats=1 "$work/corpus" "$seeds"
