#!/usr/bin/env python3
"""Driver of check-model.sh: `sluice model update` on scanpy's two 10x files, one batch each,
then `sluice model embed`, against the same steps in scanpy, numpy and scikit-learn:
normalize_total(1e4) + log1p on counts summed by gene id, IncrementalPCA.partial_fit on the
chunks sklearn's IncrementalPCA.fit makes of each batch (gen_batches with min_batch_size =
n_components), per-gene statistics over every cell that measured the gene, and transform.
Exits non-zero on any difference beyond 1e-6 relative (1e-4 for the float32 embeddings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import scanpy as sc
import scipy.sparse as sp
from sklearn.decomposition import IncrementalPCA
from sklearn.utils import gen_batches

ROOT = Path(__file__).resolve().parents[2]
DATASETS = [ROOT / "Tests/Fixtures/tenx_v3.h5", ROOT / "Tests/Fixtures/tenx_v2.h5"]
COMPONENTS, CHUNK = 10, 128
failures: list[str] = []


def check(name: str, ours, theirs, rtol: float) -> None:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        failures.append(f"{name}: shape {ours.shape} vs {theirs.shape}")
        return
    scale = max(np.abs(theirs).max(initial=0.0), 1e-300)
    worst = np.abs(ours - theirs).max(initial=0.0) / scale
    status = "ok" if worst <= rtol else "DIFFERS"
    print(f"{name}: largest difference {worst:.2e} of the largest value ({status})")
    if worst > rtol:
        failures.append(name)


def log_normalised(path: Path) -> tuple[list[str], np.ndarray, sp.csr_matrix, list[str]]:
    """Unique gene ids, their order, the cells' log-normalised values (cells x unique ids), cell ids."""
    adata = sc.read_10x_h5(str(path))
    counts = sp.csr_matrix(adata.X, dtype=np.float64)
    totals = np.asarray(counts.sum(axis=1)).ravel()
    keep = totals > 0
    counts, totals = counts[keep], totals[keep]
    ids = [i.split(".")[0] if i.startswith("ENS") else i for i in adata.var["gene_ids"]]
    unique = list(dict.fromkeys(ids))
    column = {g: k for k, g in enumerate(unique)}
    summing = sp.csr_matrix((np.ones(len(ids)), ([column[g] for g in ids], range(len(ids)))), shape=(len(unique), len(ids)))
    summed = (counts @ summing.T).tocsr()
    values = sp.diags(1e4 / totals) @ summed
    values.data = np.log1p(values.data)
    return unique, np.arange(len(unique)), values.tocsr(), list(np.asarray(adata.obs_names)[keep])


def trainer_example(sluice: str, work: Path) -> None:
    """examples/model/train.py as a model stage's external trainer, one item per batch: its
    last version's sums are every gene's log-normalised values summed over both datasets."""
    (work / "in").mkdir()
    expected: dict[str, float] = {}
    cells = 0
    for k, path in enumerate(DATASETS):
        adata = sc.read_10x_h5(str(path))
        adata.var_names_make_unique()
        adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
        adata.write_h5ad(work / "in" / f"d{k}.h5ad")
        counts = sp.csr_matrix(adata.X, dtype=np.float64)
        totals = np.asarray(counts.sum(axis=1)).ravel()
        values = sp.diags(np.divide(1e4, totals, out=np.zeros_like(totals), where=totals > 0)) @ counts
        values.data = np.log1p(values.data)
        for name, total in zip(adata.var_names, np.asarray(values.sum(axis=0)).ravel()):
            expected[name] = expected.get(name, 0.0) + total
        cells += adata.n_obs
    (work / "p.yaml").write_text(f"""workspace: {work / 'ws'}
budget: {{total: 1GB}}
items:
  - directory: {work / 'in'}
stages:
  - fetch: {{}}
  - model: {{every: 1, version_bytes: 16MB, command: [{sys.executable}, {ROOT / 'examples/model/train.py'}, --resume, "{{checkpoint}}", --data, "{{batch}}", --out, "{{next_checkpoint}}"]}}
""")
    subprocess.run([sluice, "run", str(work / "p.yaml"), "--quiet"], check=True)
    state = np.load(work / "ws/checkpoints/model/v000002/model.npz")
    if int(state["cells"]) != cells:
        failures.append(f"example trainer: {int(state['cells'])} cells, expected {cells}")
    sums = dict(zip(state["genes"].tolist(), state["sums"].tolist()))
    check("example trainer's gene sums", [sums[g] for g in expected], list(expected.values()), 1e-6)


def main() -> int:
    sluice, work = sys.argv[1], Path(sys.argv[2])
    data = [log_normalised(p) for p in DATASETS]
    # Features: 150 genes of each dataset and one no dataset has.
    features = list(dict.fromkeys(data[0][0][:150] + data[1][0][:150])) + ["ENSG99999999999"]
    (work / "features.txt").write_text("\n".join(features) + "\n")
    run = lambda *a: subprocess.run([sluice, "model", *a], check=True, capture_output=True, text=True)
    run("update", str(DATASETS[0]), "--out", str(work / "v1"), "--features", str(work / "features.txt"),
        "--components", str(COMPONENTS), "--chunk-size", str(CHUNK))
    run("update", str(DATASETS[1]), "--from", str(work / "v1"), "--out", str(work / "v2"))
    run("embed", str(work / "v2"), str(DATASETS[1]), "--out", str(work / "embeddings.parquet"))

    model = IncrementalPCA(n_components=COMPONENTS)
    genes: list[str] = []
    columns: dict[str, list[np.ndarray]] = {}
    for version, (unique, _, values, _) in zip(["v1", "v2"], data):
        position = {g: k for k, g in enumerate(unique)}
        dense = np.zeros((values.shape[0], len(features)))
        for f, g in enumerate(features):
            if g in position:
                dense[:, f] = values[:, position[g]].toarray().ravel()
        for chunk in gen_batches(dense.shape[0], CHUNK, min_batch_size=COMPONENTS):
            model.partial_fit(dense[chunk])
        for g in unique:
            if g not in columns:
                genes.append(g)
                columns[g] = []
            columns[g].append(values[:, position[g]].toarray().ravel())
        ours = json.loads((work / version / "model.json").read_text())
        pca = ours["pca"]
        if pca["samplesSeen"] != model.n_samples_seen_:
            failures.append(f"{version}: {pca['samplesSeen']} cells seen, scikit-learn {model.n_samples_seen_}")
        check(f"{version} mean", pca["mean"], model.mean_, 1e-6)
        check(f"{version} variance", pca["variance"], model.var_, 1e-6)
        check(f"{version} components", np.reshape(pca["componentVectors"], model.components_.shape), model.components_, 1e-6)
        check(f"{version} explained variance", pca["explainedVariance"], model.explained_variance_, 1e-6)
        check(f"{version} explained variance ratio", pca["explainedVarianceRatio"], model.explained_variance_ratio_, 1e-6)
        if ours["genes"] != genes:
            failures.append(f"{version}: genes differ")
            continue
        stats = ours["statistics"]
        pooled = [np.concatenate(columns[g]) for g in genes]
        if stats["cells"] != [len(v) for v in pooled] or stats["detected"] != [int((v != 0).sum()) for v in pooled]:
            failures.append(f"{version}: cell or detection counts differ")
        check(f"{version} gene means", stats["mean"], [v.mean() for v in pooled], 1e-6)
        variance = np.asarray(stats["squaredDeviations"]) / np.asarray(stats["cells"])
        check(f"{version} gene variances", variance, [v.var() for v in pooled], 1e-6)

    unique, _, values, cells = data[1]
    position = {g: k for k, g in enumerate(unique)}
    dense = np.zeros((values.shape[0], len(features)))
    for f, g in enumerate(features):
        if g in position:
            dense[:, f] = values[:, position[g]].toarray().ravel()
    table = pq.read_table(work / "embeddings.parquet")
    if table.column("cell_id").to_pylist() != cells:
        failures.append("embedding cell ids differ")
    check("embeddings", np.asarray(table.column("embedding").to_pylist()), model.transform(dense), 1e-4)
    trainer_example(sluice, work)
    print("model check:", "passed" if not failures else "FAILED: " + ", ".join(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
