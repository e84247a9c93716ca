#!/usr/bin/env python3
"""Make a tiny, deterministic RNA-seq data set for the Sluice kallisto example.

    python3 make_data.py OUTDIR URL_PREFIX [--pairs N] [--seed S]

Writes into OUTDIR (flat, so one `sluice serve OUTDIR` serves every read file):

  <species>.fa                 the transcripts of one species (index one per species)
  transcripts.fa               all transcripts together (if you prefer one combined index)
  <sample>_1.fastq.gz          read 1 of each pair
  <sample>_2.fastq.gz          read 2 of each pair (reverse complement of the fragment's other end)
  manifest.tsv                 name, url (both read files, ';'-separated), size, group (= species)
  truth.tsv                    sample, group, target_id, weight, true_count: the pairs each
                               transcript really contributed, to check kallisto's est_counts
  ena/filereport               the same samples as the ENA Portal API's file report of a study
                               (PRJEB90001) answers (JSON, result=read_run): one run per sample
                               (ERR9000001…), both read files with their bytes and MD5s, the
                               species as scientific_name (pipeline-accessions.yaml reads it)

URL_PREFIX is what the served OUTDIR is reachable at, e.g. http://127.0.0.1:8080/
Python 3 standard library only; the same seed gives the same files, byte for byte.
"""

import argparse
import gzip
import hashlib
import json
import math
import os
import random

SPECIES = ["alpha", "beta"]
TRANSCRIPTS_PER_SPECIES = 5
SAMPLES_PER_SPECIES = 3
# Relative abundances (fractions of fragments); each species gets them in its own shuffled
# order, and each sample jitters them by up to ±15 %, so the top transcript always stays on top.
WEIGHTS = [0.45, 0.25, 0.15, 0.10, 0.05]
ERROR_RATE = 0.005  # per-base substitution rate
FRAGMENT_MEAN, FRAGMENT_SD = 250, 25
HIGH_QUALITY = "AAEEEEEEEEEEEEEEEEEEEEEEEEEEEEEAAEE/"  # phred 32 and 36 mostly
LOW_QUALITY = "AAAEEEEE6/<<"

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def reverse_complement(sequence):
    return sequence.translate(COMPLEMENT)[::-1]


def with_errors(rng, sequence):
    """Substitutes each base with probability ERROR_RATE (gaps between errors drawn geometrically)."""
    bases = list(sequence)
    position = -1
    while True:
        position += 1 + int(math.log(1.0 - rng.random()) / math.log(1.0 - ERROR_RATE))
        if position >= len(bases):
            return "".join(bases)
        bases[position] = rng.choice([b for b in "ACGT" if b != bases[position]])


def qualities(rng, length):
    """Phred+33 qualities, mostly high, a little lower towards the read's end (like Illumina)."""
    head = length * 2 // 3
    return "".join(rng.choices(HIGH_QUALITY, k=head) + rng.choices(LOW_QUALITY, k=length - head))


def md5(path):
    with open(path, "rb") as handle:
        return hashlib.md5(handle.read()).hexdigest()


def write_fasta(path, records):
    with open(path, "w") as handle:
        for name, sequence in records:
            handle.write(f">{name}\n")
            for start in range(0, len(sequence), 70):
                handle.write(sequence[start:start + 70] + "\n")


def write_fastq_gz(path, records):
    # mtime=0 and no file name in the header keep the bytes identical from run to run.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as handle:
            for name, sequence, quality in records:
                handle.write(f"@{name}\n{sequence}\n+\n{quality}\n".encode("ascii"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("url_prefix", help="the base URL OUTDIR is served at, e.g. http://127.0.0.1:8080/")
    parser.add_argument("--pairs", type=int, default=8000, help="read pairs per sample (default 8000)")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    os.makedirs(args.outdir, exist_ok=True)
    prefix = args.url_prefix if args.url_prefix.endswith("/") else args.url_prefix + "/"

    transcripts = {}  # species -> [(name, sequence)]
    for species in SPECIES:
        transcripts[species] = [
            (f"{species}_t{number}", "".join(rng.choice("ACGT") for _ in range(rng.randint(500, 1500))))
            for number in range(1, TRANSCRIPTS_PER_SPECIES + 1)
        ]
        write_fasta(os.path.join(args.outdir, f"{species}.fa"), transcripts[species])
    write_fasta(os.path.join(args.outdir, "transcripts.fa"), [r for s in SPECIES for r in transcripts[s]])

    manifest = ["name\turl\tsize\tgroup"]
    truth = ["sample\tgroup\ttarget_id\tweight\ttrue_count"]
    runs = []  # the ENA file report's rows
    for species in SPECIES:
        order = WEIGHTS[:]
        rng.shuffle(order)
        for replicate in range(1, SAMPLES_PER_SPECIES + 1):
            sample = f"{species}_s{replicate}"
            weights = [w * rng.uniform(0.85, 1.15) for w in order]
            total = sum(weights)
            weights = [w / total for w in weights]
            read_length = rng.choice([75, 100])
            counts = [0] * len(weights)
            first, second = [], []
            for pair in range(args.pairs):
                index = rng.choices(range(len(weights)), weights=weights)[0]
                counts[index] += 1
                name, sequence = transcripts[species][index]
                length = min(len(sequence), max(read_length + 20, int(rng.gauss(FRAGMENT_MEAN, FRAGMENT_SD))))
                start = rng.randint(0, len(sequence) - length)
                fragment = sequence[start:start + length]
                if rng.random() < 0.5:  # unstranded library: either strand
                    fragment = reverse_complement(fragment)
                read_name = f"{sample}.{pair + 1}"
                first.append((read_name + "/1", with_errors(rng, fragment[:read_length]), qualities(rng, read_length)))
                second.append((read_name + "/2", with_errors(rng, reverse_complement(fragment)[:read_length]), qualities(rng, read_length)))
            files = []
            for mate, records in ((1, first), (2, second)):
                file_name = f"{sample}_{mate}.fastq.gz"
                write_fastq_gz(os.path.join(args.outdir, file_name), records)
                files.append(file_name)
            size = sum(os.path.getsize(os.path.join(args.outdir, f)) for f in files)
            manifest.append(f"{sample}\t{';'.join(prefix + f for f in files)}\t{size}\t{species}")
            runs.append({
                "run_accession": f"ERR{9000001 + len(runs)}", "study_accession": "PRJEB90001", "sample_accession": sample,
                "scientific_name": species, "library_layout": "PAIRED", "read_count": str(args.pairs),
                "fastq_ftp": ";".join(prefix + f for f in files),
                "fastq_bytes": ";".join(str(os.path.getsize(os.path.join(args.outdir, f))) for f in files),
                "fastq_md5": ";".join(md5(os.path.join(args.outdir, f)) for f in files),
            })
            for (name, _), weight, count in zip(transcripts[species], weights, counts):
                truth.append(f"{sample}\t{species}\t{name}\t{weight:.6f}\t{count}")

    for file_name, lines in (("manifest.tsv", manifest), ("truth.tsv", truth)):
        with open(os.path.join(args.outdir, file_name), "w") as handle:
            handle.write("\n".join(lines) + "\n")
    os.makedirs(os.path.join(args.outdir, "ena"), exist_ok=True)
    with open(os.path.join(args.outdir, "ena", "filereport"), "w") as handle:
        json.dump(runs, handle, indent=1)


if __name__ == "__main__":
    main()
