#!/usr/bin/env python3
"""Reference results of `sluice analyze response`, from scikit-learn (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_response_reference.py Tests/Fixtures/response

Input: the single-cell SecAct activity of 700 real PBMC cells (Tests/Fixtures/validation/
cell_activity.h5ad: cells x 30 signatures, float32, obs.bulk_labels); each cell is a "sample",
positive when it is a CD14+ monocyte. C = 0.1, 5 folds, seed 3.

Writes into the output folder
  coefficients.tsv          LogisticRegression(C=0.1, solver="newton-cholesky", tol=1e-12) on every
                            cell: coefficient and |coef| / sum |coef|
  coefficients_default.tsv  the same with scikit-learn's defaults (lbfgs, tol 1e-4): the issue's
                            bar is 1e-4 on these
  folds.tsv predictions.tsv the stratified folds Sluice documents (SplitMix64 Fisher-Yates per
                            class, positives first), each fold's model (as coefficients.tsv) and
                            roc_auc_score of its held-out probabilities
  (the forest columns of these three are empty: Sluice's tables without a forest, --trees 0)
  forest.tsv                RandomForestClassifier(n_estimators=200, random_state=fold) on each
                            fold: roc_auc_score of its held-out probabilities; and the forest on
                            every cell's feature_importances_ (trees differ from Sluice's, so the
                            test compares AUCs within 0.03 and ranks of importance); rows
                            fold_max_samples: the same with max_samples=100 (each tree's bootstrap
                            draws 100 rows: Sluice's --forest-samples)
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import SplitMix64, write  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
C, FOLDS, SEED, TREES = 0.1, 5, 3, 200
SMALL = 100


def folds(y: np.ndarray) -> np.ndarray:
    """Sluice's stratified folds: each class shuffled in turn (positives first, one generator)."""
    generator = SplitMix64(SEED)
    fold = np.zeros(len(y), int)
    for wanted in (True, False):
        for position, sample in enumerate(generator.shuffle(np.flatnonzero(y == wanted))):
            fold[sample] = position % FOLDS
    return fold


def tight() -> LogisticRegression:
    return LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cells = ad.read_h5ad(ROOT / "Tests/Fixtures/validation/cell_activity.h5ad")
    x = np.asarray(cells.X, dtype=np.float64)
    y = (cells.obs["bulk_labels"].astype(str) == "CD14+ Monocyte").to_numpy()
    names = list(cells.var_names)
    for file, model in (("coefficients.tsv", tight()), ("coefficients_default.tsv", LogisticRegression(C=C))):
        model.fit(x, y)
        coef = model.coef_[0]
        share = np.abs(coef) / np.abs(coef).sum()
        write(out / file, ["feature", "coefficient", "coefficient_importance", "forest_importance", "importance"],
              [[n, w, s, np.nan, s] for n, w, s in zip(names, coef, share)])
    fold = folds(y)
    rows, predictions, forest = [], [None] * len(y), []
    for f in range(FOLDS):
        train, test = fold != f, fold == f
        model = tight().fit(x[train], y[train])
        probability = model.predict_proba(x[test])[:, 1]
        rows.append([f, int(train.sum()), int(test.sum()), roc_auc_score(y[test], probability), np.nan])
        for index, p in zip(np.flatnonzero(test), probability):
            predictions[index] = [cells.obs_names[index], int(y[index]), f, p, np.nan]
        trees = RandomForestClassifier(n_estimators=TREES, random_state=f).fit(x[train], y[train])
        forest.append(["fold", f, roc_auc_score(y[test], trees.predict_proba(x[test])[:, 1])])
        small = RandomForestClassifier(n_estimators=TREES, max_samples=SMALL, random_state=f).fit(x[train], y[train])
        forest.append(["fold_max_samples", f, roc_auc_score(y[test], small.predict_proba(x[test])[:, 1])])
    write(out / "folds.tsv", ["fold", "train", "test", "auc", "forest_auc"], rows)
    write(out / "predictions.tsv", ["sample", "positive", "fold", "probability", "forest_probability"], predictions)
    importances = RandomForestClassifier(n_estimators=TREES, random_state=0).fit(x, y).feature_importances_
    forest += [["importance", n, v] for n, v in zip(names, importances)]
    write(out / "forest.tsv", ["what", "key", "value"], forest)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
