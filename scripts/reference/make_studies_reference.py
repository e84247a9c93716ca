#!/usr/bin/env python3
"""Reference results of `sluice analyze composition` and `sluice analyze specificity`, from
scipy, pandas and numpy (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_studies_reference.py Tests/Fixtures/studies

Writes into the output folder
  composition.h5ad   the 700 real PBMC cells of Tests/Fixtures/pbmc68k_reduced_current.h5ad with
                     obs cell_type (bulk_labels), sample (donor0..donor7, dealt round-robin) and
                     condition (healthy for donors 0-3, disease for 4-7); the disease donors keep
                     every other CD14+ monocyte only, a depletion (the table's lowest U). X is one
                     empty gene (composition reads obs alone)
  samples.tsv        per sample and cell type: cells, proportion, centred log-ratio with a
                     pseudocount of 0.5 (numpy)
  tests.tsv          per cell type, disease against healthy: mean proportions, log2 ratio, mean CLR
                     difference, scipy mannwhitneyu(method="asymptotic") of the CLR values, scipy
                     false_discovery_control (BH)
  specificity.tsv    the tau index (Yanai 2005) of each signature of
                     Tests/Fixtures/validation/celltype_activity.tsv, rows shifted by their minimum
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse, stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import write  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def key(name: str) -> bytes:
    return name.encode()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = ad.read_h5ad(ROOT / "Tests/Fixtures/pbmc68k_reduced_current.h5ad")
    obs = pd.DataFrame(index=data.obs_names)
    obs["cell_type"] = data.obs["bulk_labels"].astype(str).to_numpy()
    donor = np.arange(data.n_obs) % 8
    obs["sample"] = [f"donor{d}" for d in donor]
    obs["condition"] = np.where(donor < 4, "healthy", "disease")
    monocyte = (obs["cell_type"] == "CD14+ Monocyte").to_numpy()
    keep = ~(monocyte & (donor >= 4) & (np.cumsum(monocyte) % 2 == 0))
    obs = obs[keep].copy()
    for column in ("cell_type", "sample", "condition"):
        obs[column] = pd.Categorical(obs[column])
    ad.AnnData(sparse.csr_matrix((len(obs), 1), dtype=np.float32), obs=obs, var=pd.DataFrame(index=["none"])).write_h5ad(out / "composition.h5ad")

    counts = pd.crosstab(obs["sample"].astype(str), obs["cell_type"].astype(str))
    samples = sorted(counts.index, key=key)
    types = sorted(counts.columns, key=key)
    counts = counts.loc[samples, types]
    logs = np.log(counts.to_numpy(np.float64) + 0.5)
    clr = logs - logs.mean(axis=1, keepdims=True)
    proportion = counts.to_numpy(np.float64) / counts.to_numpy().sum(axis=1, keepdims=True)
    condition = obs.groupby("sample", observed=True)["condition"].first().astype(str)
    rows = [[s, condition[s], t, int(counts.iloc[i, j]), proportion[i, j], clr[i, j]] for i, s in enumerate(samples) for j, t in enumerate(types)]
    write(out / "samples.tsv", ["sample", "condition", "cell_type", "cells", "proportion", "clr"], rows)
    disease = np.array([condition[s] == "disease" for s in samples])
    tests = []
    for j, t in enumerate(types):
        a, b = proportion[disease, j].mean(), proportion[~disease, j].mean()
        test = stats.mannwhitneyu(clr[disease, j], clr[~disease, j], alternative="two-sided", method="asymptotic")
        tests.append([t, "disease", "healthy", int(disease.sum()), int((~disease).sum()), a, b, np.log2(a / b),
                      clr[disease, j].mean() - clr[~disease, j].mean(), test.statistic, test.pvalue])
    q = stats.false_discovery_control([row[-1] for row in tests], method="bh")
    write(out / "tests.tsv", ["cell_type", "condition", "reference", "samples", "reference_samples", "proportion",
                              "reference_proportion", "log2_ratio", "clr_difference", "u", "pvalue", "qvalue"],
          [row + [qv] for row, qv in zip(tests, q)])

    activity = pd.read_csv(ROOT / "Tests/Fixtures/validation/celltype_activity.tsv", sep="\t", index_col=0, float_precision="round_trip")
    rows = []
    for signature, values in activity.iterrows():
        x = values.to_numpy(np.float64)
        shifted = x - x.min()
        tau = np.sum(1 - shifted / shifted.max()) / (len(x) - 1)
        rows.append([signature, len(x), tau, activity.columns[int(np.argmax(x))], x.max()])
    write(out / "specificity.tsv", ["signature", "columns", "tau", "top", "top_activity"], rows)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
