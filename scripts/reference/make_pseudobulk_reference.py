#!/usr/bin/env python3
"""Reference outputs for `sluice analyze pseudobulk`, from scanpy's `sc.get.aggregate` on real counts.

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_pseudobulk_reference.py Tests/Fixtures/pseudobulk

Input: `Tests/Fixtures/tenx_v3.h5` (scanpy 1.11.5's 10x v3 test file, 1,107 cells x 507 genes of
real CellRanger counts).  The script adds two deterministic obs columns, `cell_type` (ten fine
labels plus a few missing values; one label, `platelet`, on exactly one cell) and `donor_id`
(three donors plus a few missing values), writes the result as `pbmc_groups.h5ad` (CSR float32,
gzip) and writes, for several groupings, what scanpy computes:

    sc.get.aggregate(adata[labelled], by=[...], func=["sum", "mean", "count_nonzero"])

as genes x groups TSV tables (`<name>.sum.tsv`, `<name>.mean.tsv.gz`, `<name>.count_nonzero.tsv`)
and a `<name>.groups.tsv` with each group's labels, cell count, total counts, and whether
decoupler's `get_pseudobulk` rule keeps it (`ncell < min_cells or count < min_counts` drops a
group) for several (min_cells, min_counts) pairs.  Cells with a missing label are left out
before aggregating (scanpy 1.11.5's aggregate raises "codes need to be between -1 and
len(categories)-1" on them); sluice leaves them out the same way and counts them.

The Poisson(1) bootstrap has no reference tool, so the script re-implements sluice's documented
scheme independently in plain Python/numpy (see `multiplicity` below and the README it writes)
and writes the bootstrap mean and the 95% percentile interval of the pseudobulk mean for one
grouping.  Everything is deterministic: a rerun rewrites byte-identical text files (the h5ad
is also rewritten; its bytes may differ with the HDF5 build, its content does not).
"""

from __future__ import annotations

import gzip
import io
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import anndata as ad  # noqa: E402
import scanpy as sc  # noqa: E402
import scipy.sparse as sp  # noqa: E402

SOURCE = Path("Tests/Fixtures/tenx_v3.h5")
LABEL_SEED = 20250611  # numpy default_rng seed for the cell_type / donor_id labels

# fine label (L3) -> (L2, L1); the order here is the hierarchy file's row order
HIERARCHY = [
    ("CD4 naive T", "CD4 T", "lymphoid"),
    ("CD4 memory T", "CD4 T", "lymphoid"),
    ("CD8 T", "CD8 T", "lymphoid"),
    ("NK", "NK", "lymphoid"),
    ("B naive", "B", "lymphoid"),
    ("B memory", "B", "lymphoid"),
    ("CD14 monocyte", "monocyte", "myeloid"),
    ("CD16 monocyte", "monocyte", "myeloid"),
    ("pDC", "DC", "myeloid"),
    ("platelet", "platelet", "megakaryocyte"),
]
# probabilities of the fine labels drawn for every cell except PLATELET_CELL
CELL_TYPE_P = {
    "CD4 naive T": 0.22, "CD4 memory T": 0.16, "CD8 T": 0.14, "NK": 0.08, "B naive": 0.09,
    "B memory": 0.05, "CD14 monocyte": 0.17, "CD16 monocyte": 0.05, "pDC": 0.04,
}
DONOR_P = {"donor_1": 0.40, "donor_2": 0.35, "donor_3": 0.25}
PLATELET_CELL = 42                       # the only platelet: a group of one cell
MISSING_CELL_TYPE = lambda i: i % 97 == 5   # noqa: E731  (12 cells)
MISSING_DONOR = lambda i: i % 151 == 7      # noqa: E731  (8 cells)

FILTERS = [(10, 1000), (10, 0), (0, 1000), (1, 1)]  # (min_cells, min_counts) pairs in groups.tsv

BOOTSTRAP_REPLICATES = 40
BOOTSTRAP_SEED = 7


# ----------------------------------------------------------------------------- Poisson bootstrap

MASK = (1 << 64) - 1


def splitmix64(z: int) -> int:
    """The SplitMix64 output function (Steele, Lea & Flood 2014; Vigna's splitmix64.c)."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def poisson1_cdf(limit: int = 20) -> list[float]:
    """F(k) = P(Poisson(1) <= k) for k = 0..limit, summed term by term in double precision."""
    term = math.exp(-1.0)
    total = term
    cdf = [total]
    for k in range(1, limit + 1):
        term /= k
        total += term
        cdf.append(total)
    return cdf


CDF = poisson1_cdf()


def multiplicity(seed: int, replicate: int, cell: int) -> int:
    """How often `cell` (its 0-based position in the file) is drawn in bootstrap `replicate`."""
    h = splitmix64(splitmix64(splitmix64(seed & MASK) ^ replicate) ^ cell)
    u = (h >> 11) * 2.0 ** -53
    for k, f in enumerate(CDF):
        if u < f:
            return k
    return len(CDF) - 1


def percentile_linear(sorted_values: np.ndarray, q: float) -> float:
    """numpy's default ('linear', Hyndman & Fan type 7) percentile of sorted values."""
    n = len(sorted_values)
    position = q / 100.0 * (n - 1)
    lower = math.floor(position)
    upper = min(lower + 1, n - 1)
    fraction = position - lower
    return float(sorted_values[lower] + (sorted_values[upper] - sorted_values[lower]) * fraction)


def bootstrap(X: sp.csr_matrix, cells: np.ndarray, group_of_cell: np.ndarray, n_groups: int):
    """Per group and gene: mean over replicates of the replicate's pseudobulk mean, and its 2.5 and
    97.5 percentiles. `cells[i]` is row i's position in the file (the hash input)."""
    n_genes = X.shape[1]
    weights = np.array([[multiplicity(BOOTSTRAP_SEED, r, int(c)) for r in range(BOOTSTRAP_REPLICATES)]
                        for c in cells], dtype=np.float64)              # cells x replicates
    dense = X.toarray().astype(np.float64)
    mean = np.full((n_groups, n_genes), np.nan)
    lower = np.full((n_groups, n_genes), np.nan)
    upper = np.full((n_groups, n_genes), np.nan)
    valid = np.zeros(n_groups, dtype=int)
    for g in range(n_groups):
        rows = np.flatnonzero(group_of_cell == g)
        w = weights[rows]                                               # rows x replicates
        drawn = w.sum(axis=0)                                           # cells drawn per replicate
        sums = w.T @ dense[rows]                                        # replicates x genes
        ok = drawn > 0
        valid[g] = int(ok.sum())
        if not ok.any():
            continue
        means = sums[ok] / drawn[ok][:, None]
        mean[g] = means.mean(axis=0)
        ordered = np.sort(means, axis=0)
        for j in range(n_genes):
            lower[g, j] = percentile_linear(ordered[:, j], 2.5)
            upper[g, j] = percentile_linear(ordered[:, j], 97.5)
            assert abs(lower[g, j] - np.percentile(means[:, j], 2.5)) <= 1e-12 * max(1.0, abs(lower[g, j]))
    return mean, lower, upper, valid


# ----------------------------------------------------------------------------- I/O helpers

def fmt(v: float) -> str:
    return "%.17g" % v


def table_text(rows: list[str], columns: list[str], values: np.ndarray, label: str = "gene") -> str:
    buf = io.StringIO()
    buf.write("\t".join([label, *columns]) + "\n")
    for name, row in zip(rows, values):
        buf.write("\t".join([name, *(fmt(v) for v in row)]) + "\n")
    return buf.getvalue()


def write_text(path: Path, text: str) -> None:
    if path.suffix == ".gz":
        # mtime=0 and no file name: byte-identical reruns
        with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            gz.write(text.encode())
    else:
        path.write_text(text)


# ----------------------------------------------------------------------------- main

def labelled_adata() -> ad.AnnData:
    adata = sc.read_10x_h5(SOURCE)
    adata.var_names_make_unique()
    rng = np.random.default_rng(LABEL_SEED)
    n = adata.n_obs
    cell_type = rng.choice(list(CELL_TYPE_P), size=n, p=list(CELL_TYPE_P.values())).astype(object)
    donor = rng.choice(list(DONOR_P), size=n, p=list(DONOR_P.values())).astype(object)
    cell_type[PLATELET_CELL] = "platelet"
    for i in range(n):
        if MISSING_CELL_TYPE(i):
            cell_type[i] = np.nan
        if MISSING_DONOR(i):
            donor[i] = np.nan
    adata.obs["cell_type"] = pd.Categorical(cell_type, categories=sorted(h[0] for h in HIERARCHY))
    adata.obs["donor_id"] = pd.Categorical(donor, categories=sorted(DONOR_P))
    adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
    return adata


def aggregate_and_write(out: Path, name: str, adata: ad.AnnData, by: list[str], readme: list[str]) -> None:
    labelled = adata.obs[by].notna().all(axis=1).to_numpy()
    sub = adata[labelled].copy()
    for column in by:
        sub.obs[column] = sub.obs[column].cat.remove_unused_categories()
    result = sc.get.aggregate(sub, by=by, func=["sum", "mean", "count_nonzero"])
    groups = list(result.obs_names)
    genes = list(adata.var_names)
    for func, suffix in [("sum", ".sum.tsv"), ("mean", ".mean.tsv.gz"), ("count_nonzero", ".count_nonzero.tsv")]:
        values = np.asarray(result.layers[func], dtype=np.float64)
        write_text(out / (name + suffix), table_text(genes, groups, values.T))
    # cells and total counts per group, computed from the cells (not from the aggregate)
    key = sub.obs[by].astype(str).agg("_".join, axis=1).to_numpy()
    totals = np.asarray(sub.X.sum(axis=1), dtype=np.float64).ravel()
    header = ["group", *by, "psbulk_cells", "psbulk_counts", *[f"kept_{c}_{m}" for c, m in FILTERS]]
    lines = ["\t".join(header)]
    for g, labels in zip(groups, result.obs[by].astype(str).itertuples(index=False)):
        members = key == g
        ncell = int(members.sum())
        count = float(totals[members].sum())
        assert count == float(np.asarray(result.layers["sum"])[groups.index(g)].sum())
        # decoupler.get_pseudobulk: `if ncell < min_cells or count < min_counts: skip`
        kept = [str(not (ncell < c or count < m)).lower() for c, m in FILTERS]
        lines.append("\t".join([g, *labels, str(ncell), fmt(count), *kept]))
    write_text(out / f"{name}.groups.tsv", "\n".join(lines) + "\n")
    readme.append(f"| `{name}.*` | by {by}: {len(groups)} groups, {int(labelled.sum())} labelled cells "
                  f"({int((~labelled).sum())} left out for a missing label) |")


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "Tests/Fixtures/pseudobulk")
    out.mkdir(parents=True, exist_ok=True)
    adata = labelled_adata()
    adata.write_h5ad(out / "pbmc_groups.h5ad", compression="gzip")
    # re-read what was written, so the references describe the file sluice reads
    adata = ad.read_h5ad(out / "pbmc_groups.h5ad")

    hierarchy_lines = ["L1\tL2\tL3", *[f"{l1}\t{l2}\t{l3}" for l3, l2, l1 in HIERARCHY]]
    write_text(out / "hierarchy.tsv", "\n".join(hierarchy_lines) + "\n")

    readme = [
        "# Pseudobulk reference fixtures",
        "",
        "Generated by `scripts/reference/make_pseudobulk_reference.py` (run",
        "`.venv/bin/python scripts/reference/make_pseudobulk_reference.py Tests/Fixtures/pseudobulk`)",
        f"with scanpy {sc.__version__}, anndata {ad.__version__}, numpy {np.__version__}, pandas {pd.__version__}.",
        "",
        "`pbmc_groups.h5ad`: the real counts of `Tests/Fixtures/tenx_v3.h5` (1,107 cells x 507 genes) with",
        f"obs `cell_type` and `donor_id` drawn by `numpy.random.default_rng({LABEL_SEED})` (see the script);",
        f"cell {PLATELET_CELL} is the only `platelet` (a one-cell group); cells i with i % 97 == 5 have no",
        "cell_type and cells with i % 151 == 7 no donor_id. `hierarchy.tsv` maps the fine labels (L3) to L2",
        "and L1.",
        "",
        "Tables are genes x groups, TSV, numbers `%.17g`; group names are scanpy's (labels joined by `_`).",
        "`*.groups.tsv` lists each group's labels, `psbulk_cells`, `psbulk_counts` and `kept_<min_cells>_<min_counts>`:",
        "whether decoupler's `get_pseudobulk` keeps it (it drops a group when `ncell < min_cells or count < min_counts`).",
        "",
        "| files | content |",
        "|---|---|",
    ]
    aggregate_and_write(out, "celltype_donor", adata, ["cell_type", "donor_id"], readme)

    l3_to = {l3: (l2, l1) for l3, l2, l1 in HIERARCHY}
    mapped = adata.copy()
    for level, position in [("L2", 0), ("L1", 1)]:
        order = list(dict.fromkeys(l3_to[h[0]][position] for h in HIERARCHY))
        values = [l3_to[v][position] if isinstance(v, str) else np.nan for v in adata.obs["cell_type"].astype(object)]
        mapped.obs[f"cell_type_{level}"] = pd.Categorical(values, categories=order)
    aggregate_and_write(out, "L2_donor", mapped, ["cell_type_L2", "donor_id"], readme)
    aggregate_and_write(out, "L1", mapped, ["cell_type_L1"], readme)

    # Poisson bootstrap of the pseudobulk mean, by cell_type, all groups kept
    labelled = adata.obs["cell_type"].notna().to_numpy()
    cells = np.flatnonzero(labelled)
    sub = adata[labelled]
    categories = [c for c in adata.obs["cell_type"].cat.categories if (sub.obs["cell_type"] == c).any()]
    group_of_cell = np.array([categories.index(v) for v in sub.obs["cell_type"].astype(str)])
    mean, lower, upper, valid = bootstrap(sp.csr_matrix(sub.X), cells, group_of_cell, len(categories))
    genes = list(adata.var_names)
    for name, values in [("mean", mean), ("lower", lower), ("upper", upper)]:
        write_text(out / f"bootstrap_celltype.{name}.tsv.gz", table_text(genes, categories, values.T))
    write_text(out / "bootstrap_celltype.replicates.tsv",
               "group\tvalid_replicates\n" + "".join(f"{c}\t{v}\n" for c, v in zip(categories, valid)))
    first = [multiplicity(BOOTSTRAP_SEED, r, c) for c in range(3) for r in range(5)]
    readme += [
        f"| `bootstrap_celltype.*` | by cell_type, all groups, `--bootstrap {BOOTSTRAP_REPLICATES} --seed {BOOTSTRAP_SEED}`: "
        "the mean over replicates of each replicate's pseudobulk mean, and its 2.5/97.5 percentiles (numpy's linear rule); "
        "replicates that drew no cell of a group are skipped (`replicates.tsv` counts the valid ones) |",
        "",
        "## Poisson bootstrap (re-implemented here, not from a reference tool)",
        "",
        "Cell c (0-based position in the file) appears k times in replicate r, where",
        "`h = splitmix64(splitmix64(splitmix64(seed) ^ r) ^ c)` (64-bit wrapping arithmetic; splitmix64 is",
        "Vigna's output function: z += 0x9E3779B97F4A7C15; z = (z ^ z>>30) * 0xBF58476D1CE4E5B9;",
        "z = (z ^ z>>27) * 0x94D049BB133111EB; z ^ z>>31), `u = (h >> 11) * 2^-53`, and k is the smallest",
        "k with u < F(k), F the Poisson(1) distribution function (summed term by term from exp(-1), k <= 20).",
        f"First multiplicities for seed {BOOTSTRAP_SEED}, cells 0-2, replicates 0-4: {first}.",
    ]
    write_text(out / "README.md", "\n".join(readme) + "\n")
    total = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out}: {total} bytes")


if __name__ == "__main__":
    main()
