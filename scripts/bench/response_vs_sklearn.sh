#!/usr/bin/env bash
# `sluice analyze response` (L2 logistic regression of an outcome from activity, 5 stratified
# folds, no forest) against scikit-learn's LogisticRegression(C=1) on the same folds' sizes, on
# the same generated single-cell activity (validate_vs_scipy.sh's atlas: 43 CytoSig signatures per
# cell, bench-data/validate_c$CELLS/activity.h5ad; the outcome is one cell type against the rest)
# in one run. Both run under /usr/bin/time -v; the regressions fitted on every cell are compared.
# (The forest, --trees, is left out: grown to purity on a million cells it is not a 1 M-cell tool.)
#
#   scripts/bench/response_vs_sklearn.sh            # CELLS=1000000 (SKIP_BUILD=1 reuses the binary)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh
CELLS="${CELLS:-1000000}"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_sluice "$work"
generated_atlas "$CELLS"
read -r sluice_wall sluice_kib < <(measure sluice "$sluice" analyze response "$inputs/activity.h5ad" --label-column cell_type \
  --positive "type 0" --trees 0 --output "$work/sluice")
read -r peer_wall peer_kib < <(measure peer "$python" - "$inputs/activity.h5ad" "$work/peer.tsv" <<'PY'
import sys
import anndata as ad
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.metrics import roc_auc_score
cells = ad.read_h5ad(sys.argv[1])
x = np.asarray(cells.X.todense() if hasattr(cells.X, "todense") else cells.X, dtype=np.float64)
y = (cells.obs["cell_type"].astype(str) == "type 0").to_numpy()
aucs = []
for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(x, y):
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x[train], y[train])
    aucs.append(roc_auc_score(y[test], model.predict_proba(x[test])[:, 1]))
model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
with open(sys.argv[2], "w") as f:
    f.write("feature\tcoefficient\n")
    for name, w in zip(cells.var_names, model.coef_[0]):
        f.write(f"{name}\t{w!r}\n")
print("mean AUC", np.mean(aucs))
PY
)
s=$sluice_wall; p=$peer_wall
difference=$("$python" -c "
import sys, pandas as pd
ours = pd.read_csv('$work/sluice/coefficients.tsv', sep='\t', index_col=0)['coefficient']
theirs = pd.read_csv('$work/peer.tsv', sep='\t', index_col=0)['coefficient']
print(f'{(ours - theirs.loc[ours.index]).abs().max():.2e}')")
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ); sluice $binary_note"
echo "$CELLS cells × 43 signatures, one cell type against the rest, 5 folds + the model on every cell"
echo "  sluice analyze response --trees 0: $s s, peak RSS $((sluice_kib / 1024)) MiB"
echo "  scikit-learn LogisticRegression (anndata in memory): $p s, peak RSS $((peer_kib / 1024)) MiB"
echo "  ratio (scikit-learn / sluice): $(echo "scale=2; $p / $s" | bc)x"
echo "  largest coefficient difference (lbfgs stops at a gradient of 1e-4; Sluice's Newton at the optimum): $difference"
