#!/usr/bin/env bash
# `sluice analyze differential --effect activity-diff` (Wilcoxon of single-cell activity z-scores,
# each cell type against the rest) against scanpy's rank_genes_groups(method="wilcoxon") on the
# same generated activity (validate_vs_scipy.sh's atlas: 43 CytoSig signatures per cell, 20 cell
# types, bench-data/validate_c$CELLS/activity.h5ad) in one run, under /usr/bin/time -v; the
# Wilcoxon scores and the mean differences are compared.
#
#   scripts/bench/activity_diff_vs_scanpy.sh        # CELLS=1000000 (SKIP_BUILD=1 reuses the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh
CELLS="${CELLS:-1000000}"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_sluice "$work"
generated_atlas "$CELLS"
read -r sluice_wall sluice_kib < <(measure sluice "$sluice" analyze differential "$inputs/activity.h5ad" --groupby cell_type \
  --effect activity-diff --memory-mb 512 --output "$work/sluice")
read -r peer_wall peer_kib < <(measure peer "$python" - "$inputs/activity.h5ad" "$work/peer.tsv" <<'PY'
import sys
import anndata as ad
import numpy as np
import scanpy as sc
cells = ad.read_h5ad(sys.argv[1])
sc.tl.rank_genes_groups(cells, "cell_type", method="wilcoxon", use_raw=False)
table = sc.get.rank_genes_groups_df(cells, None)
x = np.asarray(cells.X.todense() if hasattr(cells.X, "todense") else cells.X, dtype=np.float64)
labels = cells.obs["cell_type"].astype(str).to_numpy()
means = {g: (x[labels == g].mean(axis=0), x[labels != g].mean(axis=0)) for g in np.unique(labels)}
column = {name: i for i, name in enumerate(cells.var_names)}
table["activity_diff"] = [means[g][0][column[n]] - means[g][1][column[n]] for g, n in zip(table["group"], table["names"])]
table.to_csv(sys.argv[2], sep="\t", index=False)
PY
)
s=$sluice_wall; p=$peer_wall
differences=$("$python" -c "
import pandas as pd
ours = pd.read_csv('$work/sluice/differential.tsv', sep='\t').set_index(['group', 'names'])
theirs = pd.read_csv('$work/peer.tsv', sep='\t').astype({'group': str}).set_index(['group', 'names']).loc[ours.index]
print(f\"scores {(ours['scores'] - theirs['scores']).abs().max():.2e}, activity_diff {(ours['activity_diff'] - theirs['activity_diff']).abs().max():.2e}\")")
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ); sluice $binary_note"
echo "$CELLS cells × 43 signatures, 20 cell types each against the rest"
echo "  sluice analyze differential --effect activity-diff: $s s, peak RSS $((sluice_kib / 1024)) MiB"
echo "  scanpy rank_genes_groups wilcoxon + means (anndata in memory): $p s, peak RSS $((peer_kib / 1024)) MiB"
echo "  ratio (scanpy / sluice): $(echo "scale=2; $p / $s" | bc)x"
echo "  largest differences (scores are float32 in both): $differences"
