"""The marker table check and the scanpy peer for scripts/bench/scores_vs_scanpy.sh.

  inputs  COUNTS DIR    which marker sets the run scores: the built-in sets (MARKERS, a copy of
                        MarkerSets.swift's defaults) when at least half of them have a gene among
                        COUNTS's var names, else DIR/markers.tsv (columns set and gene: 3 sets of 5
                        genes that COUNTS has); prints "MARKERS BY" — the table's path or "-", and
                        "cell_type" when COUNTS's obs has that column, else "-".
  peer    COUNTS OUT [MARKERS]
                        the scores as a scanpy user computes them: anndata reads the whole file,
                        sc.pp.normalize_total(target_sum=1e4), sc.pp.log1p, then per set (those
                        with a gene in the file) sc.tl.score_genes(ctrl_size=n_vars, n_bins=25) —
                        every gene of a bin is a control, no random draw; writes OUT/cells.tsv
                        (cell, one column per set), OUT/groups.tsv (cell_type, set, cells, mean)
                        and prints the seconds and peak RSS as JSON.
  compare SLUICE PEER   the largest absolute difference of a cell's score (sluice's
                        SLUICE/scores.h5ad against PEER/cells.tsv, cells matched by name) and of a
                        cell type's mean (SLUICE/groups.tsv against PEER/groups.tsv).
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np

# MarkerSets.defaults in Sources/SluicePipelines/Studies/MarkerSets.swift, in its order.
MARKERS = {
    "leukocytes": ["PTPRC"],
    "t_cells": ["CD3D", "CD3E", "CD3G"],
    "cd8_t_cells": ["CD8A", "CD8B"],
    "b_cells": ["MS4A1", "CD79A", "CD19"],
    "nk_cells": ["GNLY", "NKG7", "KLRD1"],
    "monocytes": ["CD14", "LYZ", "FCGR3A", "MS4A7"],
    "dendritic_cells": ["FCER1A", "CST3"],
    "cytolytic_activity": ["GZMA", "PRF1"],
    "t_cell_exhaustion": ["PDCD1", "HAVCR2", "LAG3", "TIGIT", "CTLA4", "TOX", "ENTPD1", "LAYN"],
    "caf_myofibroblastic": ["ACTA2", "TAGLN", "MYL9", "TPM2", "MMP11", "POSTN"],
    "caf_inflammatory": ["IL6", "CXCL12", "PDGFRA", "CFD", "DPT", "CXCL1", "CCL2"],
    "caf_antigen_presenting": ["HLA-DRA", "HLA-DPA1", "CD74", "SLPI"],
}
# The table for files without enough marker genes: cytokine genes that validate_bench.py's
# generated atlas puts first (CytoSig's own genes), else genes spread over the file's gene list.
FALLBACK = {
    "interferons": ["IFNG", "IFNA1", "IFNA2", "IFNB1", "IFNW1"],
    "interleukins": ["IL1A", "IL1B", "IL2", "IL4", "IL10"],
    "growth_factors": ["EGF", "FGF2", "HGF", "VEGFA", "TGFB1"],
}


def read_markers(path):
    """A marker table (set, gene) as {set: [genes]} in first-appearance order, like MarkerSets.read."""
    import pandas as pd

    if path is None:
        return MARKERS
    table = pd.read_csv(path, sep="\t", dtype=str)
    table.columns = [c.lower() for c in table.columns]
    sets = {}
    for name, gene in zip(table["set"].str.strip(), table["gene"].str.strip()):
        if name and gene and gene not in sets.setdefault(name, []):
            sets[name].append(gene)
    return sets


def inputs(a) -> None:
    import anndata as ad
    import h5py

    with h5py.File(a.counts, "r") as f:
        genes = [str(g) for g in ad.io.read_elem(f["var"]).index]
        columns = list(f["obs"].attrs.get("column-order", []))
    present = set(genes)
    scored = [name for name, members in MARKERS.items() if any(g in present for g in members)]
    found = sorted({g for members in MARKERS.values() for g in members if g in present})
    print(f"{a.counts}: {len(scored)} of {len(MARKERS)} built-in marker sets have a gene in it ({', '.join(found) or 'none'})", file=sys.stderr)
    markers = "-"
    if len(scored) * 2 < len(MARKERS):
        sets = FALLBACK
        if not all(g in present for members in FALLBACK.values() for g in members):
            step = len(genes) // 5
            sets = {f"set_{k + 1}": [genes[k + i * step] for i in range(5)] for k in range(3)}
        os.makedirs(a.dir, exist_ok=True)
        markers = os.path.join(a.dir, "markers.tsv")
        with open(markers, "w") as out:
            out.write("set\tgene\n")
            for name, members in sets.items():
                out.writelines(f"{name}\t{g}\n" for g in members)
        listing = "; ".join(name + ": " + ",".join(members) for name, members in sets.items())
        print(f"  too few: scoring {markers} instead ({listing})", file=sys.stderr)
    print(markers, "cell_type" if "cell_type" in columns else "-")


def peer(a) -> None:
    import anndata as ad
    import pandas as pd
    import scanpy as sc

    start = time.perf_counter()
    adata = ad.read_h5ad(a.counts)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    present = set(adata.var_names)
    names = []
    for name, genes in read_markers(a.markers).items():
        genes = [g for g in genes if g in present]
        if not genes:
            continue
        sc.tl.score_genes(adata, genes, ctrl_size=adata.n_vars, n_bins=25, score_name=name, use_raw=False)
        names.append(name)
    seconds = time.perf_counter() - start
    os.makedirs(a.out, exist_ok=True)
    scores = adata.obs[names]
    scores.rename_axis("cell").to_csv(os.path.join(a.out, "cells.tsv"), sep="\t", float_format="%.17g")
    if "cell_type" in adata.obs:
        means = pd.concat([adata.obs["cell_type"].astype(str), scores], axis=1).groupby("cell_type")
        groups = means[names].mean().stack().rename("mean").to_frame().join(means.size().rename("cells"))
        groups.index.names = ["cell_type", "set"]
        groups[["cells", "mean"]].reset_index().to_csv(os.path.join(a.out, "groups.tsv"), sep="\t", index=False, float_format="%.17g")
    print(json.dumps({"sets": names, "seconds": round(seconds, 2), "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def compare(a) -> None:
    import anndata as ad
    import pandas as pd

    ours = ad.read_h5ad(os.path.join(a.sluice, "scores.h5ad"))
    theirs = pd.read_csv(os.path.join(a.peer, "cells.tsv"), sep="\t", index_col="cell")
    theirs.index = theirs.index.astype(str)
    if list(ours.var_names) != list(theirs.columns):
        sys.exit(f"the sets differ: sluice {list(ours.var_names)}, scanpy {list(theirs.columns)}")
    if ours.n_obs != len(theirs) or not (ours.obs_names == theirs.index).all():
        sys.exit(f"the cells differ: sluice {ours.n_obs}, scanpy {len(theirs)}")
    x = ours.X.toarray() if hasattr(ours.X, "toarray") else np.asarray(ours.X)
    worst = {"cell_score": float(np.abs(x.astype(np.float64) - theirs.to_numpy()).max())}
    if os.path.exists(os.path.join(a.peer, "groups.tsv")) and os.path.exists(os.path.join(a.sluice, "groups.tsv")):
        key = ["cell_type", "set"]
        mine = pd.read_csv(os.path.join(a.sluice, "groups.tsv"), sep="\t", dtype={"cell_type": str}).set_index(key)
        peer_groups = pd.read_csv(os.path.join(a.peer, "groups.tsv"), sep="\t", dtype={"cell_type": str}).set_index(key)
        if len(mine) != len(peer_groups) or (mine["cells"] != peer_groups.loc[mine.index, "cells"]).any():
            sys.exit("the cell types or their cell counts differ")
        worst["group_mean"] = float(np.abs(mine["mean"] - peer_groups.loc[mine.index, "mean"]).max())
    print(json.dumps(worst))


def main() -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    i = commands.add_parser("inputs")
    i.add_argument("counts")
    i.add_argument("dir")
    p = commands.add_parser("peer")
    p.add_argument("counts")
    p.add_argument("out")
    p.add_argument("markers", nargs="?")
    c = commands.add_parser("compare")
    c.add_argument("sluice")
    c.add_argument("peer")
    a = parser.parse_args()
    {"inputs": inputs, "peer": peer, "compare": compare}[a.command](a)


if __name__ == "__main__":
    main()
