#!/usr/bin/env bash
# `sluice analyze validate`'s single-cell checks against the same checks as a scipy script, on
# the same generated atlas in one run (issue 20's target: 1 M cells with peak RSS under 1 GiB):
# the real CytoSig signature names and genes, generated counts and activity (see
# scripts/bench/validate_bench.py). Both run under /usr/bin/time -v; their u, AUC, p-values and
# concordance correlations are compared.
#
#   scripts/bench/validate_vs_scipy.sh              # CELLS=1000000 (SKIP_BUILD=1 reuses the binary)
#   CELLS=100000 scripts/bench/validate_vs_scipy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh
CELLS="${CELLS:-1000000}"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_sluice "$work"
generated_atlas "$CELLS"
read -r sluice_wall sluice_kib < <(measure sluice "$sluice" analyze validate --cell-activity "$inputs/activity.h5ad" --cells "$inputs/counts.h5ad" \
  --group-by cell_type --celltype-activity "$inputs/pseudobulk.tsv" --output "$work/sluice")
read -r peer_wall peer_kib < <(measure peer "$python" scripts/bench/validate_bench.py peer "$inputs" "$work/peer")
s=$sluice_wall; p=$peer_wall
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ); sluice $binary_note"
echo "$CELLS cells, 43 CytoSig signatures, 20 cell types: single-cell and concordance checks"
echo "  sluice analyze validate: $s s, peak RSS $((sluice_kib / 1024)) MiB"
echo "  scipy script (anndata in memory): $p s, peak RSS $((peer_kib / 1024)) MiB"
echo "  ratio (scipy / sluice): $(echo "scale=2; $p / $s" | bc)x"
echo "  largest relative difference: $("$python" scripts/bench/validate_bench.py compare "$work/sluice" "$work/peer")"
