#!/usr/bin/env python3
"""The OCR job of the example: one SLURM job runs it for a batch of items.

    ocr_batch.py IN_1 … IN_N OUT_1 … OUT_N

For each item's input folder IN_i, every PDF is rendered page by page (pdftoppm, 100 dpi,
grey) and read by tesseract; OUT_i/<document>.json gets {"document", "pages", "text"}. The
page images live in a temporary folder on the node and are gone when the job ends. A GPU OCR
model on a GPU partition is a change of this program and of the stage's resources.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile


def read(pdf, scratch):
    prefix = os.path.join(scratch, "page")
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", pdf, prefix], check=True)
    images = sorted(glob.glob(prefix + "*.png"))
    # One tesseract for all pages (it reads a list of images): its start-up is most of a page's time.
    listing = os.path.join(scratch, "pages.txt")
    with open(listing, "w") as out:
        out.write("\n".join(images) + "\n")
    # As many threads as the job has CPUs (more only contend on a shared node).
    threads = os.environ.get("SLURM_CPUS_PER_TASK", "1")
    result = subprocess.run(
        ["tesseract", listing, "stdout", "--psm", "6"], check=True, capture_output=True, text=True, env=dict(os.environ, OMP_THREAD_LIMIT=threads))
    for image in images:
        os.remove(image)
    return len(images), result.stdout.replace("\f", "\n")


def main():
    folders = sys.argv[1:]
    if not folders or len(folders) % 2:
        sys.exit("usage: ocr_batch.py IN_1 … IN_N OUT_1 … OUT_N")
    half = len(folders) // 2
    with tempfile.TemporaryDirectory(prefix="sluice-ocr-") as scratch:
        for source, target in zip(folders[:half], folders[half:]):
            for pdf in sorted(glob.glob(os.path.join(source, "*.pdf"))):
                document = os.path.splitext(os.path.basename(pdf))[0]
                pages, text = read(pdf, scratch)
                with open(os.path.join(target, document + ".json"), "w") as out:
                    json.dump({"document": document, "pages": pages, "text": text}, out)
                print(f"{document}: {pages} page(s)", flush=True)


if __name__ == "__main__":
    main()
