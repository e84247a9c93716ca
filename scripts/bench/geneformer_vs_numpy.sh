#!/usr/bin/env bash
# Geneformer-ready corpus benchmark: `sluice preprocess run-all --preset geneformer-95m` with a
# token dictionary and corpus medians (made with `sluice preprocess digest` + `merge-digests`)
# against scripts/reference/geneformer_tokenize.py — Geneformer's tokenizer logic in numpy, one
# cell at a time as Geneformer's own tokenize_anndata does — on the same generated h5ad, in one
# run; checks every cell's tokens are identical and reports the ratio.
#
#   scripts/bench/geneformer_vs_numpy.sh                 # 20000 cells x 15000 genes, 5 %
#   CELLS=5000 GENES=4000 scripts/bench/geneformer_vs_numpy.sh
#
# Environment: CELLS (20000) GENES (15000) DENSITY (0.05) SEED (1) SKIP_BUILD (unset: build the
# release binary) BENCH_DATA (bench-data). Wall times are whole processes (/usr/bin/time), the
# Python one including its interpreter start and imports; the input is read into the page cache
# first. Results: a table on stdout and BENCH_DATA/geneformer/results.json.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
CELLS="${CELLS:-20000}"
GENES="${GENES:-15000}"
DENSITY="${DENSITY:-0.05}"
SEED="${SEED:-1}"
DATA="${BENCH_DATA:-bench-data}"
mkdir -p "$DATA" && DATA="$(cd "$DATA" && pwd)"
WORK="$DATA/geneformer"
py="$root/.venv/bin/python"
[ -x "$py" ] || py="$(scripts/python-env)"
source scripts/bench/lib.sh
prepare_sluice "$WORK"

input="$WORK/cells_${CELLS}x${GENES}_d${DENSITY}_s${SEED}.h5ad"
"$py" scripts/bench/corpus_bench.py gen --cells "$CELLS" --genes "$GENES" --density "$DENSITY" --seed "$SEED" --out "$input" >/dev/null
rm -rf "$WORK/run" && mkdir -p "$WORK/run"
cd "$WORK/run"
cat "$input" > /dev/null

# The dictionaries: every gene of the file in a shuffled order; medians from the digest.
"$sluice" preprocess gene-ids "$input" --log-dir logs > ids.json
"$py" - ids.json tokens.json <<'PY'
import json, random, sys
ids = json.load(open(sys.argv[1]))
random.Random(7).shuffle(ids)
tokens = {"<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3}
tokens.update({gene: 4 + k for k, gene in enumerate(ids)})
json.dump(tokens, open(sys.argv[2], "w"))
PY
timed() { /usr/bin/time -f "%e %M" -o "$1.time" "${@:2}" > "$1.out" 2> "$1.err" || { cat "$1.err" >&2; exit 1; }; }
timed digest "$sluice" preprocess digest "$input" --digest-out d.digest --log-dir logs
"$sluice" preprocess merge-digests d.digest --out medians.json > /dev/null
timed sluice "$sluice" preprocess run-all "$input" --dataset-name d --output-dir out --interim-dir interim --log-dir logs \
  --vocabulary tokens.json --medians medians.json --preset geneformer-95m --skip-train-test-split
timed numpy "$py" "$root/scripts/reference/geneformer_tokenize.py" "$input" --token-dictionary tokens.json --medians medians.json \
  --preset geneformer-95m --out reference.json

"$py" - "$CELLS" "$GENES" "$DENSITY" <<'PY'
import json, sys
from pathlib import Path
import pyarrow.parquet as pq
cells, genes, density = sys.argv[1:4]
got = {}
for path in sorted(Path("out/d").rglob("*.parquet")):
    t = pq.read_table(path, columns=["cell_id", "input_ids"])
    got.update(zip(t.column("cell_id").to_pylist(), t.column("input_ids").to_pylist()))
expected = {c["cell_id"]: c["input_ids"] for c in json.load(open("reference.json"))["cells"]}
same = sum(got.get(c) == v for c, v in expected.items())
def t(name):
    wall, rss = open(f"{name}.time").read().split()
    return float(wall), int(rss) / 1024
(sw, sr), (nw, nr), (dw, dr) = t("sluice"), t("numpy"), t("digest")
print(f"input: {cells} cells x {genes} genes, density {density}")
print(f"tokens identical: {same} of {len(expected)} cells (Sluice wrote {len(got)})")
print(f"digest (sluice preprocess digest): {dw:.1f} s, peak RSS {dr:.0f} MiB")
print(f"sluice preprocess run-all --preset geneformer-95m: {sw:.1f} s, peak RSS {sr:.0f} MiB")
print(f"numpy reference (geneformer_tokenize.py):          {nw:.1f} s, peak RSS {nr:.0f} MiB")
print(f"ratio (numpy / sluice): x{nw / sw:.2f}")
json.dump({"cells": int(cells), "genes": int(genes), "density": float(density), "identical": same, "reference_cells": len(expected),
           "digest_s": dw, "sluice_s": sw, "sluice_rss_mib": sr, "numpy_s": nw, "numpy_rss_mib": nr}, open("../results.json", "w"))
sys.exit(0 if same == len(expected) == len(got) else 1)
PY
