#!/usr/bin/env bash
# Three real atlases through the atlas studies, end to end on this machine: makes the atlases
# (scirpy's Wu 2020 T cells, two of scanpy's PBMC sets), runs the pipeline, builds a search index
# over what it found, and prints the headlines.
#
#   examples/atlas/run.sh [RUN_DIR]
#
# RUN_DIR (default: a new folder under /tmp) receives data/, ref/, pipeline.yaml and work/; it is
# left in place. SLUICE picks the binary (default .build/release/sluice); PYTHON the venv python
# with anndata, scanpy and secactpy (default: scripts/python-env, which makes it).
set -euo pipefail

EXAMPLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$EXAMPLE/../.." && pwd)
cd "$REPO"
# shellcheck source=examples/lib.sh
. "$EXAMPLE/../lib.sh"
find_sluice
PYTHON=${PYTHON:-$(scripts/python-env)}
make_run_dir "${1:-}" atlas

echo "== making the atlases"
"$PYTHON" "$EXAMPLE/make_data.py" "$RUN_DIR/data"
# CytoSig as the secactpy package ships it, and the study's cell-type mapping.
signatures=$("$PYTHON" -c 'import secactpy, os; print(os.path.join(os.path.dirname(secactpy.__file__), "data"))')
cp "$signatures/CytoSig.tsv.gz" "$EXAMPLE/cell_types.tsv" "$RUN_DIR/ref/"
cp "$EXAMPLE/pipeline.yaml" "$RUN_DIR/pipeline.yaml"

run_pipeline
[[ $status -eq 0 ]] || exit "$status"

work="$RUN_DIR/work/output"
echo "== search index over the signatures and the atlases' cell types"
"$SLUICE" index build "cytosig:$RUN_DIR/ref/CytoSig.tsv.gz" "$work"/*/composition/samples.tsv -o "$RUN_DIR/atlas.index"
"$SLUICE" index query "monocyte" --index "$RUN_DIR/atlas.index" --limit 3
echo
echo "== cell-type mapping across the atlases ($work/all/atlases/mapping.tsv)"
column -t -s $'\t' "$work/all/atlases/mapping.tsv" | head -n 12
echo
echo "== conserved top-5 signatures per cell type, in every atlas that has it"
column -t -s $'\t' "$work/all/atlases/conserved_everywhere.tsv"
echo
echo "== cancer atlas: signatures whose activity best follows their own gene across cell types (validate, Spearman)"
{ head -n 1 "$work/tcell_cancer/validate/celltype.tsv"; tail -n +2 "$work/tcell_cancer/validate/celltype.tsv" | awk -F'\t' '$9 != ""' | sort -t $'\t' -k9,9gr | head -n 5; } \
    | cut -f1-3,7,9 | column -t -s $'\t'
echo
echo "== cancer atlas: the top marker gene of each cell type (Wilcoxon, markers/differential.tsv)"
awk -F'\t' 'NR > 1 && !seen[$1]++ { print $1 "\t" $2 "\t" $3 }' "$work/tcell_cancer/markers/differential.tsv" | column -t -s $'\t'
echo
echo "== cancer atlas: cell-type composition, tumour and adjacent tissue against blood (lowest q first)"
{ head -n 1 "$work/tcell_cancer/composition/tests.tsv"; tail -n +2 "$work/tcell_cancer/composition/tests.tsv" | sort -t $'\t' -k12,12g | head -n 5; } \
    | cut -f1-3,6-12 | column -t -s $'\t'
