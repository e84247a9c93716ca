# Shared by the benchmark scripts (sourced, not run).
#
# prepare_sluice DIR
#   Builds the release binary (unless SKIP_BUILD=1) and measures a private copy in DIR, so that a
#   rebuild by someone else during the run cannot swap the binary. Sets: sluice (absolute path of
#   the copy), build_note, binary_note.
prepare_sluice() {
  local dir="$1" built=".build/release/sluice" dirty
  build_note="skipped (SKIP_BUILD=1)"
  if [ "${SKIP_BUILD:-}" != 1 ]; then
    echo "== building sluice (release)" >&2
    if swift build -c release --static-swift-stdlib --product sluice >&2; then
      build_note="built"
    else
      build_note="BUILD FAILED, measured the existing binary"
      echo "warning: swift build failed; measuring the existing $built" >&2
    fi
  fi
  [ -x "$built" ] || { echo "no $built; build it with: make build" >&2; exit 1; }
  mkdir -p "$dir"
  cp "$built" "$dir/sluice.bench-copy"
  dirty="$(git status --porcelain -- Sources Package.swift 2>/dev/null | awk '{print $2}' | tr '\n' ' ')"
  binary_note="$(date -r "$built" -u +%Y-%m-%dT%H:%M:%SZ) sha256 $(sha256sum "$built" | cut -c1-12)${dirty:+, built with uncommitted changes in: $dirty}"
  sluice="$(cd "$dir" && pwd)/sluice.bench-copy"
}

# generated_atlas CELLS
#   validate_bench.py's generated atlas of CELLS cells (counts.h5ad, activity.h5ad of the real
#   CytoSig signatures, pseudobulk.tsv) in BENCH_DATA/validate_cCELLS, made when absent. Needs
#   $python. Sets: inputs.
generated_atlas() {
  local data
  data="$("$python" -c 'import secactpy, os; print(os.path.join(os.path.dirname(secactpy.__file__), "data"))')"
  inputs="${BENCH_DATA:-bench-data}/validate_c$1"
  echo "== generating $inputs (reused when present)" >&2
  "$python" scripts/bench/validate_bench.py gen --cells "$1" --signature "$data/CytoSig.tsv.gz" --out "$inputs" >&2
}

# measure LABEL COMMAND…
#   Runs COMMAND under /usr/bin/time -v, its output in $work/LABEL.out, and prints "seconds
#   peak_kib" (wall-clock seconds, peak resident KiB); a failure prints its time report and exits.
measure() {
  /usr/bin/time -v "${@:2}" > "$work/$1.out" 2> "$work/$1.time" || { cat "$work/$1.time" >&2; exit 1; }
  local wall
  wall="$(grep 'Elapsed (wall' "$work/$1.time" | awk '{print $NF}')"
  echo "$(echo "$wall" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }') $(grep 'Maximum resident' "$work/$1.time" | awk '{print $NF}')"
}
