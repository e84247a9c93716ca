#!/usr/bin/env python3
"""Helpers for scripts/bench/corpus_vs_python.sh (corpus builder: Sluice `preprocess run-all` vs
an equivalent scanpy/numpy/pyarrow script).

Subcommands (measurements are printed as one JSON object on stdout, progress on stderr):

  gen        --cells N --genes G --density D --seed S --out FILE.h5ad [--block B]
             Writes a CSR h5ad STREAMING with h5py in anndata's on-disk layout (X: csr_matrix group,
             data float32 / indices int32 / indptr int64, resizable chunked gzip datasets appended
             one block of cells at a time; obs/var dataframes with _index, column-order and
             categorical groups). Never holds the whole matrix. Counts: per-gene Bernoulli
             (mean ~ D) times 1 + NB(theta 2, per-gene mean) -- the same model as read_bench.py.
             var index: Ensembl-like ids ENSG00000000001.. in a seeded random column order (so token
             order != column order); var column gene_symbols: GENE<j>, 13 of them MT-*.
             obs: cell_type (categorical, 32), donor_id (categorical, 20), development_stage
             (categorical, one label per donor, e.g. "45-year-old human stage"), sex (categorical).
             Checks that anndata.read_h5ad(backed='r') opens it. Skips an existing file.
  python     FILE --top T --chunk C --out DIR
             The equivalent Python corpus builder, timed in this process (see run_python).
  compare    SLUICE_DATASET_DIR PYTHON_DIR
             Token agreement: input_ids of every cell (train + test shards, matched by cell_id),
             plus n_counts / n_genes / pct_mito / length / age equality.
  summarize  RESULTS.jsonl --out OUT.json
"""
import argparse
import glob
import json
import os
import re
import resource
import sys
import time

import numpy as np
from bench_common import csr_block, fmt_bytes, gene_parameters


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def peak_rss_self():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


# ----------------------------------------------------------------------------------------------
# Generation

MT_SYMBOLS = ["MT-ND1", "MT-ND2", "MT-CO1", "MT-CO2", "MT-ATP8", "MT-ATP6", "MT-CO3", "MT-ND3",
              "MT-ND4L", "MT-ND4", "MT-ND5", "MT-ND6", "MT-CYB"]
CELL_TYPES = [f"cell type {k}" for k in range(32)]
STAGES = ["45-year-old human stage", "25-year-old human stage", "63-year-old human stage",
          "third decade human stage", "sixth decade human stage", "80 year-old and over human stage",
          "3-month-old human stage", "newborn human stage", "human adult stage", "unknown",
          "21st week post-fertilization human stage", "38-year-old human stage"]


def mito_columns(genes):
    k = min(len(MT_SYMBOLS), genes)
    return np.linspace(0, genes - 1, k).astype(np.int64) if k else np.zeros(0, np.int64)


def write_strings(group, name, values, compression):
    import h5py
    dt = h5py.string_dtype(encoding="utf-8")
    ds = group.create_dataset(name, data=np.array(values, dtype=object), dtype=dt, compression=compression)
    ds.attrs["encoding-type"] = "string-array"
    ds.attrs["encoding-version"] = "0.2.0"
    return ds


def write_categorical(group, name, codes, categories, compression):
    g = group.create_group(name)
    g.attrs["encoding-type"] = "categorical"
    g.attrs["encoding-version"] = "0.2.0"
    g.attrs["ordered"] = False
    g.create_dataset("codes", data=codes, compression=compression)
    write_strings(g, "categories", categories, compression)


def write_dataframe(group, index, columns, compression):
    import h5py
    group.attrs["encoding-type"] = "dataframe"
    group.attrs["encoding-version"] = "0.2.0"
    group.attrs["_index"] = "_index"
    group.attrs.create("column-order", np.array(list(columns), dtype=object),
                       dtype=h5py.string_dtype(encoding="utf-8"))
    write_strings(group, "_index", index, compression)
    for name, col in columns.items():
        if col[0] == "categorical":
            write_categorical(group, name, col[1], col[2], compression)
        else:
            write_strings(group, name, col[1], compression)


def cmd_gen(a):
    import h5py

    sidecar = a.out + ".gen.json"
    if os.path.exists(a.out):
        log(f"  {a.out} exists, skipping generation")
        info = json.load(open(sidecar)) if os.path.exists(sidecar) else {}
        info.update({"path": a.out, "bytes": os.path.getsize(a.out), "generated": False})
        print(json.dumps(info))
        return
    t0 = time.perf_counter()
    cells, genes = a.cells, a.genes
    p, mu = gene_parameters(genes, a.density, a.seed)
    mito = mito_columns(genes)
    p[mito] = 0.9  # mitochondrial genes: expressed in most cells, a few % of the counts
    mu[mito] = np.maximum(mu[mito], 3.0)
    nb_p = 2.0 / (2.0 + mu)
    rng = np.random.default_rng([a.seed, 3])
    # var: Ensembl-like ids, in a random column order (token order = id order != column order)
    # With --core, only the first `core` ids are shared; the others are numbered from --id-offset,
    # so that datasets generated with different offsets have different gene sets.
    core = genes if a.core is None else a.core
    ids = np.array([f"ENSG{(j if j < core else a.id_offset + j) + 1:011d}" for j in range(genes)], dtype=object)[rng.permutation(genes)]
    symbols = np.array([f"GENE{j}" for j in range(genes)], dtype=object)
    symbols[mito] = MT_SYMBOLS[:len(mito)]
    # obs: cellxgene-like categoricals (per cell codes are small: int8)
    n_donors = 20
    donor = rng.integers(0, n_donors, size=cells).astype(np.int8)
    donor_stage = rng.integers(0, len(STAGES), size=n_donors)
    donor_sex = rng.integers(0, 2, size=n_donors)
    stage_codes = donor_stage[donor].astype(np.int8)
    sex_codes = donor_sex[donor].astype(np.int8)
    cell_type = rng.integers(0, len(CELL_TYPES), size=cells).astype(np.int8)

    partial = a.out + ".partial"
    comp = "gzip"
    chunk = a.chunk_elements
    stored = 0
    with h5py.File(partial, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        X = f.create_group("X")
        X.attrs["encoding-type"] = "csr_matrix"
        X.attrs["encoding-version"] = "0.1.0"
        X.attrs["shape"] = np.array([cells, genes], dtype=np.int64)
        data = X.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(chunk,),
                                compression=comp, compression_opts=4)
        indices = X.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=(chunk,),
                                   compression=comp, compression_opts=4)
        indptr = X.create_dataset("indptr", shape=(1,), maxshape=(None,), dtype=np.int64, chunks=(65536,),
                                  compression=comp, compression_opts=4)
        indptr[0] = 0
        last_report = time.perf_counter()
        for number, start in enumerate(range(0, cells, a.block)):
            rows = min(a.block, cells - start)
            counts, idx, vals = csr_block(number, rows, genes, p, nb_p, a.seed)
            n = len(idx)
            data.resize((stored + n,))
            data[stored:stored + n] = vals
            indices.resize((stored + n,))
            indices[stored:stored + n] = idx
            ptr = stored + np.cumsum(counts, dtype=np.int64)
            indptr.resize((start + rows + 1,))
            indptr[start + 1:start + rows + 1] = ptr
            stored += n
            if time.perf_counter() - last_report > 30:
                last_report = time.perf_counter()
                el = last_report - t0
                log(f"    {start + rows}/{cells} cells, {stored} stored, {el:.0f} s "
                    f"(eta {el / (start + rows) * (cells - start - rows):.0f} s)")
        write_dataframe(f.create_group("obs"), [f"cell_{i:07d}" for i in range(cells)], {
            "cell_type": ("categorical", cell_type, CELL_TYPES),
            "donor_id": ("categorical", donor, [f"donor_{k:02d}" for k in range(n_donors)]),
            "development_stage": ("categorical", stage_codes, STAGES),
            "sex": ("categorical", sex_codes, ["female", "male"]),
        }, comp)
        write_dataframe(f.create_group("var"), ids, {} if a.ids_only else {"gene_symbols": ("strings", symbols)}, comp)
        for name in ("layers", "obsm", "obsp", "varm", "varp", "uns"):
            g = f.create_group(name)
            g.attrs["encoding-type"] = "dict"
            g.attrs["encoding-version"] = "0.1.0"
    seconds = time.perf_counter() - t0
    # anndata must open it (backed: X stays on disk)
    import anndata as ad
    b = ad.read_h5ad(partial, backed="r")
    assert b.shape == (cells, genes), b.shape
    assert list(b.obs.columns) == ["cell_type", "donor_id", "development_stage", "sex"], list(b.obs.columns)
    assert str(b.obs["donor_id"].dtype) == "category"
    first = b.X[0:min(5, cells)]
    assert first.shape == (min(5, cells), genes)
    b.file.close()
    os.replace(partial, a.out)
    size = os.path.getsize(a.out)
    log(f"  wrote {a.out}: {cells} x {genes}, {stored} stored (density {stored / cells / genes:.4f}), "
        f"{size / 1e9:.2f} GB, {seconds:.0f} s; anndata backed='r' opens it")
    info = {"path": a.out, "bytes": size, "stored": int(stored), "generated": True, "cells": cells,
            "genes": genes, "density": a.density, "seed": a.seed, "seconds": seconds,
            "peak_rss_bytes": peak_rss_self(), "loadavg_after": os.getloadavg()}
    with open(sidecar, "w") as fh:
        json.dump(info, fh)
    print(json.dumps(info))


# ----------------------------------------------------------------------------------------------
# The equivalent Python corpus builder

WEEKS_PER_YEAR = 52.1775
ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
           "eighth": 8, "ninth": 9, "tenth": 10}


def dev_age(label):
    """scripts/reference/make_preprocess_reference.py, section D."""
    for pat, f in ((r"^([0-9]+)-year-old human stage$", lambda m: float(int(m.group(1)))),
                   (r"^([0-9]+) year-old and over human stage$", lambda m: float(int(m.group(1)))),
                   (r"^(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) decade human stage$",
                    lambda m: float(10 * (ORDINAL[m.group(1)] - 1) + 5)),
                   (r"^([0-9]+)-month-old human stage$", lambda m: int(m.group(1)) / 12.0),
                   (r"^newborn human stage$", lambda m: 0.0),
                   (r"^([0-9]+)(st|nd|rd|th) week post-fertilization human stage$",
                    lambda m: (int(m.group(1)) / WEEKS_PER_YEAR) - 0.75),
                   (r"^([0-9]+)-week-old stage$", lambda m: int(m.group(1)) / WEEKS_PER_YEAR),
                   (r"^([0-9]+)-month-old stage$", lambda m: int(m.group(1)) / 12.0)):
        m = re.match(pat, label)
        if m:
            return f(m)
    return None


def run_python(path, top, chunk, out):
    """What a Python user would write for the same corpus (spec: make_preprocess_reference.py, C),
    vectorized with numpy, float64 and the exact formula v = (x * 10000.0) / n_counts:
      read_h5ad (whole matrix in memory) -> per-cell n_counts / n_genes / pct_mito ->
      nonzero per-gene medians (CSC, np.median per gene) -> columns renumbered to token order ->
      per cell: score = v / median, stable argsort of -score (ties: token ascending), first `top`
      -> per chunk of cells a pyarrow table with the corpus columns + obs metadata + age ->
      Parquet zstd, one file per chunk. (A fully vectorized np.lexsort over a whole chunk was
      ~15x slower than this per-cell loop, so the faster variant is the baseline.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import scanpy as sc

    times = {}
    t = time.perf_counter()
    adata = sc.read_h5ad(path)
    X = adata.X
    if not X.has_sorted_indices:
        X.sort_indices()
    times["read"] = time.perf_counter() - t

    t = time.perf_counter()
    # vocabulary: dataset ids sorted by code point -> 4, 5, ...
    ids = np.asarray(adata.var_names, dtype=object)
    order = sorted(range(len(ids)), key=lambda j: ids[j])
    token_of_col = np.empty(len(ids), dtype=np.int32)
    token_of_col[np.array(order, dtype=np.int64)] = np.arange(len(ids), dtype=np.int32) + 4
    symbols = adata.var["gene_symbols"] if "gene_symbols" in adata.var.columns else adata.var_names
    mito = np.asarray([str(s).startswith("MT-") for s in symbols])
    # QC (float64; counts are integers so the sums are exact)
    n_counts = np.asarray(X.sum(axis=1, dtype=np.float64)).ravel()
    n_genes = np.diff(X.indptr).astype(np.int32)  # stored values are all > 0 here
    mito_counts = np.asarray(X[:, np.nonzero(mito)[0]].sum(axis=1, dtype=np.float64)).ravel()
    pct = np.zeros(X.shape[0])
    nz = n_counts > 0
    pct[nz] = (100.0 * mito_counts[nz]) / n_counts[nz]
    assert nz.all(), "cells without counts: not handled by this benchmark"
    times["qc"] = time.perf_counter() - t

    t = time.perf_counter()
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    v = (X.data.astype(np.float64) * 10000.0) / n_counts[rows]
    del rows
    import scipy.sparse as sp
    V = sp.csr_matrix((v, X.indices, X.indptr), shape=X.shape).tocsc()
    medians = np.full(X.shape[1], np.nan)
    for g in range(X.shape[1]):
        seg = V.data[V.indptr[g]:V.indptr[g + 1]]
        if len(seg):
            medians[g] = np.median(seg)
    del V, v
    times["medians"] = time.perf_counter() - t

    t = time.perf_counter()
    # Columns renumbered to token order and sorted within each row, so that a stable sort by
    # descending score leaves ties in ascending token order (the spec's tie rule).
    Xt = sp.csr_matrix((X.data, token_of_col[X.indices] - 4, X.indptr), shape=X.shape)
    Xt.sort_indices()
    med_t = np.full(X.shape[1], np.nan)
    med_t[token_of_col - 4] = medians
    times["token_order"] = time.perf_counter() - t

    t = time.perf_counter()
    obs = adata.obs
    stage_age = None
    if "development_stage" in obs.columns:
        labels = obs["development_stage"].astype(str)
        ages = {lb: dev_age(lb) for lb in labels.unique()}
        stage_age = labels.map(ages)
    os.makedirs(out, exist_ok=True)
    cell_ids = np.asarray(adata.obs_names, dtype=object)
    n = X.shape[0]
    files = 0
    indptr, indices, data = Xt.indptr, Xt.indices, Xt.data
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        counts = np.diff(indptr[start:stop + 1])
        lengths = np.minimum(counts, top).astype(np.int32)
        offsets = np.zeros(len(lengths) + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        values = np.empty(int(offsets[-1]), dtype=np.int32)
        for k, c in enumerate(range(start, stop)):
            lo, hi = indptr[c], indptr[c + 1]
            col = indices[lo:hi]
            score = ((data[lo:hi].astype(np.float64) * 10000.0) / n_counts[c]) / med_t[col]
            order = np.argsort(-score, kind="stable")[:top]
            values[offsets[k]:offsets[k + 1]] = col[order] + 4
        cols = {
            "cell_id": pa.array(cell_ids[start:stop], type=pa.string()),
            "input_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(values, type=pa.int32())),
            "length": pa.array(lengths),
            "n_counts": pa.array(n_counts[start:stop]),
            "n_genes": pa.array(n_genes[start:stop]),
            "pct_mito": pa.array(pct[start:stop]),
        }
        for name in obs.columns:
            cols[name] = pa.array(obs[name].iloc[start:stop].astype(str).to_numpy(dtype=object), type=pa.string())
        if stage_age is not None:
            cols["age"] = pa.array(stage_age.iloc[start:stop].to_numpy(dtype=object), type=pa.float64())
        pq.write_table(pa.table(cols), os.path.join(out, f"chunk_{files:04d}.parquet"), compression="zstd")
        files += 1
    times["tokens_and_write"] = time.perf_counter() - t
    return n, int(X.nnz), times, files


def cmd_python(a):
    import anndata  # noqa: F401  (imports are part of the baseline, not of the timing)
    import pyarrow  # noqa: F401
    import scanpy  # noqa: F401

    baseline = peak_rss_self()
    load = os.getloadavg()
    t0 = time.perf_counter()
    cells, stored, times, files = run_python(a.file, a.top, a.chunk, a.out)
    seconds = time.perf_counter() - t0
    print(json.dumps({"cells": cells, "stored": stored, "seconds": seconds, "cells_per_second": cells / seconds,
                      "phases": times, "files": files, "peak_rss_bytes": peak_rss_self(),
                      "baseline_rss_bytes": baseline, "loadavg_before": load,
                      "loadavg_after": os.getloadavg()}, sort_keys=True))


# ----------------------------------------------------------------------------------------------
# Token agreement


def read_corpus(files, columns):
    import pyarrow as pa
    import pyarrow.parquet as pq
    tables = [pq.read_table(f, columns=columns) for f in sorted(files)]
    return pa.concat_tables(tables).combine_chunks()


def cmd_compare(a):
    import pyarrow as pa  # noqa: F401

    t0 = time.perf_counter()
    sl_files = glob.glob(os.path.join(a.sluice, "train", "chunks", "*.parquet")) + \
        glob.glob(os.path.join(a.sluice, "test", "chunks", "*.parquet"))
    py_files = glob.glob(os.path.join(a.python, "*.parquet"))
    cols = ["cell_id", "input_ids", "length", "n_counts", "n_genes", "pct_mito"]
    s = read_corpus(sl_files, None)
    p = read_corpus(py_files, None)
    result = {"sluice_files": len(sl_files), "python_files": len(py_files),
              "sluice_cells": s.num_rows, "python_cells": p.num_rows,
              "sluice_columns": s.column_names, "python_columns": p.column_names}
    import pandas as pd
    p_index = pd.Index(p.column("cell_id").to_numpy(zero_copy_only=False))
    s_ids = s.column("cell_id").to_numpy(zero_copy_only=False)
    where = p_index.get_indexer(s_ids)
    result["sluice_cells_not_in_python"] = int((where < 0).sum())
    result["duplicate_cell_ids_sluice"] = int(len(s_ids) - len(set(s_ids)))
    ok = where >= 0
    s_rows = np.nonzero(ok)[0]
    p_rows = where[ok]
    result["matched_cells"] = int(len(s_rows))
    result["python_cells_not_in_sluice"] = int(p.num_rows - len(np.unique(p_rows)))

    def lists(table, rows):
        arr = table.column("input_ids").chunk(0) if table.column("input_ids").num_chunks else None
        offs = arr.offsets.to_numpy()
        vals = arr.values.to_numpy()
        lens = (offs[1:] - offs[:-1])[rows]
        starts = offs[:-1][rows]
        # gather values of `rows` in that order
        total = int(lens.sum())
        out_off = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lens, out=out_off[1:])
        gather = np.repeat(starts - out_off[:-1], lens) + np.arange(total)
        return lens, out_off, vals[gather]

    s_len, s_off, s_val = lists(s, s_rows)
    p_len, p_off, p_val = lists(p, p_rows)
    len_diff = s_len != p_len
    mismatch = len_diff.copy()
    same = ~len_diff
    # element-wise compare for cells with the same length
    if same.any():
        idx = np.nonzero(same)[0]
        ls = s_len[idx]
        gs = np.repeat(s_off[:-1][idx] - np.concatenate([[0], np.cumsum(ls)[:-1]]), ls) + np.arange(ls.sum())
        gp = np.repeat(p_off[:-1][idx] - np.concatenate([[0], np.cumsum(ls)[:-1]]), ls) + np.arange(ls.sum())
        diff = (s_val[gs] != p_val[gp]).astype(np.int64)
        cell_of = np.repeat(np.arange(len(idx)), ls)
        per_cell = np.bincount(cell_of, weights=diff, minlength=len(idx))
        mismatch[idx[per_cell > 0]] = True
        # as sets (order-only differences)
        set_diff = 0
        for k in np.nonzero(per_cell > 0)[0][:2000]:
            i = idx[k]
            a_ = s_val[s_off[i]:s_off[i + 1]]
            b_ = p_val[p_off[i]:p_off[i + 1]]
            if set(a_.tolist()) != set(b_.tolist()):
                set_diff += 1
        result["mismatching_cells_different_token_set_(first_2000_checked)"] = set_diff
    result["mismatching_cells"] = int(mismatch.sum())
    result["length_mismatches"] = int(len_diff.sum())
    result["tokens_compared"] = int(s_len.sum())
    ex = np.nonzero(mismatch)[0][:3]
    result["examples"] = [{"cell_id": str(s_ids[s_rows[i]]),
                           "sluice_first10": s_val[s_off[i]:s_off[i] + 10].tolist(),
                           "python_first10": p_val[p_off[i]:p_off[i] + 10].tolist()} for i in ex]
    for name in ("length", "n_counts", "n_genes", "pct_mito", "age"):
        if name in s.column_names and name in p.column_names:
            sv = s.column(name).to_numpy(zero_copy_only=False)[s_rows]
            pv = p.column(name).to_numpy(zero_copy_only=False)[p_rows]
            if sv.dtype.kind == "f" or pv.dtype.kind == "f":
                sv = sv.astype(np.float64)
                pv = pv.astype(np.float64)
                eq = (sv == pv) | (np.isnan(sv) & np.isnan(pv))
            else:
                eq = sv == pv
            result[f"{name}_mismatches"] = int((~eq).sum())
    for name in ("cell_type", "donor_id", "development_stage", "sex"):
        if name in s.column_names and name in p.column_names:
            sv = s.column(name).to_numpy(zero_copy_only=False)[s_rows]
            pv = p.column(name).to_numpy(zero_copy_only=False)[p_rows]
            result[f"{name}_mismatches"] = int((sv != pv).sum())
    result["seconds"] = time.perf_counter() - t0
    print(json.dumps(result, sort_keys=True))


# ----------------------------------------------------------------------------------------------
# Summary




def cmd_summarize(a):
    recs = [json.loads(l) for l in open(a.results) if l.strip()]
    meta = {}
    runs, files, compare = {}, {}, None
    for r in recs:
        k = r.get("kind")
        if k == "meta":
            meta.update(r)
        elif k == "run":
            runs[r["name"]] = r
        elif k == "file":
            files[r["name"]] = r
        elif k == "compare":
            compare = r
    out = []
    P = meta.get("params", {})
    out.append("=" * 100)
    out.append(f"Corpus builder: sluice preprocess run-all vs equivalent Python (scanpy + numpy + pyarrow)")
    out.append(f"{P.get('genes')} genes, density {P.get('density')}, top genes {P.get('top')}, chunk {P.get('chunk')}, "
               f"seed {P.get('seed')}; machine: {os.cpu_count()} cores")
    out.append(f"sluice binary: {P.get('binary', '?')}, HEAD {P.get('commit', '?')}")
    out.append("=" * 100)
    hdr = (f"  {'run':<28} {'cells':>8} {'wall s':>8} {'cells/s':>8} {'peak RSS':>10} {'CPU%':>5} {'disk peak':>10}"
           f" {'input':>8}  {'load1 before/after/mean/max':>27}")
    out.append(hdr)
    ratios = {}
    for name, r in runs.items():
        f = files.get(r.get("input_name", ""))
        size = f"{f['bytes'] / 1e9:.2f}GB" if f else ""
        la = "/".join(f"{r.get(k, float('nan')):.1f}" for k in ("load_before", "load_after", "load_mean", "load_max"))
        status = "" if r.get("rc", 0) == 0 else f"  FAILED rc={r.get('rc')}"
        cpu = r.get("cpu_percent") or ""
        disk = fmt_bytes(r["disk_peak_bytes"]) if r.get("disk_peak_bytes") else "-"
        label = r.get("label", name) + (f" #{name.rsplit('_', 1)[1]}" if name.startswith(("sluice_main_", "python_main_")) else "")
        out.append(f"  {label:<28} {r['cells']:>8} {r['seconds']:>8.1f} {r['cells_per_second']:>8.0f} "
                   f"{fmt_bytes(r['peak_rss_bytes']):>10} {cpu:>5} {disk:>10} {size:>8}  {la:>27}{status}")
    out.append("  (Sluice wall = whole process incl. all 4 steps; Python wall = in-process read_h5ad..last Parquet, "
               "imports excluded" + "".join(f"; {r['label']} process wall {r['process_seconds']:.1f} s"
                                            for r in runs.values() if "process_seconds" in r) + ")")
    if "sluice_main" in runs and "python_main" in runs:
        s, p = runs["sluice_main"], runs["python_main"]
        ratios["speed_sluice_over_python"] = s["cells_per_second"] / p["cells_per_second"]
        ratios["peak_rss_python_over_sluice"] = p["peak_rss_bytes"] / s["peak_rss_bytes"]
        out.append("")
        out.append(f"  Sluice / Python cells/s: x{ratios['speed_sluice_over_python']:.2f} "
                   f"(target >= 4: {'MET' if ratios['speed_sluice_over_python'] >= 4 else 'NOT MET'});  "
                   f"Python peak RSS / Sluice peak RSS: x{ratios['peak_rss_python_over_sluice']:.1f}")
        pairs = [ratios["speed_sluice_over_python"]]
        while f"sluice_main_{len(pairs) + 1}" in runs and f"python_main_{len(pairs) + 1}" in runs:
            i = len(pairs) + 1
            pairs.append(runs[f"sluice_main_{i}"]["cells_per_second"] / runs[f"python_main_{i}"]["cells_per_second"])
        if len(pairs) > 1:
            ratios["speed_pairs"] = pairs
            ordered = sorted(pairs)
            middle = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
            out.append(f"  over {len(pairs)} same-run pairs: " + ", ".join(f"x{r:.2f}" for r in pairs)
                       + f"; min x{ordered[0]:.2f}, median x{middle:.2f} "
                       + f"(target >= 4 in every pair: {'MET' if ordered[0] >= 4 else 'NOT MET'})")
        if "phases" in p:
            ph = ", ".join(f"{k} {v:.1f}s" for k, v in p["phases"].items())
            out.append(f"  Python phases: {ph} (imports excluded; baseline RSS after imports "
                       f"{fmt_bytes(p['baseline_rss_bytes'])})")
        if "timings" in s:
            ph = ", ".join(f"{k} {v:.1f}s" for k, v in s["timings"].items())
            out.append(f"  Sluice steps (report.json timings): {ph}")
    big = [runs[n] for n in ("sluice_main", "sluice_200k", "sluice_1m") if n in runs]
    if len(big) >= 2:
        out.append("")
        out.append("  Sluice peak RSS vs cells: " + ", ".join(
            f"{r['cells']} cells {fmt_bytes(r['peak_rss_bytes'])}" for r in big))
        if "sluice_1m" in runs:
            ok = runs["sluice_1m"]["peak_rss_bytes"] < 2 ** 30
            out.append(f"  1M cells peak RSS < 1 GiB: {'MET' if ok else 'NOT MET'}")
    if compare:
        out.append("")
        out.append(f"  token agreement ({P.get('cells')}-cell run, every cell, matched by cell_id): "
                   f"{compare['matched_cells']} cells compared, {compare['tokens_compared']} tokens, "
                   f"mismatching cells: {compare['mismatching_cells']} "
                   f"(length mismatches {compare['length_mismatches']})")
        extra = {k: v for k, v in compare.items() if k.endswith("_mismatches") and k != "length_mismatches"}
        out.append("  other columns, cells differing: " + ", ".join(f"{k[:-11]} {v}" for k, v in extra.items()))
        out.append(f"  cells: sluice {compare['sluice_cells']} (train+test), python {compare['python_cells']}; "
                   f"sluice not in python {compare['sluice_cells_not_in_python']}, "
                   f"python not in sluice {compare['python_cells_not_in_sluice']}")
        out.append(f"  columns: sluice {compare['sluice_columns']}")
        out.append(f"           python {compare['python_columns']}")
    for name, r in files.items():
        if r.get("seconds"):
            out.append(f"  generated {name}: {r['bytes'] / 1e9:.2f} GB in {r['seconds']:.0f} s")
    loads = [r.get("load_max", r.get("load_before", 0)) for r in runs.values()]
    if loads and max(loads) > 1.5:
        out.append(f"  WARNING: 1-min load average reached {max(loads):.1f} on this {os.cpu_count()}-core machine during "
                   f"the runs (each run itself adds ~1): other work was running, timings are noisy")
    for note in meta.get("notes", []):
        out.append(f"  note: {note}")
    if "total_seconds" in meta:
        out.append(f"whole run: {meta['total_seconds']:.0f} s")
    text = "\n".join(out)
    print(text)
    with open(a.out, "w") as f:
        json.dump({"params": P, "files": files, "runs": runs, "ratios": ratios, "token_agreement": compare,
                   "meta": meta, "table": text}, f, indent=2, sort_keys=True, default=str)
    print(f"\nwrote {a.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("gen")
    p.add_argument("--cells", type=int, required=True)
    p.add_argument("--genes", type=int, required=True)
    p.add_argument("--density", type=float, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--block", type=int, default=2000)
    p.add_argument("--chunk-elements", type=int, default=65536)
    p.add_argument("--out", required=True)
    p.add_argument("--core", type=int, default=None, help="genes whose ids every dataset shares (default: all)")
    p.add_argument("--id-offset", type=int, default=0, help="numbering of the ids past --core")
    p.add_argument("--ids-only", action="store_true", help="var holds Ensembl ids only, no gene_symbols")
    p.set_defaults(func=cmd_gen)
    p = sub.add_parser("python")
    p.add_argument("file")
    p.add_argument("--top", type=int, default=2048)
    p.add_argument("--chunk", type=int, default=10000)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_python)
    p = sub.add_parser("compare")
    p.add_argument("sluice")
    p.add_argument("python")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("summarize")
    p.add_argument("results")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_summarize)
    a = parser.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
