#!/usr/bin/env bash
# Fuzzes the h5ad metadata paths (structure, encodings, shapes, dtypes) with h5py-written files
# through `sluice inspect` and `sluice convert`: never a signal, a hang or more than one line.
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with h5py (default: scripts/python-env)
#   H5AD_FUZZ_SECONDS (60)  H5AD_FUZZ_SEED (1)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
python="${PYTHON:-$(scripts/python-env)}"
sluice="${SLUICE_BIN:-$root/.build/release/sluice}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$python" scripts/crosscheck/h5ad_structure_fuzz.py "$sluice" Tests/Fixtures "$work" \
  --seconds "${H5AD_FUZZ_SECONDS:-60}" --seed "${H5AD_FUZZ_SEED:-1}"
