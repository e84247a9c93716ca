#!/usr/bin/env bash
# What checkpoints cost and save: the corpus builder (`sluice preprocess run-all`, the default),
# pseudobulk (ANALYSIS=pseudobulk: `sluice analyze pseudobulk --by cell_type,donor_id`) or a
# Wilcoxon test (ANALYSIS=differential: `sluice analyze differential --groupby cell_type
# --normalize --memory-mb MEMORY_MB`) on one input, in one run of this script,
#   1. without checkpoints,
#   2. with a checkpoint every EVERY (default 5m, the pipeline stage's default),
#   3. with a checkpoint after every batch (--checkpoint-every 0s, the most they can cost),
#   4. with checkpoints every KILL_EVERY, killed with SIGKILL at KILL_AT of run 1's time, and run
#      again: how old the last checkpoint was at the kill (the work done twice), the two runs'
#      total time, and whether the corpus equals run 1's byte for byte.
#
#   scripts/bench/checkpoints.sh                       # 100000 cells x 20000 genes, 8 %
#   CELLS=20000 GENES=5000 scripts/bench/checkpoints.sh
#   ANALYSIS=pseudobulk KILL_EVERY=2s scripts/bench/checkpoints.sh
#   ANALYSIS=differential KILL_EVERY=2s scripts/bench/checkpoints.sh
#
# Environment: ANALYSIS (preprocess) CELLS (100000) GENES (20000) DENSITY (0.08) TOP (2048)
#   CHUNK (10000) SEED (1) EVERY (5m) KILL_EVERY (10s) KILL_AT (0.6) MEMORY_MB (4096)
#   SKIP_BUILD BENCH_DATA (bench-data)
# Inputs are generated as by corpus_vs_python.sh (and shared with it). Results: a table on stdout.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
CELLS="${CELLS:-100000}"
GENES="${GENES:-20000}"
DENSITY="${DENSITY:-0.08}"
TOP="${TOP:-2048}"
CHUNK="${CHUNK:-10000}"
SEED="${SEED:-1}"
EVERY="${EVERY:-5m}"
ANALYSIS="${ANALYSIS:-preprocess}"
KILL_EVERY="${KILL_EVERY:-10s}"
KILL_AT="${KILL_AT:-0.6}"
MEMORY_MB="${MEMORY_MB:-4096}"
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"
WORK="$DATA/corpus"
CP="$DATA/checkpoints"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(scripts/python-env)"

source scripts/bench/lib.sh
prepare_sluice "$WORK"
input="$WORK/corpus_c${CELLS}_g${GENES}_d${DENSITY}_s${SEED}.h5ad"
[ -f "$input" ] || "$py" scripts/bench/corpus_bench.py gen --cells "$CELLS" --genes "$GENES" --density "$DENSITY" --seed "$SEED" --out "$input" > /dev/null
rm -rf "$CP" && mkdir -p "$CP"
cat "$input" > /dev/null

# start NAME ARGS… : runs the analysis into $CP/NAME in the background (its output appended to
# $CP/NAME.log); sets pid
start() {
  local name="$1"
  shift
  mkdir -p "$CP/$name"
  case "$ANALYSIS" in
    preprocess)
      "$sluice" preprocess run-all "$input" --dataset-name data --chunk-size "$CHUNK" --top-genes "$TOP" \
        --interim-dir "$CP/$name/interim" --output-dir "$CP/$name/output" --log-dir "$CP/$name/logs" "$@" >> "$CP/$name.log" 2>&1 & ;;
    pseudobulk)
      "$sluice" analyze pseudobulk "$input" --by cell_type,donor_id --chunk-size "$CHUNK" \
        --output "$CP/$name/output" "$@" >> "$CP/$name.log" 2>&1 & ;;
    differential)
      "$sluice" analyze differential "$input" --groupby cell_type --normalize --chunk-size "$CHUNK" --memory-mb "$MEMORY_MB" \
        --output "$CP/$name/output" "$@" >> "$CP/$name.log" 2>&1 & ;;
    *) echo "ANALYSIS must be preprocess, pseudobulk or differential" >&2; exit 2 ;;
  esac
  pid=$!
}
# The state file a checkpoint folder holds, and where a resumed run said it resumed.
state_file() { if [ "$ANALYSIS" = preprocess ]; then echo "$1/data.convert.state"; else echo "$1/$ANALYSIS.state"; fi; }
resumed_at() {
  if [ "$ANALYSIS" = preprocess ]; then
    grep -h resumed_cells "$CP/killed/logs/data/pipeline.jsonl" | tail -1 | sed 's/.*"message":"\([^"]*\)".*/\1/'
  else
    grep -h -E "resuming (at|after) (cell|gene)" "$CP/killed.log" | tail -1 | sed 's/ from the checkpoint.*//'
  fi
}
now() { date +%s.%N; }
# Samples the largest size of the state folder every 0.2 s into FILE until the process ends.
watch_state() {
  local dir="$1" file="$2" max=0 size
  while kill -0 "$pid" 2> /dev/null; do
    size=$(du -sb "$dir" 2> /dev/null | cut -f1 || echo 0)
    [ "${size:-0}" -gt "$max" ] && max=$size
    sleep 0.2
  done
  echo "$max" > "$file"
}
timed() {  # timed NAME ARGS… : prints seconds and the state folder's peak bytes
  local name="$1" t0
  shift
  t0=$(now)
  start "$name" "$@"
  watch_state "$CP/$name/state" "$CP/$name.peak"
  wait "$pid"
  echo "$(echo "$(now) - $t0" | bc) $(cat "$CP/$name.peak")"
}
digest() { (cd "$CP/$1/output" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16); }

read -r plain _ <<< "$(timed plain)"
read -r every every_peak <<< "$(timed every --checkpoint-dir "$CP/every/state" --checkpoint-every "$EVERY")"
read -r batch batch_peak <<< "$(timed batch --checkpoint-dir "$CP/batch/state" --checkpoint-every 0s)"

# Killed at KILL_AT of the plain run's time, then run again.
state="$CP/killed/state"
t0=$(now)
start killed --checkpoint-dir "$state" --checkpoint-every "$KILL_EVERY"
sleep "$(echo "$plain * $KILL_AT" | bc)"
kill -9 "$pid"
wait "$pid" 2> /dev/null || true
killed_at=$(now)
age=$(echo "$killed_at - $(stat -c %.9Y "$(state_file "$state")" 2> /dev/null || echo "$killed_at")" | bc)
start killed --checkpoint-dir "$state" --checkpoint-every "$KILL_EVERY"
wait "$pid"
total=$(echo "$(now) - $t0" | bc)
resumed=$(resumed_at || true)
[ -n "$resumed" ] || resumed="started afresh (no checkpoint before the kill)"

printf '\n%s: %s cells x %s genes, density %s, chunk %s, top %s; %s\n' "$ANALYSIS" "$CELLS" "$GENES" "$DENSITY" "$CHUNK" "$TOP" "$binary_note"
printf '%-44s %10s %10s %14s\n' run seconds ratio "state peak"
printf '%-44s %10.1f %10s %14s\n' "no checkpoints" "$plain" 1.00 -
printf '%-44s %10.1f %10.2f %11d MB\n' "checkpoint every $EVERY" "$every" "$(echo "$every / $plain" | bc -l)" $((every_peak / 1000000))
printf '%-44s %10.1f %10.2f %11d MB\n' "checkpoint after every batch" "$batch" "$(echo "$batch / $plain" | bc -l)" $((batch_peak / 1000000))
printf '%-44s %10.1f %10.2f %14s\n' "every $KILL_EVERY, kill -9 at ${KILL_AT}, run again" "$total" "$(echo "$total / $plain" | bc -l)" -
printf '  the last checkpoint was %.1f s old at the kill; the second run: %s\n' "$age" "$resumed"
for name in every batch killed; do
  [ "$(digest "$name")" = "$(digest plain)" ] && same="same bytes" || same="DIFFERENT"
  printf '  output of %-8s vs no checkpoints: %s\n' "$name" "$same"
done
