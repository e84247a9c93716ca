#!/usr/bin/env python3
"""Reference results of `sluice analyze differential` on sample-level tables, from scipy
(deterministic; downloads scirpy's wheel from PyPI once for its data).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_sample_differential_reference.py Tests/Fixtures/sample_differential

Data: scirpy 0.22.5's Wu et al. 2020 subset (tests/data/wu2020_200_v0_11.h5ad in its wheel):
200 T cells of 14 cancer patients, from tumour (Tumor), normal adjacent tissue (NAT) and blood.

Writes into the output folder
  pseudobulk.tsv   genes × samples: per sample (patient and source, e.g. LT1), the UMI counts of
                   its cells summed, scaled to 10,000 and log1p-transformed; the 40 genes of
                   highest variance among those counted in at least 15 of the 30 samples (so some
                   are zero in some samples: tied values and zero differences occur)
  samples.tsv      sample, patient, source, tissue (the cancer: Lung, Endo, Renal, Colon)
  CASE.tsv         the table Sluice writes, computed with pandas and scipy.stats (defaults):
    paired_wilcoxon      source, Tumor against NAT paired by patient: wilcoxon(tumor, nat) (exact
                         where no difference is zero, else the normal approximation); activity-diff
    paired_ttest         the same pairs, ttest_rel; log2fc
    paired_by_tissue     Tumor against NAT paired by patient within each tissue; wilcoxon
    unpaired_wilcoxon    Tumor and NAT against Blood: mannwhitneyu (exact for ≤ 8 without ties)
    welch_rest           each source against the rest within each tissue: ttest_ind(equal_var=False)
  q-values: Benjamini-Hochberg (scipy.stats.false_discovery_control) over the features of a
  comparison with a defined p-value.
"""
import subprocess
import sys
import tempfile
import warnings
import zipfile
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import bh, write  # noqa: E402

SCIRPY = "scirpy==0.22.5"
WU = "scirpy/tests/data/wu2020_200_v0_11.h5ad"

CASES = {
    "paired_wilcoxon": dict(reference="NAT", groups=["Tumor"], pair="patient", test="wilcoxon", effect="activity_diff"),
    "paired_ttest": dict(reference="NAT", groups=["Tumor"], pair="patient", test="t-test", effect="log2fc"),
    "paired_by_tissue": dict(reference="NAT", groups=["Tumor"], pair="patient", test="wilcoxon", effect="activity_diff", strata=["tissue"]),
    "unpaired_wilcoxon": dict(reference="Blood", test="wilcoxon", effect="activity_diff"),
    "welch_rest": dict(test="t-test", effect="log2fc", strata=["tissue"]),
}


def key(text: str) -> bytes:
    return text.encode()


def load() -> ad.AnnData:
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", SCIRPY, "--no-deps", "-q", "-d", scratch], check=True)
        wheel = next(Path(scratch).glob("scirpy-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(WU, scratch)
        return ad.read_h5ad(Path(scratch) / WU)


def test(a: np.ndarray, b: np.ndarray, paired: bool, method: str) -> tuple[float, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if method == "wilcoxon" and paired:
            try:
                r = stats.wilcoxon(a, b)
            except ValueError:  # every difference zero: scipy refuses, Sluice reports NaN
                return 0.0, np.nan
            return float(r.statistic), float(r.pvalue)
        if method == "wilcoxon":
            r = stats.mannwhitneyu(a, b)
        elif paired:
            r = stats.ttest_rel(a, b)
        else:
            r = stats.ttest_ind(a, b, equal_var=False)
        return float(r.statistic), float(r.pvalue)


def case(values: pd.DataFrame, meta: pd.DataFrame, reference=None, groups=None, pair=None, test_name="wilcoxon",
         effect="activity_diff", strata=()) -> tuple[list[str], list[list]]:
    strata = list(strata)
    labels = sorted(meta["source"].unique(), key=key)
    compared = [g for g in (groups or labels) if g != reference]
    combos = sorted({tuple(r) for r in meta[strata].itertuples(index=False)}, key=lambda t: [key(x) for x in t]) if strata else [()]
    rows = []
    for combo in combos:
        members = meta
        for column, label in zip(strata, combo):
            members = members[members[column] == label]
        for group in compared:
            mine = members[members["source"] == group]
            other = members[members["source"] == reference] if reference else members[members["source"] != group]
            if pair:
                common = sorted(set(mine[pair]) & set(other[pair]), key=key)
                a_samples = [mine.index[mine[pair] == p][0] for p in common]
                b_samples = [other.index[other[pair] == p][0] for p in common]
            else:
                a_samples, b_samples = list(mine.index), list(other.index)
            if not a_samples or not b_samples:
                continue
            block = []
            for feature in values.index:
                a = values.loc[feature, a_samples].to_numpy(np.float64)
                b = values.loc[feature, b_samples].to_numpy(np.float64)
                ma, mb = a.sum() / len(a), b.sum() / len(b)
                size = ma - mb if effect == "activity_diff" else np.log2((np.expm1(ma) + 1e-9) / (np.expm1(mb) + 1e-9))
                statistic, p = test(a, b, pair is not None, test_name)
                block.append([*combo, group, reference or "rest", feature, len(a), len(b), ma, mb, size, statistic, p,
                              -np.log10(p) if not np.isnan(p) else np.nan])
            q = bh(np.array([r[-2] for r in block]))
            rows += [r + [qv] for r, qv in zip(block, q)]
    header = [*strata, "group", "reference", "feature", "samples", "reference_samples", "mean", "mean_reference", effect,
              "statistic", "pvalue", "neg_log10_pval", "qvalue"]
    return header, rows


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    wu = load()
    obs = wu.obs[["patient", "source", "sample"]].astype(str)
    samples = sorted(obs["sample"].unique(), key=key)
    x = wu.X.tocsr() if hasattr(wu.X, "tocsr") else wu.X
    sums = np.vstack([np.asarray(x[(obs["sample"] == s).to_numpy()].sum(axis=0)).ravel() for s in samples])
    logged = np.log1p(sums / sums.sum(axis=1, keepdims=True) * 1e4)
    detected = (sums > 0).sum(axis=0) >= 15
    variance = logged.var(axis=0)
    variance[~detected] = -1
    order = np.argsort(-variance, kind="stable")[:40]
    genes = np.asarray(wu.var_names)[order]
    values = pd.DataFrame(logged[:, order].T, index=genes, columns=samples)
    with open(out / "pseudobulk.tsv", "w") as f:
        f.write("\t".join(["gene", *samples]) + "\n")
        for gene, row in zip(values.index, values.to_numpy()):
            f.write("\t".join([gene, *(repr(float(v)) for v in row)]) + "\n")
    values = pd.read_csv(out / "pseudobulk.tsv", sep="\t", index_col=0)  # as Sluice parses it

    meta = obs.drop_duplicates("sample").set_index("sample").loc[samples]
    meta["tissue"] = meta["patient"].str.replace(r"\d+$", "", regex=True)
    write(out / "samples.tsv", ["sample", "patient", "source", "tissue"],
          [[s, *meta.loc[s, ["patient", "source", "tissue"]]] for s in samples])

    for name, settings in CASES.items():
        header, rows = case(values, meta, reference=settings.get("reference"), groups=settings.get("groups"),
                            pair=settings.get("pair"), test_name=settings["test"], effect=settings["effect"],
                            strata=settings.get("strata", ()))
        write(out / f"{name}.tsv", header, rows)
        print(f"{name}: {len(rows)} rows")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
