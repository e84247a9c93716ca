#!/usr/bin/env bash
# Cross-checks the incremental PCA against scikit-learn's IncrementalPCA fed the same batches in
# the same order (IncrementalPCACrossCheckTests runs scripts/crosscheck/ipca_check.py).
#   PYTHON               venv python with scikit-learn (default: scripts/python-env)
#   SLUICE_SCRATCH_PATH  optional SwiftPM scratch path (default: .build)
exec "$(dirname "$0")/swift-suite-with-python" IncrementalPCACrossCheckTests check-ipca "equal to scikit-learn's IncrementalPCA batch by batch"
