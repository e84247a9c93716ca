#!/usr/bin/env python3
"""Reference for `sluice preprocess --preset geneformer-30m|geneformer-95m`: Geneformer's
rank-value tokenization (Theodoris et al., Nature 2023; its `TranscriptomeTokenizer`), written
from its documented semantics with numpy, for one dataset and given dictionaries.

Usage:
    python geneformer_tokenize.py INPUT --token-dictionary T.json --medians M.json \
        --preset geneformer-95m [--gene-id-column COL] --out cells.json

INPUT is an .h5ad file (anndata) or a 10x .h5 file (scanpy.read_10x_h5, gene expression only).
Prints one JSON line of counts to stdout; writes {"cells": [{"cell_id", "input_ids"}, ...]}.

The steps, each as Geneformer does them unless said otherwise:
  1. Gene ids: the var column `--gene-id-column`, else the first of ensembl_id, gene_ids,
     feature_id that exists, else the var index.  An Ensembl id's version suffix is cut
     (ENSG00000141510.17 -> ENSG00000141510; Geneformer expects ids without one).
  2. n_counts: each cell's sum of counts over ALL genes of the file (what users store in
     obs["n_counts"] for Geneformer).  Cells with n_counts == 0 are left out (they have no
     tokens; Sluice drops them).  No other cell filter (Geneformer's optional filter_pass is not
     used).
  3. Genes kept: those whose id is in the token dictionary AND in the median table; genes that
     share an id have their counts summed (Geneformer's collapse of duplicate Ensembl ids).
  4. Score of each non-zero gene: ((x / n_counts) * 10000) / median, in float64, in that order
     of operations (Geneformer: X / n_counts * target_sum / norm_factor_vector).
  5. Order: score descending.  Ties: Geneformer uses np.argsort(-scores), numpy's default
     quicksort, which is not stable, so the order of tied genes is whatever the sort does.  This
     reference breaks ties explicitly by ascending token id (np.lexsort), as Sluice does; the
     number of cells where a tie decided the order is printed.
  6. geneformer-30m: the first 2048 tokens.  geneformer-95m: the first 4094, with <cls> before
     and <eos> after (4096 at most).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

import numpy as np
import scipy.sparse as sp

ENSEMBL = re.compile(r"^(ENS[A-Z]*G[0-9]+)\.[0-9]+$")
ID_COLUMNS = ["ensembl_id", "gene_ids", "feature_id"]
PRESETS = {"geneformer-30m": (2048, False), "geneformer-95m": (4094, True)}


def read(path: str):
    if path.endswith(".h5ad"):
        import anndata

        return anndata.read_h5ad(path)
    import scanpy as sc

    return sc.read_10x_h5(path, gex_only=True)


def gene_ids(adata, column: str | None) -> list[str]:
    if column is None:
        column = next((c for c in ID_COLUMNS if c in adata.var.columns), None)
    ids = [str(v) for v in (adata.var[column] if column is not None else adata.var.index)]
    return [m.group(1) if (m := ENSEMBL.match(i)) else i for i in ids]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("input")
    parser.add_argument("--token-dictionary", required=True)
    parser.add_argument("--medians", required=True)
    parser.add_argument("--preset", choices=sorted(PRESETS), required=True)
    parser.add_argument("--gene-id-column")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.token_dictionary) as f:
        token_of = json.load(f)
    with open(args.medians) as f:
        median_of = json.load(f)
    limit, wrap = PRESETS[args.preset]

    adata = read(args.input)
    X = sp.csr_matrix(adata.X, dtype=np.float64)
    n_counts = np.asarray(X.sum(axis=1)).ravel()
    ids = gene_ids(adata, args.gene_id_column)

    # Collapse genes to the ids that have a token and a median: column j of X adds to kept[k].
    kept_ids = sorted({i for i in ids if i in token_of and i in median_of}, key=lambda i: token_of[i])
    position = {gene: k for k, gene in enumerate(kept_ids)}
    rows, cols = [], []
    for j, gene in enumerate(ids):
        if gene in position:
            rows.append(j)
            cols.append(position[gene])
    collapse = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(ids), len(kept_ids)))
    T = sp.csr_matrix(X @ collapse)
    T.eliminate_zeros()
    tokens = np.array([token_of[g] for g in kept_ids], dtype=np.int64)
    medians = np.array([median_of[g] for g in kept_ids], dtype=np.float64)

    cells = []
    tied_cells = 0
    for c in range(T.shape[0]):
        if n_counts[c] == 0:
            continue
        start, end = T.indptr[c], T.indptr[c + 1]
        idx = T.indices[start:end]
        scores = ((T.data[start:end] / n_counts[c]) * 10000.0) / medians[idx]
        order = np.lexsort((tokens[idx], -scores))
        ranked = scores[order]
        if len(ranked) > 1 and np.any(ranked[1:] == ranked[:-1]):
            tied_cells += 1
        ids_out = [int(t) for t in tokens[idx][order][:limit]]
        if wrap:
            ids_out = [int(token_of["<cls>"])] + ids_out + [int(token_of["<eos>"])]
        cells.append({"cell_id": str(adata.obs_names[c]), "input_ids": ids_out})

    with open(args.out, "w") as f:
        json.dump({"cells": cells}, f)
    print(json.dumps({"cells": len(cells), "cells_with_ties": tied_cells, "genes_kept": len(kept_ids), "genes_in_file": len(ids)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
