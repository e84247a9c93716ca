#!/usr/bin/env python3
"""Helper of pseudobulk_vs_scanpy.sh: the scanpy side of the benchmark, the cross-check, the summary.

  scanpy FILE --by cell_type,donor_id --min-cells 10 --min-counts 1000 --out DIR
      anndata.read_h5ad(FILE) (everything in memory), then
      sc.get.aggregate(adata, by, func=["sum", "mean", "count_nonzero"]) on the labelled cells,
      then decoupler's get_pseudobulk filter (drop a group when cells < min_cells or counts <
      min_counts). Prints one JSON object (times of each step, peak RSS, groups) and saves the kept
      groups' sums / means / non-zero counts to DIR/scanpy.npz for `compare`. A MemoryError (the
      shell script caps the address space) is reported as status "out-of-memory", not a crash.
  compare SLUICE_DIR SCANPY_DIR
      Checks sluice's pseudobulk.parquet against scanpy.npz: group names, sums and non-zero counts
      (max absolute difference), means (max relative difference). Prints one JSON object.
  summarize RESULTS.jsonl --out JSON
      A table on stdout and the JSON file.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

warnings.filterwarnings("ignore")


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cmd_scanpy(a) -> None:
    by = a.by.split(",")
    result = {"status": "ok", "by": by}
    started = time.perf_counter()
    step = "import"
    try:
        import anndata as ad
        import scanpy as sc

        step = "read_h5ad"
        t = time.perf_counter()
        adata = ad.read_h5ad(a.file)
        result["read_seconds"] = time.perf_counter() - t
        result["cells"], result["genes"] = adata.n_obs, adata.n_vars
        result["rss_after_read_bytes"] = peak_rss()

        step = "aggregate"
        t = time.perf_counter()
        labelled = adata.obs[by].notna().all(axis=1).to_numpy()
        if not labelled.all():
            adata = adata[labelled]
        agg = sc.get.aggregate(adata, by=by, func=["sum", "mean", "count_nonzero"])
        result["aggregate_seconds"] = time.perf_counter() - t

        step = "filter"
        # decoupler.get_pseudobulk: skip a group when `ncell < min_cells or count < min_counts`.
        key = adata.obs[by].astype(str).agg("_".join, axis=1)
        cells = key.value_counts().reindex(agg.obs_names).to_numpy()
        sums = np.asarray(agg.layers["sum"], dtype=np.float64)
        counts = sums.sum(axis=1)
        kept = (cells >= a.min_cells) & (counts >= a.min_counts)
        result["groups"], result["kept"] = int(len(kept)), int(kept.sum())
        result["seconds"] = time.perf_counter() - started
        out = Path(a.out)
        out.mkdir(parents=True, exist_ok=True)
        np.savez(out / "scanpy.npz", groups=np.array(agg.obs_names[kept], dtype=str), sum=sums[kept],
                 mean=np.asarray(agg.layers["mean"], dtype=np.float64)[kept],
                 count_nonzero=np.asarray(agg.layers["count_nonzero"], dtype=np.float64)[kept])
    except MemoryError:
        result.update(status="out-of-memory", failed_step=step, seconds=time.perf_counter() - started)
    result["peak_rss_bytes"] = peak_rss()
    print(json.dumps(result, sort_keys=True))


def cmd_compare(a) -> None:
    import pyarrow.parquet as pq

    reference = np.load(Path(a.scanpy) / "scanpy.npz")
    table = pq.read_table(Path(a.sluice) / "pseudobulk.parquet", columns=["group", "sum", "mean", "nonzero_cells"])
    groups = list(reference["groups"])
    n = len(table) // max(1, len(groups))
    ours_groups = table.column("group").to_numpy()[::n] if n else []
    result = {"groups_equal": list(ours_groups) == groups, "groups": len(groups)}
    if result["groups_equal"]:
        shape = (len(groups), n)
        s = table.column("sum").to_numpy().reshape(shape)
        m = table.column("mean").to_numpy().reshape(shape)
        z = table.column("nonzero_cells").to_numpy().reshape(shape)
        result["sum_max_abs_diff"] = float(np.abs(s - reference["sum"]).max())
        result["count_nonzero_max_abs_diff"] = float(np.abs(z - reference["count_nonzero"]).max())
        denominator = np.maximum(np.abs(reference["mean"]), 1e-300)
        result["mean_max_rel_diff"] = float((np.abs(m - reference["mean"]) / denominator).max())
    print(json.dumps(result, sort_keys=True))


def cmd_summarize(a) -> None:
    records = [json.loads(line) for line in open(a.results) if line.strip()]
    meta = next((r for r in records if r.get("kind") == "meta"), {})
    lines = [f"{'input':<40} {'tool':<8} {'status':<15} {'wall s':>8} {'peak RSS':>10}  detail"]
    for r in records:
        if r.get("kind") != "run":
            continue
        rss = r.get("peak_rss_bytes")
        detail = ""
        if r["tool"] == "scanpy":
            parts = [f"{k.split('_')[0]} {r[k]:.1f} s" for k in ("read_seconds", "aggregate_seconds") if k in r]
            if r.get("failed_step"):
                parts.append(f"failed in {r['failed_step']}")
            detail = ", ".join(parts)
        elif "groups" in r:
            detail = f"{r['groups']} groups, {r['kept']} kept"
            if r.get("pass_seconds") is not None:
                detail += f", pass {r['pass_seconds']:.1f} s + writing {r['writing_seconds']:.1f} s"
        if "compare" in r:
            c = r["compare"]
            detail += (f"; vs scanpy: groups equal {c['groups_equal']}, sum max |diff| {c.get('sum_max_abs_diff')}, "
                       f"count_nonzero max |diff| {c.get('count_nonzero_max_abs_diff')}, mean max rel diff {c.get('mean_max_rel_diff')}")
        if r.get("loadavg_before"):
            detail += f" (load average before: {r['loadavg_before']})"
        wall = r.get("wall_seconds")
        lines.append(f"{Path(r['input']).name:<40} {r['tool']:<8} {r['status']:<15} "
                     f"{(f'{wall:.1f}' if wall is not None else '-'):>8} "
                     f"{(f'{rss / 2**30:.2f} GiB' if rss else '-'):>10}  {detail}")
    text = "\n".join(lines)
    print(text)
    with open(a.out, "w") as f:
        json.dump({"meta": meta, "runs": [r for r in records if r.get("kind") == "run"], "table": text}, f, indent=2, sort_keys=True)
    print(f"\nwrote {a.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("scanpy")
    p.add_argument("file")
    p.add_argument("--by", required=True)
    p.add_argument("--min-cells", type=int, default=10)
    p.add_argument("--min-counts", type=float, default=1000)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_scanpy)
    p = sub.add_parser("compare")
    p.add_argument("sluice")
    p.add_argument("scanpy")
    p.set_defaults(func=cmd_compare)
    p = sub.add_parser("summarize")
    p.add_argument("results")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_summarize)
    a = parser.parse_args()
    a.func(a)


if __name__ == "__main__":
    sys.exit(main())
