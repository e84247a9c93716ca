#!/usr/bin/env bash
# Cross-checks `sluice analyze activity` against SecActpy run live, with the full CytoSig and
# SecAct signatures the secactpy package ships (SecAct's 80 MB matrix is not committed):
# the real bulk profile of Tests/Fixtures/activity (centred), and the real 10x counts of
# Tests/Fixtures/cell_activity as pseudobulk by cell type and as single cells; and that
# activity.parquet holds the same numbers as the TSV tables (read with pyarrow).
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with secactpy, anndata, pyarrow (default: scripts/python-env)
exec "$(dirname "$0")/python-driver-with-sluice" activity_check.py
