#!/usr/bin/env python3
"""Reference results of `sluice analyze cross-atlas`, from statsmodels, scipy and numpy, on three
atlases cut from real PBMC data (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_cross_atlas_reference.py Tests/Fixtures/cross_atlas

Input: scanpy's 10x PBMC 68k reduced cells (Tests/Fixtures/pbmc68k_reduced_current.h5ad, raw =
log-normalised expression, obs.bulk_labels = 10 cell types) dealt round-robin into three atlases,
and the 30 SecAct signatures of Tests/Fixtures/validation/secact_subset.tsv.

Writes into the output folder
  atlas_a/ atlas_b/ atlas_c/   each atlas as `sluice analyze activity --by cell_type` leaves it:
                               beta.tsv, se.tsv, zscore.tsv (secactpy, mean expression per cell
                               type, lambda 5e5, t-test) and groups.tsv (group, psbulk_cells). The
                               atlases name cell types differently: b renames some (a plural, a
                               lower-case name, a typo, "Dendritic cells"), c lacks two and calls
                               B cells "B cells"
  mapping_user.tsv             atlas b's "Dendritic cells" and any atlas's "B cells" mapped by hand
and the expected tables, with the columns Sluice writes (top k = 5, with --adjust):
  mapping.tsv                  the documented matching rules, re-implemented here
  harmonized.tsv               pandas std (ddof=1) z-scores and the location/scale adjustment
  meta.tsv                     statsmodels combine_effects(beta, se**2, method_re="chi2"): fixed
                               effect, its SE, Q, I2 and tau2 (both truncated at 0) and the random
                               effect with that tau2; scipy chi2.sf for Q's p-value; the
                               count-weighted mean of beta
  consistency.tsv correlation.tsv conserved.tsv conserved_everywhere.tsv
"""
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import sparse, stats
from statsmodels.stats.meta_analysis import combine_effects

import secactpy.inference

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import write, write_matrix  # noqa: E402
from make_activity_reference import read_matrix, standardize_genes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOP_K = 5
RENAME = {
    "atlas_b": {"CD14+ Monocyte": "CD14+ Monocytes", "CD56+ NK": "cd56+ nk", "CD8+ Cytotoxic T": "CD8+ Cytotoxc T",
                "Dendritic": "Dendritic cells"},
    "atlas_c": {"CD19+ B": "B cells"},
}
DROPPED = {"atlas_c": {"CD34+", "CD4+/CD45RA+/CD25- Naive T"}}
USER = [("atlas_b", "Dendritic cells", "Dendritic"), ("*", "B cells", "CD19+ B")]


def normalized(name: str) -> str:
    words, word = [], ""
    for ch in name.lower():
        if ch.isalnum():
            word += ch
        elif word:
            words.append(word)
            word = ""
    if word:
        words.append(word)
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def similarity(a: str, b: str) -> float:
    if not a or not b:
        return 1.0 if not a and not b else 0.0
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
        previous = current
    return 1 - previous[-1] / max(len(a), len(b))


def mapping(atlases: dict[str, list[str]], threshold: float = 0.8) -> list[list]:
    commons: list[str] = []
    rows = []
    for index, (atlas, cell_types) in enumerate(atlases.items()):
        taken: set[str] = set()
        decided: dict[str, list] = {}
        for cell_type in cell_types:  # the user's rows first
            user = next((c for a, t, c in USER if (a == atlas or a == "*") and t == cell_type), None)
            if user is not None:
                if user not in commons:
                    commons.append(user)
                taken.add(user)
                decided[cell_type] = [atlas, cell_type, user, "user", np.nan]
        for cell_type in cell_types:  # then the exact names
            if cell_type not in decided and cell_type in commons and cell_type not in taken:
                taken.add(cell_type)
                decided[cell_type] = [atlas, cell_type, cell_type, "exact", 1.0]
        for cell_type in cell_types:  # then the rest, in order
            if cell_type in decided:
                continue
            free = [c for c in commons if c not in taken]
            key = normalized(cell_type)
            common, method, score = cell_type, "unmatched", 1.0
            if any(normalized(c) == key for c in free):
                common, method = next(c for c in free if normalized(c) == key), "normalized"
            else:
                scored = [(c, similarity(normalized(c), key)) for c in free]
                best = max(scored, key=lambda p: p[1], default=None)  # the first of equal bests
                if best is not None and best[1] >= threshold:
                    common, method, score = best[0], "fuzzy", best[1]
                else:
                    if cell_type in taken:
                        common = f"{cell_type} ({atlas})"
                    if common not in commons:
                        commons.append(common)
                    if index == 0:
                        method = "first"
            taken.add(common)
            decided[cell_type] = [atlas, cell_type, common, method, score]
        rows += [decided[t] for t in cell_types]
    return rows


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = ad.read_h5ad(ROOT / "Tests/Fixtures/pbmc68k_reduced_current.h5ad")
    raw = sparse.csr_matrix(data.raw.X).astype(np.float64)
    genes = list(data.raw.var_names)
    labels = data.obs["bulk_labels"].astype(str).to_numpy()
    signature = read_matrix(ROOT / "Tests/Fixtures/validation/secact_subset.tsv")
    names = ["atlas_a", "atlas_b", "atlas_c"]
    atlases = {}
    for k, name in enumerate(names):
        cells = np.arange(len(labels)) % 3 == k
        types = [t for t in dict.fromkeys(labels[cells]) if t not in DROPPED.get(name, set())]
        means = np.vstack([np.asarray(raw[cells & (labels == t)].mean(axis=0)).ravel() for t in types]).T
        renamed = [RENAME.get(name, {}).get(t, t) for t in types]
        expression = standardize_genes(pd.DataFrame(means, index=genes, columns=renamed))
        result = secactpy.inference.secact_activity_inference(
            expression, is_differential=False, sig_matrix=signature, is_group_sig=False, lambda_=5e5, n_rand=0, seed=0,
            backend="numpy", rng_method="srand", use_gsl_rng=True, use_cache=False, sort_genes=False, verbose=False)
        folder = out / name
        folder.mkdir(exist_ok=True)
        tables = {s: write_matrix(folder / f"{s}.tsv", "signature", result[s]) for s in ("beta", "se", "zscore")}
        counts = {r: int((cells & (labels == t)).sum()) for t, r in zip(types, renamed)}
        write(folder / "groups.tsv", ["group", "psbulk_cells"], [[r, counts[r]] for r in renamed])
        atlases[name] = (tables, counts)
    write(out / "mapping_user.tsv", ["atlas", "cell_type", "common"], [list(r) for r in USER])

    mapped = mapping({n: list(atlases[n][0]["zscore"].columns) for n in names})
    write(out / "mapping.tsv", ["atlas", "cell_type", "common", "method", "similarity"], mapped)
    common_of = {(a, t): c for a, t, c, _, _ in mapped}

    # Harmonized: within-atlas z and the location/scale adjustment.
    pooled = {}
    for s in atlases[names[0]][0]["zscore"].index:
        values = np.concatenate([atlases[n][0]["zscore"].loc[s].to_numpy() for n in names])
        pooled[s] = (values.mean(), values.std(ddof=1))
    harmonized = []
    for n in names:
        z = atlases[n][0]["zscore"]
        for s in z.index:
            row = z.loc[s]
            mean, sd = row.mean(), row.std(ddof=1)
            for t, x in row.items():
                harmonized.append([n, s, t, common_of[(n, t)], x, (x - mean) / sd, (x - mean) / sd * pooled[s][1] + pooled[s][0]])
    write(out / "harmonized.tsv", ["atlas", "signature", "cell_type", "common", "activity", "within_z", "adjusted"], harmonized)

    commons = list(dict.fromkeys(common_of[(n, t)] for n in names for t in atlases[n][0]["zscore"].columns))
    column_of = {}
    for n in names:
        for t in atlases[n][0]["zscore"].columns:
            column_of.setdefault((n, common_of[(n, t)]), t)
    meta, consistency, correlation = [], [], []
    for s in atlases[names[0]][0]["zscore"].index:
        activity = {n: [atlases[n][0]["zscore"].loc[s, column_of[(n, c)]] if (n, c) in column_of else np.nan for c in commons] for n in names}
        for ci, c in enumerate(commons):
            present = [n for n in names if (n, c) in column_of]
            beta = np.array([atlases[n][0]["beta"].loc[s, column_of[(n, c)]] for n in present])
            se = np.array([atlases[n][0]["se"].loc[s, column_of[(n, c)]] for n in present])
            cells = [atlases[n][1][column_of[(n, c)]] for n in present]
            values = np.array([activity[n][ci] for n in present])
            mean = values.mean()
            sd = values.std(ddof=1) if len(values) > 1 else np.nan
            consistency.append([s, c, len(values), mean, sd, sd / abs(mean)])
            weighted = float(np.dot(cells, beta) / sum(cells))
            if len(present) == 1:
                z = beta[0] / se[0]
                meta.append([s, c, 1, beta[0], se[0], z, 2 * stats.norm.sf(abs(z)), *(np.nan,) * 6, weighted, sum(cells)])
                continue
            r = combine_effects(beta, se**2, method_re="chi2")
            z = r.mean_effect_fe / r.sd_eff_w_fe
            # statsmodels leaves I2 and the DerSimonian-Laird tau2 negative when Q < k - 1; both are
            # defined truncated at 0 (Higgins & Thompson 2002; DerSimonian & Laird 1986), and the
            # random effect weighs by 1 / (se**2 + tau2) with the truncated tau2.
            tau2 = max(0.0, r.tau2)
            w = 1 / (se**2 + tau2)
            meta.append([s, c, len(present), r.mean_effect_fe, r.sd_eff_w_fe, z, 2 * stats.norm.sf(abs(z)), r.q,
                         stats.chi2.sf(r.q, len(present) - 1), max(0.0, r.i2), tau2, float(np.dot(w, beta) / w.sum()),
                         float(1 / np.sqrt(w.sum())), weighted, sum(cells)])
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                a, b = np.array(activity[names[i]]), np.array(activity[names[j]])
                keep = ~np.isnan(a) & ~np.isnan(b)
                rho, p = stats.spearmanr(a[keep], b[keep])
                correlation.append([s, names[i], names[j], int(keep.sum()), rho, p])
    write(out / "meta.tsv", ["signature", "cell_type", "atlases", "effect", "se", "z", "pvalue", "q", "q_pvalue", "i2", "tau2",
                             "random_effect", "random_se", "weighted_mean", "cells"], meta)
    write(out / "consistency.tsv", ["signature", "cell_type", "atlases", "mean", "sd", "cv"], consistency)
    write(out / "correlation.tsv", ["signature", "atlas_a", "atlas_b", "n", "spearman_rho", "spearman_p"], correlation)

    conserved, everywhere = [], []
    for c in commons:
        present = [n for n in names if (n, c) in column_of]
        tops = []
        for n in present:
            column = atlases[n][0]["zscore"][column_of[(n, c)]]
            ranked = sorted(column.index, key=lambda s: (-column[s], s.encode()))
            tops.append(set(ranked[:TOP_K]))
        for i in range(len(present)):
            for j in range(i + 1, len(present)):
                shared = tops[i] & tops[j]
                conserved.append([c, present[i], present[j], TOP_K, len(shared), len(shared) / len(tops[i] | tops[j]),
                                  ",".join(sorted(shared, key=str.encode))])
        if len(present) >= 2:
            everywhere.append([c, len(present), ",".join(sorted(set.intersection(*tops), key=str.encode))])
    write(out / "conserved.tsv", ["cell_type", "atlas_a", "atlas_b", "k", "shared", "jaccard", "signatures"], conserved)
    write(out / "conserved_everywhere.tsv", ["cell_type", "atlases", "signatures"], everywhere)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
