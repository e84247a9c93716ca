#!/usr/bin/env python3
"""Reference outputs of scanpy 1.11.5 `sc.tl.rank_genes_groups` (Wilcoxon rank-sum and Welch
t-test) on real UMI counts, for `sluice analyze differential` to be checked against.

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_differential_reference.py Tests/Fixtures/differential

Needs the project's .venv (scanpy 1.11.5, anndata 0.12, numpy<2, scipy, pandas, statsmodels) and
the committed fixture Tests/Fixtures/tenx_v3.h5 (scanpy's CellRanger-3 test file: 1107 cells x
507 genes of real UMI counts, chr21 genes only, so a median of 29 counts per cell: many ties).
Deterministic (seeded, no network); running it twice gives byte-identical TSV files (the .h5ad
may differ in HDF5 header bytes only).

Outputs
-------
pbmc_groups.h5ad
    X = the raw counts (CSR float32, gzip), var index = gene symbols made unique
    (`var_names_make_unique`), obs index = barcodes, and these obs columns:
      cluster       categorical c1..c4: deterministic k-means (Lloyd, 25 iterations, seeded
                    initial centres) on log1p(normalize_total(1e4)) of the 60 most variable
                    genes; c1 is the largest cluster.
      cluster_na    cluster with 40 seeded cells set to NaN (missing label).
      cluster_text  cluster as a plain string column (not categorical).
      batch         categorical b1/b2, seeded coin flips (the stratum of stratified runs).
      solo          cluster, but one cell relabelled "s0" (a group of one cell: scanpy refuses).
      total_counts  float64 counts per cell (a column that cannot group cells).

<case>.tsv.gz
    `sc.get.rank_genes_groups_df(adata, None)` (columns group, names, scores, logfoldchanges,
    pvals, pvals_adj; genes in scanpy's order: score descending within each group, groups in
    scanpy's order), gzip-compressed (mtime 0).  scores and logfoldchanges are the float32 values
    scanpy stores (shortest float32 text), pvals and pvals_adj float64 (shortest round-trip text).
    Stratified cases run scanpy on each stratum's cells (`adata[adata.obs.batch == s].copy()`)
    and prepend a `stratum` column.  Cases (all `use_raw=False`, `corr_method` =
    benjamini-hochberg; "normalized" = `sc.pp.normalize_total(target_sum=1e4)` + `sc.pp.log1p`):

      wilcoxon_rest                  normalized, method=wilcoxon, groupby=cluster, reference=rest
      wilcoxon_reference             normalized, wilcoxon, reference=c1
      wilcoxon_rest_tie              normalized, wilcoxon, tie_correct=True
      wilcoxon_reference_tie         normalized, wilcoxon, reference=c2, tie_correct=True
      wilcoxon_counts                raw counts (no normalization), wilcoxon, rest
      wilcoxon_groups                normalized, wilcoxon, groups=[c3, c1], rest
      wilcoxon_groups_reference      normalized, wilcoxon, groups=[c4, c2], reference=c1
      wilcoxon_na                    normalized, wilcoxon, groupby=cluster_na (NaN cells are
                                     part of every group's "rest", as scanpy does)
      wilcoxon_text                  normalized, wilcoxon, groupby=cluster_text (string column)
      wilcoxon_stratified            normalized, wilcoxon, rest, within each batch stratum
      wilcoxon_stratified_reference  normalized, wilcoxon, reference=c1, tie_correct, per stratum
      ttest_rest                     normalized, method=t-test, rest
      ttest_reference                normalized, t-test, reference=c3
      ttest_overestim_var            normalized, method=t-test_overestim_var, rest

groups.tsv
    Cell counts per cluster and per (batch, cluster).

README.md
    This description, and the cell counts.
"""

from __future__ import annotations

import gzip
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import anndata as ad  # noqa: E402
import scanpy as sc  # noqa: E402
import scipy.sparse as sp  # noqa: E402

SCANPY_VERSION = "1.11.5"
SEED = 20240917


def load_counts(root: Path) -> ad.AnnData:
    adata = sc.read_10x_h5(root / "Tests/Fixtures/tenx_v3.h5")
    adata.var_names_make_unique()
    adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
    adata.X.sort_indices()
    adata.var = pd.DataFrame(index=adata.var_names.copy())
    adata.obs = pd.DataFrame(index=adata.obs_names.copy())
    return adata


def kmeans_clusters(adata: ad.AnnData, k: int = 4) -> np.ndarray:
    """Deterministic Lloyd k-means on log-normalised counts of the most variable genes."""
    norm = adata.copy()
    sc.pp.normalize_total(norm, target_sum=1e4)
    sc.pp.log1p(norm)
    x = norm.X.toarray().astype(np.float64)
    top = np.argsort(-x.var(axis=0), kind="stable")[:60]
    x = x[:, top]
    rng = np.random.default_rng(SEED)
    centres = x[rng.choice(x.shape[0], size=k, replace=False)]
    labels = np.zeros(x.shape[0], dtype=int)
    for _ in range(25):
        distances = ((x[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels = distances.argmin(axis=1)
        for c in range(k):
            if (labels == c).any():
                centres[c] = x[labels == c].mean(axis=0)
    # name clusters by size: c1 is the largest
    sizes = np.bincount(labels, minlength=k)
    order = np.argsort(-sizes, kind="stable")
    rename = {int(old): f"c{new + 1}" for new, old in enumerate(order)}
    return np.array([rename[int(v)] for v in labels], dtype=object)


def make_fixture(root: Path) -> ad.AnnData:
    adata = load_counts(root)
    clusters = kmeans_clusters(adata)
    categories = sorted(set(clusters))
    rng = np.random.default_rng(SEED + 1)
    adata.obs["cluster"] = pd.Categorical(clusters, categories=categories)
    with_na = clusters.copy()
    with_na[rng.choice(adata.n_obs, size=40, replace=False)] = np.nan
    adata.obs["cluster_na"] = pd.Categorical(with_na, categories=categories)
    adata.obs["cluster_text"] = pd.array(clusters.astype(str), dtype=object)
    adata.obs["batch"] = pd.Categorical(np.where(rng.random(adata.n_obs) < 0.5, "b1", "b2"), categories=["b1", "b2"])
    solo = clusters.copy()
    solo[int(rng.integers(adata.n_obs))] = "s0"
    adata.obs["solo"] = pd.Categorical(solo, categories=categories + ["s0"])
    adata.obs["total_counts"] = np.asarray(adata.X.sum(axis=1), dtype=np.float64).ravel()
    return adata


def normalized(adata: ad.AnnData) -> ad.AnnData:
    adata = adata.copy()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata


def ranked(adata: ad.AnnData, groupby: str, **kwargs) -> pd.DataFrame:
    adata = adata.copy()
    kwargs.setdefault("method", "wilcoxon")
    sc.tl.rank_genes_groups(adata, groupby, use_raw=False, **kwargs)
    df = sc.get.rank_genes_groups_df(adata, None)
    if "group" not in df.columns:  # one group: scanpy drops the column
        group = adata.uns["rank_genes_groups"]["names"].dtype.names[0]
        df.insert(0, "group", group)
    return df[["group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"]]


def stratified(adata: ad.AnnData, groupby: str, stratum: str, **kwargs) -> pd.DataFrame:
    parts = []
    for level in adata.obs[stratum].cat.categories:
        subset = adata[adata.obs[stratum] == level].copy()
        df = ranked(subset, groupby, **kwargs)
        df.insert(0, "stratum", level)
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


def text_of(value, float32: bool) -> str:
    if float32:
        return str(np.float32(value))
    return repr(float(value))


def write_table(df: pd.DataFrame, path: Path) -> None:
    lines = ["\t".join(df.columns)]
    for row in df.itertuples(index=False):
        fields = []
        for column, value in zip(df.columns, row):
            if column in ("stratum", "group", "names"):
                fields.append(str(value))
            else:
                fields.append(text_of(value, column in ("scores", "logfoldchanges")))
        lines.append("\t".join(fields))
    raw = ("\n".join(lines) + "\n").encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as stream:
        stream.write(raw)
    path.write_bytes(buffer.getvalue())


def main() -> None:
    if sc.__version__ != SCANPY_VERSION:
        sys.exit(f"expected scanpy {SCANPY_VERSION}, found {sc.__version__}")
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/differential")
    root = Path(__file__).resolve().parents[2]
    out.mkdir(parents=True, exist_ok=True)

    adata = make_fixture(root)
    fixture = out / "pbmc_groups.h5ad"
    fixture.unlink(missing_ok=True)
    adata.write_h5ad(fixture, compression="gzip", convert_strings_to_categoricals=False)
    back = ad.read_h5ad(fixture)
    assert back.obs["cluster_text"].dtype == object, "cluster_text must stay a string column"
    assert (back.X != adata.X).nnz == 0

    norm = normalized(adata)
    cases = {
        "wilcoxon_rest": lambda: ranked(norm, "cluster"),
        "wilcoxon_reference": lambda: ranked(norm, "cluster", reference="c1"),
        "wilcoxon_rest_tie": lambda: ranked(norm, "cluster", tie_correct=True),
        "wilcoxon_reference_tie": lambda: ranked(norm, "cluster", reference="c2", tie_correct=True),
        "wilcoxon_counts": lambda: ranked(adata, "cluster"),
        "wilcoxon_groups": lambda: ranked(norm, "cluster", groups=["c3", "c1"]),
        "wilcoxon_groups_reference": lambda: ranked(norm, "cluster", groups=["c4", "c2"], reference="c1"),
        "wilcoxon_na": lambda: ranked(norm, "cluster_na"),
        "wilcoxon_text": lambda: ranked(norm, "cluster_text"),
        "wilcoxon_stratified": lambda: stratified(norm, "cluster", "batch"),
        "wilcoxon_stratified_reference": lambda: stratified(norm, "cluster", "batch", reference="c1", tie_correct=True),
        "ttest_rest": lambda: ranked(norm, "cluster", method="t-test"),
        "ttest_reference": lambda: ranked(norm, "cluster", method="t-test", reference="c3"),
        "ttest_overestim_var": lambda: ranked(norm, "cluster", method="t-test_overestim_var"),
    }
    for name, make in cases.items():
        write_table(make(), out / f"{name}.tsv.gz")

    # scanpy refuses a group of one cell; the fixture's `solo` column has one.
    try:
        ranked(norm, "solo")
        sys.exit("scanpy accepted a one-cell group")
    except ValueError as error:
        assert "only contain one sample" in str(error)

    counts = adata.obs.groupby(["batch", "cluster"], observed=False).size().rename("cells").reset_index()
    totals = adata.obs["cluster"].value_counts().sort_index()
    lines = ["batch\tcluster\tcells"]
    lines += [f"all\t{k}\t{v}" for k, v in totals.items()]
    lines += [f"{r.batch}\t{r.cluster}\t{r.cells}" for r in counts.itertuples()]
    lines.append(f"all\tNaN in cluster_na\t{int(adata.obs['cluster_na'].isna().sum())}")
    (out / "groups.tsv").write_text("\n".join(lines) + "\n")
    readme = ["# Differential-expression fixtures", "",
              "Made by `scripts/reference/make_differential_reference.py` (scanpy " + SCANPY_VERSION + "); "
              "checked by `Tests/SluicePipelinesTests/DifferentialTests.swift`.", "", "```", __doc__.strip(), "```", "",
              "Cells per group (groups.tsv):", "", "| batch | cluster | cells |", "|---|---|---|"]
    readme += ["| " + " | ".join(line.split("\t")) + " |" for line in lines[1:]]
    (out / "README.md").write_text("\n".join(readme) + "\n")
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {len(cases)} reference tables and pbmc_groups.h5ad to {out} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
