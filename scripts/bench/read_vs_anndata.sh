#!/usr/bin/env bash
# Read benchmark: Sluice's streaming h5ad reader vs anndata (full load and backed mode) and raw h5py
# hyperslab reads, plus peak-RSS independence of Sluice's bounded-memory transposing readers (CSC
# h5ad, 10x Matrix Market) at two file sizes.
#
#   scripts/bench/read_vs_anndata.sh                 # 100000 x 20000 at 8% density, chunk 10000
#   CELLS=20000 GENES=5000 scripts/bench/read_vs_anndata.sh
#
# Environment overrides:
#   CELLS (100000) GENES (20000) DENSITY (0.08) CHUNK (10000) SEED (1)
#   REPEATS (3)            runs of each reader; the fastest is kept (the machine may be shared)
#   CSC_SIZES ("20000 80000")  cell counts of the CSC h5ad / Matrix Market inputs
#   CSC_GENES (5000) CSC_DENSITY (0.08)
#   SKIP_BUILD (unset)     set to 1 to use the existing .build/release/sluice as is
#   BENCH_DATA (bench-data) where the generated inputs, scratch files and results go
#
# Generated inputs are kept (named by their parameters) and reused by later runs. Results: a table
# on stdout and bench-data/read_vs_anndata.json.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

CELLS="${CELLS:-100000}"
GENES="${GENES:-20000}"
DENSITY="${DENSITY:-0.08}"
CHUNK="${CHUNK:-10000}"
SEED="${SEED:-1}"
REPEATS="${REPEATS:-3}"
CSC_SIZES="${CSC_SIZES:-20000 80000}"
CSC_GENES="${CSC_GENES:-5000}"
CSC_DENSITY="${CSC_DENSITY:-0.08}"
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"  # absolute, so paths work from any folder

started=$(date +%s)
py="$(scripts/python-env)"
helper="scripts/bench/read_bench.py"

source scripts/bench/lib.sh
prepare_sluice "$DATA"

mkdir -p "$DATA/tmp"
# Sluice sorts CSC and Matrix Market inputs by cell in the temporary folder; keep it with the data.
export TMPDIR="$DATA/tmp"
results="$DATA/read_vs_anndata.results.jsonl"
: > "$results"

# record KIND NAME JSON... : appends one record (for runs: the fastest of the JSON objects given).
record() {
  "$py" - "$@" >> "$results" <<'EOF'
import json, sys
kind, name, objects = sys.argv[1], sys.argv[2], [json.loads(s) for s in sys.argv[3:]]
best = min(objects, key=lambda r: r.get("seconds", 0))
if kind == "run" and len(objects) > 1:
    best["all_seconds"] = [r["seconds"] for r in objects]
best.update(kind=kind, name=name)
print(json.dumps(best, sort_keys=True))
EOF
}

note_file() {  # note_file NAME PATH : size on disk
  local bytes
  bytes=$(du -sb "$2" | cut -f1)
  record file "$1" "{\"path\": \"$2\", \"bytes\": $bytes}"
}

warm() { cat "$@" > /dev/null; }  # every reader starts from a warm page cache

show() {  # show NAME JSON : one progress line on stderr
  "$py" - "$1" "$2" >&2 <<'EOF'
import json, sys
name, r = sys.argv[1], json.loads(sys.argv[2])
print(f"   {name:<16} {r['seconds']:8.2f} s {r['cells_per_second']:10.0f} cells/s {r['megabytes_per_second']:8.1f} MB/s"
      f"  peak RSS {r['peak_rss_bytes'] / 2**20:8.1f} MiB  sum {r['sum_of_values']:.6g}")
EOF
}

# bench NAME COMMAND... : runs the command REPEATS times (each prints one JSON object), records the fastest.
bench() {
  local name="$1"; shift
  local outputs=() out i
  for ((i = 1; i <= REPEATS; i++)); do
    out="$("$@")"
    show "$name" "$out"
    outputs+=("$out")
  done
  record run "$name" "${outputs[@]}"
}

# 1. Inputs ---------------------------------------------------------------------------------------
key="c${CELLS}_g${GENES}_d${DENSITY}_s${SEED}"
gz="$DATA/csr_${key}.gzip.h5ad"
plain="$DATA/csr_${key}.plain.h5ad"
echo "== inputs: $gz, $plain" >&2
"$py" "$helper" gen-csr --cells "$CELLS" --genes "$GENES" --density "$DENSITY" --seed "$SEED" \
  --gzip-out "$gz" --plain-out "$plain"
note_file csr_gzip "$gz"
note_file csr_plain "$plain"

# 2. gzip h5ad: Sluice vs anndata full / backed (and h5py hyperslabs as a decompression reference)
echo "== gzip h5ad ($(du -h "$gz" | cut -f1))" >&2
warm "$gz"
bench sluice         "$py" "$helper" sluice "$sluice" "$gz" --chunk "$CHUNK"
bench anndata_full   "$py" "$helper" measure anndata-full "$gz" --chunk "$CHUNK"
bench anndata_backed "$py" "$helper" measure anndata-backed "$gz" --chunk "$CHUNK"
bench h5py_gzip      "$py" "$helper" measure h5py "$gz" --chunk "$CHUNK"

# 3. uncompressed h5ad: Sluice vs raw h5py hyperslabs --------------------------------------------
echo "== uncompressed h5ad ($(du -h "$plain" | cut -f1))" >&2
warm "$plain"
bench sluice_plain "$py" "$helper" sluice "$sluice" "$plain" --chunk "$CHUNK"
bench h5py_plain   "$py" "$helper" measure h5py "$plain" --chunk "$CHUNK"

# 4. bounded-memory transposing readers at two sizes ---------------------------------------------
for n in $CSC_SIZES; do
  ckey="c${n}_g${CSC_GENES}_d${CSC_DENSITY}_s${SEED}"
  csc="$DATA/csc_${ckey}.h5ad"
  mtx="$DATA/mtx_${ckey}"
  echo "== CSC h5ad and Matrix Market, $n cells" >&2
  "$py" "$helper" gen-csc --cells "$n" --genes "$CSC_GENES" --density "$CSC_DENSITY" --seed "$SEED" --out "$csc"
  "$py" "$helper" gen-mtx --cells "$n" --genes "$CSC_GENES" --density "$CSC_DENSITY" --seed "$SEED" --out "$mtx"
  note_file "csc_$n" "$csc"
  note_file "mtx_$n" "$mtx"
  warm "$csc"
  bench "csc_$n" "$py" "$helper" sluice "$sluice" "$csc" --chunk "$CHUNK"
  warm "$mtx"/*
  bench "mtx_$n" "$py" "$helper" sluice "$sluice" "$mtx" --chunk "$CHUNK"
done
leftover=$(find "$TMPDIR" -mindepth 1 | wc -l)
[ "$leftover" -eq 0 ] || echo "warning: sluice left $leftover entries in $TMPDIR" >&2

# 5. summary -----------------------------------------------------------------------------------
total=$(( $(date +%s) - started ))
csv_sizes="$(echo $CSC_SIZES | tr ' ' ',')"
record meta meta "{\"params\": {\"cells\": $CELLS, \"genes\": $GENES, \"density\": $DENSITY, \"chunk\": $CHUNK, \"seed\": $SEED, \"repeats\": $REPEATS, \"csc_genes\": $CSC_GENES, \"csc_density\": $CSC_DENSITY, \"commit\": \"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\", \"binary\": \"$binary_note\", \"build\": \"$build_note\"}, \"csc_sizes\": [$csv_sizes], \"total_seconds\": $total}"
"$py" "$helper" summarize "$results" --out "$DATA/read_vs_anndata.json"
