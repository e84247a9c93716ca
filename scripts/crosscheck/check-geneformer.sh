#!/usr/bin/env bash
# Cross-checks `sluice preprocess --preset geneformer-30m|geneformer-95m` with a token dictionary
# and a median table against scripts/reference/geneformer_tokenize.py (Geneformer's tokenizer
# logic in numpy) on scanpy's real 10x files, and loads the shards with Hugging Face `datasets`.
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with anndata, scanpy, pyarrow, datasets (default: scripts/python-env)
exec "$(dirname "$0")/python-driver-with-sluice" geneformer_check.py
