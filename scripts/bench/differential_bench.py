#!/usr/bin/env python3
"""Helpers for scripts/bench/differential_vs_scanpy.sh.

Subcommands (each prints one JSON object on stdout, progress on stderr):

  gen      --cells N --genes G --groups K --density D --seed S --out P
           Seeded NB counts (bench_common's generator, in row blocks) as a CSR float32 h5ad
           written by anndata (uncompressed), with obs `group` = K categorical labels of unequal
           sizes; in each group 5% of the genes get twice the detection rate (some real markers).
           An existing file is left alone.
  scanpy   FILE --groupby COLUMN [--tie-correct] [--out TSV]
           In this process: read_h5ad, normalize_total(target_sum=1e4), log1p,
           rank_genes_groups(method="wilcoxon", use_raw=False), rank_genes_groups_df; wall time of
           those steps (imports excluded), peak RSS (getrusage ru_maxrss), and the table if --out.
  compare  SCANPY.tsv SLUICE.tsv
           Largest relative differences per column, matching rows by (group, names).
"""
import argparse
import json
import resource
import sys
import time

import numpy as np
from bench_common import csr_block, gene_parameters


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def generate(args):
    import os

    if os.path.exists(args.out):
        import h5py

        log(f"{args.out} exists, reused")
        with h5py.File(args.out, "r") as f:
            stored = int(f["X/data"].shape[0])
        print(json.dumps({"path": args.out, "reused": True, "cells": args.cells, "genes": args.genes, "stored": stored,
                          "density": stored / (args.cells * args.genes), "bytes": os.path.getsize(args.out)}))
        return
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng([args.seed, 7])
    weights = rng.uniform(0.5, 2.0, size=args.groups)
    labels = rng.choice(args.groups, size=args.cells, p=weights / weights.sum())
    p, mu = gene_parameters(args.genes, args.density, args.seed)
    theta = 2.0
    nb_p = (theta / (theta + mu)).astype(np.float64)
    markers = np.zeros((args.groups, args.genes), dtype=bool)
    for g in range(args.groups):
        markers[g, rng.choice(args.genes, size=max(1, args.genes // 20), replace=False)] = True
    blocks, block = [], 5000
    for number, start in enumerate(range(0, args.cells, block)):
        rows = min(block, args.cells - start)
        # Each block is generated group by group so that marker genes are more often detected.
        indptr_parts, index_parts, value_parts = [], [], []
        block_labels = labels[start:start + rows]
        counts_all = np.zeros(rows, dtype=np.int64)
        pieces = {}
        for g in np.unique(block_labels):
            members = np.flatnonzero(block_labels == g)
            pg = np.where(markers[g], np.minimum(p * 2, 0.95), p).astype(np.float32)
            counts, indices, values = csr_block(number * args.groups + g, len(members), args.genes, pg, nb_p, args.seed, theta)
            offsets = np.concatenate([[0], np.cumsum(counts)])
            for k, member in enumerate(members):
                pieces[member] = (indices[offsets[k]:offsets[k + 1]], values[offsets[k]:offsets[k + 1]])
                counts_all[member] = counts[k]
        for member in range(rows):
            index_parts.append(pieces[member][0])
            value_parts.append(pieces[member][1])
        indptr = np.concatenate([[0], np.cumsum(counts_all)])
        blocks.append(sp.csr_matrix((np.concatenate(value_parts), np.concatenate(index_parts), indptr), shape=(rows, args.genes)))
        log(f"  generated {start + rows} cells")
    x = sp.vstack(blocks, format="csr")
    x.sort_indices()
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(args.cells)])
    obs["group"] = pd.Categorical([f"g{v}" for v in labels], categories=[f"g{v}" for v in range(args.groups)])
    var = pd.DataFrame(index=[f"gene{i}" for i in range(args.genes)])
    adata = ad.AnnData(x, obs=obs, var=var)
    adata.write_h5ad(args.out + ".partial")
    os.replace(args.out + ".partial", args.out)
    print(json.dumps({"path": args.out, "cells": args.cells, "genes": args.genes, "stored": int(x.nnz),
                      "density": x.nnz / (args.cells * args.genes), "bytes": os.path.getsize(args.out)}))


def run_scanpy(args):
    import warnings

    warnings.filterwarnings("ignore")
    import scanpy as sc

    start = time.perf_counter()
    adata = sc.read_h5ad(args.file)
    loaded = time.perf_counter()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    normalized = time.perf_counter()
    sc.tl.rank_genes_groups(adata, args.groupby, method="wilcoxon", use_raw=False, tie_correct=args.tie_correct)
    df = sc.get.rank_genes_groups_df(adata, None)
    end = time.perf_counter()
    if args.out:
        df.to_csv(args.out, sep="\t", index=False, float_format="%.17g")
    print(json.dumps({"seconds": end - start, "read_seconds": loaded - start, "normalize_seconds": normalized - loaded,
                      "rank_seconds": end - normalized, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                      "rows": len(df)}))


def compare(args):
    import pandas as pd

    a = pd.read_csv(args.scanpy, sep="\t")
    b = pd.read_csv(args.sluice, sep="\t")
    m = a.merge(b, on=["group", "names"], suffixes=("_scanpy", "_sluice"))
    out = {"rows_scanpy": len(a), "rows_sluice": len(b), "rows_matched": len(m)}
    for column in ["scores", "logfoldchanges", "pvals", "pvals_adj"]:
        # scanpy stores scores and fold changes as float32: compare them as float32.
        dtype = np.float32 if column in ("scores", "logfoldchanges") else np.float64
        x = m[column + "_scanpy"].to_numpy(dtype).astype(float)
        y = m[column + "_sluice"].to_numpy(dtype).astype(float)
        scale = np.maximum(np.maximum(np.abs(x), np.abs(y)), 1e-300)
        rel = np.where(x == y, 0.0, np.abs(x - y) / scale)
        out[f"max_relative_{column}"] = float(rel.max())
        # Rows that differ by more than float32 rounding of the same value (near-ties that one tool
        # sees as ties and the other not move average ranks): counted, never hidden by a tolerance.
        out[f"rows_differing_{column}"] = int((rel > 1e-6).sum())
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--cells", type=int, required=True)
    g.add_argument("--genes", type=int, required=True)
    g.add_argument("--groups", type=int, required=True)
    g.add_argument("--density", type=float, required=True)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", required=True)
    s = sub.add_parser("scanpy")
    s.add_argument("file")
    s.add_argument("--groupby", required=True)
    s.add_argument("--tie-correct", action="store_true")
    s.add_argument("--out")
    c = sub.add_parser("compare")
    c.add_argument("scanpy")
    c.add_argument("sluice")
    args = parser.parse_args()
    {"gen": generate, "scanpy": run_scanpy, "compare": compare}[args.command](args)


if __name__ == "__main__":
    main()
