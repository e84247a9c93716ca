#!/usr/bin/env python3
"""Reference results of `sluice analyze programs` and `sluice analyze drivers`, from numpy and
scipy (deterministic, seeded; no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_programs_reference.py Tests/Fixtures/programs

Writes into the output folder
  diseases.tsv      a sample-level differential table (Sluice's layout, activity_diff) of three
                    diseases against healthy over 25 signatures, seeded: S0-S4 rise in every
                    disease, S5-S7 fall in two, the rest are noise; one p-value is 0, one effect
                    missing
  programs.tsv      per signature: diseases, up and down (q < 0.05), direction, mean effect,
                    Stouffer's z of sign(effect) * norm.isf(p / 2) (scipy), its two-sided p and
                    BH q-value (false_discovery_control), shared (>= 2 diseases one way)
  similarity.tsv    spearmanr of each pair of diseases' effects over the signatures both have
  celltypes.tsv     a differential table stratified by cell_type (4 cell types) and tissue (2),
                    two diseases, 6 signatures
  composition.tsv   a composition samples table (sample, condition, cell_type, proportion); the
                    pair (flare, Mono) is absent, so its rows are left out
  drivers.tsv       per tissue, disease and signature, the cell types by |proportion x effect|
"""
import sys
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import bh, write  # noqa: E402

DIFF_HEADER = ["group", "reference", "feature", "samples", "reference_samples", "mean", "mean_reference", "activity_diff",
               "statistic", "pvalue", "neg_log10_pval", "qvalue"]


def differential_rows(rng, groups, signatures, shift, strata=()):
    rows = []
    for group in groups:
        block = []
        for s in signatures:
            effect = shift(group, s) + rng.normal(0, 0.3)
            z = effect / 0.25
            p = float(2 * stats.norm.sf(abs(z)))
            block.append([*strata, group, "healthy", s, 8, 8, effect, 0.0, effect, 10.0, p, -np.log10(p)])
        q = bh([r[-2] for r in block])
        rows += [r + [qv] for r, qv in zip(block, q)]
    return rows


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    diseases = ["lupus", "crohn", "psoriasis"]
    signatures = [f"S{i}" for i in range(25)]

    def shift(group, s):
        i = int(s[1:])
        if i < 5:
            return 1.0
        if 5 <= i < 8 and group != "psoriasis":
            return -1.0
        return 0.0

    rows = differential_rows(rng, diseases, signatures, shift)
    rows[3][9], rows[3][10] = 0.0, np.inf          # a p-value of 0 (z infinite)
    rows[30][7] = np.nan                           # a missing effect
    write(out / "diseases.tsv", DIFF_HEADER, rows)

    programs = []
    for s in signatures:
        tested = [r for r in rows if r[2] == s and not np.isnan(r[7]) and not np.isnan(r[9])]
        up = sum(1 for r in tested if r[11] < 0.05 and r[7] > 0)
        down = sum(1 for r in tested if r[11] < 0.05 and r[7] < 0)
        direction = "up" if up > down else "down" if down > up else "mixed" if up > 0 else "none"
        z = np.array([np.sign(r[7]) * stats.norm.isf(r[9] / 2) for r in tested])
        combined = z.sum() / np.sqrt(len(z))
        p = float(2 * stats.norm.sf(abs(combined)))
        shared = "yes" if max(up, down) >= 2 and direction in ("up", "down") else "no"
        programs.append([s, len(tested), up, down, direction, float(np.mean([r[7] for r in tested])), float(combined), p, shared])
    q = bh([r[7] for r in programs])
    write(out / "programs.tsv", ["signature", "diseases", "up", "down", "direction", "mean_effect", "stouffer_z", "stouffer_p", "stouffer_q", "shared"],
          [r[:8] + [qv, r[8]] for r, qv in zip(programs, q)])

    similarity = []
    effect = {(r[0], r[2]): r[7] for r in rows}
    for i, a in enumerate(diseases):
        for b in diseases[i + 1:]:
            x = np.array([effect[(a, s)] for s in signatures])
            y = np.array([effect[(b, s)] for s in signatures])
            ok = ~np.isnan(x) & ~np.isnan(y)
            r = stats.spearmanr(x[ok], y[ok])
            similarity.append([a, b, int(ok.sum()), float(r.statistic), float(r.pvalue)])
    write(out / "similarity.tsv", ["disease", "other", "n", "spearman_rho", "spearman_p"], similarity)

    # Drivers: stratified by cell_type and tissue; weights from a composition table.
    cell_types = ["T", "B", "NK", "Mono"]
    groups = ["flare", "remission"]
    sigs = [f"C{i}" for i in range(6)]
    cell_rows = []
    for cell_type in cell_types:
        for tissue in ("blood", "skin"):
            cell_rows += differential_rows(rng, groups, sigs, lambda g, s: (1.5 if cell_type == "T" and s == "C0" else 0.0), strata=(cell_type, tissue))
    cell_rows[5][9] = np.nan                       # a missing effect
    write(out / "celltypes.tsv", ["cell_type", "tissue", *DIFF_HEADER], cell_rows)
    composition = []
    for condition in groups:
        for sample in range(3):
            shares = rng.dirichlet(np.ones(len(cell_types)))
            for cell_type, share in zip(cell_types, shares):
                if condition == "flare" and cell_type == "Mono":
                    continue
                composition.append([f"{condition}{sample}", condition, cell_type, int(share * 1000), float(share), 0.0])
    write(out / "composition.tsv", ["sample", "condition", "cell_type", "cells", "proportion", "clr"], composition)
    weight = {}
    for row in composition:
        weight.setdefault((row[1], row[2]), []).append(row[4])
    weight = {k: float(np.sum(v) / len(v)) for k, v in weight.items()}

    drivers = []
    for tissue in ("blood", "skin"):
        for group in groups:
            for s in sigs:
                block = []
                for r in cell_rows:
                    if r[1] != tissue or r[2] != group or r[4] != s or np.isnan(r[9]):
                        continue
                    if (group, r[0]) not in weight:
                        continue
                    w = weight[(group, r[0])]
                    block.append([r[0], r[9], r[13], w, w * r[9]])
                total = sum(b[4] for b in block)
                magnitude = sum(abs(b[4]) for b in block)
                block.sort(key=lambda b: (-abs(b[4]), b[0].encode()))
                for rank, b in enumerate(block, 1):
                    agrees = "yes" if total != 0 and b[4] != 0 and (b[4] > 0) == (total > 0) else "no"
                    drivers.append([tissue, group, s, rank, b[0], b[1], b[2], b[3], b[4], abs(b[4]) / magnitude if magnitude > 0 else np.nan, agrees])
    write(out / "drivers.tsv", ["tissue", "group", "signature", "rank", "cell_type", "effect", "qvalue", "weight", "contribution", "share", "agrees"], drivers)
    print(f"programs: {len(programs)}, similarity: {len(similarity)}, drivers: {len(drivers)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
