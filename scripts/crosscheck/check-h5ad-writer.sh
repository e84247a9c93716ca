#!/usr/bin/env bash
# anndata reads what Sluice writes, unchanged: every good fixture is converted with
# `sluice convert` and the result, read by anndata, must equal the fixture's reference values
# (matrix, cell and gene names, every obs/var column with its kind and missing values).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$PYTHON" "$root/scripts/crosscheck/h5ad_writer_check.py" "$SLUICE_BIN" "$root/Tests/Fixtures" "$out"
