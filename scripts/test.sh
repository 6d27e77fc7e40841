#!/bin/sh
# Installs what is missing, builds tundra three ways and runs every test:
#   build/       release build: unit and end-to-end tests
#   build-asan/  debug build under AddressSanitizer + UBSan: the same tests
#   build-fuzz/  clang libFuzzer targets, each run briefly over its seeds
# Ends with "N passed, N failed" over all of them; exit status 0 only if none failed.
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}

sh scripts/install-deps.sh

setup() { # dir, options...
	dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; exit 1; }
	fi
	ninja -C "$dir" >/dev/null
}

setup build --buildtype=release
CC=gcc setup build-asan --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
	-Djemalloc=disabled -Dc_args=-fno-sanitize-recover=all
CC=clang setup build-fuzz --buildtype=debug -Dfuzz=true -Djemalloc=disabled -Db_lundef=false

status=0
meson test -C build --print-errorlogs --num-processes 1 || status=1
# The wild corpus run is long; under sanitizers the unit and ground-truth tests suffice.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	meson test -C build-asan --print-errorlogs --num-processes 1 --no-suite wild || status=1
FUZZ_SECONDS=$FUZZ_SECONDS meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2 || status=1

python3 - build build-asan build-fuzz <<'PY'
import json, sys
passed = failed = 0
for d in sys.argv[1:]:
    try:
        lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for line in lines:
        r = json.loads(line)
        if r["result"] == "OK":
            passed += 1
        elif r["result"] != "SKIP":
            failed += 1
            print(f"failed: {d}: {r['name']} ({r['result']})")
print(f"{passed} passed, {failed} failed")
PY
exit $status
