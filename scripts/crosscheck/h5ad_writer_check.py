"""Converts every good fixture with `sluice convert` and checks anndata reads the result as the reference.

usage: h5ad_writer_check.py SLUICE_BIN FIXTURES_DIR OUT_DIR
"""
import gzip
import importlib.metadata
import json
import math
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scipy.sparse as sp

sluice, fixtures, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
manifest = json.loads((fixtures / "manifest.json").read_text())
failures = []


def same(value, ref):
    if ref is None:
        return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA
    if ref == "NaN":
        return isinstance(value, float) and math.isnan(value)
    if isinstance(ref, bool):
        return bool(value) == ref
    if isinstance(ref, (int, float)):
        return float(value) == float(ref) or np.float32(value) == np.float32(ref)
    return str(value) == ref


def check_frame(frame, expected, what, name):
    if set(frame.columns) != set(expected):
        failures.append(f"{name}: {what} columns {sorted(frame.columns)} != {sorted(expected)}")
        return
    for column, ref in expected.items():
        series = frame[column]
        if ref["kind"] == "categorical":
            if not isinstance(series.dtype, pd.CategoricalDtype):
                failures.append(f"{name}: {what}.{column} is {series.dtype}, not categorical")
                continue
            if list(map(str, series.cat.categories)) != ref["categories"] or bool(series.cat.ordered) != ref["ordered"]:
                # Sluice keeps every category the source declares, in order of first use; compare as sets.
                if set(map(str, series.cat.categories)) != set(ref["categories"]):
                    failures.append(f"{name}: {what}.{column} categories differ")
        values = [None if (v is pd.NA or (ref["kind"] != "float" and v is None)) else v for v in series.astype(object)]
        for i, (v, r) in enumerate(zip(values, ref["values"])):
            if isinstance(v, float) and math.isnan(v) and r is None and ref["kind"] == "categorical":
                continue
            if not same(v, r):
                failures.append(f"{name}: {what}.{column}[{i}] = {v!r}, expected {r!r}")
                break


checked = 0
for entry in manifest:
    if entry["kind"] != "good" or not entry.get("expected"):
        continue
    raw = (fixtures / entry["expected"]).read_bytes()
    expected = json.loads(gzip.decompress(raw) if entry["expected"].endswith(".gz") else raw)
    source = expected.get("matrix_source") or "X"
    matrix = {"X": None, "raw/X": "raw", "raw.X": "raw"}.get(source, source) if expected["format"] == "h5ad" else None
    target = out / (entry["expected"].replace(".gz", "").replace(".expected.json", "") + ".h5ad")
    # The references read every feature (scanpy's gex_only=False), so the conversion keeps them all.
    argv = [sluice, "convert", str(fixtures / entry["file"]), str(target), "--chunk-size", "7", "--feature-types", "all"]
    if matrix:
        argv += ["--matrix", matrix]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    adata = ad.read_h5ad(target)
    name = entry["expected"]
    X = sp.csr_matrix(adata.X)
    X.eliminate_zeros()
    X.sort_indices()
    if X.shape != (expected["n_cells"], expected["n_genes"]):
        failures.append(f"{name}: shape {X.shape}")
    elif (list(X.indptr) != expected["csr"]["indptr"] or list(X.indices) != expected["csr"]["indices"]
          or not np.array_equal(X.data.astype(np.float32), np.asarray(expected["csr"]["data"], dtype=np.float32))):
        failures.append(f"{name}: matrix differs")
    if list(adata.obs_names) != expected["obs_index"]:
        failures.append(f"{name}: obs names differ")
    if list(adata.var_names) != expected["var_index"]:
        failures.append(f"{name}: var names differ")
    check_frame(adata.obs, expected["obs"], "obs", name)
    check_frame(adata.var, expected["var"], "var", name)
    checked += 1

for failure in failures:
    print("MISMATCH", failure)
print(f"h5ad writer: {checked} fixtures converted and read back by anndata {importlib.metadata.version('anndata')}, {len(failures)} mismatches")
sys.exit(1 if failures or checked == 0 else 0)
