#!/usr/bin/env bash
# A foundation-model corpus at scale: DATASETS generated datasets (DISTINCT different ones,
# repeated under different names: mixed sizes from 0.5x to 1.5x CELLS, densities from 2 to 10 %,
# different gene sets around a shared core of CORE genes, every other one with Ensembl ids only)
# served over loopback HTTP, through one `sluice run`:
#
#   fetch -> digest (merged a batch at a time) -> medians (barrier) -> tokenize (geneformer-30m,
#   medians: corpus, the run's vocabulary) -> model (incremental PCA + gene statistics, every
#   EVERY items) -> corpus
#
# (MODEL=0 leaves the model stage out: the corpus alone) with raw/, interim/ and checkpoints/
# held to RATIO times less than the data (the tokens in output/ are the product and are not
# deleted; their size is reported). Measures wall time, peak RSS (the largest of the run's
# processes, and all of them together: a 0.5 s sampler), the peak of the working areas on disk
# (a 50 ms sampler),
# the bytes fetched twice, and cells/s against the same work done one dataset at a time with
# the sluice CLI (digest, run-all with the run's final vocabulary and merged medians, model
# update + embed), and checks every cell's tokens equal that one-dataset-at-a-time output.
#
#   scripts/bench/corpus_at_scale.sh                                  # 100 datasets, 3 M cells
#   DATASETS=100 CELLS=100000 scripts/bench/corpus_at_scale.sh        # 10 M cells
#
# The working budget is shared 35 / 35 / 30 % by raw/, interim/ and checkpoints/ (the merged
# digest's size grows with the genes of the corpus, not its cells: a small corpus needs a larger
# share for it). Environment: DATASETS (100) DISTINCT (10) CELLS (30000, the mean per dataset) GENES (20000)
# CORE (15000) RATIO (10) EVERY (4) FEATURES (500) COMPONENTS (20) SKIP_BUILD BENCH_DATA
# (bench-data) MODEL (1). Results: a table on stdout and BENCH_DATA/corpus_at_scale/results.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
DATASETS="${DATASETS:-100}"
DISTINCT="${DISTINCT:-10}"
CELLS="${CELLS:-30000}"
GENES="${GENES:-20000}"
CORE="${CORE:-15000}"
RATIO="${RATIO:-10}"
EVERY="${EVERY:-4}"
FEATURES="${FEATURES:-500}"
COMPONENTS="${COMPONENTS:-20}"
MODEL="${MODEL:-1}"
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"
WORK="$DATA/corpus_at_scale"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(scripts/python-env)"
source scripts/bench/lib.sh
prepare_sluice "$WORK"

# The distinct datasets (kept between runs: generating is not what is measured).
mkdir -p "$WORK/distinct"
for ((j = 0; j < DISTINCT; j++)); do
  read -r cells density < <("$py" -c "d=max(1,$DISTINCT-1); print(int($CELLS*(0.5+$j/d)), round(0.02+0.08*$j/d, 4))")
  extra=()
  ((j % 2 == 1)) && extra=(--ids-only)
  out="$WORK/distinct/s${j}_${cells}x${GENES}_d${density}_c${CORE}.h5ad"
  "$py" scripts/bench/corpus_bench.py gen --cells "$cells" --genes "$GENES" --density "$density" --seed $((j + 1)) \
    --core "$CORE" --id-offset $((100000 * (j + 1))) "${extra[@]}" --out "$out" > /dev/null
  distinct[j]="$out"
done

rm -rf "$WORK/served" "$WORK/run" "$WORK/alone" && mkdir -p "$WORK/served" "$WORK/run" "$WORK/alone"
cd "$WORK/run"
data_bytes=0
for ((i = 0; i < DATASETS; i++)); do
  source_file="${distinct[$((i % DISTINCT))]}"
  ln "$source_file" "$WORK/served/d$(printf %03d "$i").h5ad"  # hard links: the server refuses symbolic ones
  data_bytes=$((data_bytes + $(stat -c %s "$source_file")))
done
"$sluice" serve "$WORK/served" > serve.url 2> serve.err &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s serve.url ] && break; sleep 0.1; done
url="$(head -1 serve.url)"
{
  printf 'name\turl\tsize\n'
  for ((i = 0; i < DATASETS; i++)); do
    name="d$(printf %03d "$i")"
    printf '%s\t%s%s.h5ad\t%s\n' "$name" "$url" "$name" "$(stat -L -c %s "$WORK/served/$name.h5ad")"
  done
} > items.tsv
# The model's features: genes of the shared core.
"$py" -c "print('\n'.join(f'ENSG{j + 1:011d}' for j in range($FEATURES)))" > features.txt
working=$((data_bytes / RATIO))
cat > corpus.yaml <<YAML
workspace: ./ws
budget: {total: 100TB, areas: {raw: $((working * 35 / 100)), interim: $((working * 35 / 100)), checkpoints: $((working * 30 / 100))}}
items:
  - manifest: items.tsv
stages:
  - fetch: {concurrency: 2}
  - digest: {name: digest, every: $EVERY}
  - digest: {name: medians, per: all}
  - preprocess: {name: tokenize, from: fetch, medians: corpus, preset: geneformer-30m, test_size: 0.05}
  - model: {from: fetch, every: $EVERY, max_wait: 5s, features: features.txt, components: $COMPONENTS, chunk_size: 500}
  - corpus: {from: tokenize}
YAML
[ "$MODEL" = 1 ] || sed -i '/^  - model:/d' corpus.yaml

# The working areas (and output/) sampled every 50 ms while the run goes; every tenth sample
# also sums the resident memory of the run's processes (every process of the sluice binary).
"$py" - ws "$sluice" > disk.json <<'PY' &
import json, os, sys, time
root, binary = sys.argv[1], os.path.realpath(sys.argv[2])
def blocks(path):
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total
def resident():
    """(largest, sum) of the VmRSS of every process running the sluice binary, in bytes."""
    sizes = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") != binary:
                continue
            with open(f"/proc/{pid}/status") as status:
                sizes += [int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:")]
        except OSError:
            pass
    return max(sizes, default=0), sum(sizes)
peak = {"working": 0, "output": 0, "samples": 0, "rss_largest": 0, "rss_sum": 0}
while not os.path.exists("run.done"):
    working = sum(blocks(os.path.join(root, area)) for area in ("raw", "interim", "checkpoints"))
    peak["working"] = max(peak["working"], working)
    if peak["samples"] % 10 == 0:
        largest, together = resident()
        peak["rss_largest"] = max(peak["rss_largest"], largest)
        peak["rss_sum"] = max(peak["rss_sum"], together)
    peak["samples"] += 1
    time.sleep(0.05)
peak["output"] = blocks(os.path.join(root, "output"))
print(json.dumps(peak))
PY
sampler=$!
rm -f run.done
start=$(date +%s.%N)
/usr/bin/time -f "%e %M" -o run.time "$sluice" run corpus.yaml --quiet > run.out 2> run.err || { tail -20 run.err >&2; touch run.done; exit 1; }
touch run.done
wait $sampler
"$sluice" vocabulary corpus.yaml --stage tokenize --out vocabulary.json > /dev/null
medians="$WORK/run/ws/interim/groups/all/medians/medians.json"

# The same work one distinct dataset at a time, with the run's final vocabulary and medians.
cd "$WORK/alone"
timed() { /usr/bin/time -f "%e %M" -a -o alone.time "$@" > /dev/null 2>> alone.err || { tail -5 alone.err >&2; exit 1; }; }
: > alone.time
for ((j = 0; j < DISTINCT; j++)); do
  f="${distinct[j]}"
  timed "$sluice" preprocess digest "$f" --digest-out "s$j.digest" --log-dir logs
  timed "$sluice" preprocess run-all "$f" --dataset-name "s$j" --output-dir out --interim-dir interim --log-dir logs \
    --vocabulary "$WORK/run/vocabulary.json" --medians "$medians" --preset geneformer-30m --test-size 0.05 --no-spill
  if [ "$MODEL" = 1 ]; then
    timed "$sluice" model update "$f" --out "m$j" --features "$WORK/run/features.txt" --components "$COMPONENTS" --chunk-size 500
    timed "$sluice" model embed "m$j" "$f" --out "e$j.parquet"
  fi
done

cd "$WORK/run"
"$py" - "$WORK" "$DATASETS" "$DISTINCT" "$data_bytes" "$working" "$MODEL" "${distinct[@]}" <<'PY'
import json, sqlite3, sys
from pathlib import Path
import pyarrow as pa
import pyarrow.parquet as pq
work, datasets, distinct, data_bytes, working = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
model = sys.argv[6] == "1"
sources = sys.argv[7:]

def tokens(folder):
    """Every cell's tokens, as an Arrow table sorted by cell id (columnar: no Python lists)."""
    parts = [pq.read_table(p, columns=["cell_id", "input_ids"]) for p in sorted(Path(folder).glob("*/chunks/*.parquet"))]
    return pa.concat_tables(parts).sort_by("cell_id")

cells = 0
mismatched = []
for j in range(distinct):
    alone = tokens(work / "alone/out" / f"s{j}")
    for i in range(j, datasets, distinct):
        got = tokens(work / "run/ws/output" / f"d{i:03d}")
        cells += got.num_rows
        if not got.equals(alone):
            mismatched.append(f"d{i:03d}")
wall, rss_kb = open(work / "run/run.time").read().split()[-2:]
alone_seconds, alone_rss = 0.0, 0
lines = [l.split() for l in open(work / "alone/alone.time") if l.strip() and l.split()[0][0].isdigit()]
for seconds, rss in lines:
    alone_seconds += float(seconds)
    alone_rss = max(alone_rss, int(rss))
# Each distinct dataset stands for DATASETS / DISTINCT of the run's.
alone_seconds *= datasets / distinct
disk = json.load(open(work / "run/disk.json"))
db = sqlite3.connect(work / "run/ws/sluice.db")
refetched = [m for (m,) in db.execute("SELECT message FROM events WHERE kind = 'refetched'")]
twice = sum(int(m.split()[-2]) for m in refetched)
result = {
    "datasets": datasets, "distinct": distinct, "model_stage": model, "cells": cells, "data_bytes": data_bytes, "working_budget_bytes": working,
    "run_seconds": float(wall), "run_peak_rss_bytes": int(rss_kb) * 1024, "run_cells_per_second": cells / float(wall),
    "alone_seconds": alone_seconds, "alone_cells_per_second": cells / alone_seconds, "alone_peak_rss_bytes": alone_rss * 1024,
    "ratio_run_to_alone": (cells / float(wall)) / (cells / alone_seconds),
    "run_rss_largest_sampled_bytes": disk["rss_largest"], "run_rss_sum_sampled_bytes": disk["rss_sum"],
    "peak_working_bytes": disk["working"], "disk_samples": disk["samples"], "output_bytes": disk["output"],
    "items_fetched_twice": len(refetched), "bytes_fetched_twice": twice,
    "tokens_identical": not mismatched, "mismatched_items": mismatched[:10],
}
json.dump(result, open(work / "results.json", "w"), indent=2)
gb = lambda b: f"{b / 1e9:.2f} GB"
print(f"corpus at scale: {datasets} datasets ({distinct} distinct), {cells} cells, {gb(data_bytes)} of data, working areas held to {gb(working)}"
      + ("" if model else " (no model stage)"))
print(f"  sluice run       {float(wall):8.1f} s  {cells / float(wall):9.0f} cells/s  peak RSS {int(rss_kb) / 1024:.0f} MiB"
      + f" (largest process; all together at most {disk['rss_sum'] / 2**20:.0f} MiB, sampled)")
print(f"  one at a time    {alone_seconds:8.1f} s  {cells / alone_seconds:9.0f} cells/s  peak RSS {alone_rss / 1024:.0f} MiB (CLI, same work)")
print(f"  ratio (run / one at a time): {result['ratio_run_to_alone']:.2f}")
print(f"  peak of raw+interim+checkpoints: {gb(disk['working'])} of {gb(working)} ({disk['samples']} samples); output {gb(disk['output'])}")
print(f"  fetched twice: {len(refetched)} items, {gb(twice)}")
print(f"  tokens identical to each dataset alone: {'yes' if not mismatched else 'NO: ' + ', '.join(mismatched[:5])}")
sys.exit(0 if not mismatched and disk["working"] <= working else 1)
PY
