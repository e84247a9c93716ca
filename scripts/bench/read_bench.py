#!/usr/bin/env python3
"""Helpers for scripts/bench/read_vs_anndata.sh: data generation, reference readers, summary.

Subcommands (each prints what it measured as one JSON object on stdout, progress on stderr):

  gen-csr    --cells N --genes G --density D --seed S --gzip-out P --plain-out P
             Seeded NB counts, generated in row blocks, written by anndata write_h5ad
             (gzip and uncompressed); files that already exist are left alone.
  gen-csc    --cells N --genes G --density D --seed S --out P      (same counts, stored CSC, gzip)
  gen-mtx    --cells N --genes G --density D --seed S --out DIR    (10x folder, shuffled coordinates)
  measure    {anndata-full,anndata-backed,h5py} FILE --chunk N
             One reader in this (fresh) process: wall time from open to the last value touched,
             peak RSS from getrusage(RUSAGE_SELF).ru_maxrss (interpreter + imports included; the
             RSS after imports is reported as baseline_rss_bytes).
  sluice     BINARY FILE --chunk N
             Runs `sluice bench read FILE --chunk-size N --json`, adds the process wall time and the
             child's ru_maxrss as an independent check of its own peak RSS figure.
  summarize  RESULTS.jsonl --out OUT.json
             Prints the summary table and writes all numbers and ratios as JSON.

"MB/s" everywhere is decoded bytes per second: 8 bytes per stored value (4-byte value + 4-byte
gene index) + 8 bytes per cell, exactly as `sluice bench read` counts it.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
from bench_common import csr_block, fmt_bytes, gene_parameters


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def peak_rss_self():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes


def rates(cells, stored, seconds):
    decoded = stored * 8 + cells * 8
    return {
        "cells": cells,
        "stored": stored,
        "seconds": seconds,
        "cells_per_second": cells / seconds,
        "megabytes_per_second": decoded / seconds / 1e6,
    }


# ----------------------------------------------------------------------------------------------
# Generation


def csr_blocks(cells, genes, density, seed, block=2000):
    """Yields (indptr_counts, indices int32, data float32) for each block of `block` cells."""
    p, mu = gene_parameters(genes, density, seed)
    theta = 2.0  # NB dispersion
    nb_p = theta / (theta + mu)
    for number, start in enumerate(range(0, cells, block)):
        yield csr_block(number, min(block, cells - start), genes, p, nb_p, seed, theta)


def generate_csr(cells, genes, density, seed):
    import scipy.sparse as sp

    t0 = time.perf_counter()
    counts, indices, data = [], [], []
    for c, i, d in csr_blocks(cells, genes, density, seed):
        counts.append(c)
        indices.append(i)
        data.append(d)
    indptr = np.zeros(cells + 1, dtype=np.int64)
    np.cumsum(np.concatenate(counts), out=indptr[1:])
    indices = np.concatenate(indices)
    data = np.concatenate(data)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(cells, genes), copy=False)
    log(f"  generated {cells} x {genes}, {matrix.nnz} stored ({matrix.nnz / cells / genes:.4f} density) "
        f"in {time.perf_counter() - t0:.1f} s")
    return matrix


def make_anndata(matrix):
    import anndata as ad
    import pandas as pd

    cells, genes = matrix.shape
    obs = pd.DataFrame(index=pd.Index([f"cell_{i}" for i in range(cells)], dtype=object))
    var = pd.DataFrame(index=pd.Index([f"gene_{j}" for j in range(genes)], dtype=object))
    return ad.AnnData(X=matrix, obs=obs, var=var)


def write_atomically(adata, path, compression):
    partial = path + ".partial"
    t0 = time.perf_counter()
    adata.write_h5ad(partial, compression=compression)
    os.replace(partial, path)
    log(f"  wrote {path} ({os.path.getsize(path) / 1e6:.0f} MB, compression={compression}) "
        f"in {time.perf_counter() - t0:.1f} s")


def cmd_gen_csr(a):
    wanted = [(p, c) for p, c in ((a.gzip_out, "gzip"), (a.plain_out, None)) if p and not os.path.exists(p)]
    if not wanted:
        log("  CSR files exist, skipping generation")
        return
    adata = make_anndata(generate_csr(a.cells, a.genes, a.density, a.seed))
    for path, compression in wanted:
        write_atomically(adata, path, compression)


def cmd_gen_csc(a):
    if os.path.exists(a.out):
        log(f"  {a.out} exists, skipping")
        return
    matrix = generate_csr(a.cells, a.genes, a.density, a.seed).tocsc()
    write_atomically(make_anndata(matrix), a.out, "gzip")


def format_int_rows(columns):
    """ASCII lines 'a b c\\n' for nonnegative integer columns, vectorized (no per-row Python)."""
    columns = [np.asarray(c, dtype=np.int64) for c in columns]
    n = len(columns[0])
    widths = []
    for c in columns:
        w = np.ones(n, dtype=np.int64)
        limit = 10
        top = int(c.max()) if n else 0
        while limit <= top:
            w += c >= limit
            limit *= 10
        widths.append(w)
    line = sum(widths) + len(columns)  # separators + newline
    ends = np.cumsum(line)
    buf = np.full(int(ends[-1]) if n else 0, ord(" "), dtype=np.uint8)
    start = ends - line
    for c, w in zip(columns, widths):
        last = start + w - 1  # position of the units digit
        value = c.copy()
        k = 0
        while True:
            sel = w > k
            if not sel.any():
                break
            if k == 0:
                buf[last] = 48 + value % 10
            else:
                buf[last[sel] - k] = 48 + value[sel] % 10
            value //= 10
            k += 1
        start = start + w + 1
    buf[ends - 1] = ord("\n")
    return buf.tobytes()


def cmd_gen_mtx(a):
    import gzip

    folder = a.out
    if os.path.exists(os.path.join(folder, "matrix.mtx.gz")):
        log(f"  {folder} exists, skipping")
        return
    t0 = time.perf_counter()
    matrix = generate_csr(a.cells, a.genes, a.density, a.seed).tocoo()
    order = np.random.default_rng([a.seed, 2]).permutation(matrix.nnz)
    # Matrix Market is genes × cells, 1-based: "gene cell value".
    genes_col = matrix.col[order] + 1
    cells_col = matrix.row[order] + 1
    values_col = matrix.data[order].astype(np.int64)
    del order
    partial = folder + ".partial"
    os.makedirs(partial, exist_ok=True)
    with gzip.open(os.path.join(partial, "features.tsv.gz"), "wt") as f:
        for j in range(a.genes):
            f.write(f"ENSG{j:011d}\tgene_{j}\tGene Expression\n")
    with gzip.open(os.path.join(partial, "barcodes.tsv.gz"), "wt") as f:
        for i in range(a.cells):
            f.write(f"CELL{i:08d}-1\n")
    # Compress in a separate gzip process (level 1: shuffled coordinates compress slowly at -6)
    # so it runs beside the formatting on the other core.
    with open(os.path.join(partial, "matrix.mtx.gz"), "wb") as out:
        gz = subprocess.Popen(["gzip", "-c", "-1"], stdin=subprocess.PIPE, stdout=out)
        gz.stdin.write(b"%%MatrixMarket matrix coordinate integer general\n")
        gz.stdin.write(b"%metadata_json: {\"software_version\": \"sluice-bench\", \"format_version\": 2}\n")
        gz.stdin.write(f"{a.genes} {a.cells} {matrix.nnz}\n".encode())
        step = 2_000_000
        for start in range(0, matrix.nnz, step):
            sl = slice(start, start + step)
            gz.stdin.write(format_int_rows([genes_col[sl], cells_col[sl], values_col[sl]]))
        gz.stdin.close()
        if gz.wait() != 0:
            raise SystemExit("gzip failed")
    if os.path.exists(folder):
        raise SystemExit(f"{folder} appeared while generating")
    os.replace(partial, folder)
    size = sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder))
    log(f"  wrote {folder} ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")


# ----------------------------------------------------------------------------------------------
# Reference readers (one per process)


def cmd_measure(a):
    import anndata as ad
    import h5py

    baseline = peak_rss_self()
    load_before = os.getloadavg()[0]
    chunk = a.chunk
    t0 = time.perf_counter()
    total = 0.0
    stored = 0
    if a.reader == "anndata-full":
        adata = ad.read_h5ad(a.file)
        cells = adata.n_obs
        stored = adata.X.nnz
        total = float(adata.X.data.sum(dtype=np.float64))
    elif a.reader == "anndata-backed":
        adata = ad.read_h5ad(a.file, backed="r")
        cells = adata.n_obs
        for i in range(0, cells, chunk):
            block = adata.X[i:i + chunk]  # CSRDataset row slice -> scipy.sparse.csr_matrix
            stored += block.nnz
            total += float(block.data.sum(dtype=np.float64))
        adata.file.close()
    elif a.reader == "h5py":
        with h5py.File(a.file, "r") as f:
            group = f["X"]
            indptr_ds, data_ds, indices_ds = group["indptr"], group["data"], group["indices"]
            cells = indptr_ds.shape[0] - 1
            for i in range(0, cells, chunk):
                indptr = indptr_ds[i:min(i + chunk, cells) + 1]
                lo, hi = int(indptr[0]), int(indptr[-1])
                data = data_ds[lo:hi]
                indices = indices_ds[lo:hi]
                stored += len(indices)
                total += float(data.sum(dtype=np.float64))
    else:
        raise SystemExit(f"unknown reader {a.reader}")
    seconds = time.perf_counter() - t0
    result = rates(cells, stored, seconds)
    result.update({
        "loadavg_1min_before": load_before,
        "peak_rss_bytes": peak_rss_self(),
        "baseline_rss_bytes": baseline,
        "sum_of_values": total,
        "chunk_size": chunk,
    })
    print(json.dumps(result, sort_keys=True))


def cmd_sluice(a):
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    run = subprocess.run([a.binary, "bench", "read", a.file, "--chunk-size", str(a.chunk), "--json"],
                         capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if run.returncode != 0:
        log(run.stdout, run.stderr)
        raise SystemExit(f"sluice bench read failed with status {run.returncode}")
    lines = [l for l in run.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1])
    result["process_seconds"] = wall
    result["loadavg_1min_before"] = load_before
    result["child_maxrss_bytes"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    for key in ("cells", "stored", "chunk_size"):
        result[key] = int(result[key])
    print(json.dumps(result, sort_keys=True))


# ----------------------------------------------------------------------------------------------
# Summary




def cmd_summarize(a):
    records = [json.loads(l) for l in open(a.results) if l.strip()]
    meta = next(r for r in records if r.get("kind") == "meta")
    runs = {r["name"]: r for r in records if r.get("kind") == "run"}
    files = {r["name"]: r for r in records if r.get("kind") == "file"}

    def row(label, r, check=None):
        ok = ""
        if check is not None:
            ok = "yes" if abs(r["sum_of_values"] - check) <= 1e-9 * max(1.0, abs(check)) else "NO"
        return (f"  {label:<30} {r['seconds']:>8.2f} {r['cells_per_second']:>11.0f} "
                f"{r['megabytes_per_second']:>8.1f} {fmt_bytes(r['peak_rss_bytes']):>11}  {ok}")

    header = f"  {'reader':<30} {'seconds':>8} {'cells/s':>11} {'MB/s':>8} {'peak RSS':>11}  sum matches sluice"
    ratios = {}

    def ratio(name, num, den):
        if num in runs and den in runs:
            speed = runs[num]["cells_per_second"] / runs[den]["cells_per_second"]
            rss = runs[num]["peak_rss_bytes"] / runs[den]["peak_rss_bytes"]
            ratios[name] = {"speed": speed, "peak_rss": rss}
            return f"  {name:<42} speed x{speed:6.2f}   peak RSS x{rss:5.2f}"
        return f"  {name:<42} (missing)"

    out = []
    p = meta["params"]
    out.append("=" * 96)
    out.append(f"Sluice streaming read vs anndata   ({p['cells']} cells x {p['genes']} genes, density {p['density']}, "
               f"chunk {p['chunk']}, seed {p['seed']}, repeats {p['repeats']}, best of repeats)")
    out.append("MB/s = decoded bytes (8 per stored value + 8 per cell) / wall s; seconds from open to last value, "
               "process start excluded; warm page cache")
    out.append(f"sluice binary: {p.get('binary', '?')}, HEAD {p.get('commit', '?')}, build: {p.get('build', '?')}")
    out.append("=" * 96)
    for title, fname, names, base in (
        ("gzip h5ad (anndata write_h5ad compression='gzip')", "csr_gzip",
         [("sluice", "sluice bench read"), ("anndata_full", "anndata read_h5ad (full)"),
          ("anndata_backed", "anndata backed='r' X[i:i+c]"), ("h5py_gzip", "h5py hyperslabs (ref)")], "sluice"),
        ("uncompressed h5ad (write_h5ad, no compression)", "csr_plain",
         [("sluice_plain", "sluice bench read"), ("h5py_plain", "h5py hyperslabs")], "sluice_plain"),
    ):
        f = files.get(fname)
        size = f" — {f['bytes'] / 1e6:.0f} MB on disk" if f else ""
        out.append(f"\n{title}{size}")
        out.append(header)
        check = runs[base]["sum_of_values"] if base in runs else None
        for key, label in names:
            if key in runs:
                out.append(row(label, runs[key], None if key == base else check))
    out.append("\nratios (speed: Sluice cells/s ÷ other, >1 = Sluice faster; RSS: Sluice peak ÷ other, <1 = Sluice smaller)")
    out.append(ratio("Sluice / anndata-full (gzip)", "sluice", "anndata_full"))
    out.append(ratio("Sluice / anndata-backed (gzip)", "sluice", "anndata_backed"))
    out.append(ratio("Sluice / h5py hyperslabs (gzip)", "sluice", "h5py_gzip"))
    out.append(ratio("Sluice / h5py hyperslabs (uncompressed)", "sluice_plain", "h5py_plain"))
    if "anndata_full" in runs:
        out.append(f"  (Python interpreter + imports baseline RSS ≈ {fmt_bytes(runs['anndata_full']['baseline_rss_bytes'])},"
                   f" included in the Python peaks)")

    sizes = meta.get("csc_sizes", [])
    if sizes:
        out.append(f"\nBounded-memory transposing readers: peak RSS vs file size "
                   f"({p['csc_genes']} genes, density {p['csc_density']}, chunk {p['chunk']})")
        cols = "".join(f"{f'{n} cells':>30}" for n in sizes)
        out.append(f"  {'input':<22}{cols}")
        independence = {}
        for kind, label in (("csc", "CSC h5ad (gzip)"), ("mtx", "10x mtx.gz (shuffled)")):
            cells = []
            for n in sizes:
                r = runs.get(f"{kind}_{n}")
                f = files.get(f"{kind}_{n}")
                if r:
                    disk = f" {f['bytes'] / 1e6:.0f}MB" if f else ""
                    cells.append(f"{fmt_bytes(r['peak_rss_bytes'])} {r['cells_per_second']:>7.0f}c/s{disk}".rjust(30))
                else:
                    cells.append("(missing)".rjust(30))
            out.append(f"  {label:<22}" + "".join(cells))
            got = [runs.get(f"{kind}_{n}") for n in sizes]
            if all(got):
                independence[kind] = {
                    "peak_rss_bytes": {str(n): r["peak_rss_bytes"] for n, r in zip(sizes, got)},
                    "largest_over_smallest": got[-1]["peak_rss_bytes"] / got[0]["peak_rss_bytes"],
                    "cells_ratio": sizes[-1] / sizes[0],
                }
        out.append("  (each cell: peak RSS, cells/s, size on disk)")
        for n in sizes:
            c, m = runs.get(f"csc_{n}"), runs.get(f"mtx_{n}")
            if c and m:
                agree = c["sum_of_values"] == m["sum_of_values"] and c["stored"] == m["stored"]
                out.append(f"  {n} cells: CSC and mtx sums/stored counts agree: {'yes' if agree else 'NO'}")
        for kind, v in independence.items():
            out.append(f"  {kind}: peak RSS grows x{v['largest_over_smallest']:.2f} while the file grows x{v['cells_ratio']:.1f}")
        ratios["rss_independence"] = independence

    loads = [r.get("loadavg_1min_before", 0.0) for r in runs.values()]
    if loads:
        out.append(f"\n1-min load average before each reader: {min(loads):.2f} to {max(loads):.2f} "
                   f"(this machine: {os.cpu_count()} cores)")
        if max(loads) > 1.5:
            out.append("  WARNING: other work was running on this machine during the benchmark; timings are noisy")
    if "total_seconds" in meta:
        out.append(f"whole run: {meta['total_seconds']:.0f} s")
    text = "\n".join(out)
    print(text)
    summary = {"params": p, "files": files, "runs": runs, "ratios": ratios, "table": text}
    with open(a.out, "w") as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    print(f"\nwrote {a.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    def shape(p):
        p.add_argument("--cells", type=int, required=True)
        p.add_argument("--genes", type=int, required=True)
        p.add_argument("--density", type=float, required=True)
        p.add_argument("--seed", type=int, default=1)

    p = sub.add_parser("gen-csr"); shape(p)
    p.add_argument("--gzip-out"); p.add_argument("--plain-out")
    p.set_defaults(func=cmd_gen_csr)
    p = sub.add_parser("gen-csc"); shape(p); p.add_argument("--out", required=True); p.set_defaults(func=cmd_gen_csc)
    p = sub.add_parser("gen-mtx"); shape(p); p.add_argument("--out", required=True); p.set_defaults(func=cmd_gen_mtx)
    p = sub.add_parser("measure")
    p.add_argument("reader", choices=["anndata-full", "anndata-backed", "h5py"])
    p.add_argument("file"); p.add_argument("--chunk", type=int, default=10000)
    p.set_defaults(func=cmd_measure)
    p = sub.add_parser("sluice")
    p.add_argument("binary"); p.add_argument("file"); p.add_argument("--chunk", type=int, default=10000)
    p.set_defaults(func=cmd_sluice)
    p = sub.add_parser("summarize")
    p.add_argument("results"); p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_summarize)
    a = parser.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
