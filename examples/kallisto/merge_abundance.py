#!/usr/bin/env python3
"""Merge kallisto abundance.tsv files into one matrix: target_id, then one column per sample.

    python3 merge_abundance.py [--column est_counts] OUT.tsv SAMPLE_DIR/quant/abundance.tsv ...

In the Sluice example this is the `per: group` stage, called as

    [python3, "{ref}/merge_abundance.py", "{out}/merged.tsv", "{outs}/abundance.tsv"]

Sluice repeats the `{outs}` argument once per member of the group, each pointing into the
member's quant output folder, `<workspace>/output/<sample>/quant/abundance.tsv`; the sample's
name is the folder two levels above the file. Every input must list the same targets in the
same order (kallisto writes them in index order); anything else is an error, not a guess.
Python 3 standard library only.
"""

import argparse
import csv
import os
import sys


def read_abundance(path, column):
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        if reader.fieldnames is None or "target_id" not in reader.fieldnames or column not in reader.fieldnames:
            sys.exit(f"merge_abundance: {path} has no target_id or {column} column (columns: {reader.fieldnames})")
        rows = [(row["target_id"], row[column]) for row in reader]
    if not rows:
        sys.exit(f"merge_abundance: {path} lists no targets")
    return rows


def sample_name(path):
    # <workspace>/output/<sample>/<stage>/abundance.tsv -> <sample>
    return os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--column", default="est_counts", help="the abundance.tsv column to merge (default est_counts)")
    parser.add_argument("output")
    parser.add_argument("inputs", nargs="+")
    args = parser.parse_args()

    samples = [sample_name(path) for path in args.inputs]
    if len(set(samples)) != len(samples):
        sys.exit(f"merge_abundance: two inputs belong to the same sample: {samples}")
    tables = [read_abundance(path, args.column) for path in args.inputs]
    targets = [target for target, _ in tables[0]]
    for path, table in zip(args.inputs, tables):
        if [target for target, _ in table] != targets:
            sys.exit(f"merge_abundance: {path} lists other targets than {args.inputs[0]} (built from another index?)")

    with open(args.output, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["target_id"] + samples)
        for index, target in enumerate(targets):
            writer.writerow([target] + [table[index][1] for table in tables])
    print(f"merge_abundance: {len(targets)} targets x {len(samples)} samples ({', '.join(samples)}) -> {args.output}")


if __name__ == "__main__":
    main()
