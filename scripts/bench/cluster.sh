#!/usr/bin/env bash
# Cluster benchmark (issue 16), one run, side by side on this machine:
#
#   1. ledger transitions/s (`sluice bench ledger`): SQLite in one process, and PostgreSQL with
#      1, 4 and 16 workers (each with its own connection);
#   2. TASKS small tasks (fetch a 2-byte file, copy it, clean up) through WORKERS workers: started
#      here as local `sluice worker` processes, and as a SLURM job array by `sluice run
#      --workers slurm:WORKERS` — the makespan of each, and the `squeue` calls the driver made
#      per poll (counted by a shim first on its PATH; it never calls `sacct`).
#
#   scripts/bench/cluster.sh                          # ITEMS=2000 TASKS=1000 WORKERS=4
#   ITEMS=5000 TASKS=300 WORKERS=8 scripts/bench/cluster.sh
#   SLUICE=/tmp/sluice-old scripts/bench/cluster.sh   # another build
#   SKIP_BUILD=1 scripts/bench/cluster.sh              # the release binary as it is
#
# Needs root (it starts the throwaway PostgreSQL and one-node SLURM of scripts/services, and
# stops them after). Results: a table on stdout and bench-data/cluster.json.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ITEMS="${ITEMS:-2000}"
TASKS="${TASKS:-1000}"
WORKERS="${WORKERS:-4}"
POLL="${POLL:-1}"
out="${BENCH_DATA:-bench-data}"
mkdir -p "$out"
source scripts/bench/lib.sh
if [ -n "${SLUICE:-}" ]; then
  sluice="$SLUICE" binary_note="$SLUICE"
else
  prepare_sluice "$out/cluster-bin"
fi

scratch="$(mktemp -d /tmp/sluice-cluster-XXXXXX)"
cleanup() {
  rm -rf "$scratch"
  scripts/services/slurm.sh stop >/dev/null 2>&1 || true
  scripts/services/postgres.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/services/postgres.sh start >/dev/null
scripts/services/slurm.sh start
export SLUICE_PG_PASSWORD="${SLUICE_PG_PASSWORD:-sluice}"
url="postgres://sluice@127.0.0.1:${SLUICE_PG_PORT:-55439}/sluice"

rate() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["transitions_per_second"]))'; }

echo "sluice: $binary_note"
echo "## 1. Ledger transitions/s ($ITEMS items, 2 tasks each; sluice bench ledger)"
sqlite=$("$sluice" bench ledger --items "$ITEMS" --folder "$scratch" --json | rate)
printf '%-28s %8s /s\n' "SQLite, 1 process" "$sqlite"
pg=()
for workers in 1 4 16; do
  value=$("$sluice" bench ledger --items "$ITEMS" --workers "$workers" --ledger "$url" --json | rate)
  pg+=("$value")
  printf '%-28s %8s /s   (%.2f× SQLite)\n' "PostgreSQL, $workers worker(s)" "$value" "$(echo "$value / $sqlite" | bc -l)"
done

echo
echo "## 2. $TASKS small tasks through $WORKERS workers"
mkdir -p "$scratch/in"
for i in $(seq 1 "$TASKS"); do echo "$i" > "$scratch/in/f$i.txt"; done
pipeline() {  # name → pipeline file
  cat > "$scratch/$1.yaml" <<EOF
workspace: ./$1
ledger: $url?schema=bench_$1
budget: {total: 2GB}
items:
  - directory: in
stages:
  - fetch: {}
  - command:
      name: copy
      argv: [cp, "{in}/{item}", "{out}/"]
      outputs: ["*"]
  - cleanup: {keep: [output]}
EOF
  PGPASSWORD="$SLUICE_PG_PASSWORD" psql -q -h 127.0.0.1 -p "${SLUICE_PG_PORT:-55439}" -U sluice sluice \
    -c "DROP SCHEMA IF EXISTS bench_$1 CASCADE" 2>/dev/null || true
  echo "$scratch/$1.yaml"
}

# Local workers: WORKERS processes on this machine, timed until the last exits.
file=$(pipeline local)
start=$(date +%s.%N)
for _ in $(seq "$WORKERS"); do "$sluice" worker "$file" --quiet >/dev/null & done
wait
local_seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
printf '%-28s %8.1f s\n' "local sluice worker ×$WORKERS" "$local_seconds"

# SLURM: the driver submits the array and follows it; a shim counts its squeue calls.
file=$(pipeline slurm)
mkdir -p "$scratch/shim"
cat > "$scratch/shim/squeue" <<EOF
#!/bin/sh
echo call >> "$scratch/squeue.calls"
exec $(command -v squeue) "\$@"
EOF
chmod +x "$scratch/shim/squeue"
start=$(date +%s.%N)
PATH="$scratch/shim:$PATH" "$sluice" run "$file" --workers "slurm:$WORKERS" --poll "$POLL" --quiet >/dev/null
slurm_seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
calls=$(wc -l < "$scratch/squeue.calls")
polls=$(echo "$slurm_seconds / $POLL" | bc -l)
printf '%-28s %8.1f s   (%.2f× local)\n' "SLURM job array ×$WORKERS" "$slurm_seconds" "$(echo "$slurm_seconds / $local_seconds" | bc -l)"
printf '%-28s %8d      (%.2f per %s s poll; sacct: 0)\n' "squeue calls by the driver" "$calls" "$(echo "$calls / $polls" | bc -l)" "$POLL"

cat > "$out/cluster.json" <<EOF
{"items": $ITEMS, "sqlite_per_second": $sqlite, "postgres_per_second": {"1": ${pg[0]}, "4": ${pg[1]}, "16": ${pg[2]}},
 "tasks": $TASKS, "workers": $WORKERS, "local_seconds": $local_seconds, "slurm_seconds": $slurm_seconds,
 "squeue_calls": $calls, "poll_seconds": $POLL}
EOF
echo
echo "written: $out/cluster.json"
