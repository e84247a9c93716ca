#!/usr/bin/env bash
# Cross-checks `sluice model update|embed` (the model stage's built-in model) against scanpy,
# numpy and scikit-learn's IncrementalPCA on scanpy's real 10x files (model_check.py).
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with scanpy, scikit-learn, pyarrow (default: scripts/python-env)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$(scripts/python-env)}"
sluice="${SLUICE_BIN:-$root/.build/release/sluice}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" scripts/crosscheck/model_check.py "$sluice" "$work"
