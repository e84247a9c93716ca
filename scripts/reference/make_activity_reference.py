#!/usr/bin/env python3
"""Reference outputs of SecActpy 0.3.1 signature-activity inference (ridge regression + permutation
test), for the Swift reimplementation to be checked against (deterministic, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_activity_reference.py Tests/Fixtures/activity

Needs the project's .venv (secactpy 0.3.1, scanpy 1.11.5, pandas 2.2, numpy<2, scipy) on Linux
with glibc (secactpy's 'srand' RNG calls the C library's srand()/rand() through ctypes; the
values below are glibc's).  Every output listed in OWNED is deleted and rewritten; running the
script twice gives byte-identical files.  It also writes README.md into the output folder, which
documents every file, the preprocessing pipeline, the RNG/shuffle and the statistics; the
numbers quoted there (gene counts, tie margins, cross-check errors) are computed by this run.

Besides calling secactpy, the script re-implements the whole pipeline independently in plain
numpy/Python (`independent_pipeline`, `GlibcRand`, `shuffle_table`) from the description in the
README and asserts that it reproduces secactpy (permutation tables and p-values exactly, the
floating-point outputs to 1e-12 relative), so the README describes what secactpy really does.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")

import scanpy as sc  # noqa: E402
import scipy  # noqa: E402
from scipy import linalg, stats  # noqa: E402

import secactpy  # noqa: E402
from secactpy import inference as sp_inference  # noqa: E402
from secactpy import rng as sp_rng  # noqa: E402
from secactpy.signature import load_signature  # noqa: E402

SECACTPY_VERSION = "0.3.1"

# ----------------------------------------------------------------------------- parameters

CYTOSIG_LAMBDA = 1e4
CYTOSIG_NRAND = 100
SEED = 0

RIDGE_N_GENES, RIDGE_N_FEATURES, RIDGE_N_SAMPLES = 40, 3, 4
RIDGE_LAMBDA = 5.0
RIDGE_NRAND = 50
RIDGE_DATA_SEED = 20240611  # numpy default_rng seed for ridge_X / ridge_Y

# pbmc68k_reduced bulk_labels -> pseudobulk sample (S7 is an all-zero sample)
GROUPS = [
    ("S1", "CD14+ Monocyte"),
    ("S2", "CD19+ B"),
    ("S3", "CD4+/CD25 T Reg"),
    ("S4", "CD8+ Cytotoxic T"),
    ("S5", "CD56+ NK"),
    ("S6", "Dendritic"),
]
ZERO_SAMPLE = "S7"

# gene-name edits that exercise the symbol rules (all are CytoSig genes present in pbmc68k)
LOWERCASE = {"NFKBIA": "nfkbia", "IRF1": "irf1", "JUNB": "JunB"}   # renamed in place
ZERO_GENE = "LGALS3"                                                # row set to 0 in every sample
# extra rows appended after the 765 real genes, in this order:
#   (name written to the file, source gene, transform, what it exercises)
EXTRA_ROWS = [
    ("TXNIP", "TXNIP", "half", "exact duplicate, lower mean -> the first (original) row wins"),
    ("egr1", "EGR1", "plus1", "case-only duplicate, higher mean -> the LATER row wins, so EGR1 "
                              "moves to the position of this row"),
    ("CXCR4.2", "CXCR4", "plus0.5", "'.2' suffix duplicate, higher mean -> later row wins"),
    ("gbp2", "GBP2", "same", "case-only duplicate with identical values (tie) -> first row wins"),
]
MIXED_CASE_SIG_GENES = ["C9orf78", "C20orf27", "C19orf53"]  # in pbmc68k AND in CytoSig, mixed case
N_ABSENT_SIG_GENES = 20  # CytoSig genes absent from the expression, kept in the subset

OWNED = [
    "README.md", "expression_bulk.tsv", "cytosig_subset.tsv",
    *[f"cytosig_{m}_{s}.tsv" for m in ("centered", "differential", "ttest")
      for s in ("beta", "se", "zscore", "pvalue")],
    "cytosig_centered_genes.txt", "cytosig_differential_genes.txt",
    "ridge_X.tsv", "ridge_Y.tsv", *[f"ridge_{s}.tsv" for s in ("beta", "se", "zscore", "pvalue")],
    "ridge_permutations.tsv", "ridge_permutations_mt19937.tsv", "glibc_rand.tsv",
]

STATS = ("beta", "se", "zscore", "pvalue")


# ----------------------------------------------------------------------------- I/O helpers

def fmt(v: float) -> str:
    return "%.17g" % v


def write_matrix(path: Path, row_label: str, rows: list[str], cols: list[str], values) -> None:
    values = np.asarray(values, dtype=np.float64)
    assert values.shape == (len(rows), len(cols))
    buf = io.StringIO()
    buf.write("\t".join([row_label, *cols]) + "\n")
    for r, vals in zip(rows, values):
        buf.write("\t".join([r, *(fmt(v) for v in vals)]) + "\n")
    path.write_text(buf.getvalue())


def read_matrix(path: Path) -> pd.DataFrame:
    """Read a TSV written by write_matrix (or the CytoSig layout whose header lacks the row-name
    field) with correctly rounded float parsing, so Python sees the doubles Swift will parse."""
    df = pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip",
                     keep_default_na=False, na_values=[])
    df.index = df.index.astype(str)
    df.index.name = None
    return df.astype(np.float64)


# ----------------------------------------------------------------------------- RNG (independent)

class GlibcRand:
    """glibc srand()/rand() (random_r TYPE_3, the default 128-byte state), re-implemented."""

    def __init__(self, seed: int):
        seed &= 0xFFFFFFFF
        if seed == 0:
            seed = 1                      # glibc __srandom_r: "We must make sure the seed is not 0"
        word = seed - (1 << 32) if seed >= (1 << 31) else seed   # int32_t word = seed
        r = [word]
        for _ in range(1, 31):
            hi = int(word / 127773)       # C division truncates toward zero
            lo = word - hi * 127773
            word = 16807 * lo - 2836 * hi
            if word < 0:
                word += 2147483647
            r.append(word)
        r = [x & 0xFFFFFFFF for x in r]
        r += [r[0], r[1], r[2]]            # r[31..33] = r[0..2]
        self.r = r                         # r[0..33]
        for _ in range(310):               # glibc discards 10*31 outputs after seeding
            self._next_raw()

    def _next_raw(self) -> int:
        v = (self.r[-31] + self.r[-3]) & 0xFFFFFFFF   # r[i] = r[i-31] + r[i-3]  (mod 2^32)
        self.r.append(v)
        if len(self.r) > 64:
            del self.r[:-34]
        return v

    def rand(self) -> int:
        return self._next_raw() >> 1       # RAND_MAX = 2^31 - 1


def shuffle_table(next_rand, rand_max: int, n: int, n_perm: int) -> np.ndarray:
    """R SecAct / secactpy shuffle: cumulative Fisher-Yates, j = i + rand() / (RAND_MAX/(n-i) + 1)."""
    arr = list(range(n))
    out = np.empty((n_perm, n), dtype=np.int64)
    for p in range(n_perm):
        for i in range(n - 1):
            j = i + next_rand() // (rand_max // (n - i) + 1)
            arr[i], arr[j] = arr[j], arr[i]
        out[p] = arr
    return out


def libc_rand_values(seed: int, count: int) -> list[int]:
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.rand.restype = ctypes.c_int
    libc.srand.argtypes = [ctypes.c_uint]
    libc.srand(ctypes.c_uint(seed))
    return [libc.rand() for _ in range(count)]


# ----------------------------------------------------------------------------- pipeline (independent)

def zscore_columns(M: np.ndarray) -> np.ndarray:
    mean = M.mean(axis=0)
    sd = np.sqrt(((M - mean) ** 2).sum(axis=0) / (M.shape[0] - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        Z = (M - mean) / sd
    return np.where(np.isnan(Z), 0.0, Z)


def independent_ridge(X, Y, lam, n_rand, seed):
    p = X.shape[1]
    A = X.T @ X + lam * np.eye(p)
    Ainv = np.linalg.solve(A, np.eye(p))
    T = Ainv @ X.T
    beta = T @ Y
    if n_rand == 0:
        n = X.shape[0]
        df = n - p
        resid = Y - X @ beta
        sigma2 = (resid ** 2).sum(axis=0) / df
        se = np.sqrt(np.outer(np.diag(Ainv), sigma2))
        z = np.where(se > 1e-12, beta / np.where(se > 0, se, 1.0), 0.0)
        pv = np.clip(2.0 * stats.t.sf(np.abs(z), df), 0.0, 1.0)
        return dict(beta=beta, se=se, zscore=z, pvalue=pv), None
    g = GlibcRand(seed)
    perms = shuffle_table(g.rand, 2147483647, X.shape[0], n_rand)
    s1 = np.zeros_like(beta)
    s2 = np.zeros_like(beta)
    cnt = np.zeros_like(beta)
    margin = np.inf
    for perm in perms:
        bp = T @ Y[perm, :]                       # rows of Y permuted by the forward permutation
        cnt += np.abs(bp) >= np.abs(beta)
        s1 += bp
        s2 += bp * bp
        nz = np.abs(beta) > 0
        if nz.any():
            margin = min(margin, float(np.min(np.abs(np.abs(bp[nz]) - np.abs(beta[nz]))
                                               / np.abs(beta[nz]))))
    mean = s1 / n_rand
    se = np.sqrt(np.maximum(s2 / n_rand - mean ** 2, 0.0))
    z = np.where(se > 1e-12, (beta - mean) / np.where(se > 0, se, 1.0), 0.0)
    pv = (cnt + 1.0) / (n_rand + 1.0)
    return dict(beta=beta, se=se, zscore=z, pvalue=pv), margin


def independent_pipeline(expr: pd.DataFrame, sig: pd.DataFrame, differential: bool,
                         lam: float, n_rand: int, seed: int):
    E = expr.values.astype(np.float64)
    if not differential and E.shape[1] > 1:
        E = E - E.mean(axis=1, keepdims=True)
    sig_rows = {g: i for i, g in enumerate(sig.index)}
    genes = [g for g in expr.index if g in sig_rows]            # expression order
    X = zscore_columns(sig.values[[sig_rows[g] for g in genes], :])
    pos = {g: i for i, g in enumerate(expr.index)}
    Y = zscore_columns(E[[pos[g] for g in genes], :])
    res, margin = independent_ridge(X, Y, lam, n_rand, seed)
    return res, genes, margin


def standardize_genes(expr: pd.DataFrame) -> pd.DataFrame:
    """secactpy's scRNA-seq / ST gene-symbol standardisation (inference.py:1595-1620,
    2287-2312), applied here to the bulk matrix: upper-case, cut at the first '.', then among
    duplicates keep the row with the highest mean (strict >, so ties keep the first), rows kept
    in their original file order."""
    names = [g.upper() for g in expr.index]
    names = [g.split(".")[0] if "." in g else g for g in names]
    means = expr.values.mean(axis=1)
    best: dict[str, int] = {}
    for idx, g in enumerate(names):
        if g not in best or means[idx] > means[best[g]]:
            best[g] = idx
    keep = sorted(best.values())
    out = expr.iloc[keep].copy()
    out.index = [names[i] for i in keep]
    return out


def standardize_signature(sig: pd.DataFrame) -> pd.DataFrame:
    """The signature's gene names standardised as the expression's (upper-case, cut at the first
    '.'; the first row of a repeated name stays), so that case never splits a match: Sluice
    compares both tables this way. Fed to secactpy's bulk API, this gives what secactpy gives for
    an expression table written in the signature's own case (its bulk API matches names exactly)."""
    names = [g.upper().split(".")[0] for g in sig.index]
    seen: set[str] = set()
    keep = [i for i, g in enumerate(names) if not (g in seen or seen.add(g))]
    out = sig.iloc[keep].copy()
    out.index = [names[i] for i in keep]
    return out


# ----------------------------------------------------------------------------- fixture data

def pbmc_counts() -> tuple[np.ndarray, list[str], np.ndarray]:
    """Integer UMI counts reconstructed from scanpy's bundled pbmc68k_reduced raw.X
    (log1p of per-cell normalised counts, 700 cells x 765 genes): counts =
    round(expm1(raw.X) / min nonzero expm1 value of the cell)."""
    a = sc.datasets.pbmc68k_reduced()
    R = a.raw.X
    R = R.toarray() if hasattr(R, "toarray") else np.asarray(R)
    E = np.expm1(R.astype(np.float64))
    mn = np.where(E > 0, E, np.inf).min(axis=1)
    Q = E / mn[:, None]
    C = np.round(Q)
    assert np.abs(Q - C).max() < 0.2, "count reconstruction is not integral"
    return C, list(a.raw.var_names), a.obs["bulk_labels"].astype(str).values


def build_expression() -> tuple[pd.DataFrame, dict]:
    C, genes, labels = pbmc_counts()
    cols, bulk = [], []
    info = {}
    for s, lab in GROUPS:
        m = labels == lab
        info[s] = (lab, int(m.sum()))
        bulk.append(C[m].sum(axis=0))
        cols.append(s)
    counts = np.stack(bulk, axis=1)                      # genes x 6
    cpm = counts / counts.sum(axis=0, keepdims=True) * 1e6
    expr = np.log2(cpm + 1.0)
    expr = np.concatenate([expr, np.zeros((expr.shape[0], 1))], axis=1)
    cols.append(ZERO_SAMPLE)
    df = pd.DataFrame(expr, index=list(genes), columns=cols)
    assert df.index.is_unique
    df.loc[ZERO_GENE] = 0.0
    extra = []
    for name, src, how, _ in EXTRA_ROWS:
        v = df.loc[src].values.copy()
        if how == "half":
            v = v * 0.5
        elif how == "plus1":
            v = v + 1.0
            v[-1] = 0.0
        elif how == "plus0.5":
            v = v + 0.5
            v[-1] = 0.0
        elif how == "same":
            pass
        extra.append(pd.DataFrame([v], index=[name], columns=cols))
    df = df.rename(index=LOWERCASE)
    df = pd.concat([df, *extra])
    return df, info


def build_signature_subset(expr_std: pd.DataFrame, out: Path) -> tuple[list[str], int, int]:
    """Copy CytoSig lines verbatim: every signature gene present in the standardised expression,
    the mixed-case genes, and the first N_ABSENT_SIG_GENES (file order) absent genes."""
    src = Path(secactpy.__file__).parent / "data" / "CytoSig.tsv.gz"
    import gzip
    with gzip.open(src, "rt") as f:
        lines = f.read().splitlines()
    header, body = lines[0], lines[1:]
    present = set(expr_std.index)
    keep, absent = [], 0
    for line in body:
        g = line.split("\t", 1)[0]
        if g in present or g in MIXED_CASE_SIG_GENES:
            keep.append(line)
        elif absent < N_ABSENT_SIG_GENES:
            keep.append(line)
            absent += 1
    (out / "cytosig_subset.tsv").write_text("\n".join([header, *keep]) + "\n")
    return header.split("\t"), len(body), len(keep)


# ----------------------------------------------------------------------------- main

def main(out: Path) -> None:
    assert secactpy.__version__ == SECACTPY_VERSION, secactpy.__version__
    out.mkdir(parents=True, exist_ok=True)
    for name in OWNED:
        (out / name).unlink(missing_ok=True)
    facts: dict = {}

    # --- glibc rand + permutations -----------------------------------------------------------
    rand_rows = []
    for s in (0, 42):
        libc_vals = libc_rand_values(s, 10)
        g = GlibcRand(s)
        mine = [g.rand() for _ in range(10)]
        assert libc_vals == mine, (s, libc_vals, mine)
        rand_rows.append([s, *libc_vals])
    (out / "glibc_rand.tsv").write_text(
        "seed\t" + "\t".join(f"rand{k}" for k in range(1, 11)) + "\n"
        + "".join("\t".join(str(v) for v in row) + "\n" for row in rand_rows))
    facts["rand0"] = rand_rows[0][1:]

    perm_srand = sp_rng.CStdlibRNG(SEED).permutation_table(RIDGE_N_GENES, 3)
    g = GlibcRand(SEED)
    assert np.array_equal(perm_srand, shuffle_table(g.rand, 2147483647, RIDGE_N_GENES, 3))
    (out / "ridge_permutations.tsv").write_text(
        "".join("\t".join(str(int(v)) for v in row) + "\n" for row in perm_srand))

    ok, msg = sp_rng.validate_mt19937()
    assert ok, msg
    perm_mt = sp_rng.GSLRNG(SEED).permutation_table(RIDGE_N_GENES, 3)
    mt = sp_rng.MT19937Pure(4357)
    assert np.array_equal(perm_mt, shuffle_table(mt.genrand_int32, 0xFFFFFFFF, RIDGE_N_GENES, 3))
    (out / "ridge_permutations_mt19937.tsv").write_text(
        "".join("\t".join(str(int(v)) for v in row) + "\n" for row in perm_mt))
    mt = sp_rng.MT19937Pure(4357)
    facts["mt10"] = [mt.genrand_int32() for _ in range(10)]

    # --- low-level ridge -----------------------------------------------------------------------
    rg = np.random.default_rng(RIDGE_DATA_SEED)
    X0 = rg.standard_normal((RIDGE_N_GENES, RIDGE_N_FEATURES))
    Y0 = X0 @ rg.standard_normal((RIDGE_N_FEATURES, RIDGE_N_SAMPLES)) \
        + rg.standard_normal((RIDGE_N_GENES, RIDGE_N_SAMPLES))
    genes = [f"G{i + 1}" for i in range(RIDGE_N_GENES)]
    feats = [f"F{i + 1}" for i in range(RIDGE_N_FEATURES)]
    samps = [f"S{i + 1}" for i in range(RIDGE_N_SAMPLES)]
    write_matrix(out / "ridge_X.tsv", "gene", genes, feats, X0)
    write_matrix(out / "ridge_Y.tsv", "gene", genes, samps, Y0)
    X = read_matrix(out / "ridge_X.tsv").values
    Y = read_matrix(out / "ridge_Y.tsv").values
    assert np.array_equal(X, X0) and np.array_equal(Y, Y0)
    r = secactpy.ridge(X, Y, lambda_=RIDGE_LAMBDA, n_rand=RIDGE_NRAND, seed=SEED,
                       backend="numpy", rng_method="srand", use_cache=False)
    mine, margin = independent_ridge(X, Y, RIDGE_LAMBDA, RIDGE_NRAND, SEED)
    facts["ridge"] = check(r, mine, margin)
    for s in STATS:
        write_matrix(out / f"ridge_{s}.tsv", "feature", feats, samps, r[s])

    # --- bulk expression + signature ---------------------------------------------------------
    expr_df, groups = build_expression()
    write_matrix(out / "expression_bulk.tsv", "gene", list(expr_df.index), list(expr_df.columns),
                 expr_df.values)
    expr_raw = read_matrix(out / "expression_bulk.tsv")
    assert np.array_equal(expr_raw.values, expr_df.values)
    expr_std = standardize_genes(expr_raw)
    header, n_full, n_subset = build_signature_subset(expr_std, out)
    sig_file = read_matrix(out / "cytosig_subset.tsv")
    sig = standardize_signature(sig_file)
    full = load_signature("cytosig")
    assert list(sig.columns) == header == list(full.columns)
    fv = full.loc[sig_file.index].values
    sig_vs_full = (int(np.sum(sig_file.values != fv)), sig_file.size,
                   float(np.max(np.abs(sig_file.values - fv) / np.maximum(np.abs(sig_file.values), 1e-300))))
    facts.update(n_expr_rows=expr_raw.shape[0], n_expr_std=expr_std.shape[0],
                 n_full=n_full, n_subset=n_subset, groups=groups,
                 sig_vs_full=sig_vs_full)

    # the raw (unstandardised) matrix through the bulk API
    try:
        sp_inference.secact_activity_inference(
            expr_raw, is_differential=False, sig_matrix=sig, is_group_sig=False,
            lambda_=CYTOSIG_LAMBDA, n_rand=CYTOSIG_NRAND, seed=SEED, backend="numpy",
            rng_method="srand", verbose=False)
        facts["raw_outcome"] = "ran without error"
    except Exception as e:  # noqa: BLE001
        facts["raw_outcome"] = f"{type(e).__name__}: {e}"

    runs = [("centered", False, CYTOSIG_NRAND), ("differential", True, CYTOSIG_NRAND),
            ("ttest", False, 0)]
    for mode, diff, n_rand in runs:
        kw = dict(is_differential=diff, lambda_=CYTOSIG_LAMBDA, n_rand=n_rand, seed=SEED,
                  backend="numpy", rng_method="srand", use_gsl_rng=True, use_cache=False,
                  sort_genes=False, verbose=False)
        res = sp_inference.secact_activity_inference(expr_std, sig_matrix=sig,
                                                     is_group_sig=False, **kw)
        res_full = sp_inference.secact_activity_inference(expr_std, sig_matrix=standardize_signature(full),
                                                          is_group_sig=False, **kw)
        maxdiff_full = max(float(np.max(np.abs(res[s].values - res_full[s].values)))
                           for s in STATS)
        assert maxdiff_full < 1e-12, maxdiff_full
        mine, genes_used, margin = independent_pipeline(expr_std, sig, diff, CYTOSIG_LAMBDA,
                                                        n_rand, SEED)
        # the genes exactly as secactpy selects them
        Yp = expr_std if diff else expr_std.subtract(expr_std.mean(axis=1), axis=0)
        sp_genes = list(Yp.index.intersection(sig.index))
        assert sp_genes == genes_used
        assert list(res["beta"].index) == list(sig.columns)
        assert list(res["beta"].columns) == list(expr_std.columns)
        facts[mode] = check({s: res[s].values for s in STATS}, mine, margin)
        facts[mode]["n_genes"] = len(genes_used)
        facts[mode]["maxdiff_full"] = maxdiff_full
        facts[mode]["genes"] = genes_used
        facts[mode]["ranges"] = {s: (float(np.min(res[s].values)), float(np.max(res[s].values)))
                                 for s in STATS}
        for s in STATS:
            write_matrix(out / f"cytosig_{mode}_{s}.tsv", "protein", list(res[s].index),
                         list(res[s].columns), res[s].values)
        if mode != "ttest":
            (out / f"cytosig_{mode}_genes.txt").write_text("\n".join(genes_used) + "\n")

    write_readme(out, facts)
    total = sum((out / n).stat().st_size for n in OWNED)
    print(f"wrote {len(OWNED)} files to {out} ({total} bytes)")
    for mode in ("ridge", "centered", "differential", "ttest"):
        f = facts[mode]
        print(f"  {mode:12s} max rel diff vs independent = {f['maxrel']:.2e}, "
              f"min tie margin = {f['margin']}")
    print(f"  raw matrix through the bulk API: {facts['raw_outcome']}")


def check(ref: dict, mine: dict, margin) -> dict:
    maxrel = 0.0
    for s in STATS:
        a, b = np.asarray(ref[s]), np.asarray(mine[s])
        assert a.shape == b.shape
        if s == "pvalue" and margin is not None:
            assert np.array_equal(a, b), "permutation p-values differ"
        scale = np.maximum(np.abs(a), 1e-300)
        d = np.abs(a - b)
        rel = np.where(np.abs(a) > 1e-8, d / scale, d)
        maxrel = max(maxrel, float(rel.max()))
    assert maxrel < 1e-9, maxrel
    return {"maxrel": maxrel, "margin": margin}


# ----------------------------------------------------------------------------- README

def write_readme(out: Path, f: dict) -> None:
    groups = "\n".join(f"  - `{s}` = sum of the {n} cells with `bulk_labels == \"{lab}\"`"
                       for s, (lab, n) in f["groups"].items())
    how_text = {"half": "0.5 x", "plus1": "S1..S6 = 1 +", "plus0.5": "S1..S6 = 0.5 +",
                "same": "identical to"}
    extra = "\n".join(f"    - `{name}` (values {how_text[how]} the `{src}` row): {why}"
                       for name, src, how, why in EXTRA_ROWS)
    rng_line = lambda m: (f"{f[m]['margin']:.3g}" if f[m]['margin'] is not None else "n/a")  # noqa: E731

    def rng_str(m):
        lo_hi = f[m]["ranges"]
        return ", ".join(f"{s} [{lo:.3g}, {hi:.3g}]" for s, (lo, hi) in lo_hi.items())

    text = f"""# SecActpy activity-inference reference fixtures

Generated by `scripts/reference/make_activity_reference.py` (run
`.venv/bin/python scripts/reference/make_activity_reference.py Tests/Fixtures/activity`) with
secactpy {secactpy.__version__}, pandas {pd.__version__}, numpy {np.__version__}, scipy
{scipy.__version__}, scanpy {sc.__version__}, on Linux/glibc.  Deterministic on one CPU: a rerun
rewrites byte-identical files; on another CPU numpy's vectorised log2 may differ in the last
bit (AVX2 vs AVX-512), which moves a few values of `expression_bulk.tsv` by an ulp and every
output with them, consistently.  File/line references are to
`.venv/lib/python3.11/site-packages/secactpy/` of that version.

All matrices are TSV with one header line whose first field names the row labels
(`gene`/`protein`/`feature`) followed by the column names; numbers are `%.17g` (parse with a
correctly rounded parser, e.g. Swift `Double(String)`; the script itself re-reads every input
file with `float_precision="round_trip"` and uses the re-read values).  The exception is
`cytosig_subset.tsv`, which keeps the shipped CytoSig layout (see below).

The script also re-implements everything below in plain numpy/Python and asserts that it
reproduces secactpy: permutation tables and permutation p-values exactly; beta/se/zscore/pvalue
to a maximum relative difference of {f['ridge']['maxrel']:.1e} (ridge), {f['centered']['maxrel']:.1e}
(centered), {f['differential']['maxrel']:.1e} (differential), {f['ttest']['maxrel']:.1e} (ttest).

## Files

| file | content |
|---|---|
| `glibc_rand.tsv` | header `seed rand1..rand10`; rows: first 10 `rand()` after `srand(0)` and after `srand(42)` (glibc; read via ctypes, as secactpy does) |
| `ridge_X.tsv` | 40 genes x 3 features (`G1..G40` x `F1..F3`), `numpy.random.default_rng({RIDGE_DATA_SEED}).standard_normal((40, 3))` |
| `ridge_Y.tsv` | 40 x 4 (`S1..S4`): `X @ B + N`, B = next `standard_normal((3, 4))`, N = next `standard_normal((40, 4))` of the same generator |
| `ridge_{{beta,se,zscore,pvalue}}.tsv` | `secactpy.ridge(X, Y, lambda_={RIDGE_LAMBDA}, n_rand={RIDGE_NRAND}, seed=0, backend="numpy", rng_method="srand", use_cache=False)`; rows `F1..F3`, cols `S1..S4`. X and Y are used as they are (ridge() does NOT z-score) |
| `ridge_permutations.tsv` | no header; 3 lines x 40 tab-separated 0-based ints: `secactpy.rng.CStdlibRNG(0).permutation_table(40, 3)` = the first 3 rows of the table `rng_method="srand"` uses for 40 genes (forward permutations: permuted Y = `Y[perm, :]`) |
| `ridge_permutations_mt19937.tsv` | same for `secactpy.rng.GSLRNG(0).permutation_table(40, 3)` (`rng_method="gsl"`) |
| `expression_bulk.tsv` | bulk input, {f['n_expr_rows']} rows x 7 samples, header `gene S1..S7` (see "Expression fixture") |
| `cytosig_subset.tsv` | {f['n_subset']} of the {f['n_full']} genes of secactpy's `data/CytoSig.tsv.gz` (43 proteins), lines copied verbatim |
| `cytosig_centered_*.tsv`, `cytosig_centered_genes.txt` | mode (a) `is_differential=False` (row-mean centring), permutation test |
| `cytosig_differential_*.tsv`, `cytosig_differential_genes.txt` | mode (b) `is_differential=True` (input used as is), permutation test |
| `cytosig_ttest_*.tsv` | mode (a) with `n_rand=0` (analytic t-test); genes = `cytosig_centered_genes.txt` |

The three CytoSig runs are
`secactpy.inference.secact_activity_inference(E, is_differential=<mode>, sig_matrix=<cytosig_subset.tsv as DataFrame>, is_group_sig=False, lambda_=1e4, n_rand=100 (0 for ttest), seed=0, backend="numpy", rng_method="srand", use_gsl_rng=True, use_cache=False, sort_genes=False, verbose=False)`
where E is `expression_bulk.tsv` after the gene-symbol standardisation (step 0 below).  Each run
is repeated with `sig_matrix="cytosig"` (the full shipped file, `is_group_sig` auto-resolves to
False for "cytosig") and gives the same result (max abs difference
{max(f[m]['maxdiff_full'] for m in ('centered', 'differential', 'ttest')):.1e}), because the
subset holds every CytoSig gene that occurs in E.  Output matrices: rows = the 43 CytoSig
proteins in file order (header `protein`), columns = `S1..S7`.  `*_genes.txt`: the
{f['centered']['n_genes']} genes that entered the regression, one per line, in regression-row
order (the same list for all three runs).  Value ranges: centered: {rng_str('centered')};
differential: {rng_str('differential')}; ttest: {rng_str('ttest')}.

## Expression fixture (`expression_bulk.tsv`)

Real data: scanpy's bundled `pbmc68k_reduced` (700 PBMCs x 765 genes; `sc.datasets.pbmc68k_reduced()`).
Its `raw.X` is log1p of per-cell-normalised counts; integer UMI counts were recovered as
`round(expm1(raw.X) / (smallest nonzero expm1(raw.X) of the cell))` (every value lies within
0.12 of an integer).  (scanpy's 10x test file `Tests/Fixtures/tenx_v3.h5` was not used: it is
chr21-only, 50 genes in common with CytoSig for 43 proteins.)  Pseudobulk = sum of counts:
{groups}
  - `S7` = all-zero sample.

Values: `log2(counts / column sum * 1e6 + 1)` (S7 stays 0).  Edits that exercise the rules:

  - renamed in place (lower/mixed case): {', '.join(f'`{k}`->`{v}`' for k, v in LOWERCASE.items())};
  - `{ZERO_GENE}` set to 0 in every sample (a constant gene that is in the signature);
  - pbmc68k already contains mixed-case symbols that are also mixed-case CytoSig genes
    ({', '.join('`' + g + '`' for g in MIXED_CASE_SIG_GENES)}) and `RP11-...`/`AC...` names
    with a `.N` suffix;
  - 4 extra rows appended after the 765 genes, in this order (S7 stays 0 in all of them):
{extra}

## Pipeline (what the Swift side must reproduce), in order

0. **Gene-symbol standardisation -- NOT done by the bulk entry point.**
   `secact_activity_inference` (inference.py:930) uses the DataFrame index exactly as given: no
   upper-casing, no duplicate handling.  Fed `expression_bulk.tsv` directly it gives:
   `{f['raw_outcome']}` (duplicate index labels survive `Y.loc[common_genes]`, so Y gets more
   rows than X).  The upper-case + keep-highest-mean rule exists only in the scRNA-seq
   (inference.py:1595-1620) and spatial (inference.py:2287-2312) entry points, applied to the
   raw counts before normalisation.  This fixture applies that rule to the bulk matrix (the
   script's `standardize_genes`), then calls the bulk API:
   a. `name = name.upper()` (Python str.upper, Unicode-aware);
   b. if the name contains `.`, keep the part before the first `.` (`"CXCR4.2"` -> `"CXCR4"`,
      `"RP11-782C8.1"` -> `"RP11-782C8"`);
   c. per standardised name, keep the row with the highest row mean over all samples (mean of
      the values in the file, S7 included); strict `>`, so on a tie the earliest row wins;
   d. the kept rows stay in their original file order (`keep_idx = sorted(...)`), so a later
      duplicate that wins moves the gene to that later position (here `EGR1` and `CXCR4` end up
      after all other genes).
   {f['n_expr_rows']} rows -> {f['n_expr_std']} genes.
   secactpy never upper-cases the SIGNATURE's gene names (signature.py:108-134 reads them
   verbatim), so in its scRNA-seq path expression genes such as `C9orf78` become `C9ORF78` and
   no longer match CytoSig's `C9orf78`, while its bulk path, which upper-cases nothing, matches
   them.  Sluice standardises the signature's names the same way as the expression's, so case
   never splits a match; this fixture gives secactpy the signature standardised that way (the
   script's `standardize_signature`: upper-case, cut at the first `.`, first of a repeated name
   stays), so `C9orf78`, `C20orf27` and `C19orf53` enter the regression as `C9ORF78`, ….
1. **Signature loading** (signature.py:108-134 `_load_tsv_gz`): `pd.read_csv(sep="\\t",
   index_col=0)`; the header line has one field fewer than the data lines (43 protein names,
   no row-name field) and pandas then takes the first column of each data line as the row name.
   Values -> float64, NaN -> 0 (CytoSig has none).  `cytosig_subset.tsv` keeps that layout:
   line 1 = 43 tab-separated protein names; every other line = gene + 43 values.
   SURPRISE: pandas' default float parser (`float_precision=None`, "high") is NOT correctly
   rounded: `load_signature("cytosig")` turns `0.01875768900000008` into `0.018757689`.  For the
   subset's lines {f['sig_vs_full'][0]} of {f['sig_vs_full'][1]} values differ from the correctly
   rounded doubles (max relative difference {f['sig_vs_full'][2]:.1e}).  The fixture runs use the
   correctly rounded values (what Swift `Double(String)` gives), so they match a Swift reader
   of `cytosig_subset.tsv`; the `sig_matrix="cytosig"` reruns (pandas-parsed) differ from them
   by the max abs difference quoted above.  For "cytosig", `is_group_sig` resolves to False
   (inference.py:1125-1127); a DataFrame/custom signature would default to True (correlation
   grouping) -- hence `is_group_sig=False` explicitly.
2. **Differential vs centring** (inference.py:1135-1163): `is_differential=True` -> Y = input
   unchanged.  `is_differential=False` (no control) -> Y = input minus its row mean
   (`input.mean(axis=1)`: the mean of each gene over all samples, S7 included), computed on all
   genes before intersecting (equivalent after, it is per row).  Special case: a single-column
   input is NOT centred (it would be all zero).
3. **Intersection** (inference.py:1185-1201): `common = Y.index.intersection(X.index)` --
   pandas keeps the order of Y (the expression), first occurrences, unique.  NOT the signature
   order (the other API `secact_activity`/`prepare_data`, inference.py:332, uses signature
   order -- not the path used here).  `sort_genes=False`.  Fewer than 2 common genes -> error.
4. **Subset** (inference.py:1203-1205): `X = sig.loc[common]`, `Y = Y.loc[common]`.
5. **Z-score every column of X and of Y over the common genes** (inference.py:1207-1210):
   `(M - M.mean()) / M.std(ddof=1)` (sample sd, n-1), no epsilon.  X IS re-standardised after
   the intersection (each protein column over the {f['centered']['n_genes']} common genes), Y
   column by column (each sample).
6. **NaN -> 0** (inference.py:1212-1214): a constant column has sd 0 and gives 0/0 = NaN,
   replaced by 0, so the column becomes all zero.  Here: S7 in mode (b) is all zero -> its Y
   column is 0 -> beta = 0, every permuted beta = 0, se = 0, zscore = 0 (se <= 1e-12), and
   pvalue = 1 (|0| >= |0| counts for every permutation).  In mode (a) S7 = minus the row means,
   an ordinary column.  `{ZERO_GENE}` (constant gene) is an all-zero row after centring in mode
   (a) and an ordinary row of zeros in mode (b); rows are never scaled, so a constant gene needs
   no special case.  Only NaN is replaced (`fillna`), not +-inf.  pandas `mean`/`std` skip NaN,
   so a NaN input value would be ignored by its column's mean/sd and then become 0 (not
   exercised here).  Caveat: a constant column whose floating mean is not exact (e.g. all 0.1)
   gets a tiny nonzero sd in pandas and is then NOT zeroed.
7. **Ridge** (`ridge()`, ridge.py:188, numpy backend; `_ridge_permutation_numpy` ridge.py:398):
   `A = X'X + lambda*I` (p x p, p = 43 proteins); `Ainv = cho_solve(cholesky(A))`
   (ridge.py:427-436, pinv only if Cholesky fails); `T = Ainv X'` (p x n); `beta = T Y`.
8. **Permutation test** (ridge.py:446-516), n = number of common genes, m = samples:
   - one RNG per `ridge()` call, `CStdlibRNG(seed)` = `srand(seed)` (rng.py:296-334);
     the table has `n_rand` permutations of `0..n-1` (rng.py:245-276, see RNG below);
   - for each permutation `perm` (in table order): `beta_perm = T @ Y[perm, :]` -- the ROWS of
     Y (genes) are permuted, X/T fixed.  secactpy stores inverse permutations and uses
     `T[:, inv]` @ Y when m >= p, or converts back to `perm` and uses `Y[perm, :]` when m < p
     (ridge.py:452, 465-497); both are the same quantity;
   - accumulate, element-wise over (protein, sample): `count += (|beta_perm| >= |beta|)`,
     `s1 += beta_perm`, `s2 += beta_perm^2` (sequentially in permutation order);
   - `mean = s1 / n_rand`; `var = s2 / n_rand - mean^2` (population variance);
     `se = sqrt(max(var, 0))`; `zscore = (beta - mean) / se` if `se > 1e-12` else 0;
     `pvalue = (count + 1) / (n_rand + 1)` (ridge.py:503-516).
   The smallest relative gap `| |beta_perm| - |beta| | / |beta|` over all non-zero beta and all
   permutations (how far the `>=` comparisons are from flipping): ridge {rng_line('ridge')},
   centered {rng_line('centered')}, differential {rng_line('differential')} -- p-values should
   match exactly.
9. **t-test variant, n_rand = 0** (`_ridge_ttest_numpy`, ridge.py:530-609): same T and beta;
   `resid = Y - X beta`; `rss_j = sum_g resid_gj^2`; `df = n - p` ({f['ttest']['n_genes']} - 43
   = {f['ttest']['n_genes'] - 43}; if <= 0 it is set to 1 with a warning);
   `sigma2_j = rss_j / df`; `se_ij = sqrt(Ainv_ii * sigma2_j)` (note: the diagonal of
   (X'X + lambda I)^-1, not a sandwich estimator); `zscore = beta / se` if `se > 1e-12` else 0;
   `pvalue = clip(2 * scipy.stats.t.sf(|zscore|, df), 0, 1)` (Student t survival function,
   i.e. `I_{{df/(df+t^2)}}(df/2, 1/2)`, the regularised incomplete beta).
10. Output rows = proteins in signature column order, columns = expression column order
    (`_format_ridge_results`, inference.py:897; no row expansion since is_group_sig=False).

## RNG and shuffle (rng.py)

Shuffle (rng.py:197-215, R SecAct's C `shuffle()`), applied CUMULATIVELY: one array `a = 0..n-1`
is created once; permutation k (k = 1..n_rand) is the state of `a` after the k-th shuffle of
the previous state (rng.py:217-243) -- not a fresh shuffle of `0..n-1`:

    for i in 0 ..< n-1:            # n-1 draws per permutation
        j = i + r() / (RAND_MAX / (n - i) + 1)     # all integer divisions, r() >= 0
        swap(a[i], a[j])

`rng_method="srand"` (default; `CStdlibRNG`): r() = C `rand()`, RAND_MAX = 2147483647, seeded
once per `ridge()` call with `srand(seed)`.  secactpy calls the C library through ctypes, so
the numbers are the platform's; these fixtures are glibc's (R SecAct matches only on the same
platform).  Swift must NOT call the platform `rand()` (macOS libc differs); implement glibc's
TYPE_3 additive generator (verified here against libc for seeds 0 and 42):

    seed' = (seed == 0) ? 1 : seed        # glibc: srand(0) == srand(1)
    r[0] = seed'  (as int32)
    r[i] = (16807 * r[i-1]) mod 2147483647, i = 1..30   # Schrage: hi = r/127773, lo = r%127773,
                                                        # w = 16807*lo - 2836*hi; if w < 0 {{ w += 2147483647 }}
    r[i] = r[i-31], i = 31..33
    r[i] = (r[i-31] + r[i-3]) mod 2^32, i >= 34          # uint32 wrap-around
    k-th rand() (k = 0, 1, ...) = r[k + 344] >> 1        # the first 310 (i = 34..343) are discarded

First values after srand(0): {', '.join(str(v) for v in f['rand0'][:5])}, ...

`rng_method="gsl"` (`GSLRNG`, rng.py:340-377): a pure-Python MT19937 (`MT19937Pure`, the
reference Matsumoto-Nishimura `init_genrand` + `genrand_int32`, identical to GSL's
`gsl_rng_mt19937`), seed 0 replaced by 4357 (GSL's default), r() = genrand_int32(),
RAND_MAX = 0xFFFFFFFF in the same shuffle formula (GSL's own rejection sampler
`gsl_rng_uniform_int` is NOT used).  First genrand_int32 values for seed 4357:
{', '.join(str(v) for v in f['mt10'][:5])}, ... .  `ridge_permutations_mt19937.tsv` is from this backend.
(`rng_method="numpy"` instead uses `np.random.seed(seed)` + independent
`np.random.permutation(n)` per permutation, rng.py:529-575 -- not covered.)

## Other surprises

- Magnitudes: with lambda = 1e4 the CytoSig betas are ~1e-3..1e-2 and some are ~1e-6 (see the
  ranges above), so an ABSOLUTE 1e-6 tolerance on beta/se checks almost nothing; compare
  beta/se with a relative tolerance (or abs ~1e-12), zscore/pvalue with 1e-6.  The independent
  re-implementation agrees to the relative differences quoted at the top (the largest one is a
  beta of magnitude 2e-6, i.e. ~1e-18 absolute).

- Two different high-level APIs: `secact_activity_inference` (used here; R-compatible: X and Y
  both z-scored, ddof=1, no epsilon, NaN->0, expression gene order) and `secact_activity` /
  `prepare_data` (inference.py:332-425, 428: only Y is scaled, by `scale_columns` with
  `sd + 1e-12` and `nan_to_num`, X is NOT scaled, genes in signature order).  They give
  different numbers.
- The default lambda is 5e5 (these fixtures use 1e4 for CytoSig and {RIDGE_LAMBDA} for the
  40x3 case); default n_rand 1000, seed 0.
- Permutation tables are generated over n = number of COMMON genes, so adding/removing one
  gene from the intersection changes every permutation.
- `use_cache=True` would read tables from `~/.cache/secactpy/perm_tables`, keyed by
  (n, n_perm, seed) only, not by the RNG backend: a stale cache silently changes results.  Off
  here (the default of `secact_activity_inference`).
- For the CytoSig runs m = 7 < p = 43, so secactpy takes the `Y[perm, :]` branch; for the 40x3
  case m = 4 >= p = 3 and it takes the `T[:, inv_perm]` branch -- both fixtures therefore
  cover both code paths, which must agree.
"""
    (out / "README.md").write_text(text)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
