"""Inputs and the scipy peer for scripts/bench/validate_vs_scipy.sh.

  gen   --cells N --genes G --groups K --signature CytoSig.tsv.gz --out DIR
        DIR/counts.h5ad (cells x genes, CSR float32 counts; the genes are CytoSig's rows, its
        signatures' own genes first, so every signature has a gene), DIR/activity.h5ad (cells x
        signatures, float32: each signature's activity rises with its gene's count, plus noise, as
        `sluice analyze activity --single-cell` writes it), DIR/pseudobulk.tsv (signatures x
        cell types: the groups' mean activity plus noise). Reused when present.
  peer  DIR OUT     the single-cell checks as a scipy script does them (anndata reads both files;
                    per signature: mannwhitneyu(method="asymptotic") of expressing against other
                    cells, group means and medians, pearsonr and spearmanr against the
                    pseudobulk); writes OUT/singlecell.tsv, OUT/concordance.tsv and prints the
                    seconds and peak RSS as JSON.
  compare SLUICE PEER   the largest relative difference of u, auc, pvalue and the concordance r.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from bench_common import csr_block, gene_parameters  # noqa: E402

CYTOSIG = {
    "Activin A": ["INHBA"], "CD40L": ["CD40LG"], "GCSF": ["CSF3"], "GMCSF": ["CSF2"], "MCSF": ["CSF1"],
    "IFN1": ["IFNA1", "IFNA2", "IFNB1", "IFNW1"], "IFNL": ["IFNL1", "IFNL2", "IFNL3"], "IL12": ["IL12A", "IL12B"],
    "IL27": ["IL27", "EBI3"], "IL36": ["IL36A", "IL36B", "IL36G"], "NO": ["NOS2"], "TNFA": ["TNF"],
    "TRAIL": ["TNFSF10"], "TWEAK": ["TNFSF12"],
}


def gen(a) -> None:
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    os.makedirs(a.out, exist_ok=True)
    if all(os.path.exists(os.path.join(a.out, f)) for f in ("counts.h5ad", "activity.h5ad", "pseudobulk.tsv")):
        print(json.dumps({"reused": a.out}))
        return
    signature = pd.read_csv(a.signature, sep="\t", index_col=0, nrows=a.genes + 200)
    names = list(signature.columns)
    own = [g for n in names for g in CYTOSIG.get(n, [n])]
    genes = list(dict.fromkeys(own + [g.upper() for g in pd.read_csv(a.signature, sep="\t", index_col=0, usecols=[0]).index]))[: a.genes]
    rng = np.random.default_rng(11)
    labels = rng.integers(0, a.groups, size=a.cells)
    p, mu = gene_parameters(a.genes, a.density, 5)
    nb_p = (2.0 / (2.0 + mu)).astype(np.float64)
    blocks, block = [], 20000
    for number, start in enumerate(range(0, a.cells, block)):
        rows = min(block, a.cells - start)
        counts, indices, values = csr_block(number, rows, a.genes, p, nb_p, 5)
        blocks.append(sp.csr_matrix((values, indices, np.concatenate([[0], np.cumsum(counts)])), shape=(rows, a.genes)))
    x = sp.vstack(blocks, format="csr")
    x.sort_indices()
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(a.cells)])
    obs["cell_type"] = pd.Categorical([f"type {v}" for v in labels], categories=[f"type {v}" for v in range(a.groups)])
    ad.AnnData(x, obs=obs, var=pd.DataFrame(index=genes)).write_h5ad(os.path.join(a.out, "counts.h5ad"))
    column = {g: i for i, g in enumerate(genes)}
    activity = rng.standard_normal((a.cells, len(names))).astype(np.float32)
    for k, name in enumerate(names):
        first = column[CYTOSIG.get(name, [name])[0]]
        activity[:, k] += 0.3 * np.log1p(x[:, first].toarray().ravel()).astype(np.float32)
    ad.AnnData(activity, obs=obs, var=pd.DataFrame(index=names)).write_h5ad(os.path.join(a.out, "activity.h5ad"))
    means = np.vstack([activity[labels == g].mean(axis=0) for g in range(a.groups)]).T
    table = pd.DataFrame(means + 0.05 * rng.standard_normal(means.shape), index=names, columns=[f"type {v}" for v in range(a.groups)])
    table.index.name = "signature"
    table.to_csv(os.path.join(a.out, "pseudobulk.tsv"), sep="\t", float_format="%.17g")
    print(json.dumps({"cells": a.cells, "genes": a.genes, "stored": int(x.nnz), "signatures": len(names)}))


def peer(a) -> None:
    import anndata as ad
    import pandas as pd
    from scipy import stats

    start = time.perf_counter()
    counts = ad.read_h5ad(os.path.join(a.dir, "counts.h5ad"))
    activity = ad.read_h5ad(os.path.join(a.dir, "activity.h5ad"))
    pseudobulk = pd.read_csv(os.path.join(a.dir, "pseudobulk.tsv"), sep="\t", index_col=0)
    x = counts.X.tocsc()
    values = np.asarray(activity.X, dtype=np.float64)
    labels = activity.obs["cell_type"].astype(str).to_numpy()
    groups = list(dict.fromkeys(labels))
    members = [labels == g for g in groups]
    column = {g.upper(): i for i, g in enumerate(counts.var_names)}
    single, concordance = [], []
    for k, name in enumerate(activity.var_names):
        genes = [g for g in CYTOSIG.get(name, [name]) if g in column]
        expressing = np.zeros(counts.n_obs, bool)
        for g in genes:
            expressing[x[:, column[g]].indices] = True
        inside, outside = values[expressing, k], values[~expressing, k]
        test = stats.mannwhitneyu(inside, outside, alternative="two-sided", method="asymptotic")
        single.append([name, test.statistic, test.statistic / (len(inside) * len(outside)), test.pvalue])
        mean = [values[m, k].mean() for m in members]
        median = [np.median(values[m, k]) for m in members]
        reference = [pseudobulk.loc[name, g] for g in groups]
        concordance.append([name, stats.pearsonr(mean, reference)[0], stats.spearmanr(mean, reference)[0],
                            stats.pearsonr(median, reference)[0], stats.spearmanr(median, reference)[0]])
    seconds = time.perf_counter() - start
    os.makedirs(a.out, exist_ok=True)
    pd.DataFrame(single, columns=["signature", "u", "auc", "pvalue"]).to_csv(os.path.join(a.out, "singlecell.tsv"), sep="\t", index=False)
    pd.DataFrame(concordance, columns=["signature", "mean_pearson_r", "mean_spearman_rho", "median_pearson_r", "median_spearman_rho"]).to_csv(
        os.path.join(a.out, "concordance.tsv"), sep="\t", index=False)
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def compare(a) -> None:
    import pandas as pd

    worst = {}
    for table, columns in (("singlecell", ["u", "auc", "pvalue"]), ("concordance", ["mean_pearson_r", "mean_spearman_rho", "median_pearson_r", "median_spearman_rho"])):
        ours = pd.read_csv(os.path.join(a.sluice, f"{table}.tsv"), sep="\t", index_col="signature")
        theirs = pd.read_csv(os.path.join(a.peer, f"{table}.tsv"), sep="\t", index_col="signature").loc[ours.index]
        for c in columns:
            difference = np.abs(ours[c] - theirs[c]) / np.maximum(np.abs(theirs[c]), 1e-300)
            worst[c] = float(difference.max())
    print(json.dumps(worst))


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    g = commands.add_parser("gen")
    g.add_argument("--cells", type=int, required=True)
    g.add_argument("--genes", type=int, default=2000)
    g.add_argument("--groups", type=int, default=20)
    g.add_argument("--density", type=float, default=0.05)
    g.add_argument("--signature", required=True)
    g.add_argument("--out", required=True)
    p = commands.add_parser("peer")
    p.add_argument("dir")
    p.add_argument("out")
    c = commands.add_parser("compare")
    c.add_argument("sluice")
    c.add_argument("peer")
    a = parser.parse_args()
    {"gen": gen, "peer": peer, "compare": compare}[a.command](a)


if __name__ == "__main__":
    main()
