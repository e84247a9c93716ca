#!/usr/bin/env bash
# examples/atlas end to end (three real atlases through the atlas studies), its numbers checked
# against secactpy, statsmodels, scipy and numpy (scripts/crosscheck/atlas_check.py).
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with anndata, scanpy, secactpy, statsmodels (default: scripts/python-env)
exec "$(dirname "$0")/python-driver-with-sluice" atlas_check.py
