#!/usr/bin/env bash
# Search-index query time (issue 20: under 10 ms on 100,000 entities), Sluice against the same
# ranking written in Python, on one index in one run:
#   the real CytoSig and SecAct signature matrices (shipped in secactpy's wheel) plus a
#   generated metadata table of cell types, diseases and organs, to 100,000 entities;
#   `sluice index query --repeats 200` (the mean of one query, the index already open), and
#   scripts/bench/search_index_peer.py (the same entities from the same file, the same
#   scores and order, in plain Python) for each query.
#
#   scripts/bench/search_index.sh            # SKIP_BUILD=1 to reuse .build/release/sluice
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
[ "${SKIP_BUILD:-}" = 1 ] || swift build -c release --product sluice >&2
sluice="$root/.build/release/sluice"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
data="$("$python" -c 'import secactpy, os; print(os.path.join(os.path.dirname(secactpy.__file__), "data"))')"
"$python" - "$work/atlas.csv" <<'PY'
import random, sys
random.seed(20)
syllables = ["ab", "cy", "to", "ki", "ne", "lym", "pho", "my", "elo", "neu", "ro", "epi", "the", "li", "al", "fi", "bro", "bla", "st"]
with open(sys.argv[1], "w") as out:
    out.write("cell,cell_type,disease,tissue\n")
    # 98,714 cell types, 30 diseases and 20 organs: with CytoSig's 43 cytokines (and the 23
    # genes its family names stand for) and SecAct's 1,170 proteins, 100,000 entities.
    for k in range(98714):
        name = "".join(random.choice(syllables) for _ in range(random.randint(2, 4)))
        out.write(f"c{k},{name} cell {k},disease {k % 30},organ {k % 20}\n")
PY
"$sluice" index build "cytosig:$data/CytoSig.tsv.gz" "secact:$data/SecAct.tsv.gz" "$work/atlas.csv" -o "$work/atlas.index" >&2
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for query in IL6 ifn "cell 4242" lymphoit; do
  sluice_ms=$("$sluice" index query "$query" --index "$work/atlas.index" --repeats 200 2>&1 >/dev/null | sed -E 's/.*one query took ([0-9.]+) ms.*/\1/')
  peer_ms=$("$python" scripts/bench/search_index_peer.py "$work/atlas.index" "$query" 5)
  "$sluice" index query "$query" --index "$work/atlas.index" --json --limit 20 > "$work/sluice.json"
  "$python" scripts/bench/search_index_peer.py "$work/atlas.index" "$query" 1 --json > "$work/peer.json"
  same=$("$python" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print("same" if [(m["score"], m["entity"]["type"], m["entity"]["name"]) for m in a] == [(m["score"], m["type"], m["name"]) for m in b] else "DIFFERENT")' "$work/sluice.json" "$work/peer.json")
  entities=$("$sluice" index query x --index "$work/atlas.index" --repeats 2 2>&1 >/dev/null | cut -d' ' -f1)
  echo "query '$query' over $entities entities: sluice $sluice_ms ms, python $peer_ms ms ($(echo "scale=1; $peer_ms / $sluice_ms" | bc)x); top 20 $same"
done
