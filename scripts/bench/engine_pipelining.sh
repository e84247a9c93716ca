#!/usr/bin/env bash
# Engine pipelining benchmark: does `sluice run` overlap a fetch-bound stage with a CPU-bound one,
# and does it keep the disk full but within a tight budget?
#
#   scripts/bench/engine_pipelining.sh
#   ITEMS=6 SHA_PASSES=40 scripts/bench/engine_pipelining.sh
#
# Workload: ITEMS deterministic files of ITEM_BYTES (random bytes from SEED), served by
# `sluice serve` through /slow/SLOW_MS/ (64 KiB chunks with SLOW_MS ms between them: 8 MiB at
# 7 ms ≈ 1 s per fetch), then a `command` stage that runs sha256sum over the item's file
# SHA_PASSES times in one process (deterministic CPU work, ≈ PROCESS_SECONDS per item; the pass
# count is calibrated once on this machine unless SHA_PASSES is given, and recorded), then
# `cleanup`. Concurrency 1 per stage. The pipeline declares each item's size (as a manifest
# would), so the fetch reserves the whole file before its first byte. Processing is made a
# little slower than fetching (1.25 s vs ≈ 1 s) on purpose: only then do fetched items pile up
# and wait for space under the tight budget (with the fetch as the bottleneck the budget never
# fills, whatever its size).
#
# Three runs, one after the other:
#   roomy     sluice run under a 1 GB budget: makespan, the sums of fetch and process task
#             durations (claimed -> done in `sluice events`), makespan / max(the two sums).
#   tight     the same under BUDGET_ITEMS items' worth + BUDGET_EXTRA bytes (the engine counts
#             the ledger and logs plus 2 MiB of slack, Workspace.overheadSlack, against the
#             budget), the workspace sampled every SAMPLE_MS ms (sizes of regular files, the
#             budget's unit): the maximum, and the mean fraction of the budget in use from the
#             first sample at >= 50% of the budget until the last item's download began (its
#             raw/<item>.partial folder first seen: the engine makes it once the budget granted
#             the reservation); and the mean over the samples taken while a fetch was claimed
#             but still waiting for space ("while items are waiting", the issue's wording). A
#             fetch's claimed -> done includes its wait for space (the engine claims, then
#             reserves), so the fetch total is also given with the waits excluded.
#             Reported in the #5 closing note: ITEMS=40 BUDGET_ITEMS=10 PROCESS_SECONDS=2 (items
#             wait for space most of the run) and ITEMS=16 BUDGET_ITEMS=3 PROCESS_SECONDS=2.
#   batch     what users' glue scripts do: a bash loop that downloads a batch of BATCH items with
#             curl one after the other, processes each with the same command, then deletes them.
#
# Environment overrides:
#   ITEMS (12) ITEM_BYTES (8388608) SLOW_MS (8) SEED (1) BATCH (3) SAMPLE_MS (50)
#   PROCESS_SECONDS (1.25) calibration target for the process stage's work per item
#   SHA_PASSES (unset)     fix the number of sha256sum passes instead of calibrating
#   BUDGET_ITEMS (3) BUDGET_EXTRA (2621440 = 2.5 MiB: the engine's 2 MiB of slack plus room for
#                          the ledger and logs it measures, <= 0.4 MB in this workload; with
#                          2.2 MiB the third item does not fit and the budget holds two)
#   BUILD (unset)          1: run `swift build -c release --static-swift-stdlib --product sluice` even if the binary exists
#   BENCH_DATA (bench-data) where the results go
#
# Results: a table on stdout; bench-data/engine_pipelining.json (everything, with per-item
# timelines), and the raw event logs and disk samples next to it. Temporary files and the server
# are removed on exit.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

ITEMS="${ITEMS:-12}"
ITEM_BYTES="${ITEM_BYTES:-8388608}"
SLOW_MS="${SLOW_MS:-7}"
SEED="${SEED:-1}"
BATCH="${BATCH:-3}"
SAMPLE_MS="${SAMPLE_MS:-50}"
PROCESS_SECONDS="${PROCESS_SECONDS:-1.25}"
SHA_PASSES="${SHA_PASSES:-}"
BUDGET_ITEMS="${BUDGET_ITEMS:-3}"
BUDGET_EXTRA="${BUDGET_EXTRA:-2621440}"
ROOMY_BUDGET=1000000000
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"
helper="$root/scripts/bench/engine_bench.py"
py=python3

# SLUICE=PATH measures another build (e.g. the previous commit's) on the same machine.
built="${SLUICE:-.build/release/sluice}"
if [ ! -x "$built" ] || [ "${BUILD:-}" = 1 ]; then
  echo "== building sluice (release)" >&2
  swift build -c release --static-swift-stdlib --product sluice >&2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-pipelining.XXXXXX")"
server_pid=""
sampler_pid=""
cleanup() {
  if [ -n "$sampler_pid" ]; then kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill -INT "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A private copy, so that someone else's rebuild during the run cannot swap the binary.
cp "$built" "$tmp/sluice"
sluice="$tmp/sluice"
dirty="$(git status --porcelain -- Sources Package.swift 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
binary_note="$(date -r "$built" -u +%Y-%m-%dT%H:%M:%SZ) sha256 $(sha256sum "$built" | cut -c1-12), $(git rev-parse --short HEAD 2>/dev/null)${dirty:+, sources with uncommitted changes now (maybe newer than the binary): $dirty}"

now() { date +%s.%N; }

echo "== making $ITEMS items of $ITEM_BYTES bytes (seed $SEED)" >&2
"$py" "$helper" make-items "$tmp/files" "$ITEMS" "$ITEM_BYTES" "$SEED"
names=()
for ((i = 0; i < ITEMS; i++)); do names+=("$(printf 'item%02d.bin' "$i")"); done

"$sluice" serve "$tmp/files" > "$tmp/serve.out" 2> "$tmp/serve.err" &
server_pid=$!
for _ in $(seq 100); do [ -s "$tmp/serve.out" ] && break; sleep 0.1; done
base="$(head -n 1 "$tmp/serve.out")"
base="${base%/}"
[ -n "$base" ] || { echo "sluice serve printed no URL: $(cat "$tmp/serve.err")" >&2; exit 1; }
echo "== serving on $base" >&2

# The process stage's work: {in} {out} PASSES. sha256sum reads the one input file PASSES times in
# one process; the digest of the last pass is the output. (tail, not head: head would stop
# sha256sum early with SIGPIPE.) No single quotes: it goes into YAML single quotes as is.
process_script='out=$1; n=$2; f=$(echo "$0"/*); set --; while [ $# -lt "$n" ]; do set -- "$@" "$f"; done; sha256sum "$@" | tail -n 1 | cut -c1-64 > "$out/sum.txt"'

if [ -z "$SHA_PASSES" ]; then
  mkdir -p "$tmp/calibrate/in" "$tmp/calibrate/out"
  cp "$tmp/files/${names[0]}" "$tmp/calibrate/in/"
  best=""
  for _ in 1 2 3 4 5; do
    t0=$(now); sh -c "$process_script" "$tmp/calibrate/in" "$tmp/calibrate/out" 10; t1=$(now)
    best=$(awk -v a="$t0" -v b="$t1" -v best="$best" 'BEGIN { d = b - a; if (best == "" || d < best) best = d; print best }')
  done
  SHA_PASSES=$(awk -v t="$best" -v target="$PROCESS_SECONDS" 'BEGIN { n = int(10 * target / t + 0.5); if (n < 1) n = 1; print n }')
  calibration="10 passes took $best s (best of 5); $SHA_PASSES passes aim at $PROCESS_SECONDS s"
  rm -rf "$tmp/calibrate"
else
  calibration="fixed by SHA_PASSES"
fi
echo "== process stage: sha256sum x $SHA_PASSES per item ($calibration)" >&2

TIGHT_BUDGET=$((BUDGET_ITEMS * ITEM_BYTES + BUDGET_EXTRA))

write_pipeline() {  # write_pipeline NAME BUDGET -> prints the pipeline file's path
  local name="$1" budget="$2" yaml="$tmp/$1.yaml"
  {
    echo "workspace: $tmp/ws-$name"
    echo "budget: {total: $budget}"
    echo "items:"
    for n in "${names[@]}"; do echo "  - {url: \"$base/slow/$SLOW_MS/$n\", size: $ITEM_BYTES}"; done
    echo "stages:"
    echo "  - fetch: {concurrency: 1}"
    echo "  - command:"
    echo "      name: process"
    echo "      argv: [sh, -c, '$process_script', \"{in}\", \"{out}\", \"$SHA_PASSES\"]"
    echo "      outputs: [sum.txt]"
    echo "      reserve: 4kB"
    echo "      concurrency: 1"
    echo "  - cleanup: {keep: [output]}"
  } > "$yaml"
  echo "$yaml"
}

run_sluice() {  # run_sluice NAME BUDGET : sets run_start run_end run_status
  local name="$1" budget="$2" yaml
  yaml="$(write_pipeline "$name" "$budget")"
  echo "== sluice run, $name budget ($budget bytes)" >&2
  "$py" "$helper" sample "$tmp/ws-$name" "$DATA/engine_pipelining.$name.samples.jsonl" "$SAMPLE_MS" &
  sampler_pid=$!
  sleep 0.3
  run_status=0
  run_start=$(now)
  "$sluice" run "$yaml" --quiet > "$DATA/engine_pipelining.$name.run.txt" 2>&1 || run_status=$?
  run_end=$(now)
  sleep 0.1
  kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
  sampler_pid=""
  "$sluice" events "$tmp/ws-$name" --json > "$DATA/engine_pipelining.$name.events.jsonl"
  awk -v a="$run_start" -v b="$run_end" -v s="$run_status" 'BEGIN { printf "   %.2f s, exit status %d\n", b - a, s }' >&2
  [ "$run_status" = 0 ] || { echo "   sluice run failed:" >&2; tail -n 20 "$DATA/engine_pipelining.$name.run.txt" >&2; }
}

run_sluice roomy "$ROOMY_BUDGET"
roomy_start=$run_start roomy_end=$run_end roomy_status=$run_status
run_sluice tight "$TIGHT_BUDGET"
tight_start=$run_start tight_end=$run_end tight_status=$run_status

echo "== batch-sequential bash loop (batch of $BATCH)" >&2
bd="$tmp/batch"
times="$DATA/engine_pipelining.batch.times.json"
entries=()
batch_start=$(now)
for ((b = 0; b < ITEMS; b += BATCH)); do
  declare -A fetched=()
  for ((i = b; i < b + BATCH && i < ITEMS; i++)); do
    n="${names[$i]}"
    mkdir -p "$bd/raw/$n"
    t0=$(now)
    curl -sSf -o "$bd/raw/$n/$n" "$base/slow/$SLOW_MS/$n"
    t1=$(now)
    fetched[$n]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  done
  for ((i = b; i < b + BATCH && i < ITEMS; i++)); do
    n="${names[$i]}"
    mkdir -p "$bd/out/$n"
    t0=$(now)
    sh -c "$process_script" "$bd/raw/$n" "$bd/out/$n" "$SHA_PASSES"
    t1=$(now)
    entries+=("{\"item\": \"$n\", \"download\": ${fetched[$n]}, \"process\": $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')}")
  done
  for ((i = b; i < b + BATCH && i < ITEMS; i++)); do rm -rf "$bd/raw/${names[$i]}"; done
  unset fetched
done
batch_end=$(now)
(IFS=,; echo "[${entries[*]}]") > "$times"
awk -v a="$batch_start" -v b="$batch_end" 'BEGIN { printf "   %.2f s\n", b - a }' >&2

# Same bytes in, same work: the digests must agree with both sluice runs'.
outputs_match=true
for n in "${names[@]}"; do
  want="$(cat "$bd/out/$n/sum.txt")"
  for run in roomy tight; do
    got="$(cat "$tmp/ws-$run/output/$n/process/sum.txt" 2>/dev/null || echo missing)"
    [ "$got" = "$want" ] || { outputs_match=false; echo "   $n: $run wrote '$got', the loop '$want'" >&2; }
  done
done

settings="$tmp/settings.json"
"$py" - "$settings" <<EOF
import json, os, platform, sys
settings = {
    "items": $ITEMS, "item_bytes": $ITEM_BYTES, "slow_ms": $SLOW_MS, "seed": $SEED, "batch": $BATCH,
    "sample_ms": $SAMPLE_MS, "process_seconds_target": $PROCESS_SECONDS, "sha_passes": $SHA_PASSES,
    "calibration": "$calibration", "budget_items": $BUDGET_ITEMS, "budget_extra_bytes": $BUDGET_EXTRA,
    "tight_budget_bytes": $TIGHT_BUDGET, "roomy_budget_bytes": $ROOMY_BUDGET,
    "binary": "$binary_note", "cpus": os.cpu_count(), "machine": platform.platform(),
    "process_command": $(printf '%s' "$process_script" | "$py" -c 'import json,sys; print(json.dumps(sys.stdin.read()))'),
    "runs": {
        "roomy": {"start": $roomy_start, "end": $roomy_end, "status": $roomy_status,
                  "events": "$DATA/engine_pipelining.roomy.events.jsonl", "samples": "$DATA/engine_pipelining.roomy.samples.jsonl"},
        "tight": {"start": $tight_start, "end": $tight_end, "status": $tight_status,
                  "events": "$DATA/engine_pipelining.tight.events.jsonl", "samples": "$DATA/engine_pipelining.tight.samples.jsonl"},
    },
    "baseline": {"start": $batch_start, "end": $batch_end, "times": "$times", "outputs_match": $( $outputs_match && echo True || echo False )},
}
json.dump(settings, open(sys.argv[1], "w"), indent=2)
EOF
"$py" "$helper" analyze "$settings" "$DATA/engine_pipelining.json"
