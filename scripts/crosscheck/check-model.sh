#!/usr/bin/env bash
# Cross-checks `sluice model update|embed` (the model stage's built-in model) against scanpy,
# numpy and scikit-learn's IncrementalPCA on scanpy's real 10x files (model_check.py).
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with scanpy, scikit-learn, pyarrow (default: scripts/python-env)
exec "$(dirname "$0")/python-driver-with-sluice" model_check.py
