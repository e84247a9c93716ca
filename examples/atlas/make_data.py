#!/usr/bin/env python3
"""Three small atlases from real data, for examples/atlas (run with the venv's python):

  tcell_cancer.h5ad   scirpy's Wu et al. 2020 subset (200 T cells of 14 patients with lung, endometrial,
                      renal and colon cancer; tumour, normal adjacent tissue and blood; UMI counts of
                      30,727 genes), from the scirpy 0.22.5 wheel on PyPI (tests/data/wu2020_200_v0_11.h5ad):
                      obs sample, cell_type (the authors' cluster), condition (Tumor / NAT / Blood)
  pbmc_68k.h5ad       scanpy's 10x PBMC 68k reduced (700 cells of one healthy donor, in scanpy's wheel):
                      X = expm1 of its log-normalised raw (the data ships no counts), obs cell_type
                      (bulk_labels), sample (four groups of cells dealt round-robin: the data has one
                      donor), condition healthy
  pbmc_10x_v3.h5ad    10x Genomics' PBMC v3 test counts in scanpy's sources (1,107 cells, 507 genes;
                      Tests/Fixtures/pseudobulk/pbmc_groups.h5ad): obs cell_type, sample (its donor_id),
                      condition healthy (the cells it leaves unlabelled are left out)

    python make_data.py DATA_DIR
"""
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import scanpy
from scipy import sparse

ROOT = Path(__file__).resolve().parents[2]
SCIRPY = "scirpy==0.22.5"
WU = "scirpy/tests/data/wu2020_200_v0_11.h5ad"


def atlas(x, obs: pd.DataFrame, genes, path: Path) -> None:
    """Writes the cells with a sample and a cell type (the fixture leaves some unlabelled)."""
    keep = obs[["sample", "cell_type"]].notna().all(axis=1).to_numpy()
    x, obs = sparse.csr_matrix(x)[keep], obs[keep].copy()
    for column in ("sample", "cell_type", "condition"):
        obs[column] = pd.Categorical(obs[column].astype(str))
    ad.AnnData(sparse.csr_matrix(x, dtype=np.float32), obs=obs[["sample", "cell_type", "condition"]],
               var=pd.DataFrame(index=list(genes))).write_h5ad(path)
    print(f"{path.name}: {x.shape[0]} cells, {x.shape[1]} genes, {obs['cell_type'].nunique()} cell types, "
          f"{obs['sample'].nunique()} samples")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", SCIRPY, "--no-deps", "-q", "-d", scratch], check=True)
        wheel = next(Path(scratch).glob("scirpy-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(WU, scratch)
        wu = ad.read_h5ad(Path(scratch) / WU)
    obs = pd.DataFrame({"sample": wu.obs["sample"], "cell_type": wu.obs["cluster_orig"], "condition": wu.obs["source"]}, index=wu.obs_names)
    atlas(wu.X, obs, wu.var_names, out / "tcell_cancer.h5ad")

    pbmc = ad.read_h5ad(Path(scanpy.__file__).parent / "datasets/10x_pbmc68k_reduced.h5ad")
    raw = sparse.csr_matrix(pbmc.raw.X)
    raw.data = np.expm1(raw.data)
    obs = pd.DataFrame({"sample": [f"part{i % 4}" for i in range(pbmc.n_obs)], "cell_type": pbmc.obs["bulk_labels"],
                        "condition": "healthy"}, index=pbmc.obs_names)
    atlas(raw, obs, pbmc.raw.var_names, out / "pbmc_68k.h5ad")

    v3 = ad.read_h5ad(ROOT / "Tests/Fixtures/pseudobulk/pbmc_groups.h5ad")
    obs = pd.DataFrame({"sample": v3.obs["donor_id"], "cell_type": v3.obs["cell_type"], "condition": "healthy"}, index=v3.obs_names)
    atlas(v3.X, obs, v3.var_names, out / "pbmc_10x_v3.h5ad")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
