#!/usr/bin/env bash
# Report benchmark (issue 17's targets: the report of a 1,000-item run with 10,000 task attempts
# is under 5 MB and opens in Chromium in under 2 s).
#
# A real run of ITEMS local files through fetch and a copy command gives the workspace, its
# ledger and disk samples; its trace is then padded to ATTEMPTS rows with more attempts of the
# same tasks (retries with plausible times, a fifth of them failed), so that the page has the
# size of a run that long. Then `sluice report` writes the page, and headless Chromium loads it
# (--dump-dom, which returns once the page is laid out), against a blank page's load as the
# baseline of Chromium's own start.
#
#   scripts/bench/report.sh                 # ITEMS=1000 ATTEMPTS=10000
#   SKIP_BUILD=1 SLUICE=.build/debug/sluice scripts/bench/report.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ITEMS="${ITEMS:-1000}"
ATTEMPTS="${ATTEMPTS:-10000}"
source scripts/bench/lib.sh
out="${BENCH_DATA:-bench-data}"
if [ -n "${SLUICE:-}" ]; then sluice="$(cd "$(dirname "$SLUICE")" && pwd)/$(basename "$SLUICE")" binary_note="$SLUICE"; else prepare_sluice "$out/report-bin"; fi
command -v chromium >/dev/null || { echo "needs chromium (scripts/bootstrap installs it)" >&2; exit 1; }

scratch="$(mktemp -d /tmp/sluice-report-bench-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/in"
for i in $(seq 1 "$ITEMS"); do echo "$i" > "$scratch/in/f$i.txt"; done
cat > "$scratch/p.yaml" <<YAML
workspace: ./work
budget: {total: 2GB}
items:
  - directory: in
stages:
  - fetch: {concurrency: 4}
  - command: {name: copy, argv: [cp, "{in}/{item}", "{out}/"], outputs: ["*"], concurrency: 2}
YAML
echo "sluice: $binary_note"
(cd "$scratch" && "$sluice" run p.yaml --quiet > run.log)
python3 - "$scratch/work/logs/trace.tsv" "$ATTEMPTS" <<'PY'
import random, sys
path, target = sys.argv[1], int(sys.argv[2])
lines = open(path).read().splitlines()
header, rows = lines[0].split("\t"), [l.split("\t") for l in lines[1:]]
col = {name: i for i, name in enumerate(header)}
random.seed(17)
extra, next_id = [], len(rows) + 1
while len(rows) + len(extra) < target:
    row = list(random.choice(rows))
    shift = random.randint(1000, 600000)
    for name in ("submit", "start", "complete"):
        row[col[name]] = str(int(row[col[name]]) + shift)
    row[col["task_id"]] = str(next_id); next_id += 1
    row[col["attempt"]] = str(random.randint(2, 5))
    if random.random() < 0.2:
        row[col["status"]], row[col["error"]] = "FAILED", "command.exit-status"
    extra.append(row)
with open(path, "a") as f:
    for row in extra: f.write("\t".join(row) + "\n")
print(f"trace: {len(rows)} real rows + {len(extra)} added = {len(rows) + len(extra)}")
PY
start=$(date +%s.%N)
"$sluice" report "$scratch/work" -o "$scratch/report.html" > /dev/null
made=$(echo "$(date +%s.%N) - $start" | bc)
size=$(stat -c %s "$scratch/report.html")
echo "<!DOCTYPE html><html><body>blank</body></html>" > "$scratch/blank.html"
load() {  # file → seconds for chromium to load and dump it
  local t0 t1
  t0=$(date +%s.%N)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --log-level=3 --user-data-dir="$scratch/profile-$RANDOM" --dump-dom "file://$1" > /dev/null 2>&1
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
for round in 1 2 3; do
  blank=$(load "$scratch/blank.html"); page=$(load "$scratch/report.html")
  printf 'round %d: blank page %.2f s, report %.2f s, report alone %.2f s\n' "$round" "$blank" "$page" "$(echo "$page - $blank" | bc)"
done
printf 'report: %d attempts, %.2f MB, written in %.2f s\n' "$ATTEMPTS" "$(echo "$size / 1000000" | bc -l)" "$made"
