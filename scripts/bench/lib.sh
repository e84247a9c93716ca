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
