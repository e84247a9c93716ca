"""Helpers shared by the benchmark scripts in this folder."""

import numpy as np


def gene_parameters(genes, density, seed):
    """Per-gene probability of a nonzero (mean ≈ density) and NB mean, fixed by the seed."""
    rng = np.random.default_rng([seed, 0])
    shape = 1.5
    p = rng.gamma(shape, density / shape, size=genes)
    p = np.clip(p, 0.0, 0.95).astype(np.float32)
    mu = rng.lognormal(mean=0.5, sigma=1.0, size=genes)  # NB mean of (value - 1) per gene
    return p, mu


def csr_block(number, rows, genes, p, nb_p, seed, theta=2.0):
    """Block `number` of `rows` cells: (nonzeros per row, int32 gene indices, float32 counts)."""
    rng = np.random.default_rng([seed, 1, number])
    mask = rng.random((rows, genes), dtype=np.float32) < p
    counts = mask.sum(axis=1)
    indices = np.nonzero(mask.ravel())[0]
    del mask
    indices = (indices % genes).astype(np.int32)
    values = 1 + rng.negative_binomial(theta, nb_p[indices])
    return counts, indices, values.astype(np.float32)


def fmt_bytes(n):
    """1536 -> '1.5 KiB'."""
    n = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
