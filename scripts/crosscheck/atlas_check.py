"""examples/atlas end to end, its numbers checked against the reference tools: runs
examples/atlas/run.sh (three real atlases through composition, pseudobulk, CytoSig activity,
specificity and the cross-atlas study, then a search index), and compares
  - each atlas's activity with secactpy's secact_activity_inference_scrnaseq (pseudobulk level,
    the cell types the pipeline kept), to 1e-6;
  - the cross-atlas meta-analysis with statsmodels' combine_effects on the pipeline's own beta and
    SE, and its Spearman correlations with scipy;
  - the cancer atlas's composition tests with scipy's mannwhitneyu on the CLR values;
  - each atlas's tau index with numpy;
  - each atlas's marker-gene scores per cell type with scanpy's score_genes (every gene of the
    touched bins as control), to scanpy's float32 sums;
  - each atlas's validation at cell-type level (the validate stage, reading the activity stage's
    zscore.tsv and the pseudobulk stage's pseudobulk_mean.h5ad) with scipy's linregress, pearsonr
    and spearmanr on those same files.
Usage: atlas_check.py SLUICE WORK
"""
import os
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy as sc
import secactpy
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from make_activity_reference import standardize_signature  # noqa: E402
from make_validation_reference import agreement  # noqa: E402
from secactpy.signature import load_signature  # noqa: E402

sluice, work = sys.argv[1], Path(sys.argv[2])
run = work / "run"
subprocess.run(["examples/atlas/run.sh", str(run)], check=True, env={**os.environ, "SLUICE": sluice, "PYTHON": sys.executable})
output = run / "work/output"
failures = []


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip", keep_default_na=False, na_values=[""])


def close(case: str, ours, theirs, tolerance: float) -> None:
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    difference = np.nanmax(np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1)) if ours.size else 0.0
    same_nan = np.array_equal(np.isnan(ours), np.isnan(theirs))
    if not same_nan or difference > tolerance:
        failures.append(f"{case}: largest difference {difference:.2e} (NaN where the reference has: {same_nan})")


atlases = ["pbmc_10x_v3", "pbmc_68k", "tcell_cancer"]
signature = standardize_signature(load_signature("cytosig"))
for atlas in atlases:
    ours = {s: read(output / atlas / "activity" / f"{s}.tsv") for s in ("beta", "se", "zscore", "pvalue")}
    cells = ad.read_h5ad(run / "data" / f"{atlas}.h5ad")
    kept = cells[cells.obs["cell_type"].isin(ours["zscore"].columns)].copy()
    path = work / f"{atlas}.kept.h5ad"
    kept.write_h5ad(path)
    reference = secactpy.secact_activity_inference_scrnaseq(
        str(path), cell_type_col="cell_type", is_single_cell_level=False, sig_matrix=signature, is_group_sig=False, lambda_=1e4,
        n_rand=1000, seed=0, backend="numpy", rng_method="srand", use_cache=False, sort_genes=False, verbose=False)
    for s in ours:
        theirs = reference[s].loc[ours[s].index, ours[s].columns]
        close(f"{atlas} activity {s}", ours[s].to_numpy(), theirs.to_numpy(), 1e-6)
    # Tau of each signature across the atlas's cell types, rows shifted by their minimum.
    z = ours["zscore"].to_numpy()
    shifted = z - z.min(axis=1, keepdims=True)
    tau = (1 - shifted / shifted.max(axis=1, keepdims=True)).sum(axis=1) / (z.shape[1] - 1)
    close(f"{atlas} specificity", read(output / atlas / "specificity/specificity.tsv")["tau"].to_numpy(), tau, 1e-12)

    # scores: scanpy's score_genes with every gene of the touched bins as control, per cell type.
    scored = pd.read_csv(output / atlas / "scores/sets.tsv", sep="\t", keep_default_na=False)
    groups = pd.read_csv(output / atlas / "scores/groups.tsv", sep="\t")
    normalized = cells.copy()
    sc.pp.normalize_total(normalized, target_sum=1e4)
    sc.pp.log1p(normalized)
    for row in scored.itertuples():
        sc.tl.score_genes(normalized, row.genes.split(","), ctrl_size=normalized.n_vars, n_bins=25, score_name="score", use_raw=False)
        means = normalized.obs.groupby("cell_type", observed=True)["score"].mean()
        mine = groups[groups["set"] == row.set].set_index("cell_type")["mean"]
        difference = float(np.max(np.abs(mine.to_numpy() - means.loc[mine.index].to_numpy())))
        if difference > 2e-6:
            failures.append(f"{atlas} scores {row.set}: largest difference {difference:.2e}")
    # validate: each signature's activity against its own genes' mean expression across cell types.
    means = ad.read_h5ad(output / atlas / "pseudobulk/pseudobulk_mean.h5ad")
    expression = pd.DataFrame(np.asarray(means.X.todense() if hasattr(means.X, "todense") else means.X, dtype=np.float64).T,
                              index=means.var_names, columns=means.obs_names)
    theirs = agreement(ours["zscore"], expression)
    validated = pd.read_csv(output / atlas / "validate/celltype.tsv", sep="\t", keep_default_na=False, na_values=[""])
    if list(validated["signature"]) != [row[0] for row in theirs]:
        failures.append(f"{atlas} validate: signatures differ")
    else:
        columns = ["n", "slope", "intercept", "r2", "pearson_r", "pearson_p", "spearman_rho", "spearman_p"]
        close(f"{atlas} validate celltype", validated[columns].to_numpy(np.float64), np.array([row[2:] for row in theirs], dtype=np.float64), 1e-9)

# The meta-analysis on the pipeline's own beta and SE (common names from its mapping).
study = output / "all/atlases"
mapping = pd.read_csv(study / "mapping.tsv", sep="\t")
meta = pd.read_csv(study / "meta.tsv", sep="\t")
tables = {a: {s: read(output / a / "activity" / f"{s}.tsv") for s in ("beta", "se")} for a in atlases}
first = {}
for row in mapping.itertuples():
    first.setdefault((row.atlas, row.common), row.cell_type)
checked = 0
for row in meta[meta["atlases"] >= 2].itertuples():
    present = [a for a in atlases if (a, row.cell_type) in first and first[(a, row.cell_type)] in tables[a]["beta"].columns]
    beta = np.array([tables[a]["beta"].loc[row.signature, first[(a, row.cell_type)]] for a in present])
    se = np.array([tables[a]["se"].loc[row.signature, first[(a, row.cell_type)]] for a in present])
    result = combine_effects(beta, se**2, method_re="chi2")
    close(f"meta {row.signature} in {row.cell_type}", [row.effect, row.se, row.q, row.i2],
          [result.mean_effect_fe, result.sd_eff_w_fe, result.q, max(0.0, result.i2)], 1e-9)
    checked += 1
if checked == 0:
    failures.append("no meta-analysis with two atlases or more")

# The cancer atlas's composition: CLR per sample, Mann-Whitney of tumour and NAT against blood.
obs = ad.read_h5ad(run / "data/tcell_cancer.h5ad").obs
counts = pd.crosstab(obs["sample"].astype(str), obs["cell_type"].astype(str))
logs = np.log(counts.to_numpy(np.float64) + 0.5)
clr = pd.DataFrame(logs - logs.mean(axis=1, keepdims=True), index=counts.index, columns=counts.columns)
condition = obs.groupby("sample", observed=True)["condition"].first().astype(str)
tests = pd.read_csv(output / "tcell_cancer/composition/tests.tsv", sep="\t")
for row in tests.itertuples():
    a = clr.loc[condition[condition == row.condition].index, row.cell_type]
    b = clr.loc[condition[condition == row.reference].index, row.cell_type]
    test = stats.mannwhitneyu(a, b, alternative="two-sided", method="asymptotic")
    close(f"composition {row.cell_type} {row.condition}", [row.u, row.pvalue, row.clr_difference], [test.statistic, test.pvalue, a.mean() - b.mean()], 1e-9)

if failures:
    print("check-atlas: FAILED\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"check-atlas: examples/atlas end to end; activity equals SecActpy, {checked} meta-analyses statsmodels, "
      f"{len(tests)} composition tests scipy, tau numpy, validation scipy, scores scanpy: OK")
