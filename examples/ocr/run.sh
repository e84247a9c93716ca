#!/usr/bin/env bash
# PDFs → OCR as SLURM jobs → text in the database → PDFs deleted, end to end on this machine:
# makes PDFs of known text, serves them over HTTP on 127.0.0.1, runs the pipeline on the
# machine's SLURM, and scores the text read back against the text written.
#
#   examples/ocr/run.sh [RUN_DIR]
#
# Needs SLURM (as root: scripts/services/slurm.sh start), Ghostscript, poppler-utils and
# tesseract-ocr (scripts/bootstrap installs them). RUN_DIR (default: a new folder under /tmp)
# receives data/, ref/, pipeline.yaml and work/. SLUICE picks the binary (default
# .build/release/sluice).
set -euo pipefail

EXAMPLE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$EXAMPLE/../.." && pwd)
cd "$REPO"
# shellcheck source=examples/lib.sh
. "$EXAMPLE/../lib.sh"
find_sluice
for tool in sbatch gs pdftoppm tesseract; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is missing (see the comment at the top of this script)" >&2; exit 2; }
done

make_run_dir "${1:-}" ocr

serve_data

echo "== making 50 PDFs of known text at $BASE_URL"
python3 "$EXAMPLE/make_pdfs.py" "$RUN_DIR/data" "$BASE_URL" 50
cp "$EXAMPLE/ocr_batch.py" "$RUN_DIR/ref/"
cp "$EXAMPLE/pipeline.yaml" "$RUN_DIR/pipeline.yaml"

run_pipeline

echo
echo "== the text read back, scored against the text written (from work/sluice.db)"
python3 - "$RUN_DIR/work/sluice.db" "$RUN_DIR/data/truth.tsv" <<'PY'
import collections, json, re, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute("SELECT content FROM ingested WHERE collection = 'documents'").fetchall()
truth = {line.split("\t")[0]: line.split("\t")[2] for line in open(sys.argv[2]).read().splitlines()[1:]}
words = lambda text: collections.Counter(re.findall(r"[a-z]+", text.lower()))
hits = total = 0
for (content,) in rows:
    document = json.loads(content)
    known = words(truth[document["document"]])
    hits += sum((words(document["text"]) & known).values())
    total += sum(known.values())
print(f"{len(rows)} documents stored; word accuracy {hits / max(total, 1):.4f} over {total} words")
PY
echo "Jobs' logs: $RUN_DIR/work/logs/slurm/ocr/; events: $SLUICE events $RUN_DIR/pipeline.yaml"
exit "$status"
