#!/usr/bin/env bash
# Signature activity, Sluice vs SecActpy (numpy backend, srand RNG) on the same inputs in one run:
# both command lines file to file, and SecActpy's inference alone.
#   scripts/bench/activity_vs_secactpy.sh                 # CytoSig 100 and 1,000 samples, SecAct 100, n_rand 1000
#   CASES=cytosig:1000,secact:1000 N_RAND=1000 scripts/bench/activity_vs_secactpy.sh
# Writes bench-data/activity_vs_secactpy.jsonl (one line per case) and prints a table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh
CASES="${CASES:-cytosig:100,cytosig:1000,secact:100}"
N_RAND="${N_RAND:-1000}"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_sluice "$work"
data_dir="$("$python" -c 'import secactpy, os; print(os.path.join(os.path.dirname(secactpy.__file__), "data"))')"
mkdir -p bench-data
echo "== $CASES, n_rand $N_RAND (binary: $binary_note)" >&2
# Once with the peer's BLAS as installed, once with the peer given sluice's kernels (numpy's bundled
# OpenBLAS has the same blind spot for recent CPUs).
sluice_kernel="$("$sluice" bench blas | cut -d' ' -f1)"
"$python" scripts/bench/activity_bench.py "$sluice" "$data_dir" "$work" "$CASES" "$N_RAND" | tee bench-data/activity_vs_secactpy.jsonl
OPENBLAS_CORETYPE="$sluice_kernel" "$python" scripts/bench/activity_bench.py "$sluice" "$data_dir" "$work" "$CASES" "$N_RAND" \
  | tee -a bench-data/activity_vs_secactpy.jsonl
"$python" - <<'PY'
import json
rows = [json.loads(l) for l in open("bench-data/activity_vs_secactpy.jsonl")]
print(f"CPU: {rows[0]['cpu']}; sluice BLAS: {rows[0]['sluice_blas']}")
print(f"{'signature':10} {'samples':>8} {'peer BLAS':>28} {'secactpy bulk s':>16} {'sluice s':>9} {'ratio':>6} {'inference alone s':>18} {'ratio':>6} {'max rel diff z':>15}")
for r in rows:
    print(f"{r['signature']:10} {r['samples']:>8} {', '.join(r['numpy_blas']):>28} {r['secactpy_cli_seconds']:>16} {r['sluice_seconds']:>9} {r['ratio_cli']:>6} "
          f"{r['secactpy_seconds']:>18} {r['ratio']:>6} {max(r['max_relative_difference']['zscore'], r['max_relative_difference_cli_zscore']):>15.2e}")
print("secactpy bulk s: SecActpy's command line, file to file (pandas reads the TSV, the h5ad written), as sluice's time is;")
print("inference alone s: secact_activity_inference with the table already in memory.")
PY
