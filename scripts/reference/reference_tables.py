"""Helpers the study reference scripts share: tables written as Sluice writes them (numbers in
Python's shortest round-trip form, undefined values empty), Benjamini-Hochberg q-values over
the defined p-values, and the SplitMix64-driven Fisher-Yates shuffle Sluice documents for its
seeded folds."""
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_activity_reference import read_matrix  # noqa: E402


def fmt(value) -> str:
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    return "" if np.isnan(value) else repr(float(value))


def bh(p) -> np.ndarray:
    """scipy's false_discovery_control over the p-values that are defined; NaN elsewhere."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    defined = ~np.isnan(p)
    if defined.any():
        q[defined] = stats.false_discovery_control(p[defined])
    return q


def write(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(fmt(v) for v in row) + "\n")


def write_matrix(path: Path, label: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Writes `frame` with full precision and reads it back as Swift will parse it."""
    with open(path, "w") as f:
        f.write("\t".join([label, *map(str, frame.columns)]) + "\n")
        for name, values in zip(frame.index, frame.to_numpy(np.float64)):
            f.write("\t".join([str(name), *(repr(float(v)) for v in values)]) + "\n")
    return read_matrix(path)


class SplitMix64:
    """Sluice's SeededGenerator: the same 64-bit stream from the same seed."""

    MASK = (1 << 64) - 1

    def __init__(self, seed: int):
        self.state = seed

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def shuffle(self, items: list) -> list:
        """Fisher-Yates: for i from n - 1 down to 1, swap i with next() % (i + 1)."""
        items = list(items)
        for i in range(len(items) - 1, 0, -1):
            j = self.next() % (i + 1)
            items[i], items[j] = items[j], items[i]
        return items
