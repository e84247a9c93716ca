#!/usr/bin/env bash
# Cross-checks `sluice analyze activity` against SecActpy run live, with the full CytoSig and
# SecAct signatures the secactpy package ships (SecAct's 80 MB matrix is not committed):
# the real bulk profile of Tests/Fixtures/activity (centred), and the real 10x counts of
# Tests/Fixtures/cell_activity as pseudobulk by cell type and as single cells; and that
# activity.parquet holds the same numbers as the TSV tables (read with pyarrow).
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with secactpy, anndata, pyarrow (default: scripts/python-env)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$(scripts/python-env)}"
sluice="${SLUICE_BIN:-$root/.build/release/sluice}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" scripts/crosscheck/activity_check.py "$sluice" "$work"
