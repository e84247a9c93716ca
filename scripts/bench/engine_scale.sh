#!/usr/bin/env bash
# Engine scale benchmark: per-item engine overhead from 1,000 to 100,000 small items.
#
#   scripts/bench/engine_scale.sh                 # 1000 10000 100000 items
#   COUNTS="1000 5000" scripts/bench/engine_scale.sh
#   SLUICE=/tmp/sluice-old COUNTS=2000 scripts/bench/engine_scale.sh   # another build
#
# Each run pushes COUNT local 100-byte files through fetch (copy) → process → cleanup (keep
# nothing) under a 200 MB budget, with the release `sluice`. The process stage is a stage kind
# that does no work of its own — the tests' CopyStage is not in the binary, so it is a `command`
# stage running /bin/true: per item that is one process start, measured alone first (PROGRAM
# seconds per start, from a loop of 200 starts of /bin/true) and subtracted, so that what is
# left is the engine's own cost: claims, reservations, commits with fsync, ledger transactions,
# deletions. Reported per run: wall seconds, seconds per item, engine overhead per item
# (wall/item minus one program start at concurrency 1), the ledger's bytes per item, the
# workspace's peak allocated bytes (du, sampled every 200 ms) and its files at the end.
#
# Results: a table on stdout and bench-data/engine_scale.json.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
COUNTS="${COUNTS:-1000 10000 100000}"
BUDGET="${BUDGET:-200MB}"
out="${BENCH_DATA:-bench-data}"
mkdir -p "$out"
# SLUICE=PATH measures another build (e.g. the previous commit's) on the same machine.
sluice="${SLUICE:-$root/.build/release/sluice}"
[ -x "$sluice" ] || swift build -c release --static-swift-stdlib --product sluice >&2

scratch="$(mktemp -d /tmp/sluice-scale-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

# One start of /bin/true, seconds (the floor any per-item program pays).
start=$(date +%s.%N)
for _ in $(seq 200); do /bin/true; done
program=$(echo "($(date +%s.%N) - $start) / 200" | bc -l)

results="["
for count in $COUNTS; do
    run="$scratch/run-$count"
    mkdir -p "$run/in"
    python3 - "$run/in" "$count" <<'PY'
import os, sys
folder, count = sys.argv[1], int(sys.argv[2])
for index in range(count):
    with open(os.path.join(folder, f"item{index:06d}.txt"), "w") as handle:
        handle.write("x" * 100)
PY
    cat > "$run/pipeline.yaml" <<YAML
workspace: ./work
budget: {total: $BUDGET}
items:
  - directory: in
stages:
  - fetch: {}
  - command: {name: process, argv: [/bin/true, "{in}", "{out}"]}
  - cleanup: {keep: []}
YAML
    peak_file="$run/peak"
    echo 0 > "$peak_file"
    (
        while sleep 0.2; do
            [ -d "$run/work" ] || continue
            # du exits non-zero when files vanish under it, but still prints the total.
            used=$(du -s --block-size=1 "$run/work" 2>/dev/null | cut -f1 | head -1)
            [ -n "$used" ] && [ "$used" -gt "$(cat "$peak_file")" ] && echo "$used" > "$peak_file"
        done
    ) &
    sampler=$!
    begin=$(date +%s.%N)
    status=0
    "$sluice" run --quiet "$run/pipeline.yaml" > "$run/summary.txt" || status=$?
    end=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    ledger=$(du -s --block-size=1 "$run/work/sluice.db" | cut -f1)
    wal=$(du -s --block-size=1 "$run/work/sluice.db-wal" 2>/dev/null | cut -f1 || echo 0)
    files=$(find "$run/work" | wc -l)
    row=$(python3 - "$count" "$begin" "$end" "$program" "$ledger" "$wal" "$(cat "$peak_file")" "$files" "$status" <<'PY'
import json, sys
count, begin, end, program, ledger, wal, peak, files, status = sys.argv[1:]
count = int(count)
wall = float(end) - float(begin)
print(json.dumps({
    "items": count, "wall_seconds": round(wall, 2), "ms_per_item": round(1000 * wall / count, 3),
    "program_ms": round(1000 * float(program), 3),
    "engine_ms_per_item": round(1000 * (wall / count - float(program)), 3),
    "ledger_bytes_per_item": round(int(ledger) / count, 1), "wal_bytes": int(wal),
    "peak_du_bytes": int(peak), "files_at_end": int(files), "exit_status": int(status),
}))
PY
)
    echo "$row"
    results="$results$row,"
    rm -rf "$run"
done
echo "${results%,}]" > "$out/engine_scale.json"
python3 - "$out/engine_scale.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print(f"{'exit':>4} {'items':>8} {'wall s':>8} {'ms/item':>8} {'program ms':>10} {'engine ms/item':>14} {'ledger B/item':>13} {'peak du MB':>10} {'files':>6}")
for r in rows:
    print(f"{r['exit_status']:>4} {r['items']:>8} {r['wall_seconds']:>8} {r['ms_per_item']:>8} {r['program_ms']:>10} {r['engine_ms_per_item']:>14} {r['ledger_bytes_per_item']:>13} {r['peak_du_bytes'] / 1e6:>10.1f} {r['files_at_end']:>6}")
PY
