#!/usr/bin/env bash
# Cross-checks the Parquet writer and reader against pyarrow and polars, in both directions:
# the Swift suite ParquetCrossCheckTests writes files for scripts/crosscheck/parquet_check.py to
# verify, and reads the files that script writes with pyarrow. Exits non-zero on any mismatch.
#   PYTHON               venv python with pyarrow and polars (default: scripts/python-env)
#   SLUICE_SCRATCH_PATH  optional SwiftPM scratch path (default: .build)
exec "$(dirname "$0")/swift-suite-with-python" ParquetCrossCheckTests check-parquet "pyarrow/polars read Sluice files and Sluice reads pyarrow files"
