#!/usr/bin/env bash
# Cross-checks the incremental PCA of the model stage against scikit-learn's IncrementalPCA fed
# the same batches in the same order (IncrementalPCACrossCheckTests runs ipca_check.py).
#   PYTHON               venv python with scikit-learn (default: scripts/python-env)
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
SLUICE_PYTHON="$python" swift test "${scratch[@]}" --disable-xctest --filter IncrementalPCACrossCheckTests >"$log" 2>&1 || status=$?
grep -E "✘|✔ Suite IncrementalPCACrossCheckTests|error:" "$log" || true
if [ "$status" -ne 0 ] || ! grep -q "Suite IncrementalPCACrossCheckTests passed" "$log"; then
  echo "check-ipca: FAILED (full log below)" >&2
  tail -n 80 "$log" >&2
  exit 1
fi
echo "check-ipca: equal to scikit-learn's IncrementalPCA batch by batch: OK"
