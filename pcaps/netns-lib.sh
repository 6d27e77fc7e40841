# Shared by the capture scripts (make-captures.sh, make-negatives.sh,
# make-split-hello.sh): sourced, not run. The sourcing script sets LOG_TAG
# and keeps PIDS (the background processes it started) for its cleanup.

log() { printf '[%s] %s\n' "$LOG_TAG" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Every process left in a namespace: TERM, then KILL.
kill_ns_procs() {
    local ns=$1 pid
    ip netns list 2>/dev/null | grep -qw "^$ns" || return 0
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill "$pid" 2>/dev/null || true
    done
    sleep 0.3
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        kill -9 "$pid" 2>/dev/null || true
    done
}

bg() {  # bg NS LOG CMD...: runs CMD in NS in the background; sets BG_PID
    local ns=$1 logf=$2
    shift 2
    ip netns exec "$ns" "$@" >"$logf" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
}

descendants() {
    local c
    for c in $(pgrep -P "$1"); do
        echo "$c"
        descendants "$c"
    done
}

# Stops a process with its children (daemons that fork a service process
# would otherwise outlive it), waiting up to 5 s before KILL.
stop_pid() {
    local pid=$1 i p up
    local pids=("$pid" $(descendants "$pid"))
    kill "${pids[@]}" 2>/dev/null || true
    for i in $(seq 1 50); do
        up=0
        for p in "${pids[@]}"; do
            kill -0 "$p" 2>/dev/null && up=1
        done
        ((up)) || break
        sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

wait_for() {  # wait_for SECONDS DESCRIPTION CMD...
    local secs=$1 what=$2 i
    shift 2
    for i in $(seq 1 $((secs * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "timed out waiting for $what"
}
