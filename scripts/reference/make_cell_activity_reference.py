#!/usr/bin/env python3
"""Reference outputs of SecActpy's scRNA-seq activity inference
(`secact_activity_inference_scrnaseq`) on real counts, for `sluice analyze activity` on a cells
file to be checked against (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_cell_activity_reference.py Tests/Fixtures/cell_activity

Input: the real 10x v3 counts of scanpy's source distribution (Tests/Fixtures/tenx_v3.h5, 1,107
cells x 507 genes of UMI counts), cut to its first CELLS cells, with a `cell_type` label per cell
(five labels of mixed case, assigned round-robin: SecActpy orders groups ignoring case, which the
labels exercise). The 10x names repeat after SecActpy's standardisation ("CH507-9B2.1" and
"CH507-9B2.2" both become "CH507-9B2"), so the highest-mean rule is exercised too.

Writes into the output folder:
  cells.h5ad                         the input (X = counts, float32 CSR; obs cell_type)
  cytosig_overlap.tsv                the rows of secactpy's CytoSig.tsv.gz whose gene is in the
                                     input (verbatim lines, the shipped header): the regression
                                     only sees these genes, so results equal the full file's
  pseudobulk_{beta,se,zscore,pvalue}.tsv   is_single_cell_level=False (sum per cell type, CPM,
                                     log2(x+1), centred), CytoSig, n_rand N_RAND, srand seed 0
  single_cell_{beta,se,zscore,pvalue}.tsv  is_single_cell_level=True (per cell x/total*1e5,
                                     log2(x+1), centred on the mean over all cells)
Numbers are written with %.17g. Running the script twice gives byte-identical files.
"""

from __future__ import annotations

import gzip
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import anndata as ad  # noqa: E402
import scanpy as sc  # noqa: E402
import secactpy  # noqa: E402

CELLS = 150
N_RAND = 200
LABELS = ["T cell", "b cell", "Monocyte", "nk cell", "Dendritic"]


def write_table(path: Path, frame: pd.DataFrame) -> None:
    frame.to_csv(path, sep="\t", index_label="signature", float_format="%.17g")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    repo = Path(__file__).resolve().parents[2]
    adata = sc.read_10x_h5(repo / "Tests/Fixtures/tenx_v3.h5")[:CELLS].copy()
    adata.X = adata.X.astype(np.float32)
    adata.obs = pd.DataFrame(
        {"cell_type": pd.Categorical([LABELS[i % len(LABELS)] for i in range(adata.n_obs)])}, index=adata.obs_names)
    adata.var = pd.DataFrame(index=adata.var_names)
    cells = out / "cells.h5ad"
    adata.write_h5ad(cells)

    data_dir = Path(secactpy.__file__).parent / "data"
    genes = {g.upper().split(".")[0] for g in adata.var_names}
    text = gzip.decompress((data_dir / "CytoSig.tsv.gz").read_bytes()).decode().splitlines()
    kept = [text[0]] + [line for line in text[1:] if line.split("\t", 1)[0] in genes]
    (out / "cytosig_overlap.tsv").write_text("\n".join(kept) + "\n")

    for level, prefix in ((False, "pseudobulk"), (True, "single_cell")):
        result = secactpy.secact_activity_inference_scrnaseq(
            str(cells), cell_type_col="cell_type", sig_matrix="cytosig", is_single_cell_level=level,
            is_group_sig=False, lambda_=1e4, n_rand=N_RAND, seed=0, backend="numpy", rng_method="srand",
            use_cache=False, sort_genes=False, verbose=False)
        for stat in ("beta", "se", "zscore", "pvalue"):
            write_table(out / f"{prefix}_{stat}.tsv", result[stat])
        print(f"{prefix}: {result['zscore'].shape[0]} signatures x {result['zscore'].shape[1]} samples")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
