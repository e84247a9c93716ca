#!/usr/bin/env bash
# Pseudobulk benchmark: `sluice analyze pseudobulk` (one streaming pass) vs scanpy's
# `sc.get.aggregate` after `anndata.read_h5ad` (everything in memory), on the same h5ad files,
# grouped by cell_type and donor_id with decoupler's default filters (10 cells, 1000 counts).
#
#   scripts/bench/pseudobulk_vs_scanpy.sh
#   FILES="bench-data/corpus/corpus_c100000_g20000_d0.08_s1.h5ad" scripts/bench/pseudobulk_vs_scanpy.sh
#
# Environment overrides:
#   FILES   h5ad inputs with obs cell_type and donor_id (default: the 100k and 1M-cell corpora of
#           corpus_vs_python.sh in bench-data/corpus/; a missing one is generated with
#           scripts/bench/corpus_bench.py gen, which takes about 15 minutes for 1M cells)
#   LIMIT_SECONDS (600)     wall-clock cap per tool and input
#   SCANPY_MEMORY_GIB (16)  address-space cap of the Python process (prlimit --as), so that an
#                           in-memory load that does not fit fails with MemoryError instead of
#                           drawing the machine into the kernel's OOM killer
#   RAM_GIB (unset)         run both tools inside a memory cgroup of this many GiB (cgroup v1
#                           memory controller, as root): a machine with less RAM than the file,
#                           e.g. RAM_GIB=3 with the 4.1 GiB 1M-cell file; page cache counts in
#                           the cgroup too but is reclaimed, a process that needs more is killed
#   BY (cell_type,donor_id) MIN_CELLS (10) MIN_COUNTS (1000) CHUNK (10000)
#   SKIP_BUILD (unset)      set to 1 to use the existing .build/release/sluice as is
#   BENCH_DATA (bench-data) where outputs and results go
#
# Each tool runs once per input under `/usr/bin/time -v` (wall time, peak RSS). When both finish,
# sluice's numbers are compared with scanpy's. Results: a table on stdout and
# bench-data/pseudobulk_vs_scanpy.json.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"
FILES="${FILES:-$DATA/corpus/corpus_c100000_g20000_d0.08_s1.h5ad $DATA/corpus/corpus_c1000000_g20000_d0.08_s1.h5ad}"
LIMIT_SECONDS="${LIMIT_SECONDS:-600}"
SCANPY_MEMORY_GIB="${SCANPY_MEMORY_GIB:-16}"
BY="${BY:-cell_type,donor_id}"
MIN_CELLS="${MIN_CELLS:-10}"
MIN_COUNTS="${MIN_COUNTS:-1000}"
CHUNK="${CHUNK:-10000}"

RAM_GIB="${RAM_GIB:-}"

py="$(scripts/python-env)"
# capped COMMAND... runs COMMAND in the RAM_GIB memory cgroup when one is asked for.
capped=()
if [ -n "$RAM_GIB" ]; then
  cgroup="/sys/fs/cgroup/memory/sluice-bench-$$"
  mkdir "$cgroup" || { echo "RAM_GIB needs a writable cgroup v1 memory controller at /sys/fs/cgroup/memory (run as root)" >&2; exit 1; }
  trap 'rmdir "$cgroup" 2>/dev/null || true' EXIT
  echo $((RAM_GIB << 30)) > "$cgroup/memory.limit_in_bytes"
  [ -e "$cgroup/memory.memsw.limit_in_bytes" ] && echo $((RAM_GIB << 30)) > "$cgroup/memory.memsw.limit_in_bytes"
  capped=(sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cgroup")
  echo "== both tools run with $RAM_GIB GiB of memory (cgroup $cgroup)" >&2
fi
helper="scripts/bench/pseudobulk_vs_scanpy.py"
work="$DATA/pseudobulk"
mkdir -p "$work"
source scripts/bench/lib.sh
prepare_sluice "$work"  # a private copy of the binary, so a rebuild during the run changes nothing
results="$work/results.jsonl"
: > "$results"

# timed LOG COMMAND... : runs COMMAND under /usr/bin/time -v and a timeout; sets wall, rss, status.
timed() {
  local log="$1"; shift
  set +e
  /usr/bin/time -v -o "$log" timeout "$LIMIT_SECONDS" "$@"
  local code=$?
  set -e
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
  rss=$(( $(awk -F': ' '/Maximum resident set size/ {print $2}' "$log") * 1024 ))
  case $code in
    0) status=ok ;;
    124) status="timeout (${LIMIT_SECONDS} s)" ;;
    137) status=killed ;;
    *) status="exit $code" ;;
  esac
}

for file in $FILES; do
  name="$(basename "$file" .h5ad)"
  if [ ! -f "$file" ]; then
    cells=$(echo "$name" | sed -n 's/.*_c\([0-9]*\)_.*/\1/p')
    echo "== generating $file ($cells cells × 20000 genes)" >&2
    "$py" scripts/bench/corpus_bench.py gen --cells "${cells:-100000}" --genes 20000 --density 0.08 --seed 1 --out "$file" >&2
  fi
  echo "== $name ($(du -h "$file" | cut -f1))" >&2
  cat "$file" > /dev/null  # both tools start from a warm page cache

  out="$work/sluice_$name"
  rm -rf "$out"
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  timed "$work/sluice_$name.time" "${capped[@]}" "$sluice" analyze pseudobulk "$file" --by "$BY" --min-cells "$MIN_CELLS" \
    --min-counts "$MIN_COUNTS" --chunk-size "$CHUNK" --output "$out" > "$work/sluice_$name.log" 2>&1
  cat "$work/sluice_$name.log" >&2
  sluice_status="$status"
  groups=$(awk 'NR > 1' "$out/groups.tsv" 2>/dev/null | wc -l)
  kept=$(awk -F'\t' 'NR > 1 && $NF == "true"' "$out/groups.tsv" 2>/dev/null | wc -l)
  # sluice prints "in T s (pass P s, writing W s)": the streaming pass, then writing the outputs
  pass=$(sed -n 's/.*(pass \([0-9.]*\) s, writing \([0-9.]*\) s).*/\1/p' "$work/sluice_$name.log")
  writing=$(sed -n 's/.*(pass \([0-9.]*\) s, writing \([0-9.]*\) s).*/\2/p' "$work/sluice_$name.log")
  echo "   sluice: $status, ${wall} s, peak RSS $((rss / 1048576)) MiB" >&2
  sluice_record="{\"kind\": \"run\", \"tool\": \"sluice\", \"input\": \"$file\", \"status\": \"$status\", \"wall_seconds\": $wall, \"peak_rss_bytes\": $rss, \"groups\": $groups, \"kept\": $kept, \"pass_seconds\": ${pass:-null}, \"writing_seconds\": ${writing:-null}, \"loadavg_before\": \"$load_before\", \"command\": \"sluice analyze pseudobulk $file --by $BY --min-cells $MIN_CELLS --min-counts $MIN_COUNTS --chunk-size $CHUNK --output $out\"}"

  scanpy_out="$work/scanpy_$name"
  rm -rf "$scanpy_out"
  load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
  timed "$work/scanpy_$name.time" "${capped[@]}" prlimit --as=$((SCANPY_MEMORY_GIB << 30)) "$py" "$helper" scanpy "$file" --by "$BY" \
    --min-cells "$MIN_CELLS" --min-counts "$MIN_COUNTS" --out "$scanpy_out" > "$work/scanpy_$name.json" 2> "$work/scanpy_$name.err"
  scanpy_json="$(tail -n 1 "$work/scanpy_$name.json")"
  [ -n "$scanpy_json" ] || scanpy_json="{\"status\": \"$status\"}"
  echo "   scanpy: $status, ${wall} s, peak RSS $((rss / 1048576)) MiB: $scanpy_json" >&2
  "$py" - "$scanpy_json" "$file" "$status" "$wall" "$rss" "$SCANPY_MEMORY_GIB" "$load_before" >> "$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
process_status = sys.argv[3]
if process_status != "ok" or r.get("status") is None:
    r["status"] = process_status if r.get("status") in (None, "ok") else r["status"]
r.update(kind="run", tool="scanpy", input=sys.argv[2], wall_seconds=float(sys.argv[4]), peak_rss_bytes=int(sys.argv[5]),
         memory_cap_gib=float(sys.argv[6]), loadavg_before=sys.argv[7],
         command=f"prlimit --as={int(float(sys.argv[6])) << 30} python pseudobulk_vs_scanpy.py scanpy {sys.argv[2]}: "
                 "anndata.read_h5ad + sc.get.aggregate(func=['sum','mean','count_nonzero'])")
print(json.dumps(r, sort_keys=True))
EOF

  if [ "$sluice_status" = ok ] && [ -f "$scanpy_out/scanpy.npz" ]; then
    compare="$("$py" "$helper" compare "$out" "$scanpy_out")"
    echo "   compare: $compare" >&2
    sluice_record="${sluice_record%\}}, \"compare\": $compare}"
  fi
  echo "$sluice_record" >> "$results"
  rm -rf "$scanpy_out"  # the dense reference arrays are large; sluice's outputs stay for inspection
done

echo "{\"kind\": \"meta\", \"ram_cap_gib\": ${RAM_GIB:-null}, \"binary\": \"$binary_note\", \"build\": \"$build_note\", \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"cores\": $(nproc), \"memory_bytes\": $(awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo), \"loadavg_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >> "$results"
"$py" "$helper" summarize "$results" --out "$DATA/pseudobulk_vs_scanpy.json"
