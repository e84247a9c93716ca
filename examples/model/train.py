#!/usr/bin/env python3
"""A tiny external trainer for a Sluice `model` stage (numpy + h5py): the model is every gene's
mean log-normalised expression, updated with each batch.

    model: {every: 4, version_bytes: 64MB,
            command: [python3, examples/model/train.py, --resume, "{checkpoint}", --data, "{batch}", --out, "{next_checkpoint}"]}

--resume is the latest version's folder (empty before the first), --data the batch's JSON list
of {"item", "input", "file"} in item order, --out the folder to write the next version to.
Sluice commits that folder after the program exits 0; a PyTorch or JAX trainer does the same
with its own checkpoint files."""

import argparse
import json
from pathlib import Path

import h5py
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--resume", default="")
parser.add_argument("--data", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

genes: list[str] = []
sums = np.zeros(0)
cells = 0
if args.resume:
    state = np.load(Path(args.resume) / "model.npz", allow_pickle=False)
    genes, sums, cells = list(state["genes"]), state["sums"], int(state["cells"])

for entry in json.loads(Path(args.data).read_text()):
    with h5py.File(entry["file"], "r") as f:
        names = [g.decode() if isinstance(g, bytes) else g for g in f["var"][f["var"].attrs["_index"]][:]]
        data, indices, indptr = f["X/data"][:], f["X/indices"][:], f["X/indptr"][:]
    totals = np.add.reduceat(data, indptr[:-1]) if len(data) else np.zeros(len(indptr) - 1)
    totals[np.diff(indptr) == 0] = 0
    rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    values = np.log1p(data * 1e4 / totals[rows])
    position = {g: k for k, g in enumerate(genes)}
    for name in names:
        if name not in position:
            position[name] = len(genes)
            genes.append(name)
    sums = np.concatenate([sums, np.zeros(len(genes) - len(sums))])
    np.add.at(sums, np.array([position[n] for n in names])[indices], values)
    cells += len(indptr) - 1

np.savez(Path(args.out) / "model.npz", genes=np.array(genes), sums=sums, cells=cells)
print(f"{cells} cells, {len(genes)} genes")
