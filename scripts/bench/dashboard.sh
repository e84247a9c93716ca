#!/usr/bin/env bash
# Dashboard overhead benchmark (issue 17's target: a run of 1,000 items with the dashboard open
# and its metrics scraped every second takes within 3 % of the same run without them).
#
# The same pipeline — ITEMS local files, fetched, copied by a command stage, cleaned up — runs
# ROUNDS times each way, alternating (which goes first alternates too), each in a fresh workspace: plain `sluice run`, and
# `sluice run --serve` watched by an event-stream client (what the page holds open: it reads
# every `snapshot` event) and by a real Prometheus scraping /metrics every second (a client that
# GETs /metrics every second when Prometheus is not installed, or with SCRAPER=curl: on a
# 2-core machine Prometheus's own work competes with the run, which on a cluster it does not).
# Prints each makespan (wall time of the `sluice run` process) and the ratios of the medians
# and of the fastest runs; and the CPU time the run used (its process and the programs it ran,
# user + system), which on this shared VM varies far less than the wall time: serving the page,
# the stream and /metrics is the only work a watched run does more.
#
#   scripts/bench/dashboard.sh                  # ITEMS=1000 ROUNDS=3
#   SCRAPER=curl ROUNDS=5 scripts/bench/dashboard.sh
#   SKIP_BUILD=1 SLUICE=.build/debug/sluice ITEMS=200 ROUNDS=1 scripts/bench/dashboard.sh
#   WATCH=events scripts/bench/dashboard.sh     # only the event stream (WATCH=metrics: only the scraper)
#   PIN=1 ROUNDS=8 scripts/bench/dashboard.sh   # runs on CPU 0, watchers on CPU 1
#
# PIN=1 keeps the watchers' own work (Prometheus, the event-stream reader) off the run's CPU, as
# on a cluster where they live on another host: every run, plain or watched, is confined to CPU
# 0 (its programs too), the watchers to CPU 1. What is left is the cost inside the sluice
# process: serving the page, the stream and /metrics.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
ITEMS="${ITEMS:-1000}"
ROUNDS="${ROUNDS:-3}"
SCRAPER="${SCRAPER:-prometheus}"
WATCH="${WATCH:-both}"
PIN="${PIN:-0}"
source scripts/bench/lib.sh
out="${BENCH_DATA:-bench-data}"
if [ -n "${SLUICE:-}" ]; then sluice="$(cd "$(dirname "$SLUICE")" && pwd)/$(basename "$SLUICE")" binary_note="$SLUICE"; else prepare_sluice "$out/dashboard-bin"; fi

scratch="$(mktemp -d /tmp/sluice-dashboard-bench-XXXXXX)"
watchers=()
cleanup() {
  for pid in "${watchers[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
mkdir -p "$scratch/in"
for i in $(seq 1 "$ITEMS"); do head -c 4096 /dev/urandom > "$scratch/in/f$i.dat"; done
cat > "$scratch/p.yaml" <<YAML
workspace: ./work
budget: {total: 2GB}
items:
  - directory: in
stages:
  - fetch: {concurrency: 4}
  - command: {name: copy, argv: [cp, "{in}/{item}", "{out}/"], outputs: ["*"], concurrency: 2}
  - cleanup: {keep: [output]}
YAML

run_cpu=()
if [ "$PIN" = 1 ]; then run_cpu=(taskset -c 0); fi
pin_watcher() { if [ "$PIN" = 1 ]; then taskset -a -cp 1 "$1" > /dev/null; fi; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Reads the event stream at $1 until it ends (the run's end), counting snapshot events into $2.
sse_client() {
  python3 - "$1" "$2" <<'PY' &
import sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
events = 0
for _ in range(600):
    try:
        with urllib.request.urlopen(url, timeout=60) as stream:
            for line in stream:
                if line.startswith(b"event: snapshot"):
                    events += 1
        break
    except OSError:
        if events:
            break
        time.sleep(0.05)
open(out, "w").write(str(events))
PY
  pin_watcher $!
  watchers+=($!)
}

prometheus_dir=""
start_prometheus() {  # scrapes 127.0.0.1:$1/metrics every second
  local port="$1" web
  web="$(free_port)"
  prometheus_dir="$scratch/prometheus-$port"
  mkdir -p "$prometheus_dir/data"
  cat > "$prometheus_dir/prometheus.yml" <<YAML
global: {scrape_interval: 1s}
scrape_configs:
  - job_name: sluice
    static_configs: [{targets: ["127.0.0.1:$port"]}]
YAML
  prometheus --config.file="$prometheus_dir/prometheus.yml" --storage.tsdb.path="$prometheus_dir/data" \
    --web.listen-address="127.0.0.1:$web" --log.level=error > "$prometheus_dir/log" 2>&1 &
  pin_watcher $!
  watchers+=($!)
  prometheus_pid=$!
  prometheus_web="$web"
  # Its first scrape comes seconds after start (target discovery waits): start the run after it.
  for _ in $(seq 1 120); do
    if curl -sf "http://127.0.0.1:$web/api/v1/query?query=up" | grep -q '"job":"sluice"'; then return; fi
    sleep 0.25
  done
  echo "Prometheus never scraped" >&2; exit 1
}

metrics_poller() {  # GETs $1 every second until killed
  ( while true; do curl -s -o /dev/null "$1" || true; sleep 1; done ) &
  pin_watcher $!
  watchers+=($!)
  poller_pid=$!
}

run_plain() {
  rm -rf "$scratch/work"
  local start end
  start=$(date +%s.%N)
  (cd "$scratch" && /usr/bin/time -f "%U %S" -o cpu.plain "${run_cpu[@]}" "$sluice" run p.yaml --quiet > plain.log)
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc) $(awk '{print $1 + $2}' "$scratch/cpu.plain")"
}

run_watched() {
  rm -rf "$scratch/work"
  local port start end scrapes="" events
  port="$(free_port)"
  if [ "$WATCH" = events ]; then :
  elif [ "$SCRAPER" = prometheus ] && command -v prometheus >/dev/null; then start_prometheus "$port"
  else metrics_poller "http://127.0.0.1:$port/metrics"; fi
  start=$(date +%s.%N)
  (cd "$scratch" && /usr/bin/time -f "%U %S" -o cpu.watched "${run_cpu[@]}" "$sluice" run p.yaml --quiet --serve --port "$port" > watched.log 2> watched.err) &
  local run=$!
  local client=""
  if [ "$WATCH" != metrics ]; then
    sse_client "http://127.0.0.1:$port/api/events" "$scratch/events"
    client=$!
  fi
  wait "$run"
  end=$(date +%s.%N)
  if [ -n "$client" ]; then wait "$client" 2>/dev/null || true; fi
  events="$(cat "$scratch/events" 2>/dev/null || echo 0)"
  if [ -n "$prometheus_dir" ]; then
    scrapes="$(curl -s "http://127.0.0.1:$prometheus_web/api/v1/query?query=count_over_time(sluice_budget_bytes%5B10m%5D)" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)')"
    kill "$prometheus_pid" 2>/dev/null || true
    wait "$prometheus_pid" 2>/dev/null || true
    prometheus_dir=""
  elif [ "$WATCH" != events ]; then
    kill "$poller_pid" 2>/dev/null || true
  fi
  echo "$(echo "$end - $start" | bc) $(awk '{print $1 + $2}' "$scratch/cpu.watched") $events ${scrapes:-polled}"
}

echo "sluice: $binary_note"
echo "items: $ITEMS, rounds: $ROUNDS, watched by: $WATCH, scraper: $SCRAPER, pinned: $PIN, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
plain=() watched=() plain_cpu=() watched_cpu=()
for round in $(seq 1 "$ROUNDS"); do
  # Which goes first alternates, so that a machine growing busier or quieter favours neither.
  if (( round % 2 )); then
    read -r p pc <<< "$(run_plain)"
    read -r w wc events scrapes <<< "$(run_watched)"
  else
    read -r w wc events scrapes <<< "$(run_watched)"
    read -r p pc <<< "$(run_plain)"
  fi
  plain+=("$p") watched+=("$w") plain_cpu+=("$pc") watched_cpu+=("$wc")
  printf 'round %d: plain %.2f s (CPU %.2f s), watched %.2f s (CPU %.2f s; %s snapshot events read, %s scrapes by Prometheus)\n' \
    "$round" "$p" "$pc" "$w" "$wc" "$events" "$scrapes"
done
python3 - "${plain[*]}" "${watched[*]}" "${plain_cpu[*]}" "${watched_cpu[*]}" <<'PY'
import statistics, sys
plain = [float(x) for x in sys.argv[1].split()]
watched = [float(x) for x in sys.argv[2].split()]
plain_cpu = [float(x) for x in sys.argv[3].split()]
watched_cpu = [float(x) for x in sys.argv[4].split()]
a, b = statistics.median(plain), statistics.median(watched)
print(f"median plain {a:.2f} s, watched {b:.2f} s: watched/plain = {b / a:.3f} ({(b / a - 1) * 100:+.1f} %; target within 3 %)")
a, b = min(plain), min(watched)
print(f"fastest plain {a:.2f} s, watched {b:.2f} s: watched/plain = {b / a:.3f} ({(b / a - 1) * 100:+.1f} %)")
pairs = [w / p for p, w in zip(plain, watched)]
print(f"per round watched/plain: {' '.join(f'{r:.3f}' for r in pairs)}; median {statistics.median(pairs):.3f}")
a, b = statistics.median(plain_cpu), statistics.median(watched_cpu)
print(f"CPU of the run (user + system, its programs included): median plain {a:.2f} s, watched {b:.2f} s: {b / a:.3f} ({(b / a - 1) * 100:+.1f} %)")
PY
