"""`sluice analyze activity` against SecActpy, run live (see check-activity.sh).

Each case runs SecActpy (numpy backend, srand RNG, seed 0) and the sluice binary on the same
input and requires z-scores, p-values, betas and standard errors to agree to 1e-6 relative
(1e-6 absolute near zero; single-cell results are read from activity.h5ad, float32).
"""
import subprocess
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import secactpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "reference"))
from make_activity_reference import standardize_genes, standardize_signature  # noqa: E402  (the gene rules sluice applies)
from secactpy.signature import load_signature

sluice, work = sys.argv[1], Path(sys.argv[2])
data_dir = Path(secactpy.__file__).parent / "data"
N_RAND = 200
failures = []


def compare(case, ours: dict, theirs: dict, tolerance: float):
    for stat in ("beta", "se", "zscore", "pvalue"):
        a, b = ours[stat], theirs[stat]
        if list(a.index) != list(b.index) or list(a.columns) != list(b.columns):
            failures.append(f"{case} {stat}: labels differ")
            continue
        diff = np.abs(a.values - b.values) / np.maximum(np.abs(b.values), 1e-6)
        worst = float(np.nanmax(diff))
        print(f"  {case:40} {stat:7} max relative difference {worst:.2e}")
        if not worst < tolerance:
            failures.append(f"{case} {stat}: {worst:.2e}")


def run_sluice(args, out):
    subprocess.run([sluice, "analyze", "activity", *args, "--signature-dir", str(data_dir), "--n-rand", str(N_RAND),
                    "--output", str(out)], check=True, capture_output=True, text=True)


def tables(out):
    result = {s: pd.read_csv(out / f"{s}.tsv", sep="\t", index_col=0, float_precision="round_trip")
              for s in ("beta", "se", "zscore", "pvalue")}
    long = pq.read_table(out / "activity.parquet").to_pandas()
    for stat, table in result.items():
        wide = long.pivot(index="signature", columns="sample", values=stat).loc[table.index, table.columns]
        if not np.array_equal(wide.values, table.values):
            failures.append(f"{out.name}: activity.parquet {stat} differs from {stat}.tsv")
    return result


bulk = Path("Tests/Fixtures/activity/expression_bulk.tsv")
cells = Path("Tests/Fixtures/cell_activity/cells.h5ad")
for name in ("cytosig", "secact"):
    lam = 1e4 if name == "cytosig" else 5e5
    # The signature as shipped, its names standardised as sluice standardises both tables' (so
    # CytoSig's C9orf78 meets the expression's C9orf78; SecActpy itself upper-cases only the
    # expression in its single-cell path).
    common = dict(sig_matrix=standardize_signature(load_signature(name)), is_group_sig=(name != "cytosig"), lambda_=lam, n_rand=N_RAND, seed=0,
                  backend="numpy", rng_method="srand", use_cache=False, sort_genes=False, verbose=False)

    expression = pd.read_csv(bulk, sep="\t", index_col=0, float_precision="round_trip")
    reference = secactpy.secact_activity_inference(standardize_genes(expression), is_differential=False, **common)
    out = work / f"bulk_{name}"
    run_sluice([str(bulk), "--signature", name], out)
    compare(f"bulk {name}", tables(out), reference, 1e-6)

    for level, label in ((False, "pseudobulk"), (True, "single-cell")):
        reference = secactpy.secact_activity_inference_scrnaseq(
            str(cells), cell_type_col="cell_type", is_single_cell_level=level, **common)
        out = work / f"{label}_{name}"
        run_sluice([str(cells), "--signature", name] + (["--single-cell"] if level else ["--by", "cell_type"]), out)
        if level:
            h5ad = ad.read_h5ad(out / "activity.h5ad")
            ours = {s: pd.DataFrame(np.asarray((h5ad.X if s == "zscore" else h5ad.layers[s]).todense(), dtype=np.float64).T,
                                    index=h5ad.var_names, columns=h5ad.obs_names) for s in ("beta", "se", "zscore", "pvalue")}
            compare(f"cells {label} {name} (float32 h5ad)", ours, reference, 1e-6)
        else:
            compare(f"cells {label} {name}", tables(out), reference, 1e-6)

if failures:
    print("check-activity: FAILED\n  " + "\n  ".join(failures))
    sys.exit(1)
print("check-activity: sluice equals SecActpy (CytoSig and SecAct; bulk, pseudobulk, single cell): OK")
