"""Reference for SecAct's signature grouping (is_group_sig=True), next to the activity fixtures.

Run with the reference venv:  .venv/bin/python scripts/reference/make_grouped_activity_reference.py Tests/Fixtures/activity
Reads expression_bulk.tsv and cytosig_subset.tsv written by make_activity_reference.py, adds
near-copies of three signatures (seeded noise, so their correlation with the original is above
0.9) to make groups exist, and writes grouped_signature.tsv plus
grouped_{beta,se,zscore,pvalue}.tsv from secactpy.secact_activity_inference(..., is_group_sig=True).
"""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import secactpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_activity_reference import read_matrix, standardize_genes, standardize_signature, write_matrix  # noqa: E402


def main(out: Path) -> None:
    signature = pd.read_csv(out / "cytosig_subset.tsv", sep="\t", index_col=0, float_precision="round_trip")
    rng = np.random.default_rng(20261123)
    for name, scale in (("IL6", 0.05), ("TNFA", 0.1), ("IFNG", 0.02)):
        column = signature[name].values
        signature[f"{name}_copy"] = column + rng.normal(0, scale * np.std(column), size=len(column))
    # The header names only the value columns, as the shipped signature files do.
    lines = ["\t".join(signature.columns)]
    for gene, row in signature.iterrows():
        lines.append("\t".join([gene] + [repr(float(v)) for v in row.values]))
    (out / "grouped_signature.tsv").write_text("\n".join(lines) + "\n")

    expression = standardize_genes(read_matrix(out / "expression_bulk.tsv"))
    signature = standardize_signature(
        pd.read_csv(out / "grouped_signature.tsv", sep="\t", index_col=0, float_precision="round_trip"))
    result = secactpy.secact_activity_inference(
        expression, is_differential=False, sig_matrix=signature, is_group_sig=True, lambda_=1e4, n_rand=100,
        seed=0, backend="numpy", rng_method="srand", use_cache=False, sort_genes=False, verbose=False)
    for stat in ("beta", "se", "zscore", "pvalue"):
        frame = result[stat]
        write_matrix(out / f"grouped_{stat}.tsv", "protein", list(frame.index), list(frame.columns), frame.values)
    groups = [c for c in secactpy.inference.group_signatures(signature).columns if "|" in c]
    print("groups:", groups)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
