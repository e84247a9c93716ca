#!/usr/bin/env bash
# Cross-checks the Parquet writer and reader against pyarrow and polars, in both directions:
# the Swift suite ParquetCrossCheckTests writes files for scripts/crosscheck/parquet_check.py to
# verify, and reads the files that script writes with pyarrow. Exits non-zero on any mismatch.
#   PYTHON               venv python with pyarrow and polars (default: scripts/python-env)
#   SLUICE_SCRATCH_PATH  optional SwiftPM scratch path (default: .build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$(scripts/python-env)}"
scratch=()
[ -n "${SLUICE_SCRATCH_PATH:-}" ] && scratch=(--scratch-path "$SLUICE_SCRATCH_PATH")
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
SLUICE_PYTHON="$python" swift test "${scratch[@]}" --disable-xctest --filter ParquetCrossCheckTests >"$log" 2>&1 || status=$?
grep -E "✘|✔ Suite ParquetCrossCheckTests|MISMATCH|error:" "$log" || true
if [ "$status" -ne 0 ] || ! grep -q "Suite ParquetCrossCheckTests passed" "$log"; then
  echo "check-parquet: FAILED (full log below)" >&2
  tail -n 80 "$log" >&2
  exit 1
fi
echo "check-parquet: pyarrow/polars read Sluice files and Sluice reads pyarrow files: OK"
