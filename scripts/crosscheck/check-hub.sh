#!/usr/bin/env bash
# Cross-checks the loopback Hugging Face Hub (scripts/services/hub-server.py) and `sluice publish
# hf` against the official client: huggingface_hub uploads a folder to the loopback Hub and
# downloads it back byte for byte (proving the server speaks the Hub's protocol), then Sluice
# publishes a corpus it built, huggingface_hub downloads it and `datasets.load_dataset` loads it
# with the rows, token ids and features of the local shards.
#   SLUICE_BIN  the sluice binary (default: .build/release/sluice)
#   PYTHON      venv python with huggingface_hub, datasets, anndata, pyarrow (default: scripts/python-env)
exec "$(dirname "$0")/python-driver-with-sluice" hub_check.py
