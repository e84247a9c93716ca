#!/usr/bin/env python3
"""Driver of check-geneformer.sh: builds a token dictionary and a median table for scanpy's 10x
files, runs the reference and `sluice preprocess run-all` with each Geneformer preset, and
compares every cell's input_ids.  Also an h5ad copy with versioned Ensembl ids in
var["ensembl_id"] and two genes sharing an id (summed), so the id column, the version cut and
the summing are checked too.  Exits non-zero on any difference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "scripts/reference/geneformer_tokenize.py"


def dictionaries(ids: list[str], work: Path, seed: int) -> tuple[Path, Path]:
    """Token ids in a shuffled order after Geneformer's specials, one gene in 20 left out of the
    dictionary and one in 25 without a median; medians from a few values, so equal scores (ties)
    are common, as they are with real medians and small counts."""
    rng = np.random.default_rng(seed)
    unique = sorted(set(ids))
    order = rng.permutation(len(unique))
    tokens = {"<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3}
    for rank, k in enumerate(order):
        if k % 20 != 7:
            tokens[unique[k]] = 4 + rank
    tokens["ENSG99999999999"] = 4 + len(unique)  # in the dictionary, not in the data
    levels = [0.5, 1.0, 1.25, 2.0, 3.0, 7.5]
    medians = {g: float(levels[rng.integers(len(levels))]) for g in unique if rng.integers(25) != 0}
    token_path, median_path = work / f"tokens{seed}.json", work / f"medians{seed}.json"
    token_path.write_text(json.dumps(tokens))
    median_path.write_text(json.dumps(medians))
    return token_path, median_path


def shards(folder: Path) -> dict[str, list[int]]:
    import pyarrow.parquet as pq

    cells: dict[str, list[int]] = {}
    for path in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(path, columns=["cell_id", "input_ids", "length"])
        for cell, ids, length in zip(*(table.column(c).to_pylist() for c in ["cell_id", "input_ids", "length"])):
            assert length == len(ids), f"{path}: cell {cell} has length {length} but {len(ids)} ids"
            assert cell not in cells, f"cell {cell} appears twice"
            cells[cell] = ids
    return cells


def exact_medians(paths: list[Path], column_of: dict) -> dict[str, float]:
    """numpy.median of each gene's (x * 10000) / n_counts over the non-zero values of every cell
    with counts, pooled over `paths`, genes by Ensembl id (version cut, duplicates summed)."""
    import scipy.sparse as sp

    sys.path.insert(0, str(REFERENCE.parent))
    from geneformer_tokenize import gene_ids, read

    values: dict[str, list[np.ndarray]] = {}
    for path in paths:
        adata = read(str(path))
        X = sp.csr_matrix(adata.X, dtype=np.float64)
        ids = gene_ids(adata, column_of.get(path))
        unique = sorted(set(ids))
        collapse = sp.csr_matrix((np.ones(len(ids)), (np.arange(len(ids)), [unique.index(i) for i in ids])), shape=(len(ids), len(unique)))
        n = np.asarray(X.sum(axis=1)).ravel()
        T = sp.csc_matrix(X[n > 0] @ collapse)
        n = n[n > 0]
        for j, gene in enumerate(unique):
            start, end = T.indptr[j], T.indptr[j + 1]
            rows, data = T.indices[start:end], T.data[start:end]
            keep = data != 0
            if keep.any():
                values.setdefault(gene, []).append((data[keep] * 10000.0) / n[rows[keep]])
    return {gene: float(np.median(np.concatenate(parts))) for gene, parts in values.items()}


def check_digests(sluice: str, work: Path, paths: list[Path], column_of: dict) -> int:
    """Each dataset's digest, and their merge in either order, against exact medians."""
    failures = 0
    digests = []
    for number, path in enumerate(paths):
        digest = work / f"d{number}.digest"
        command = [sluice, "preprocess", "digest", str(path), "--digest-out", str(digest), "--log-dir", str(work / "digest-logs")]
        if path in column_of:
            command += ["--gene-id-column", column_of[path]]
        subprocess.run(command, check=True, capture_output=True)
        digests.append(digest)
    cases = [(f"{p.name} alone", [p], [d]) for p, d in zip(paths, digests)] + [("all merged", paths, digests)]
    for label, members, files in cases:
        out = work / "medians.json"
        subprocess.run([sluice, "preprocess", "merge-digests", *map(str, files), "--out", str(out)], check=True, capture_output=True)
        got = json.loads(out.read_text())
        exact = exact_medians(members, column_of)
        worst = max(abs(got[g] - exact[g]) / exact[g] for g in exact) if set(got) == set(exact) else float("inf")
        ok = set(got) == set(exact) and worst <= 0.001 * (1 + 1e-9)
        failures += 0 if ok else 1
        print(f"digest {label}: {len(exact)} genes, largest relative error {worst:.2e} (bound 1e-03){'' if ok else ' MISMATCH'}")
    # The merge is the same bytes whatever the order.
    forward, backward = work / "f.digest", work / "b.digest"
    for files, target in [(digests, forward), (digests[::-1], backward)]:
        subprocess.run([sluice, "preprocess", "merge-digests", *map(str, files), "--out", str(work / "x.json"), "--digest-out", str(target)], check=True, capture_output=True)
    if forward.read_bytes() != backward.read_bytes():
        failures += 1
        print("digest merge: MISMATCH: merging in reverse order gives other bytes")
    return failures


def check_run(sluice: str, work: Path, inputs: list) -> int:
    """The same datasets through `sluice run`: digested, medians merged at a barrier, tokenized
    with them (--preset geneformer-30m, a token dictionary), and gathered by a corpus stage.
    Every cell's tokens equal the reference's with the merged medians, and datasets.load_dataset
    loads the corpus manifest's train and test shards with every cell."""
    import shutil

    import pyarrow.parquet as pq
    from datasets import load_dataset

    served = work / "run-in"
    served.mkdir()
    names = []
    for k, (path, _, _) in enumerate(inputs):
        names.append(f"d{k}")
        shutil.copy(path, served / f"d{k}{path.suffix}")
    token_path, _ = dictionaries(sorted({i for _, ids, _ in inputs for i in ids}), work, seed=7)
    (work / "run.yaml").write_text(f"""workspace: {work / 'ws'}
budget: {{total: 2GB}}
items:
  - directory: {served}
stages:
  - fetch: {{}}
  - digest: {{name: digest}}
  - digest: {{name: medians, per: all}}
  - preprocess: {{name: tokenize, from: fetch, medians: corpus, vocabulary: {token_path}, preset: geneformer-30m, test_size: 0.2}}
  - corpus: {{}}
""")
    run = subprocess.run([sluice, "run", str(work / "run.yaml"), "--quiet"], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"sluice run: failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
        return 1
    medians = work / "ws/interim/groups/all/medians/medians.json"
    failures = 0
    total = 0
    for name, (path, _, column) in zip(names, inputs):
        reference_out = work / f"run-reference-{name}.json"
        command = [sys.executable, str(REFERENCE), str(path), "--token-dictionary", str(token_path), "--medians", str(medians), "--preset", "geneformer-30m", "--out", str(reference_out)]
        if column:
            command += ["--gene-id-column", column]
        subprocess.run(command, check=True, capture_output=True, text=True)
        expected = {c["cell_id"]: c["input_ids"] for c in json.loads(reference_out.read_text())["cells"]}
        got = shards(work / "ws/output" / name)
        total += len(expected)
        if got != expected:
            failures += 1
            print(f"sluice run {name}: MISMATCH with corpus medians: {sum(got.get(c) != v for c, v in expected.items())} of {len(expected)} cells differ")
    corpus = work / "ws/output/corpus"
    manifest = json.loads((corpus / "manifest.json").read_text())
    files = {split: [str(corpus / s["path"]) for s in shards_] for split, shards_ in manifest["shards"].items()}
    files = {split: paths for split, paths in files.items() if sum(pq.read_metadata(p).num_rows for p in paths) > 0}
    loaded = load_dataset("parquet", data_files=files, cache_dir=str(work / "hf-cache"))
    rows = {split: loaded[split].num_rows for split in loaded}
    if sum(rows.values()) != total or rows != {s: n for s, n in manifest["rows"].items() if n > 0}:
        failures += 1
        print(f"sluice run corpus: datasets.load_dataset gave {rows}, manifest says {manifest['rows']}, expected {total} cells")
    if failures == 0:
        print(f"sluice run with medians: corpus: {total} cells of {len(names)} datasets identical to the reference with the merged medians; the corpus manifest loads {rows}")
    return failures


def main() -> int:
    sluice, work = sys.argv[1], Path(sys.argv[2])
    import anndata
    import scanpy as sc

    inputs = []
    for name in ["tenx_v3.h5", "tenx_v2.h5"]:
        path = ROOT / "Tests/Fixtures" / name
        ids = [str(i) for i in sc.read_10x_h5(str(path), gex_only=True).var["gene_ids"]]
        inputs.append((path, ids, None))
    # An h5ad whose ids sit in var["ensembl_id"] with version suffixes, two genes sharing one.
    adata = sc.read_10x_h5(str(ROOT / "Tests/Fixtures/tenx_v3.h5"), gex_only=True)
    ids = [str(i) for i in adata.var["gene_ids"]]
    ids[5] = ids[4]
    adata.var = adata.var.drop(columns=[c for c in adata.var.columns])
    adata.var["ensembl_id"] = [f"{i}.{k % 9 + 1}" for k, i in enumerate(ids)]
    adata.var_names = [f"gene{k}" for k in range(adata.n_vars)]
    versioned = work / "versioned.h5ad"
    adata.write_h5ad(versioned)
    inputs.append((versioned, ids, "ensembl_id"))

    failures = 0
    for number, (path, ids, column) in enumerate(inputs):
        token_path, median_path = dictionaries(ids, work, seed=number)
        for preset in ["geneformer-30m", "geneformer-95m"]:
            label = f"{path.name} {preset}"
            reference_out = work / f"reference{number}-{preset}.json"
            command = [sys.executable, str(REFERENCE), str(path), "--token-dictionary", str(token_path), "--medians", str(median_path), "--preset", preset, "--out", str(reference_out)]
            if column:
                command += ["--gene-id-column", column]
            counts = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
            expected = {c["cell_id"]: c["input_ids"] for c in json.loads(reference_out.read_text())["cells"]}
            out = work / f"sluice{number}-{preset}"
            command = [sluice, "preprocess", "run-all", str(path), "--dataset-name", "d", "--output-dir", str(out / "output"), "--interim-dir", str(out / "interim"), "--log-dir", str(out / "logs"), "--vocabulary", str(token_path), "--medians", str(median_path), "--preset", preset]
            if column:
                command += ["--gene-id-column", column]
            run = subprocess.run(command, capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{label}: sluice failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
                failures += 1
                continue
            got = shards(out / "output" / "d")
            differing = [c for c in expected if got.get(c) != expected[c]]
            extra = sorted(set(got) - set(expected))
            if differing or extra:
                failures += 1
                print(f"{label}: MISMATCH: {len(differing)} of {len(expected)} cells differ, {len(extra)} cells only in Sluice's output")
                for cell in differing[:3]:
                    print(f"  {cell}: reference {expected[cell][:12]} sluice {(got.get(cell) or [])[:12]}")
                continue
            # Hugging Face datasets loads the train and test splits with every cell.
            from datasets import load_dataset

            folder = out / "output" / "d"
            import pyarrow.parquet as pq

            files = {split: sorted(str(p) for p in (folder / split).rglob("*.parquet")) for split in ["train", "test"]}
            # A split with no rows (5 % of a 12-cell file) is one `datasets` refuses to load.
            files = {split: paths for split, paths in files.items() if sum(pq.read_metadata(p).num_rows for p in paths) > 0}
            loaded = load_dataset("parquet", data_files=files, cache_dir=str(work / "hf-cache"))
            rows = {split: loaded[split].num_rows for split in loaded}
            if sum(rows.values()) != len(expected) or loaded["train"].features["input_ids"].feature.dtype != "int32":
                failures += 1
                print(f"{label}: datasets.load_dataset gave {rows} rows ({loaded['train'].features}), expected {len(expected)} cells")
                continue
            # The manifest names every shard with its rows and SHA-256, as they are on disk.
            import hashlib

            manifest = json.loads((folder / "manifest.json").read_text())
            listed = [shard for split in manifest["shards"].values() for shard in split]
            wrong = [s["path"] for s in listed if hashlib.sha256((folder / s["path"]).read_bytes()).hexdigest() != s["sha256"] or pq.read_metadata(folder / s["path"]).num_rows != s["rows"]]
            if wrong or sum(s["rows"] for s in listed) != len(expected) or manifest["preset"] != preset:
                failures += 1
                print(f"{label}: manifest.json does not match the shards: {wrong[:3]}")
                continue
            longest = max(len(v) for v in expected.values())
            print(f"{label}: {len(expected)} cells identical ({counts['cells_with_ties']} decided by a tie; {counts['genes_kept']} of {counts['genes_in_file']} genes tokenized; longest {longest}); datasets loads {rows}")
    failures += check_digests(sluice, work, [path for path, _, _ in inputs], column_of={versioned: "ensembl_id"})
    failures += check_run(sluice, work, inputs)
    print("geneformer check: " + ("OK" if failures == 0 else f"{failures} FAILED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
