#!/usr/bin/env python3
"""Helper of analysis_vs_python.sh: gathers what the activity, Wilcoxon and pseudobulk benches
measured into one table and one JSON file. It measures nothing itself.

  record --part P --case C --status S [--result FILE] [--log FILE] [--note TEXT]
      Prints one JSON record: the part, its status and, when the status is ok, the bench's result
      (FILE's last JSON line for activity_bench.py, the whole JSON file for the shell benches);
      otherwise the end of the log, so that a failure says why.
  summarize PARTS.jsonl --out JSON --rtol R [--meta KEY=VALUE ...]
      The table on stdout (what ran, what did not, and the issue's targets) and the JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

GIB = 2**30
MIB = 2**20


def cmd_record(a) -> None:
    rec = {"part": a.part, "case": a.case, "status": a.status}
    if a.note:
        rec["note"] = a.note
    if a.log:
        rec["log"] = a.log
    if a.status == "ok" and a.result:
        try:
            text = Path(a.result).read_text()
            if a.part == "activity":
                lines = [line for line in text.splitlines() if line.strip().startswith("{")]
                rec["result"] = json.loads(lines[-1])
            else:
                rec["result"] = json.loads(text)
            rec["result_file"] = a.result
        except (OSError, ValueError, IndexError) as error:
            rec["status"] = f"failed (unreadable result {a.result}: {error})"
    if rec["status"] != "ok" and rec["status"] != "skipped" and a.log and os.path.exists(a.log):
        rec["log_tail"] = Path(a.log).read_text(errors="replace").splitlines()[-8:]
    print(json.dumps(rec, sort_keys=True))


def sha(note: str | None) -> str | None:
    m = re.search(r"sha256 ([0-9a-f]+)", note or "")
    return m.group(1) if m else None


def size(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / GIB:.2f} GiB" if n >= GIB else f"{n / MIB:.0f} MiB"


def num(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def rel(x: float) -> str:
    return "0" if x == 0 else f"{x:.1e}"


def verdict(ratio: float | None, want: float, identical: bool) -> str:
    why = []
    if ratio is None or ratio < want:
        why.append(f"{num(ratio)}x < {want:g}x")
    if not identical:
        why.append("results differ")
    return "met" if not why else f"NOT met ({', '.join(why)})"


def activity_row(rec: dict, rtol: float) -> dict:
    """Both tools from the same TSV file to their results: SecActpy's command line (`secactpy
    bulk`) against `sluice analyze activity`. The inference alone (SecActpy with the table already
    in memory) is reported beside it."""
    r = rec["result"]
    cli_s, sl_s, inference_s = r.get("secactpy_cli_seconds"), r["sluice_seconds"], r["secactpy_seconds"]
    worst = dict(r["max_relative_difference"])
    if "max_relative_difference_cli_zscore" in r:
        worst["cli zscore"] = r["max_relative_difference_cli_zscore"]
    identical = all(v <= rtol for v in worst.values())
    ratio = r.get("ratio_cli") if cli_s is not None else None
    met = identical and ratio is not None and ratio >= 2
    return {
        "part": "activity", "case": f"{r['signature']} {r['samples']} samples, n_rand {r['n_rand']}",
        "status": "ok", "python_tool": "secactpy bulk (numpy backend, srand), file to file",
        "python_seconds": cli_s, "sluice_seconds": sl_s, "ratio": ratio,
        "python_inference_seconds": inference_s, "ratio_inference": r.get("ratio"),
        "python_peak_rss_bytes": (r.get("secactpy_cli_peak_rss_mib") or r["python_process_peak_rss_mib"]) * MIB,
        "sluice_peak_rss_bytes": r["sluice_peak_rss_mib"] * MIB,
        "agreement": worst, "identical": identical,
        "agreement_text": "max rel diff " + ", ".join(f"{k} {rel(v)}" for k, v in worst.items())
                          + f"; inference alone {inference_s:.2f} s ({r.get('ratio')}x)",
        "target": ">= 2x, identical", "target_met": met,
        "verdict": verdict(ratio, 2, identical),
        "signatures": r.get("signatures"),
    }


def wilcoxon_row(rec: dict, rtol: float) -> dict:
    d = rec["result"]
    gen, cmp_ = d["input"], d["agreement"]
    groups = re.search(r"_k(\d+)_", os.path.basename(gen.get("path", "")))
    diffs = {k[len("max_relative_"):]: v for k, v in cmp_.items() if k.startswith("max_relative_")}
    rows_equal = cmp_["rows_matched"] == cmp_["rows_scanpy"] == cmp_["rows_sluice"]
    identical = rows_equal and all(v <= rtol for v in diffs.values())
    ratio = d["speedup"]
    met = identical and ratio >= 5
    return {
        "part": "wilcoxon",
        "case": f"{gen['cells']} cells x {gen['genes']} genes, {groups.group(1) if groups else '?'} groups"
                + (", tie-corrected" if d.get("tie_correct") else ""),
        "status": "ok", "python_tool": "scanpy rank_genes_groups(method='wilcoxon')",
        "python_seconds": d["scanpy"]["seconds"], "python_process_seconds": d["scanpy"]["process_seconds"],
        "sluice_seconds": d["sluice"]["seconds"], "ratio": ratio, "ratio_process": d["speedup_process"],
        "python_peak_rss_bytes": d["scanpy"]["process_peak_rss_bytes"], "sluice_peak_rss_bytes": d["sluice"]["peak_rss_bytes"],
        "agreement": cmp_, "identical": identical,
        "agreement_text": f"{cmp_['rows_matched']}/{cmp_['rows_scanpy']} rows; max rel diff "
                          + ", ".join(f"{k} {rel(v)}" for k, v in diffs.items()),
        "target": ">= 5x, identical", "target_met": met,
        "verdict": verdict(ratio, 5, identical),
        "binary": d.get("binary"),
    }


def pseudobulk_rows(rec: dict, rtol: float) -> list[dict]:
    p = rec["result"]
    meta = p.get("meta", {})
    # With RAM_GIB the tools ran in a memory cgroup of that size: that is the RAM they had.
    memory = meta["ram_cap_gib"] * GIB if meta.get("ram_cap_gib") else meta.get("memory_bytes")
    by_input: dict[str, dict] = {}
    for r in p.get("runs", []):
        by_input.setdefault(r["input"], {})[r["tool"]] = r
    rows = []
    for path, tools in by_input.items():
        s, c = tools.get("sluice", {}), tools.get("scanpy", {})
        file_bytes = os.path.getsize(path) if os.path.exists(path) else None
        cells = c.get("cells") or (int(m.group(1)) if (m := re.search(r"_c(\d+)_", os.path.basename(path))) else None)
        s_ok, c_ok = s.get("status") == "ok", c.get("status") == "ok"
        py_s, sl_s = c.get("wall_seconds") if c_ok else None, s.get("wall_seconds") if s_ok else None
        compare = s.get("compare")
        if compare:
            identical = bool(compare.get("groups_equal")) and compare.get("sum_max_abs_diff") == 0 \
                and compare.get("count_nonzero_max_abs_diff") == 0 and (compare.get("mean_max_rel_diff") or 0) <= rtol
            agreement_text = (f"{compare['groups']} groups {'equal' if compare.get('groups_equal') else 'DIFFER'}; "
                              f"max |diff| sum {compare.get('sum_max_abs_diff')}, nonzero {compare.get('count_nonzero_max_abs_diff')}; "
                              f"mean max rel {rel(compare.get('mean_max_rel_diff') or 0)}")
        else:
            identical = None
            why = f"scanpy {c.get('status', 'did not run')}" if not c_ok else f"sluice {s.get('status', 'did not run')}"
            if c.get("failed_step"):
                why += f" in {c['failed_step']} after {c.get('wall_seconds', 0):.1f} s"
            if meta.get("ram_cap_gib"):
                why += f" (both tools ran in a {meta['ram_cap_gib']:g} GiB memory cgroup, RAM_GIB)"
            elif c.get("memory_cap_gib"):
                why += f" (address space capped at {c['memory_cap_gib']:g} GiB)"
            agreement_text = f"not compared: {why}"
        rss = s.get("peak_rss_bytes")
        rss_ok = s_ok and rss is not None and rss < GIB
        larger = file_bytes is not None and memory is not None and file_bytes > memory
        if not rss_ok:
            verdict = "NOT met" + (f" (sluice {s.get('status')})" if not s_ok else f" (peak RSS {size(rss)})")
        elif identical is False:
            verdict = "NOT met (results differ)"
        elif larger:
            verdict = "met"
        else:
            verdict = "RSS met; input < RAM"
        rows.append({
            "part": "pseudobulk", "case": f"{cells} cells, {size(file_bytes)} h5ad" if cells else os.path.basename(path),
            "input": path, "input_bytes": file_bytes, "memory_bytes": memory, "input_larger_than_ram": larger,
            "status": "ok" if s_ok else s.get("status", "did not run"),
            "python_status": c.get("status", "did not run"), "python_tool": "anndata.read_h5ad + scanpy.get.aggregate",
            "python_seconds": py_s, "sluice_seconds": sl_s, "ratio": py_s / sl_s if py_s and sl_s else None,
            "python_peak_rss_bytes": c.get("peak_rss_bytes"), "sluice_peak_rss_bytes": rss,
            "agreement": compare, "identical": identical, "agreement_text": agreement_text,
            "target": "input > RAM, sluice RSS < 1 GiB", "target_met": rss_ok and larger and identical is not False,
            "verdict": verdict,
        })
    return rows


def cmd_summarize(a) -> None:
    records = [json.loads(line) for line in open(a.parts) if line.strip()]
    meta: dict = {}
    for item in a.meta or []:
        key, _, value = item.partition("=")
        meta[key] = value
    quick = meta.get("quick") == "1"
    memory = float(meta["memory_bytes"]) if meta.get("memory_bytes") else None
    rows, not_run, notes = [], [], []
    binaries = {"this run": sha(meta.get("binary"))}
    for rec in records:
        label = rec["part"] + (f" {rec['case']}" if rec.get("case") else "")
        if rec["status"] != "ok":
            reason = rec["status"] + (f" ({rec['note']})" if rec.get("note") else "")
            if rec.get("log"):
                reason += f"; log {rec['log']}"
            not_run.append({"part": rec["part"], "case": rec.get("case", ""), "reason": reason,
                            "log_tail": rec.get("log_tail", [])})
            continue
        try:
            if rec["part"] == "activity":
                rows.append(activity_row(rec, a.rtol))
            elif rec["part"] == "wilcoxon":
                rows.append(wilcoxon_row(rec, a.rtol))
                binaries["wilcoxon bench"] = sha(rec["result"].get("binary"))
            elif rec["part"] == "pseudobulk":
                new = pseudobulk_rows(rec, a.rtol)
                rows.extend(new)
                binaries["pseudobulk bench"] = sha(rec["result"].get("meta", {}).get("binary"))
                for row in new:
                    if row["status"] != "ok":
                        not_run.append({"part": "pseudobulk", "case": row["case"], "reason": f"sluice {row['status']}"})
        except (KeyError, TypeError, ValueError) as error:
            not_run.append({"part": rec["part"], "case": rec.get("case", ""),
                            "reason": f"result not understood ({type(error).__name__}: {error}); see {rec.get('result_file')}"})
            print(f"warning: {label}: {error}", file=sys.stderr)

    shas = {k: v for k, v in binaries.items() if v}
    if len(set(shas.values())) > 1:
        notes.append("BINARIES DIFFER between parts (a rebuild during the run?): "
                     + ", ".join(f"{k} {v}" for k, v in shas.items()))

    header = ["part", "case", "python s", "sluice s", "ratio", "python RSS", "sluice RSS", "target", "agreement"]
    table = [header]
    for r in rows:
        if quick:
            r["verdict"] = "quick: " + r["verdict"]
        python_s = num(r["python_seconds"]) if r["python_seconds"] is not None else r.get("python_status", "-")
        table.append([r["part"], r["case"], python_s, num(r["sluice_seconds"]),
                      f"{r['ratio']:.2f}x" if r["ratio"] is not None else "-",
                      size(r["python_peak_rss_bytes"]), size(r["sluice_peak_rss_bytes"]), r["verdict"], r["agreement_text"]])
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header) - 1)]
    right = {2, 3, 4, 5, 6}
    lines = []
    cores = meta.get("cores", "?")
    lines.append(f"Sluice analyze vs Python reference tools{' (QUICK smoke run: sizes far below the targets)' if quick else ''}: "
                 f"{cores} cores, {size(memory)} RAM, load average after {meta.get('loadavg_after', '?')}, "
                 f"{meta.get('total_seconds', '?')} s in all")
    lines.append(f"binary {meta.get('binary', '?')} ({meta.get('build', '?')}), commit {meta.get('commit', '?')}")
    lines.append("")
    for row in table:
        cells = [str(v).rjust(widths[i]) if i in right else str(v).ljust(widths[i]) for i, v in enumerate(row[:-1])]
        lines.append("  ".join(cells) + "  " + str(row[-1]))
    if not rows:
        lines.append("(no case ran)")
    lines.append("")
    ran = [f"{r['part']} {r['case']}" for r in rows]
    lines.append("Ran: " + ("; ".join(ran) if ran else "nothing"))
    if not_run:
        lines.append("Not run or failed:")
        for n in not_run:
            lines.append(f"  {' '.join(filter(None, (n['part'], n['case'])))}: {n['reason']}")
            for tail in n.get("log_tail", [])[-3:]:
                lines.append(f"      | {tail[:160]}")
    else:
        lines.append("Not run or failed: none")
    lines.append("")
    lines.append(f"Targets (the issue): activity >= 2x SecActpy, identical; Wilcoxon >= 5x scanpy, identical; pseudobulk of a "
                 f"file larger than RAM with Sluice peak RSS < 1 GiB. Identical = every largest relative difference <= {a.rtol:g} "
                 f"(pseudobulk: equal groups, sums and non-zero counts).")
    if quick:
        lines.append("QUICK=1: these sizes only check that every part runs; they say nothing about the targets.")
    parts = {r["part"] for r in rows}
    if "activity" in parts:
        lines.append("activity: python s = SecActpy's command line `secactpy bulk -i TSV -o H5AD` (pandas reads the table, "
                     "the inference, the h5ad written); sluice s = the whole `sluice analyze activity` process (the TSV read, "
                     "TSV and Parquet written): both file to file, as users run them. 'inference alone' = "
                     "secact_activity_inference with the table already in memory, imports excluded, and its ratio to sluice's "
                     "whole process. RSS = each command's peak.")
    if "wilcoxon" in parts:
        w = next(r for r in rows if r["part"] == "wilcoxon")
        lines.append(f"wilcoxon: python s = scanpy read_h5ad + normalize_total + log1p + rank_genes_groups + df inside its process "
                     f"(imports excluded; the whole process took {w['python_process_seconds']:.2f} s, "
                     f"{w['ratio_process']:.2f}x); sluice s = the whole process. RSS: /usr/bin/time -v of both processes.")
    if "pseudobulk" in parts:
        lines.append("pseudobulk: both = process wall time and peak RSS from /usr/bin/time -v; scanpy runs under an address-space "
                     "cap (SCANPY_MEMORY_GIB), so out-of-memory means the load did not fit under that cap.")
        for r in rows:
            if r["part"] == "pseudobulk" and r["input_bytes"] is not None and r["memory_bytes"]:
                relation = "larger than" if r["input_larger_than_ram"] else "smaller than"
                lines.append(f"  {os.path.basename(r['input'])}: {size(r['input_bytes'])} on disk, {relation} this machine's "
                             f"{size(r['memory_bytes'])} RAM")
    lines.extend(notes)
    text = "\n".join(lines)
    print(text)
    result = {"meta": dict(meta, rtol=a.rtol), "rows": rows, "not_run": not_run, "notes": notes, "table": text, "parts": records}
    with open(a.out, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    print(f"\nwrote {a.out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("record")
    p.add_argument("--part", required=True)
    p.add_argument("--case", default="")
    p.add_argument("--status", required=True)
    p.add_argument("--result")
    p.add_argument("--log")
    p.add_argument("--note")
    p.set_defaults(func=cmd_record)
    p = sub.add_parser("summarize")
    p.add_argument("parts")
    p.add_argument("--out", required=True)
    p.add_argument("--rtol", type=float, default=1e-8)
    p.add_argument("--meta", nargs="*")
    p.set_defaults(func=cmd_summarize)
    a = parser.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
