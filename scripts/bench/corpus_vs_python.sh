#!/usr/bin/env bash
# Corpus-builder benchmark: `sluice preprocess run-all` vs an equivalent Python script (scanpy
# read_h5ad + numpy float64 normalization, exact nonzero medians, top-N per cell + pyarrow Parquet
# zstd), token agreement between the two, and Sluice's peak RSS at larger sizes.
#
#   scripts/bench/corpus_vs_python.sh                       # 100000 x 20000, 8%, top 2048; then 200k and 1M
#   CELLS=20000 GENES=5000 SCALE_SIZES="40000" scripts/bench/corpus_vs_python.sh
#
# Environment overrides:
#   CELLS (100000) GENES (20000) DENSITY (0.08) TOP (2048) CHUNK (10000) SEED (1)
#   SCALE_SIZES ("200000 1000000")  cell counts of the Sluice-only memory-at-scale runs ("" = none)
#   PAIRS (1)              timed (Sluice, Python) pairs on the main input, one after the other; the
#                          summary gives every pair's ratio and their minimum and median
#   PY_SCALE (unset)       set to 1 to also run the Python script on the scale sizes <= 200000
#   SKIP_BUILD (unset)     set to 1 to use the existing .build/release/sluice as is
#   KEEP_OUTPUT (unset)    set to 1 to keep the Parquet outputs (default: deleted after use, the
#                          1M-cell corpus is several GB; report.json and logs are kept)
#   BENCH_DATA (bench-data) where inputs, outputs and results go (in BENCH_DATA/corpus/)
#
# Generated inputs are kept (named by their parameters) and reused. Results: a table on stdout
# and BENCH_DATA/corpus_vs_python.json. Wall times: Sluice = the whole process (shell clock);
# Python = inside its process from read_h5ad to the last Parquet file closed (interpreter start
# and imports excluded; the process wall is recorded too). Peak RSS: /usr/bin/time -v for Sluice,
# getrusage(RUSAGE_SELF).ru_maxrss in the Python process. Inputs are read into the page cache
# before every measured run.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

CELLS="${CELLS:-100000}"
GENES="${GENES:-20000}"
DENSITY="${DENSITY:-0.08}"
TOP="${TOP:-2048}"
CHUNK="${CHUNK:-10000}"
SEED="${SEED:-1}"
SCALE_SIZES="${SCALE_SIZES-200000 1000000}"
PAIRS="${PAIRS:-1}"
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"  # absolute, so paths work from any folder
WORK="$DATA/corpus"

started=$(date +%s)
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(scripts/python-env)"
helper="$root/scripts/bench/corpus_bench.py"

if ! [ -x /usr/bin/time ]; then
  echo "== installing GNU time (/usr/bin/time)" >&2
  apt-get install -y time >&2 || { apt-get update >&2 && apt-get install -y time >&2; }
fi

source scripts/bench/lib.sh
prepare_sluice "$WORK"

results="$DATA/corpus_vs_python.results.jsonl"
: > "$results"
notes=()

load1() { cut -d' ' -f1 /proc/loadavg; }

# record KIND NAME JSON : appends one record
record() {
  "$py" - "$@" >> "$results" <<'EOF'
import json, sys
kind, name, obj = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
obj.update(kind=kind, name=name)
print(json.dumps(obj, sort_keys=True))
EOF
}

input_for() { echo "$WORK/corpus_c${1}_g${GENES}_d${DENSITY}_s${SEED}.h5ad"; }

generate() {  # generate CELLS : makes the input (if missing) and records it as file "input_CELLS"
  local n="$1" out
  out="$(input_for "$n")"
  echo "== input $out" >&2
  record file "input_$n" "$("$py" "$helper" gen --cells "$n" --genes "$GENES" --density "$DENSITY" --seed "$SEED" --out "$out")"
}

# Samples the size of a folder every 5 s into FILE (peak disk use of interim + output), and the
# 1-minute load average into FILE.load (one line per sample).
watch_disk() {  # watch_disk DIR FILE &
  local max=0 now
  while true; do
    now=$(du -sb "$1" 2>/dev/null | cut -f1 || echo 0)
    [ "${now:-0}" -gt "$max" ] && max=$now && echo "$max" > "$2"
    load1 >> "$2.load"
    sleep 5
  done
}

# run_sluice NAME CELLS : one timed `preprocess run-all` on the input of CELLS cells.
run_sluice() {
  local name="$1" n="$2" input dir t0 t1 rc lb la disk_pid
  input="$(input_for "$n")"
  dir="$WORK/run_$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat "$input" > /dev/null  # warm page cache
  echo "== sluice preprocess run-all, $n cells ($name)" >&2
  watch_disk "$dir" "$dir/disk_peak" &
  disk_pid=$!
  lb=$(load1)
  t0=$(date +%s.%N)
  set +e
  /usr/bin/time -v -o "$dir/time.txt" "$sluice" preprocess run-all "$input" --chunk-size "$CHUNK" --top-genes "$TOP" \
    --interim-dir "$dir/interim" --output-dir "$dir/output" --log-dir "$dir/logs" > "$dir/stdout.txt" 2> "$dir/stderr.txt"
  rc=$?
  set -e
  t1=$(date +%s.%N)
  la=$(load1)
  kill "$disk_pid" 2>/dev/null || true
  wait "$disk_pid" 2>/dev/null || true
  tail -4 "$dir/stdout.txt" >&2
  local rec
  rec="$("$py" - "$dir" "$n" "$t0" "$t1" "$rc" "$lb" "$la" "$name" "$input" <<'EOF'
import glob, json, re, sys
d, n, t0, t1, rc, lb, la, name, inp = sys.argv[1:]
txt = open(f"{d}/time.txt").read()
def field(label):
    m = re.search(re.escape(label) + r":\s*(\S+)", txt)
    return m.group(1) if m else None
seconds = float(t1) - float(t0)
size = f"{int(n) / 1e6:g}M" if int(n) >= 10**6 else f"{int(n) // 1000}k"
r = {"label": f"sluice preprocess {size}", "cells": int(n), "seconds": seconds,
     "cells_per_second": int(n) / seconds, "peak_rss_bytes": int(field("Maximum resident set size (kbytes)")) * 1024,
     "user_seconds": float(field("User time (seconds)")), "system_seconds": float(field("System time (seconds)")),
     "cpu_percent": field("Percent of CPU this job got"), "rc": int(rc), "load_before": float(lb),
     "load_after": float(la), "input": inp, "input_name": f"input_{n}", "dir": d}
try:
    r["disk_peak_bytes"] = int(open(f"{d}/disk_peak").read())
except Exception:
    pass
try:
    loads = [float(x) for x in open(f"{d}/disk_peak.load").read().split()]
    r["load_samples"] = len(loads)
    r["load_mean"], r["load_max"] = sum(loads) / len(loads), max(loads)
except Exception:
    pass
reports = glob.glob(f"{d}/output/*/report.json")
if reports:
    rep = json.load(open(reports[0]))
    r["timings"] = rep.get("timings", {})
    conv = rep.get("convert", {})
    r["kept_cells"] = conv.get("keptCells")
    r["median_passes"] = conv.get("passes")
    r["report_cells"] = conv.get("cells")
    sp = rep.get("split", {})
    r["train_cells"], r["test_cells"] = sp.get("trainCells"), sp.get("testCells")
print(json.dumps(r))
EOF
)"
  record run "$name" "$rec"
  "$py" -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"   {r['seconds']:.1f} s, {r['cells_per_second']:.0f} cells/s, peak RSS {r['peak_rss_bytes']/2**20:.0f} MiB, cpu {r['cpu_percent']}, rc {r['rc']}, load {r['load_before']}/{r['load_after']}\")" "$rec" >&2
  [ "$rc" -eq 0 ] || { echo "sluice failed (rc $rc); see $dir/stderr.txt" >&2; tail -20 "$dir/stderr.txt" >&2; }
  return 0
}

# run_python NAME CELLS
run_python() {
  local name="$1" n="$2" input dir t0 t1 rc out
  input="$(input_for "$n")"
  dir="$WORK/run_$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  cat "$input" > /dev/null
  echo "== python equivalent, $n cells ($name)" >&2
  watch_disk "$dir" "$dir/disk_peak" &
  local disk_pid=$!
  t0=$(date +%s.%N)
  set +e
  out="$("$py" "$helper" python "$input" --top "$TOP" --chunk "$CHUNK" --out "$dir/parquet" 2> "$dir/stderr.txt")"
  rc=$?
  set -e
  t1=$(date +%s.%N)
  kill "$disk_pid" 2>/dev/null || true
  wait "$disk_pid" 2>/dev/null || true
  if [ "$rc" -ne 0 ]; then
    echo "python failed (rc $rc); see $dir/stderr.txt" >&2
    tail -5 "$dir/stderr.txt" >&2
    notes+=("python run $name failed with rc $rc ($(tail -1 "$dir/stderr.txt" | tr -d '"\\' | cut -c1-150))")
    return 0
  fi
  local rec
  rec="$("$py" - "$out" "$t0" "$t1" "$n" "$dir" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
r["process_seconds"] = float(sys.argv[3]) - float(sys.argv[2])
r["label"] = f"python (scanpy+numpy) {int(sys.argv[4]) // 1000}k"
r["load_before"], r["load_after"] = r["loadavg_before"][0], r["loadavg_after"][0]
r["input_name"] = f"input_{sys.argv[4]}"
r["dir"] = sys.argv[5]
try:
    loads = [float(x) for x in open(f"{sys.argv[5]}/disk_peak.load").read().split()]
    r["load_samples"] = len(loads)
    r["load_mean"], r["load_max"] = sum(loads) / len(loads), max(loads)
except Exception:
    pass
print(json.dumps(r))
EOF
)"
  record run "$name" "$rec"
  "$py" -c "import json,sys; r=json.loads(sys.argv[1]); print(f\"   {r['seconds']:.1f} s (process {r['process_seconds']:.1f} s), {r['cells_per_second']:.0f} cells/s, peak RSS {r['peak_rss_bytes']/2**20:.0f} MiB, phases {r['phases']}\")" "$rec" >&2
}

drop_outputs() {  # drop_outputs NAME : removes Parquet outputs of a run (keeps report.json, logs, times)
  [ "${KEEP_OUTPUT:-}" = 1 ] && return 0
  local dir="$WORK/run_$1"
  find "$dir" -name '*.parquet' -delete 2>/dev/null || true
}

# 1. Sluice vs Python on the main input ---------------------------------------------------------
generate "$CELLS"
run_sluice sluice_main "$CELLS"
run_python python_main "$CELLS"
if [ -d "$WORK/run_python_main/parquet" ]; then
  echo "== token agreement (every cell, matched by cell_id)" >&2
  ds="$(ls -d "$WORK"/run_sluice_main/output/*/ | head -1)"
  cmp="$("$py" "$helper" compare "$ds" "$WORK/run_python_main/parquet")"
  record compare compare "$cmp"
  echo "   $cmp" | cut -c1-600 >&2
fi
drop_outputs sluice_main
drop_outputs python_main
for pair in $(seq 2 "$PAIRS"); do
  run_sluice "sluice_main_$pair" "$CELLS"
  run_python "python_main_$pair" "$CELLS"
  drop_outputs "sluice_main_$pair"
  drop_outputs "python_main_$pair"
done

# 2. Memory at scale (Sluice only; Python optional) ----------------------------------------------
for n in $SCALE_SIZES; do
  generate "$n"
  label="sluice_${n}"
  [ "$n" = 200000 ] && label=sluice_200k
  [ "$n" = 1000000 ] && label=sluice_1m
  run_sluice "$label" "$n"
  drop_outputs "$label"
done
# Python at scale only on request, after every Sluice run (it needs ~GBs per 100k cells).
if [ "${PY_SCALE:-}" = 1 ]; then
  for n in $SCALE_SIZES; do
    [ "$n" -le 200000 ] || continue
    run_python "python_${n}" "$n"
    drop_outputs "python_${n}"
  done
fi

# 3. Summary ---------------------------------------------------------------------------------------
total=$(( $(date +%s) - started ))
notes_json="$("$py" -c 'import json,sys; print(json.dumps(sys.argv[1:]))' "${notes[@]+"${notes[@]}"}")"
record meta meta "{\"params\": {\"cells\": $CELLS, \"genes\": $GENES, \"density\": $DENSITY, \"top\": $TOP, \"chunk\": $CHUNK, \"seed\": $SEED, \"scale_sizes\": \"$SCALE_SIZES\", \"pairs\": $PAIRS, \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"binary\": \"$binary_note\", \"build\": \"$build_note\"}, \"total_seconds\": $total, \"notes\": $notes_json}"
"$py" "$helper" summarize "$results" --out "$DATA/corpus_vs_python.json"
