#!/usr/bin/env python3
"""Reference results of the checks of `sluice analyze validate`, from scipy and secactpy, on real
PBMC data (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_validation_reference.py Tests/Fixtures/validation

Input: scanpy's 10x PBMC 68k reduced data (Tests/Fixtures/pbmc68k_reduced_current.h5ad: 700 real
cells, raw = log-normalised expression of 765 genes, obs.bulk_labels = 10 cell types,
obs.louvain = 11 clusters) and SecActpy's shipped SecAct signature matrix (secactpy/data).

Writes into the output folder the inputs
  secact_subset.tsv         the first 30 SecAct signatures (by name) whose own gene the data has,
                            on the SecAct genes the data has and the first 100 it lacks
  sample_expression.tsv     mean raw expression per louvain cluster (the "samples"), genes x 11
  sample_activity.tsv       its activity: secactpy secact_activity_inference (lambda 5e5, t-test)
  celltype_expression.tsv   mean raw expression per bulk_labels cell type, genes x 10
  celltype_activity.tsv     its activity, the same way (the pseudobulk activity)
  cell_activity.h5ad        each cell's activity (the same inference, cells as samples) as
                            `sluice analyze activity --single-cell` writes it: cells x signatures,
                            X float32, obs copied from the data
  expected_directions.tsv   expected directions from the cell types' known markers, one naming an
                            unknown signature and one an unknown cell type
and the expected results, one table per check, with the columns Sluice writes:
  sample.tsv celltype.tsv   scipy.stats.linregress(expression, activity), pearsonr, spearmanr
  singlecell.tsv            scipy.stats.mannwhitneyu(method="asymptotic") of the float32 activity,
                            cells with raw expression above 0 against the others
  groups.tsv concordance.tsv  mean / numpy median per cell type; pearsonr, spearmanr against pseudobulk
  expected.tsv biological.tsv  each expected direction against the activity; the rate per signature
  coverage.tsv              the signatures' genes present in / detected by the raw matrix
  stability.tsv             secactpy (n_rand=0) on each of 3 seeded gene folds of the sample
                            tables, numpy corrcoef between folds
  quality.tsv               the documented score with every weight 0.2
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse, stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import SplitMix64, write, write_matrix  # noqa: E402
from make_activity_reference import standardize_genes, standardize_signature  # noqa: E402

import secactpy.inference  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PBMC = ROOT / "Tests/Fixtures/pbmc68k_reduced_current.h5ad"
SECACT = Path(secactpy.inference.__file__).parent / "data/SecAct.tsv.gz"
FOLDS, SEED, LAMBDA = 3, 7, 5e5

# CytoSig names that are not one gene symbol (Jiang et al. 2021), written out independently.
CYTOSIG = {
    "Activin A": ["INHBA"], "CD40L": ["CD40LG"], "GCSF": ["CSF3"], "GMCSF": ["CSF2"], "MCSF": ["CSF1"],
    "IFN1": ["IFNA1", "IFNA2", "IFNB1", "IFNW1"], "IFNL": ["IFNL1", "IFNL2", "IFNL3"], "IL12": ["IL12A", "IL12B"],
    "IL27": ["IL27", "EBI3"], "IL36": ["IL36A", "IL36B", "IL36G"], "NO": ["NOS2"], "TNFA": ["TNF"],
    "TRAIL": ["TNFSF10"], "TWEAK": ["TNFSF12"],
}


def standard(name: str) -> str:
    return name.upper().split(".")[0]


def signature_genes(name: str) -> list[str]:
    out: list[str] = []
    for part in name.split("|"):
        for gene in CYTOSIG.get(part, [part]):
            if standard(gene) not in out:
                out.append(standard(gene))
    return out


def correlations(x: np.ndarray, y: np.ndarray):
    keep = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0:
        return len(x), (np.nan,) * 7
    fit = stats.linregress(x, y)
    if np.ptp(y) == 0:  # linregress: slope 0, r 0; pearsonr and spearmanr undefined
        return len(x), (fit.slope, fit.intercept, fit.rvalue**2, *(np.nan,) * 4)
    pearson = stats.pearsonr(x, y)
    spearman = stats.spearmanr(x, y)
    return len(x), (fit.slope, fit.intercept, fit.rvalue**2, pearson[0], pearson[1], spearman[0], spearman[1])


def agreement(activity: pd.DataFrame, expression: pd.DataFrame) -> list[list]:
    expression = standardize_genes(expression)
    shared = [c for c in activity.columns if c in expression.columns]
    rows = []
    for name in activity.index:
        genes = [g for g in signature_genes(name) if g in expression.index]
        y = activity.loc[name, shared].to_numpy(np.float64)
        x = expression.loc[genes, shared].to_numpy(np.float64).mean(axis=0) if genes else np.full(len(shared), np.nan)
        n, values = correlations(x, y)
        rows.append([name, ",".join(genes), n, *values])
    return rows


def activity(expression: pd.DataFrame, signature: pd.DataFrame) -> pd.DataFrame:
    """secactpy's bulk inference (each gene centred across the columns), t-test, lambda 5e5."""
    result = secactpy.inference.secact_activity_inference(
        expression, is_differential=False, sig_matrix=signature, is_group_sig=False, lambda_=LAMBDA, n_rand=0, seed=0,
        backend="numpy", rng_method="srand", use_gsl_rng=True, use_cache=False, sort_genes=False, verbose=False)
    return result["zscore"]


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    header = ["signature", "genes", "n", "slope", "intercept", "r2", "pearson_r", "pearson_p", "spearman_rho", "spearman_p"]
    quality: dict[str, dict[str, float]] = {}

    def record(check: str, name: str, value: float) -> None:
        quality.setdefault(name, {})[check] = value

    data = ad.read_h5ad(PBMC)
    raw = sparse.csr_matrix(data.raw.X).astype(np.float64)
    genes = list(data.raw.var_names)
    var_standard = [standard(g) for g in genes]
    secact = standardize_signature(pd.read_csv(SECACT, sep="\t", index_col=0).astype(np.float64))
    names = sorted(c for c in secact.columns if standard(c) in set(var_standard))[:30]
    # The genes the data has, and the first 100 it lacks (coverage then counts something).
    rows = [g for g in secact.index if g in set(var_standard)] + [g for g in secact.index if g not in set(var_standard)][:100]
    signature = write_matrix(out / "secact_subset.tsv", "gene", secact.loc[rows, names])

    def means(labels: np.ndarray) -> pd.DataFrame:
        groups = list(dict.fromkeys(labels))
        values = np.vstack([np.asarray(raw[labels == g].mean(axis=0)).ravel() for g in groups])
        return pd.DataFrame(values.T, index=genes, columns=groups)

    # Samples: the louvain clusters; cell types: bulk_labels. Gene names standardised (the data's
    # are upper case already; secactpy's bulk API matches names exactly).
    sample_expression = write_matrix(out / "sample_expression.tsv", "gene", means(("cluster " + data.obs["louvain"].astype(str)).to_numpy()))
    celltypes = data.obs["bulk_labels"].astype(str).to_numpy()
    celltype_expression = write_matrix(out / "celltype_expression.tsv", "gene", means(celltypes))
    sample_activity = write_matrix(out / "sample_activity.tsv", "signature", activity(standardize_genes(sample_expression), signature))
    pseudobulk = write_matrix(out / "celltype_activity.tsv", "signature", activity(standardize_genes(celltype_expression), signature))

    sample = agreement(sample_activity, sample_expression)
    write(out / "sample.tsv", header, sample)
    for row in sample:
        record("sample", row[0], max(0.0, row[8]) if not np.isnan(row[8]) else np.nan)
    celltype = agreement(pseudobulk, celltype_expression)
    write(out / "celltype.tsv", header, celltype)
    for row in celltype:
        record("celltype", row[0], max(0.0, row[8]) if not np.isnan(row[8]) else np.nan)

    # Single cells: each cell's activity, stored as activity.h5ad stores it (float32).
    cells = pd.DataFrame(raw.toarray().T, index=genes, columns=list(data.obs_names))
    single = activity(standardize_genes(cells), signature)
    stored = single.loc[names].to_numpy().T.astype(np.float32)
    ad.AnnData(X=stored, obs=data.obs.copy(), var=pd.DataFrame(index=names)).write_h5ad(out / "cell_activity.h5ad")
    values = stored.astype(np.float64)
    groups = list(dict.fromkeys(celltypes))
    rows, group_rows, concordance = [], [], []
    for k, name in enumerate(names):
        present = [g for g in signature_genes(name) if g in var_standard]
        columns = [i for i, g in enumerate(var_standard) if g in present]
        expressing = np.asarray((raw[:, columns] > 0).sum(axis=1)).ravel() > 0
        inside, outside = values[expressing, k], values[~expressing, k]
        test = stats.mannwhitneyu(inside, outside, alternative="two-sided", method="asymptotic")
        auc = test.statistic / (len(inside) * len(outside))
        rows.append([name, ",".join(present), len(inside), len(outside), inside.mean(), outside.mean(),
                     inside.mean() - outside.mean(), test.statistic, auc, test.pvalue])
        record("singlecell", name, max(0.0, 2 * (auc - 0.5)))
        mean, median, reference = [], [], []
        for g in groups:
            v = values[celltypes == g, k]
            group_rows.append([name, g, len(v), v.mean(), np.median(v), pseudobulk.loc[name, g]])
            mean.append(v.mean())
            median.append(np.median(v))
            reference.append(pseudobulk.loc[name, g])
        pr, pp = stats.pearsonr(mean, reference)
        sr, sp = stats.spearmanr(mean, reference)
        mr, mp = stats.pearsonr(median, reference)
        ms, msp = stats.spearmanr(median, reference)
        concordance.append([name, len(groups), pr, pp, sr, sp, mr, mp, ms, msp])
        record("concordance", name, max(0.0, pr))
    write(out / "singlecell.tsv", ["signature", "genes", "expressing", "not_expressing", "mean_expressing",
                                   "mean_not_expressing", "difference", "u", "auc", "pvalue"], rows)
    write(out / "groups.tsv", ["signature", "group", "cells", "mean", "median", "pseudobulk"], group_rows)
    write(out / "concordance.tsv", ["signature", "groups", "mean_pearson_r", "mean_pearson_p", "mean_spearman_rho",
                                    "mean_spearman_p", "median_pearson_r", "median_pearson_p", "median_spearman_rho",
                                    "median_spearman_p"], concordance)

    # Expected directions against the pseudobulk activity (cell types ignoring case).
    expected = [("GZMB", "CD56+ NK", "up"), ("CCL5", "CD8+ Cytotoxic T", "up"), ("CST3", "dendritic", "up"),
                ("CST3", "CD19+ B", "down"), ("ANXA1", "CD14+ Monocyte", "up"), ("ANXA1", "Platelet", "up"),
                ("NOTASIGNAL", "CD19+ B", "up")]
    write(out / "expected_directions.tsv", ["signature", "cell_type", "direction"], [list(e) for e in expected])
    lower = {c.lower(): c for c in pseudobulk.columns}
    rates: dict[str, list[int]] = {}
    pairs = []
    for name, cell_type, direction in expected:
        entry = rates.setdefault(name, [0, 0, 0])
        entry[0] += 1
        if name in pseudobulk.index and cell_type.lower() in lower:
            value = pseudobulk.loc[name, lower[cell_type.lower()]]
            agrees = bool(value > 0 if direction == "up" else value < 0)
            entry[1] += 1
            entry[2] += int(agrees)
            pairs.append([name, cell_type, direction, value, "yes" if agrees else "no"])
        else:
            pairs.append([name, cell_type, direction, np.nan, "not found"])
    write(out / "expected.tsv", ["signature", "cell_type", "direction", "activity", "agrees"], pairs)
    biological = [[n, e, v, c, c / v if v else np.nan] for n, (e, v, c) in rates.items()]
    write(out / "biological.tsv", ["signature", "expected", "evaluated", "concordant", "rate"], biological)
    for row in biological:
        record("biological", row[0], row[4])

    # Coverage of the signatures (as in secact_subset.tsv) by the raw matrix.
    full = signature
    present = set(var_standard)
    detected = {var_standard[i] for i in np.flatnonzero(np.asarray((raw > 0).sum(axis=0)).ravel())}
    coverage = []
    for name in names:
        members = [g for g, w in zip(full.index, full[name]) if w != 0 and not np.isnan(w)]
        n_present = sum(g in present for g in members)
        n_detected = sum(g in detected for g in members)
        coverage.append([name, len(members), n_present, n_detected, n_present / len(members), n_detected / len(members)])
    write(out / "coverage.tsv", ["signature", "genes", "present", "detected", "present_share", "detected_share"], coverage)

    # Stability: secactpy on each fold of the genes the sample expression and signature share.
    expression = standardize_genes(sample_expression)
    shared = [g for g in expression.index if g in set(signature.index)]
    order = SplitMix64(SEED).shuffle(range(len(shared)))
    fold_of = {shared[gene]: position % FOLDS for position, gene in enumerate(order)}
    scores = [activity(expression.loc[[g for g in shared if fold_of[g] == f]], signature) for f in range(FOLDS)]
    stability = []
    for name in names:
        r = [np.corrcoef(scores[a].loc[name], scores[b].loc[name])[0, 1] for a in range(FOLDS) for b in range(a + 1, FOLDS)]
        stability.append([name, FOLDS, float(np.mean(r)), float(np.min(r))])
    write(out / "stability.tsv", ["signature", "folds", "mean_r", "min_r"], stability)

    # Quality: every check seen for a signature, coverage and stability only for those.
    for row in coverage:
        if row[0] in quality:
            record("coverage", row[0], row[5])
    for row in stability:
        if row[0] in quality:
            record("stability", row[0], max(0.0, row[2]))
    checks = ["sample", "celltype", "concordance", "singlecell", "biological", "coverage", "stability"]
    table = []
    for name, values in quality.items():
        defined = [values[c] for c in checks if c in values and not np.isnan(values[c])]
        table.append([name, *[values.get(c, np.nan) for c in checks], len(defined),
                      float(np.mean(defined)) if defined else np.nan])
    write(out / "quality.tsv", ["signature", *checks, "checks", "score"], table)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
