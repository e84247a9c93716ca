#!/usr/bin/env bash
# `sluice analyze scores` (marker-gene scores per cell, streamed) against scanpy's
# sc.tl.score_genes on the same counts in one run: validate_vs_scipy.sh's generated atlas
# (bench-data/validate_c$CELLS/counts.h5ad, made by scripts/bench/validate_bench.py gen),
# normalize_total(1e4) + log1p, then per marker set score_genes with ctrl_size = the number of
# genes and n_bins=25 (every gene of a bin is a control, so no random draw), per cell and averaged
# per cell type. The built-in marker sets are scored when at least half of them have a gene in
# the file; else a table of 3 sets of 5 genes the file has (scripts/bench/scores_bench.py inputs)
# goes to both. Both run under /usr/bin/time -v; the cells' scores and the cell types' means are
# compared.
#
#   scripts/bench/scores_vs_scanpy.sh               # CELLS=1000000 (SKIP_BUILD=1 reuses the binary)
#   CELLS=100000 scripts/bench/scores_vs_scanpy.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/bench/lib.sh
CELLS="${CELLS:-1000000}"
python="$(scripts/python-env)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prepare_sluice "$work"
generated_atlas "$CELLS"
counts="$inputs/counts.h5ad"
read -r markers by < <("$python" scripts/bench/scores_bench.py inputs "$counts" "$work")
sluice_options=(--normalize --per-cell)
peer_markers=()
[ "$markers" = - ] || { sluice_options+=(--markers "$markers"); peer_markers=("$markers"); }
[ "$by" = - ] || sluice_options+=(--by "$by")
read -r sluice_wall sluice_kib < <(measure sluice "$sluice" analyze scores "$counts" "${sluice_options[@]}" --output "$work/sluice")
read -r peer_wall peer_kib < <(measure peer "$python" scripts/bench/scores_bench.py peer "$counts" "$work/peer" "${peer_markers[@]}")
s=$sluice_wall; p=$peer_wall
sets="$(tail -n +2 "$work/sluice/sets.tsv" | cut -f1 | paste -sd, -)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(date -u +%Y-%m-%dT%H:%M:%SZ); sluice $binary_note"
echo "$CELLS cells, $(tail -n +2 "$work/sluice/sets.tsv" | wc -l) marker sets ($sets; $([ "$markers" = - ] && echo built-in || echo "a table of genes the file has, too few built-in markers")), scores per cell$([ "$by" = - ] || echo " and per $by")"
echo "  sluice analyze scores: $s s, peak RSS $((sluice_kib / 1024)) MiB"
echo "  scanpy score_genes (anndata in memory): $p s, peak RSS $((peer_kib / 1024)) MiB"
echo "  ratio (scanpy / sluice): $(echo "scale=2; $p / $s" | bc)x"
echo "  largest absolute difference: $("$python" scripts/bench/scores_bench.py compare "$work/sluice" "$work/peer")"
