#!/usr/bin/env python3
"""Makes the OCR example's documents: PDFs with known text, written by Ghostscript.

    make_pdfs.py DATA_DIR BASE_URL [DOCUMENTS] [SEED]

Writes DATA_DIR/<doc>.pdf (2 to 8 pages each, 14-point Helvetica, lines of common English
words), DATA_DIR/manifest.tsv (name, url, size: what Sluice fetches) and DATA_DIR/truth.tsv
(document, pages, the text as written: what the OCR is scored against). Deterministic for a
given seed.
"""
import os
import random
import subprocess
import sys

WORDS = """
time person year way day thing man world life hand part child eye woman place work week case
point government company number group problem fact water money story month lot right study
book word business issue side kind head house service friend father power hour game line end
member law car city community name president team minute idea body information back parent face
others level office door health art war history party result change morning reason research girl
guy moment air teacher force education river garden letter market window summer winter spring
autumn paper table chair light sound music picture village station island mountain forest ocean
""".split()


def postscript(pages):
    out = ["%!PS", "/Helvetica findfont 14 scalefont setfont"]
    for lines in pages:
        for index, line in enumerate(lines):
            out.append(f"72 {720 - 22 * index} moveto ({line}) show")
        out.append("showpage")
    return "\n".join(out) + "\n"


def main():
    data, base = sys.argv[1], sys.argv[2].rstrip("/")
    documents = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
    os.makedirs(data, exist_ok=True)
    manifest = ["name\turl\tsize"]
    truth = ["document\tpages\ttext"]
    for number in range(documents):
        name = f"doc{number:03d}"
        pages = [[" ".join(rng.choice(WORDS) for _ in range(7)) for _ in range(12)] for _ in range(rng.randint(2, 8))]
        source = os.path.join(data, name + ".ps")
        with open(source, "w") as out:
            out.write(postscript(pages))
        pdf = os.path.join(data, name + ".pdf")
        subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite", f"-sOutputFile={pdf}", source], check=True)
        os.remove(source)
        manifest.append(f"{name}.pdf\t{base}/{name}.pdf\t{os.path.getsize(pdf)}")
        truth.append(f"{name}\t{len(pages)}\t" + " ".join(line for page in pages for line in page))
    with open(os.path.join(data, "manifest.tsv"), "w") as out:
        out.write("\n".join(manifest) + "\n")
    with open(os.path.join(data, "truth.tsv"), "w") as out:
        out.write("\n".join(truth) + "\n")


if __name__ == "__main__":
    main()
