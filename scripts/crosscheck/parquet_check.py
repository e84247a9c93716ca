#!/usr/bin/env python3
"""Cross-checks Sluice's Parquet files against pyarrow and polars, in both directions.

    parquet_check.py verify DIR   every DIR/NAME.parquet (written by Sluice) is read with pyarrow and
                                  polars and compared with DIR/NAME.json (what Sluice meant to write)
    parquet_check.py write DIR    writes DIR/NAME.parquet with pyarrow (dictionary, v1 and v2 pages,
                                  every codec) and DIR/NAME.json with their values, for Sluice to read

The JSON holds {"metadata": {...}, "columns": [{"name", "type", "list", "nullable", "rows": [...]}]},
one entry per row: null, a value, or a list of values. Exits 1 on the first mismatch, naming it.
"""
import json
import math
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

ARROW = {"boolean": pa.bool_(), "int32": pa.int32(), "int64": pa.int64(), "float": pa.float32(),
         "double": pa.float64(), "string": pa.string()}
POLARS = {"boolean": pl.Boolean, "int32": pl.Int32, "int64": pl.Int64, "float": pl.Float32,
          "double": pl.Float64, "string": pl.String}


def fail(message):
    print(f"parquet_check: MISMATCH: {message}", file=sys.stderr)
    sys.exit(1)


def same(expected, actual, kind):
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, list):
        return isinstance(actual, list) and len(expected) == len(actual) and all(
            same(e, a, kind) for e, a in zip(expected, actual))
    if kind == "float":
        return np.float32(expected) == np.float32(actual)
    if kind == "double":
        return float(expected) == float(actual) or (math.isnan(expected) and math.isnan(actual))
    return expected == actual


def verify(directory):
    files = sorted(Path(directory).glob("*.parquet"))
    if not files:
        fail(f"no .parquet files in {directory}")
    for path in files:
        expected = json.loads(path.with_suffix(".json").read_text())
        table = pq.read_table(path)
        frame = pl.read_parquet(path)
        metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
        for key, value in expected["metadata"].items():
            if metadata.get(key) != value:
                fail(f"{path.name}: key-value metadata {key!r} is {metadata.get(key)!r}, expected {value!r}")
        if table.num_rows != len(expected["columns"][0]["rows"]):
            fail(f"{path.name}: pyarrow reads {table.num_rows} rows")
        for column in expected["columns"]:
            name, kind = column["name"], column["type"]
            field = table.schema.field(name)
            want = pa.list_(pa.field("element", ARROW[kind], nullable=False)) if column["list"] else ARROW[kind]
            if field.type != want or field.nullable != column["nullable"]:
                fail(f"{path.name}: column {name} reads as {field.type} nullable={field.nullable}, expected {want} nullable={column['nullable']}")
            values = table.column(name).to_pylist()
            if not same(column["rows"], values, kind):
                bad = next(i for i, (e, a) in enumerate(zip(column["rows"], values)) if not same(e, a, kind))
                fail(f"{path.name}: pyarrow column {name} row {bad} is {values[bad]!r}, expected {column['rows'][bad]!r}")
            want_polars = pl.List(POLARS[kind]) if column["list"] else POLARS[kind]
            if frame.schema[name] != want_polars:
                fail(f"{path.name}: polars reads column {name} as {frame.schema[name]}, expected {want_polars}")
            polars_values = frame[name].to_list()
            if not same(column["rows"], polars_values, kind):
                fail(f"{path.name}: polars column {name} differs")
        # Statistics of scalar columns must match the values pyarrow reads.
        parquet = pq.ParquetFile(path)
        for group in range(parquet.metadata.num_row_groups):
            rows = parquet.read_row_group(group)
            for index in range(parquet.metadata.num_columns):
                chunk = parquet.metadata.row_group(group).column(index)
                name = chunk.path_in_schema
                if "." in name or chunk.statistics is None:
                    continue
                values = [v for v in rows.column(name).to_pylist() if v is not None]
                stats = chunk.statistics
                if stats.null_count != rows.num_rows - len(values):
                    fail(f"{path.name}: row group {group} column {name} null_count {stats.null_count}, expected {rows.num_rows - len(values)}")
                if values and stats.has_min_max and isinstance(values[0], (int, str)) and not isinstance(values[0], bool):
                    low, high = (min(values, key=lambda v: v.encode()), max(values, key=lambda v: v.encode())) if isinstance(values[0], str) else (min(values), max(values))
                    if stats.min != low or stats.max != high:
                        fail(f"{path.name}: row group {group} column {name} min/max {stats.min!r}/{stats.max!r}, expected {low!r}/{high!r}")
        print(f"parquet_check: {path.name}: pyarrow and polars agree ({table.num_rows} rows, {len(expected['columns'])} columns)")


def sample_table(rows, seed):
    rng = np.random.default_rng(seed)
    mask = lambda: rng.random(rows) < 0.2
    def lists(make):
        lengths = rng.integers(0, 6, rows)
        nulls = mask()
        return [None if nulls[i] else make(int(lengths[i])) for i in range(rows)]
    words = ["alpha", "beta", "gamma", "délta", "", "ε✓"]
    columns = {
        "b": pa.array([None if m else bool(v) for m, v in zip(mask(), rng.integers(0, 2, rows))], pa.bool_()),
        "i32": pa.array(rng.integers(-2**31, 2**31 - 1, rows, dtype=np.int64).astype(np.int32)),
        "i32_null": pa.array([None if m else int(v) for m, v in zip(mask(), rng.integers(-5, 5, rows))], pa.int32()),
        "i64": pa.array(rng.integers(-2**62, 2**62, rows), pa.int64()),
        "f32": pa.array(rng.standard_normal(rows).astype(np.float32)),
        "f64_null": pa.array([None if m else float(v) for m, v in zip(mask(), rng.standard_normal(rows))], pa.float64()),
        "label": pa.array([words[v] for v in rng.integers(0, len(words), rows)], pa.string()),
        "category": pa.array([words[v] for v in rng.integers(0, 3, rows)]).dictionary_encode(),
        "text_null": pa.array([None if m else f"cell-{v}" for m, v in zip(mask(), rng.integers(0, 10**9, rows))], pa.string()),
        "tokens": pa.array(lists(lambda n: [int(x) for x in rng.integers(0, 60000, n)]), pa.list_(pa.int32())),
        "scores": pa.array(lists(lambda n: [float(x) for x in rng.standard_normal(n).astype(np.float32)]), pa.list_(pa.float32())),
        "genes": pa.array(lists(lambda n: [words[x] for x in rng.integers(0, len(words), n)]), pa.list_(pa.string())),
    }
    return pa.table(columns).replace_schema_metadata({"provenance": "pyarrow crosscheck"})


def describe(field):
    kind = field.type
    is_list = pa.types.is_list(kind)
    if is_list:
        kind = kind.value_type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    names = {v: k for k, v in ARROW.items()}
    return names[kind], is_list


def write(directory):
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    table = sample_table(1000, seed=5)
    columns = []
    for field in table.schema:
        kind, is_list = describe(field)
        values = table.column(field.name).to_pylist()
        columns.append({"name": field.name, "type": kind, "list": is_list, "nullable": field.nullable, "rows": values})
    expected = json.dumps({"metadata": {"provenance": "pyarrow crosscheck"}, "columns": columns})
    variants = []
    for codec in ["zstd", "snappy", "gzip", "none"]:
        for version in ["1.0", "2.0"]:
            variants.append((f"pyarrow-{codec}-v{version[0]}", dict(compression=codec, data_page_version=version)))
    variants.append(("pyarrow-plain-small-groups", dict(compression="zstd", use_dictionary=False, row_group_size=300, data_page_size=1024)))
    variants.append(("pyarrow-dictionary-small-pages", dict(compression="snappy", data_page_size=512, data_page_version="2.0")))
    for name, options in variants:
        pq.write_table(table, directory / f"{name}.parquet", **options)
        (directory / f"{name}.json").write_text(expected)
    print(f"parquet_check: wrote {len(variants)} pyarrow files to {directory}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("verify", "write"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    (verify if sys.argv[1] == "verify" else write)(sys.argv[2])
