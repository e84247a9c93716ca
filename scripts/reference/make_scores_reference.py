#!/usr/bin/env python3
"""Reference results of `sluice analyze scores`, from scanpy's score_genes (deterministic;
downloads scirpy's wheel from PyPI once for its data).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_scores_reference.py Tests/Fixtures/scores

Data: scirpy 0.22.5's Wu et al. 2020 subset (200 T cells of 14 cancer patients; tumour, normal
adjacent tissue, blood), the genes counted in at least 3 cells.

Writes into the output folder
  tcells.h5ad        X = UMI counts (CSR float32); obs cell_type (the authors' cluster), source,
                     patient
  markers.tsv        a user's table: exhaustion and cytotoxic sets, one gene absent from the
                     file, and a set with no gene in it (skipped)
  CASE_sets.tsv      set, genes, genes_used, missing, controls
  CASE_cells.tsv     each cell's score per set (columns: cell, then the sets)
  CASE_groups.tsv    cell_type, source, set, cells, mean, sd (ddof 1) of the scores
    defaults   Sluice's built-in sets (MarkerSets.defaults, copied below)
    custom     markers.tsv
  Scores: sc.pp.normalize_total(target_sum=1e4), sc.pp.log1p, then for each set
  sc.tl.score_genes(adata, genes, ctrl_size=<genes in the file>, n_bins=25): every gene of the
  touched expression bins is a control, so no random draw.
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
from scanpy.tools._score_genes import _check_score_genes_args, _score_genes_bins
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sample_differential_reference import load  # noqa: E402
from reference_tables import write  # noqa: E402

DEFAULTS = [
    ("leukocytes", ["PTPRC"]),
    ("t_cells", ["CD3D", "CD3E", "CD3G"]),
    ("cd8_t_cells", ["CD8A", "CD8B"]),
    ("b_cells", ["MS4A1", "CD79A", "CD19"]),
    ("nk_cells", ["GNLY", "NKG7", "KLRD1"]),
    ("monocytes", ["CD14", "LYZ", "FCGR3A", "MS4A7"]),
    ("dendritic_cells", ["FCER1A", "CST3"]),
    ("cytolytic_activity", ["GZMA", "PRF1"]),
    ("t_cell_exhaustion", ["PDCD1", "HAVCR2", "LAG3", "TIGIT", "CTLA4", "TOX", "ENTPD1", "LAYN"]),
    ("caf_myofibroblastic", ["ACTA2", "TAGLN", "MYL9", "TPM2", "MMP11", "POSTN"]),
    ("caf_inflammatory", ["IL6", "CXCL12", "PDGFRA", "CFD", "DPT", "CXCL1", "CCL2"]),
    ("caf_antigen_presenting", ["HLA-DRA", "HLA-DPA1", "CD74", "SLPI"]),
]
CUSTOM = [
    ("exhausted", ["PDCD1", "HAVCR2", "TIGIT", "NOTAGENE1"]),
    ("cytotoxic", ["GZMB", "GZMK", "NKG7", "PRF1"]),
    ("absent", ["NOTAGENE2", "NOTAGENE3"]),
]


def key(text: str) -> bytes:
    return text.encode()


def score(adata: ad.AnnData, sets, out: Path, name: str) -> None:
    rows, scores = [], {}
    for set_name, genes in sets:
        present = [g for g in genes if g in adata.var_names]
        missing = [g for g in genes if g not in adata.var_names]
        if not present:
            continue
        gene_list, gene_pool, get_subset = _check_score_genes_args(adata, present, None, use_raw=False, layer=None)
        controls = pd.Index([], dtype="string")
        for r_genes in _score_genes_bins(gene_list, gene_pool, ctrl_as_ref=True, ctrl_size=adata.n_vars, n_bins=25, get_subset=get_subset):
            controls = controls.union(r_genes)
        sc.tl.score_genes(adata, present, ctrl_size=adata.n_vars, n_bins=25, score_name=set_name, use_raw=False)
        scores[set_name] = adata.obs[set_name].to_numpy(np.float64)
        rows.append([set_name, ",".join(present), len(present), ",".join(missing), len(controls)])
    write(out / f"{name}_sets.tsv", ["set", "genes", "genes_used", "missing", "controls"], rows)
    names = [r[0] for r in rows]
    write(out / f"{name}_cells.tsv", ["cell", *names],
          [[cell, *(scores[s][i] for s in names)] for i, cell in enumerate(adata.obs_names)])
    groups = []
    labels = adata.obs[["cell_type", "source"]].astype(str)
    for combo in sorted({tuple(r) for r in labels.itertuples(index=False)}, key=lambda t: [key(x) for x in t]):
        mask = ((labels["cell_type"] == combo[0]) & (labels["source"] == combo[1])).to_numpy()
        for s in names:
            values = scores[s][mask]
            groups.append([*combo, s, int(mask.sum()), values.sum() / len(values), values.std(ddof=1) if len(values) > 1 else np.nan])
    write(out / f"{name}_groups.tsv", ["cell_type", "source", "set", "cells", "mean", "sd"], groups)
    print(f"{name}: {len(rows)} sets scored")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    wu = load()
    x = sparse.csr_matrix(wu.X, dtype=np.float32)
    keep = np.asarray((x > 0).sum(axis=0)).ravel() >= 3
    obs = pd.DataFrame({"cell_type": wu.obs["cluster_orig"].astype(str), "source": wu.obs["source"].astype(str),
                        "patient": wu.obs["patient"].astype(str)}, index=wu.obs_names)
    for column in obs.columns:
        obs[column] = pd.Categorical(obs[column])
    cells = ad.AnnData(x[:, keep], obs=obs, var=pd.DataFrame(index=np.asarray(wu.var_names)[keep]))
    cells.write_h5ad(out / "tcells.h5ad", compression="gzip")
    write(out / "markers.tsv", ["set", "gene"], [[s, g] for s, genes in CUSTOM for g in genes])

    adata = ad.read_h5ad(out / "tcells.h5ad")
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    score(adata.copy(), DEFAULTS, out, "defaults")
    score(adata.copy(), CUSTOM, out, "custom")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
