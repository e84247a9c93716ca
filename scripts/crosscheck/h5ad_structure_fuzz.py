"""Fuzzes the h5ad metadata paths: the code that walks an h5ad's groups, attributes, encodings,
shapes and dtypes. Byte-level fuzzing of HDF5 mostly finds crashes inside libhdf5 1.10 itself;
this one keeps every file valid HDF5 (written by h5py) and mutates its *structure* instead:
members deleted or replaced by the wrong kind, encoding attributes changed, shapes and pointer
arrays made inconsistent, dtypes swapped (strings for numbers, floats for integers), indices out
of range, categories too short, huge declared shapes with nothing stored, empty datasets.

Each mutated file goes through `sluice inspect` and `sluice convert` in their own processes; the
exit status must be 0 (the mutation was harmless) or 2 (one sentence on stderr), never a signal
and never a hang (20 s each). Runs for --seconds, seeded (--seed), from every good h5ad fixture.

    python scripts/crosscheck/h5ad_structure_fuzz.py SLUICE FIXTURES WORK [--seconds 60] [--seed 1]
"""
import argparse
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import warnings

import h5py
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("sluice")
parser.add_argument("fixtures")
parser.add_argument("work")
parser.add_argument("--seconds", type=float, default=60)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()

fixtures = Path(args.fixtures)
work = Path(args.work)
work.mkdir(parents=True, exist_ok=True)
seeds = sorted(p for p in fixtures.glob("*.h5ad") if not p.name.startswith("bad_"))
rng = random.Random(args.seed)
warnings.simplefilter("ignore")  # numpy wrapping an out-of-range test value is the point


def members(f):
    found = []
    f.visititems(lambda name, obj: found.append(name))
    return found


def mutate(f):
    """One structural change; returns its description."""
    names = members(f)
    datasets = [n for n in names if isinstance(f[n], h5py.Dataset)]
    groups = [n for n in names if isinstance(f[n], h5py.Group)]
    kind = rng.randrange(10)
    if kind == 0 and names:
        name = rng.choice(names)
        del f[name]
        return f"deleted {name}"
    if kind == 1 and datasets:
        name = rng.choice(datasets)
        old = f[name]
        n = old.shape[0] if old.shape else 1
        del f[name]
        f.create_dataset(name, data=np.array([b"x%d" % i for i in range(max(1, n))], dtype="S8"))
        return f"{name} replaced by strings"
    if kind == 2 and datasets:
        name = rng.choice(datasets)
        data = f[name][()]
        del f[name]
        if isinstance(data, np.ndarray) and data.size:
            data = data[: rng.randrange(data.shape[0] + 1)] if data.ndim else data
            f.create_dataset(name, data=data)
            return f"{name} truncated"
        f.create_dataset(name, data=np.zeros(0, dtype="i4"))
        return f"{name} emptied"
    if kind == 3 and names:
        name = rng.choice(names)
        value = rng.choice(["csr_matrix", "csc_matrix", "array", "categorical", "dataframe", "string-array", "dict",
                            "nullable-integer", "awkward-array", "", "x" * 300])
        f[name].attrs["encoding-type"] = value
        return f"{name} encoding-type={value!r}"
    if kind == 4 and groups:
        name = rng.choice(groups)
        shape = rng.choice([[0, 0], [10**12, 4], [-1, 5], [3], [1, 2, 3], [2**31, 2**31]])
        try:
            f[name].attrs["shape"] = np.array(shape, dtype="i8")
        except (OverflowError, ValueError):
            return "shape rejected by h5py"
        return f"{name}.attrs[shape]={shape}"
    if kind == 5 and datasets:
        name = rng.choice([d for d in datasets if f[d].dtype.kind in "iu"] or datasets)
        data = f[name][()]
        if isinstance(data, np.ndarray) and data.size and data.dtype.kind in "iuf":
            data = data.copy()
            data.flat[rng.randrange(data.size)] = rng.choice([-1, 2**31 - 1, -(2**31), 10**6])
            del f[name]
            f.create_dataset(name, data=data)
            return f"{name} one value out of range"
        return "no numeric dataset"
    if kind == 6 and datasets:
        name = rng.choice(datasets)
        data = f[name][()]
        if isinstance(data, np.ndarray) and data.dtype.kind in "iu":
            del f[name]
            f.create_dataset(name, data=data.astype("f8") + 0.5)
            return f"{name} made fractional floats"
        return "no integer dataset"
    if kind == 7 and names:
        name = rng.choice(names)
        attrs = list(f[name].attrs)
        if attrs:
            attr = rng.choice(attrs)
            del f[name].attrs[attr]
            return f"{name}.attrs[{attr}] deleted"
        return "no attribute"
    if kind == 8 and groups:
        name = rng.choice(groups)
        n = rng.choice([0, 1, 10**9])
        try:
            f[name].create_dataset(f"fuzz{rng.randrange(1000)}", shape=(n,), chunks=(max(1, min(n, 1024)),) if n else None, dtype="f4")
        except ValueError:
            return "dataset rejected by h5py"
        return f"{name} got an extra dataset of {n} values"
    if kind == 9 and groups:
        name = rng.choice(groups)
        if name in ("obs", "var") and "_index" in f[name].attrs:
            f[name].attrs["_index"] = rng.choice(["missing", "", "_index", "X"])
            return f"{name}._index redirected"
        f[name].attrs["column-order"] = np.array(["nope", "x"], dtype=object)
        return f"{name}.column-order names missing columns"
    return "no change"


deadline = time.time() + args.seconds
count = 0
failures = []
while time.time() < deadline and len(failures) < 5:
    seed = rng.choice(seeds)
    path = work / f"case{count % 4}.h5ad"
    shutil.copyfile(seed, path)
    changes = []
    try:
        with h5py.File(path, "r+") as f:
            for _ in range(rng.randint(1, 3)):
                changes.append(mutate(f))
    except (OSError, KeyError, TypeError, ValueError, IndexError, OverflowError) as error:
        changes.append(f"h5py stopped: {error}")
    for command in (["inspect", str(path)], ["convert", str(path), str(work / "out.h5ad"), "--force"]):
        try:
            result = subprocess.run([args.sluice, *command], capture_output=True, text=True, timeout=20)
            status = result.returncode
            stderr = result.stderr
        except subprocess.TimeoutExpired:
            status, stderr = "timeout", ""
        lines = [line for line in stderr.splitlines() if line.strip()]
        bad = status not in (0, 2) or (status == 2 and (len(lines) != 1 or not lines[0].startswith("error: ")))
        if bad:
            kept = work / f"failure{len(failures)}.h5ad"
            shutil.copyfile(path, kept)
            failures.append(f"{command[0]} of {seed.name} with {changes}: status {status}, stderr {stderr[-400:]!r} (kept as {kept})")
    count += 1

print(f"h5ad structure fuzz: {count} files from {len(seeds)} fixtures in {args.seconds:.0f} s, seed {args.seed}: "
      + ("no crash, no hang, every error one sentence" if not failures else f"{len(failures)} failures"))
for failure in failures:
    print("  " + failure)
sys.exit(1 if failures else 0)
