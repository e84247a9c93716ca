#!/usr/bin/env python3
"""Driver of check-hub.sh: the official huggingface_hub client against the loopback Hub, then a
corpus published by `sluice publish hf` read back with huggingface_hub and datasets.

huggingface_hub uploads through Xet storage when hf_xet is installed; the loopback Hub serves
the Git LFS protocol (as the Hub does for every client without Xet), so HF_HUB_DISABLE_XET=1.
Exits non-zero on any difference."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "crosscheck-token"


def start_hub(work: Path) -> tuple[subprocess.Popen, str]:
    port_file = work / "hub.port"
    with open(port_file, "w") as out:
        server = subprocess.Popen([sys.executable, str(ROOT / "scripts/services/hub-server.py"), str(work / "hub-store"), "--token", TOKEN,
                                   "--page-size", "3"], stdout=out, stderr=subprocess.DEVNULL)
    for _ in range(200):
        text = port_file.read_text()
        if text.endswith("\n"):
            return server, f"http://127.0.0.1:{int(text)}"
        time.sleep(0.05)
    server.kill()
    raise SystemExit("the loopback Hub did not start")


def official_round_trip(work: Path) -> None:
    """huggingface_hub: create (twice: exist_ok), upload a folder, skip it unchanged, list, download."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from huggingface_hub import HfApi, snapshot_download

    folder = work / "client-upload"
    (folder / "data").mkdir(parents=True)
    rng = np.random.default_rng(3)
    pq.write_table(pa.table({"x": rng.integers(0, 1000, 5000), "y": rng.random(5000)}), folder / "data/part-0.parquet")
    pq.write_table(pa.table({"x": rng.integers(0, 1000, 70)}), folder / "data/part-1.parquet")
    (folder / "README.md").write_text("---\nlicense: mit\n---\n# client upload\n")
    (folder / "notes.txt").write_text("plain text, kept in Git\n")
    api = HfApi(token=TOKEN)
    api.create_repo("crosscheck/client", repo_type="dataset", private=True)
    api.create_repo("crosscheck/client", repo_type="dataset", exist_ok=True)
    first = api.upload_folder(folder_path=folder, repo_id="crosscheck/client", repo_type="dataset")
    again = api.upload_folder(folder_path=folder, repo_id="crosscheck/client", repo_type="dataset")
    assert again.oid == first.oid, "an unchanged folder made a new commit"
    files = {f.path for f in api.list_repo_tree("crosscheck/client", repo_type="dataset", recursive=True) if hasattr(f, "size")}
    want = {"data/part-0.parquet", "data/part-1.parquet", "README.md", "notes.txt"}
    assert want <= files, f"the tree lists {sorted(files)}"
    down = Path(snapshot_download("crosscheck/client", repo_type="dataset", local_dir=work / "client-download", token=TOKEN))
    for name in want:
        assert filecmp.cmp(folder / name, down / name, shallow=False), f"{name} came back different"
    print(f"huggingface_hub: uploaded, skipped unchanged, listed and downloaded {len(want)} files byte for byte")


def sluice_publication(sluice: str, work: Path, endpoint: str) -> None:
    import anndata as ad
    import numpy as np
    import pyarrow.parquet as pq
    import scipy.sparse as sp
    from datasets import load_dataset
    from huggingface_hub import snapshot_download

    rng = np.random.default_rng(11)
    cells, genes = 600, 80
    counts = sp.random(cells, genes, density=0.25, format="csr", random_state=5, data_rvs=lambda n: rng.integers(1, 30, n)).astype(np.float32)
    adata = ad.AnnData(counts)
    adata.obs_names = [f"cell{k}" for k in range(cells)]
    adata.var_names = [f"GENE{k}" for k in range(genes)]
    adata.var["gene_ids"] = [f"ENSG{k:011d}" for k in range(genes)]
    adata.obs["cell_type"] = rng.choice(["T cell", "B cell", "monocyte"], cells)
    adata.write_h5ad(work / "blood.h5ad")
    subprocess.run([sluice, "preprocess", "run-all", str(work / "blood.h5ad"), "--interim-dir", str(work / "interim"), "--output-dir",
                    str(work / "out"), "--log-dir", str(work / "logs"), "--test-size", "0.2"], check=True, stdout=subprocess.DEVNULL)
    corpus = work / "out/blood"
    (work / "token").write_text(TOKEN + "\n")
    for attempt in (1, 2):
        done = subprocess.run([sluice, "publish", "hf", str(corpus), "--repo-id", "lab/blood", "--token-file", str(work / "token"),
                               "--endpoint", endpoint, "--license", "cc-by-4.0"], check=True, capture_output=True, text=True)
        assert TOKEN not in done.stdout + done.stderr, "the token was printed"
        if attempt == 2:
            assert "nothing sent" in done.stdout, f"publishing again sent something: {done.stdout}"
    down = Path(snapshot_download("lab/blood", repo_type="dataset", local_dir=work / "blood-download", token=TOKEN))
    loaded = load_dataset(str(down))
    for split in ("train", "test"):
        local = pq.read_table(sorted((corpus / split / "chunks").glob("*.parquet"))).to_pydict()
        remote = loaded[split]
        assert remote.num_rows == len(local["cell_id"]) > 0, f"{split}: {remote.num_rows} rows, the shards hold {len(local['cell_id'])}"
        assert remote["cell_id"] == local["cell_id"] and remote["input_ids"] == local["input_ids"], f"{split}: rows differ"
        assert remote.features["input_ids"].feature.dtype == "int32", f"{split}: input_ids are {remote.features['input_ids']}"
    print(f"sluice publish hf: load_dataset gives train {loaded['train'].num_rows} and test {loaded['test'].num_rows} rows, "
          "equal to the local shards; publishing again sent nothing")


def main() -> None:
    sluice, work = sys.argv[1], Path(sys.argv[2])
    server, endpoint = start_hub(work)
    os.environ.update({"HF_ENDPOINT": endpoint, "HF_HUB_DISABLE_XET": "1", "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HOME": str(work / "hf-home"),
                       "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_DISABLE_PROGRESS_BARS": "1", "HF_DATASETS_CACHE": str(work / "datasets-cache")})
    try:
        official_round_trip(work)
        sluice_publication(sluice, work, endpoint)
    finally:
        server.kill()


if __name__ == "__main__":
    main()
