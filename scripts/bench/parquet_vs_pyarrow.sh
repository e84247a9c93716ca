#!/usr/bin/env bash
# Parquet benchmark: Sluice vs pyarrow on the same token table (cell_id string, input_ids
# LIST<INT32> of 2,048 tokens, length INT32, five low-cardinality string columns), zstd, in one run.
# Prints each tool's write and read time, throughput of the raw data, and the ratios.
#   ROWS (default 100000)  LEVEL (zstd level, default 3)  BENCH_DIR (default bench-data/parquet)
#   PYTHON (default: scripts/python-env)  SLUICE_SCRATCH_PATH (optional SwiftPM scratch path)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rows="${ROWS:-100000}"
level="${LEVEL:-3}"
dir="${BENCH_DIR:-bench-data/parquet}"
python="${PYTHON:-$(scripts/python-env)}"
scratch=()
[ -n "${SLUICE_SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$SLUICE_SCRATCH_PATH")
mkdir -p "$dir"
swift build -c release "${scratch[@]}" --product sluice-bench-parquet >/dev/null
bench="$(swift build -c release "${scratch[@]}" --show-bin-path)/sluice-bench-parquet"
# Raw bytes: 2,048 int32 tokens per row dominate; the other columns add ~40 bytes per row.
raw_mb=$(( rows * (2048 * 4 + 4 + 4 + 12 + 40) / 1000000 ))

read -r _ s_write s_size < <("$bench" write "$dir/sluice.parquet" "$rows" "$level")
read -r _ p_write p_size < <("$python" scripts/bench/parquet_vs_pyarrow.py write "$dir/pyarrow.parquet" "$rows" "$level")
read -r _ q_write q_size < <("$python" scripts/bench/parquet_vs_pyarrow.py write "$dir/pyarrow-plain.parquet" "$rows" "$level" --no-dictionary-tokens)
read -r _ s_read _ _ < <("$bench" read "$dir/sluice.parquet")
read -r _ p_read _ < <("$python" scripts/bench/parquet_vs_pyarrow.py read "$dir/pyarrow.parquet")
read -r _ x_read _ _ < <("$bench" read "$dir/pyarrow.parquet")

"$python" - "$rows" "$level" "$raw_mb" "$s_write" "$s_size" "$p_write" "$p_size" "$q_write" "$q_size" "$s_read" "$p_read" "$x_read" <<'PY'
import sys
rows, level, raw = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sw, ss, pw, ps, qw, qs, sr, pr, xr = map(float, sys.argv[4:])
print(f"Parquet token table: {rows} rows x 2048 tokens, zstd level {level}, ~{raw:.0f} MB raw")
print(f"{'':36}{'seconds':>9}{'MB/s':>9}{'file MB':>10}")
print(f"{'Sluice write':36}{sw:9.2f}{raw/sw:9.0f}{ss/1e6:10.1f}")
print(f"{'pyarrow write (defaults)':36}{pw:9.2f}{raw/pw:9.0f}{ps/1e6:10.1f}")
print(f"{'pyarrow write (no dict for tokens)':36}{qw:9.2f}{raw/qw:9.0f}{qs/1e6:10.1f}")
print(f"{'Sluice read (Sluice file)':36}{sr:9.2f}{raw/sr:9.0f}")
print(f"{'pyarrow read (pyarrow file)':36}{pr:9.2f}{raw/pr:9.0f}")
print(f"{'Sluice read (pyarrow file)':36}{xr:9.2f}{raw/xr:9.0f}")
print(f"write throughput Sluice/pyarrow: {pw/sw:.2f}x (vs no-dict pyarrow {qw/sw:.2f}x)   target >= 1.0x")
print(f"file size Sluice/pyarrow:        {ss/ps:.3f} (vs no-dict pyarrow {ss/qs:.3f})       target within 5 %")
print(f"read throughput Sluice/pyarrow:  {pr/sr:.2f}x                              target >= 0.8x")
PY
