#!/usr/bin/env bash
# Ledger throughput of two sluice binaries side by side (issue 16): `sluice bench ledger` on a
# throwaway PostgreSQL server with 1, 4 and 16 workers, the OLD and the NEW binary alternating
# (which goes first alternates too), then SQLite twice each. Prints transitions/s per round.
#
#   scripts/bench/ledger_ab.sh OLD_SLUICE NEW_SLUICE      # ROUNDS=4 ITEMS=2000
#
# Needs root (it starts scripts/services/postgres.sh and stops it after).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
OLD="$1" NEW="$2"
ROUNDS="${ROUNDS:-4}" ITEMS="${ITEMS:-2000}"
scripts/services/postgres.sh start >/dev/null
trap 'scripts/services/postgres.sh stop >/dev/null 2>&1 || true' EXIT
export SLUICE_PG_PASSWORD="${SLUICE_PG_PASSWORD:-sluice}"
url="postgres://sluice@127.0.0.1:${SLUICE_PG_PORT:-55439}/sluice"
rate() { python3 -c 'import json,sys; print(round(json.load(sys.stdin)["transitions_per_second"]))'; }
bench() { "$1" bench ledger --items "$ITEMS" "${@:2}" --json | rate; }
echo "old: $OLD ($("$OLD" --version)); new: $NEW ($("$NEW" --version)); $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
for workers in 1 4 16; do
  for round in $(seq 1 "$ROUNDS"); do
    if (( round % 2 )); then
      a=$(bench "$OLD" --workers "$workers" --ledger "$url"); b=$(bench "$NEW" --workers "$workers" --ledger "$url")
    else
      b=$(bench "$NEW" --workers "$workers" --ledger "$url"); a=$(bench "$OLD" --workers "$workers" --ledger "$url")
    fi
    echo "PostgreSQL, $workers worker(s), round $round: old $a/s, new $b/s ($(echo "scale=2; $b / $a" | bc)x)"
  done
done
for round in 1 2; do echo "SQLite, round $round: old $(bench "$OLD")/s, new $(bench "$NEW")/s"; done
