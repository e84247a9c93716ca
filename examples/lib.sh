# Shared by the examples' run.sh scripts (sourced, not run): the sluice binary, a fresh run
# folder, and `sluice serve` on loopback for the data.
#
#   . "$EXAMPLE/../lib.sh"
#   find_sluice                         # sets SLUICE (absolute), default .build/release/sluice
#   make_run_dir RUN_DIR_OR_EMPTY NAME  # sets RUN_DIR; a fresh data/ and ref/ in it
#   serve_data                          # serves $RUN_DIR/data; sets BASE_URL; stops it on exit
#   run_pipeline                        # sluice run, then sluice status; sets status

find_sluice() {
    SLUICE=${SLUICE:-.build/release/sluice}
    if [[ ! -x "$SLUICE" ]]; then
        echo "error: no sluice binary at $SLUICE; build one with 'swift build -c release' or set SLUICE=" >&2
        exit 2
    fi
    SLUICE=$(cd "$(dirname "$SLUICE")" && pwd)/$(basename "$SLUICE")
}

make_run_dir() {
    RUN_DIR=${1:-$(mktemp -d "/tmp/sluice-$2.XXXXXX")}
    mkdir -p "$RUN_DIR"
    RUN_DIR=$(cd "$RUN_DIR" && pwd)
    rm -rf "$RUN_DIR/data" "$RUN_DIR/ref" "$RUN_DIR/work"
    mkdir -p "$RUN_DIR/data" "$RUN_DIR/ref"
    echo "== run folder: $RUN_DIR"
}

serve_data() {
    SERVER_PID=""
    trap stop_server EXIT
    "$SLUICE" serve "$RUN_DIR/data" > "$RUN_DIR/serve.out" 2> "$RUN_DIR/serve.err" &
    SERVER_PID=$!
    BASE_URL=""
    for _ in $(seq 1 100); do
        BASE_URL=$(head -n 1 "$RUN_DIR/serve.out" 2>/dev/null || true)
        [[ -n "$BASE_URL" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN_DIR/serve.err" >&2; exit 2; }
        sleep 0.1
    done
    [[ -n "$BASE_URL" ]] || { echo "error: 'sluice serve' printed no URL" >&2; exit 2; }
}

stop_server() {
    if [[ -n "${SERVER_PID:-}" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
}

# Runs the pipeline in $RUN_DIR and prints its status; sets `status` to the run's exit status.
run_pipeline() {
    echo "== sluice run"
    status=0
    "$SLUICE" run "$RUN_DIR/pipeline.yaml" || status=$?
    echo
    "$SLUICE" status "$RUN_DIR/pipeline.yaml" || true
}
