#!/usr/bin/env python3
"""pyarrow's side of the Parquet benchmark: the same token table as sluice-bench-parquet.

    parquet_vs_pyarrow.py write PATH ROWS LEVEL [--no-dictionary-tokens]   prints: write SECONDS BYTES
    parquet_vs_pyarrow.py read PATH                                         prints: read SECONDS ROWS
"""
import os
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TOKENS = 2048
LABELS = [
    ("cell_type", ["T cell", "B cell", "NK cell", "monocyte", "dendritic cell", "neutrophil", "erythrocyte", "platelet"]),
    ("tissue", ["blood", "lung", "liver", "kidney", "brain"]),
    ("donor", [f"donor_{i}" for i in range(20)]),
    ("assay", ["10x 3' v2", "10x 3' v3", "Smart-seq2"]),
    ("split", ["train", "test"]),
]


def table(rows):
    # The same hash as Sources' benchmark: h = index * 0x9E3779B97F4A7C15 (mod 2^64); h ^= h >> 32.
    index = np.arange(rows * TOKENS, dtype=np.uint64)
    with np.errstate(over="ignore"):
        h = index * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(32)
    tokens = (h % np.uint64(60000)).astype(np.int32)
    offsets = np.arange(0, rows * TOKENS + 1, TOKENS, dtype=np.int32)
    row = np.arange(rows)
    columns = {
        "cell_id": pa.array([f"cell_{r:07d}" for r in range(rows)], pa.string()),
        "input_ids": pa.ListArray.from_arrays(pa.array(offsets), pa.array(tokens)),
        "length": pa.array(np.full(rows, TOKENS, dtype=np.int32)),
    }
    for column, (name, values) in enumerate(LABELS):
        codes = (row * (column + 3) + row // 7) % len(values)
        columns[name] = pa.array(np.array(values, dtype=object)[codes], pa.string())
    # Every column required, as Sluice writes them, so both files hold the same levels.
    schema = pa.schema([pa.field(n, (pa.list_(pa.field("element", pa.int32(), nullable=False)) if n == "input_ids" else a.type), nullable=False)
                        for n, a in columns.items()])
    return pa.Table.from_arrays([columns[f.name].cast(f.type) for f in schema], schema=schema)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "write":
        rows, level = int(sys.argv[3]), int(sys.argv[4])
        data = table(rows)
        use_dictionary = True
        if "--no-dictionary-tokens" in sys.argv:
            use_dictionary = [n for n in data.column_names if n != "input_ids"]
        start = time.perf_counter()
        pq.write_table(data, path, compression="zstd", compression_level=level, use_dictionary=use_dictionary)
        elapsed = time.perf_counter() - start
        print(f"write {elapsed} {os.path.getsize(path)}")
    else:
        start = time.perf_counter()
        data = pq.read_table(path)
        elapsed = time.perf_counter() - start
        print(f"read {elapsed} {data.num_rows}")


if __name__ == "__main__":
    main()
