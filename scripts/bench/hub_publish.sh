#!/usr/bin/env bash
# Publishing a corpus to a Hugging Face Hub: `sluice publish hf` against huggingface_hub's
# HfApi.upload_folder (the Python tool users script today), on the same folder and the same
# loopback Hub (scripts/services/hub-server.py, LFS basic transfer; HF_HUB_DISABLE_XET=1 for
# the client, which the loopback Hub does not serve), in one run, each to a fresh Hub and
# repository, then again with nothing changed. Rounds alternate who goes first.
#
#   scripts/bench/hub_publish.sh      # SHARDS=8 SHARD_MB=32 ROUNDS=2; SKIP_BUILD=1 reuses the release build
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --product sluice >&2
sluice="$root/.build/release/sluice"
python="$(scripts/python-env)"
SHARDS="${SHARDS:-8}" SHARD_MB="${SHARD_MB:-32}" ROUNDS="${ROUNDS:-2}"
work="$(mktemp -d)"
hub=""
trap '[ -n "$hub" ] && kill "$hub" 2>/dev/null; rm -rf "$work"' EXIT
"$python" - "$work/corpus" "$SHARDS" "$SHARD_MB" <<'PY'
import json, os, sys
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
folder, shards, megabytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(7)
for split, count in (("train", shards - max(1, shards // 8)), ("test", max(1, shards // 8))):
    os.makedirs(f"{folder}/{split}/chunks", exist_ok=True)
    for k in range(count):
        cells = megabytes * 1024 * 1024 // (2048 * 4)
        ids = rng.integers(0, 60000, size=(cells, 2048), dtype=np.int32)
        table = pa.table({"cell_id": [f"{split}-{k}-{c}" for c in range(cells)],
                          "input_ids": pa.array(list(ids), type=pa.list_(pa.int32())), "length": np.full(cells, 2048, np.int32)})
        pq.write_table(table, f"{folder}/{split}/chunks/chunk_{k:04d}.parquet", compression="none")
json.dump({"vocabulary_sha256": "0"}, open(f"{folder}/manifest.json", "w"))
PY
echo loopback-token > "$work/token"
# A fresh Hub (an empty object store) for each upload: objects are stored by their SHA-256, so
# a second tool would otherwise find every shard there already.
fresh_hub() {
  [ -n "$hub" ] && kill "$hub" 2>/dev/null && wait "$hub" 2>/dev/null || true
  rm -rf "$work/store" "$work/port"
  python3 scripts/services/hub-server.py "$work/store" > "$work/port" &
  hub=$!
  for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
  endpoint="http://127.0.0.1:$(cat "$work/port")"
  export HF_ENDPOINT="$endpoint"
}
export HF_HUB_DISABLE_XET=1 HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 HF_HOME="$work/hf-home"
size=$(du -sb "$work/corpus" | cut -f1)
echo "corpus: $(find "$work/corpus" -type f | wc -l) files, $((size / 1048576)) MiB; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
seconds() { local start end; start=$(date +%s.%N); "$@" > /dev/null; end=$(date +%s.%N); echo "$end - $start" | bc; }
python_upload() { "$python" -c 'import sys; from huggingface_hub import HfApi; api = HfApi(token="loopback-token"); api.create_repo(sys.argv[1], repo_type="dataset", exist_ok=True); api.upload_folder(folder_path=sys.argv[2], repo_id=sys.argv[1], repo_type="dataset")' "$@"; }
sluice_upload() { "$sluice" publish hf "$2" --repo-id "$1" --token-file "$work/token" --endpoint "$endpoint"; }
for round in $(seq 1 "$ROUNDS"); do
  if (( round % 2 )); then order="python sluice"; else order="sluice python"; fi
  for tool in $order; do
    fresh_hub
    first=$(seconds "${tool}_upload" "bench/$tool-$round" "$work/corpus")
    again=$(seconds "${tool}_upload" "bench/$tool-$round" "$work/corpus")
    eval "${tool}_first=$first ${tool}_again=$again"
  done
  echo "round $round: first upload sluice ${sluice_first} s, huggingface_hub ${python_first} s ($(echo "scale=2; $python_first / $sluice_first" | bc)x); unchanged again sluice ${sluice_again} s, huggingface_hub ${python_again} s ($(echo "scale=2; $python_again / $sluice_again" | bc)x)"
done
