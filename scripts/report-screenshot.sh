#!/usr/bin/env bash
# Makes docs/report.png, the README's picture of a report: runs `sluice demo` in a scratch
# folder and screenshots its report with headless Chromium (installed by scripts/bootstrap).
#
#   scripts/report-screenshot.sh [SLUICE]     # default: .build/release/sluice
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sluice="${1:-$root/.build/release/sluice}"
scratch="$(mktemp -d /tmp/sluice-shot-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
"$sluice" demo --directory "$scratch/demo" > "$scratch/demo.log"
report="$scratch/demo/work/logs/report.html"
test -s "$report" || { echo "the demo wrote no report; its output is in $scratch/demo.log" >&2; exit 1; }
timeout 90 chromium --headless --no-sandbox --disable-gpu --log-level=3 --hide-scrollbars \
  --user-data-dir="$scratch/profile" --window-size=1100,1250 --screenshot="$root/docs/report.png" "file://$report" \
  > "$scratch/chromium.log" 2>&1
echo "docs/report.png: $(stat -c %s "$root/docs/report.png") bytes"
