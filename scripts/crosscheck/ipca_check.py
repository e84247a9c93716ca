#!/usr/bin/env python3
"""scikit-learn's IncrementalPCA fed the batches in IN.json ({"components", "batches": [[[...]...]...]})
with partial_fit, in order; writes OUT.json with its state after every batch."""

import json
import sys

import numpy as np
from sklearn.decomposition import IncrementalPCA

with open(sys.argv[1]) as f:
    spec = json.load(f)
model = IncrementalPCA(n_components=spec["components"])
states = []
for batch in spec["batches"]:
    model.partial_fit(np.asarray(batch, dtype=np.float64))
    states.append({
        "samples": int(model.n_samples_seen_),
        "mean": model.mean_.tolist(),
        "variance": model.var_.tolist(),
        "components": model.components_.ravel().tolist(),
        "singular_values": model.singular_values_.tolist(),
        "explained_variance": model.explained_variance_.tolist(),
        "explained_variance_ratio": model.explained_variance_ratio_.tolist(),
        "noise_variance": float(model.noise_variance_),
    })
with open(sys.argv[2], "w") as f:
    json.dump(states, f)
