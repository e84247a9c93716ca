#!/usr/bin/env bash
# Download → quantify → delete with the real kallisto, end to end on this machine:
# makes a tiny data set, serves it over HTTP on 127.0.0.1, runs the pipeline, prints the results.
#
#   examples/kallisto/run.sh [--accessions] [RUN_DIR]
#
# --accessions runs pipeline-accessions.yaml instead: the samples come from a (loopback) ENA
# Portal API by study accession, and the pipeline builds each species' index itself.
# RUN_DIR (default: a new folder under /tmp) receives data/, ref/, pipeline.yaml and work/;
# it is left in place so you can look at it. SLUICE picks the binary (default .build/release/sluice;
# e.g. SLUICE=.build/debug/sluice after a plain `swift build`).
set -euo pipefail

EXAMPLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$EXAMPLE/../.." && pwd)
cd "$REPO"
# shellcheck source=examples/lib.sh
. "$EXAMPLE/../lib.sh"
find_sluice

if ! command -v kallisto >/dev/null 2>&1; then
    echo "== installing kallisto (Debian package)"
    SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
    $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y kallisto \
        || { $SUDO apt-get update && $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y kallisto; }
fi
echo "== $(kallisto version)"

accessions=false
if [[ "${1:-}" == "--accessions" ]]; then accessions=true; shift; fi
make_run_dir "${1:-}" kallisto

# Serve the (still empty) data folder first: the manifest needs the server's URL.
serve_data
echo "== serving $RUN_DIR/data at $BASE_URL"

echo "== making the data (6 samples, 2 species)"
python3 "$EXAMPLE/make_data.py" "$RUN_DIR/data" "$BASE_URL"

cp "$EXAMPLE/merge_abundance.py" "$RUN_DIR/ref/"
if $accessions; then
    # The pipeline builds the indexes (per: group-first); only the ENA API's address changes.
    sed "s#http://127.0.0.1:PORT/ena#${BASE_URL%/}/ena#" "$EXAMPLE/pipeline-accessions.yaml" > "$RUN_DIR/pipeline.yaml"
else
    echo "== building one kallisto index per species"
    for species in alpha beta; do
        kallisto index -i "$RUN_DIR/ref/$species.idx" "$RUN_DIR/data/$species.fa" > "$RUN_DIR/ref/$species.index.log" 2>&1
    done
    cp "$EXAMPLE/pipeline.yaml" "$RUN_DIR/pipeline.yaml"
fi

run_pipeline
echo
for merged in "$RUN_DIR"/work/output/groups/*/merge/merged.tsv; do
    [[ -f "$merged" ]] || continue
    echo "== $merged"
    cat "$merged"
done
echo
echo "Known abundances (true pairs per transcript): $RUN_DIR/data/truth.tsv"
echo "Per-sample kallisto output:                   $RUN_DIR/work/output/<sample>/quant/"
echo "Logs: $RUN_DIR/work/logs/<sample>/quant.log; events: $SLUICE events $RUN_DIR/pipeline.yaml"
exit "$status"
