#!/usr/bin/env python3
"""Reference implementation + fixtures for `sluice preprocess` (deterministic, no randomness
that is not seeded, no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_preprocess_reference.py Tests/Fixtures/preprocess

Needs the project's .venv (numpy<2, scipy, pandas, anndata 0.12, scanpy 1.11.5, h5py) and the
committed fixture Tests/Fixtures/tenx_v3.h5 (scanpy's CellRanger-3 test file: 1107 cells x 507
genes, features/id = Ensembl ids, features/name = symbols, no MT- genes).  The output folder's
parent must be Tests/Fixtures.  Every output listed below is deleted and rewritten; running the
script twice gives byte-identical JSON/TSV files (the .h5ad may differ in HDF5 header bytes only).

Outputs
-------
A. hgnc_subset.tsv
   A small *synthetic* HGNC "complete set" file in the real hgnc_complete_set.txt layout: tab
   separated, one header line, columns located by header name (the table has more columns than
   the reader needs, in the real file's order).  Multi-valued fields are `|`-separated and wrapped
   in double quotes ("ATP6|MTATP6"), single values are unquoted, empty = "".  Rows are sorted by
   symbol (code-point order), as the real file is roughly alphabetical -- NOT in HGNC-id order.
   Contents:
     * every gene of tenx_v3.h5: symbol = features/name, ensembl_gene_id = features/id,
       hgnc_id = HGNC:<1 + 25*k> where k is the gene's rank when the 507 genes are sorted by
       symbol (code-point order).  So the ids are 1, 26, 51, ..., 12651; the HGNC vocab order
       (by HGNC number) is symbol order, which differs from the no-HGNC vocab order (Ensembl-id
       order) and from the dataset (genomic) order; numeric order differs from string order
       (HGNC:26 < HGNC:101 but "HGNC:101" < "HGNC:26"); the edge-case genes below interleave.
     * edge-case genes (ids modelled on real entries, but this table is a test fixture, not a
       data source): TP53, SEPTIN7 (prev SEPT7), MARCHF1 (prev MARCH1), NT5E
       (alias CD73, name with an apostrophe), SND1 + NFKB2 (shared alias p100), WASHC2A +
       WASHC2C (shared prev FAM21), CAD (approved symbol that is also DFFB's alias), DFFB,
       DELEC1 (prev DEC1) + BHLHE40 (alias DEC1): prev beats alias, MT-ND1, MT-CO1, MT-ATP6
       (alias ATP6|MTATP6), MT-CYB, MT-ND4.
     * 3 rows with status "Entry Withdrawn" that a reader must ignore; each would change a
       mapping result if it were not ignored (symbol MARCH1; alias CD73; Ensembl ENSG00000999991).

B. mapping_cases.h5ad + mapping_cases.expected.json
   30 cells x 28 genes, X = csr float32 holding integer counts (anndata 0.12, gzip).  var index
   = the names below; obs index = cell_00..cell_29.  Cell 7 is all zero; cells 3, 11, 19, 25
   have a high mitochondrial load; cell 14 has large counts only on the UNMAPPED MT-XYZ1 and
   mt-Nd1 (pct_mito stays low); cell 27 has pct_mito exactly 20.0 and cell 28 has exactly
   n_genes 4 and n_counts 10 (the >= / <= boundaries of mapping_cases_filtered: both kept);
   cell 21 fails only min_genes 4, cell 22 only min_counts 10.  Expected JSON:
   {"hgnc": "preprocess/hgnc_subset.tsv", "genes": [{name, status, symbol, hgnc_id,
   ensembl_gene_id, via}, ...in var order], "counts": {"mapped", "unmapped", "ambiguous"}}.

   MAPPING RULES (function `map_name`):
     - only rows with status == "Approved" exist;
     - levels, in precedence order: "symbol" (exact, case-sensitive match of the raw name against
       `symbol`), "ensembl" (name with its version suffix removed, matched against
       `ensembl_gene_id`), "prev_symbol" (raw name in the `|` list of prev_symbol), "alias"
       (raw name in the `|` list of alias_symbol);
     - version suffix: only a name matching ^(ENS[A-Z]*G[0-9]+)\.[0-9]+$ is stripped to group 1
       ("ENSG00000141510.17" -> "ENSG00000141510"); other names are used as they are for the
       ensembl level (symbols with dots such as "AP000473.5" are never altered);
     - the first level at which the name matches >= 1 distinct gene decides: exactly one gene ->
       "mapped" (via = that level); several -> "ambiguous" (lower levels NOT consulted; symbol,
       hgnc_id, ensembl_gene_id, via = null); no level -> "unmapped" (all null).
   For 10x input the symbol/prev/alias levels use features/name and the ensembl level uses
   features/id; for tenx_v3 + hgnc_subset.tsv the script asserts that mapping by name only, by
   id only, or by (name, id) gives identical results, so the fixture does not pin that choice.

C. Token references  <name>.tokens.json  (gzip'd as .tokens.json.gz if > 1 MB; none is)
   ALGORITHM (float64 throughout; operation order is part of the spec):
     1. X = counts (cells x dataset genes) as float64.  Per cell, over ALL dataset genes:
          n_counts = sum of counts (exact: integers);  n_genes = #genes with count > 0;
          pct_mito = (100.0 * mito_counts) / n_counts   (0.0 when n_counts == 0)
        where mito_counts sums genes whose SYMBOL starts with "MT-" (case-sensitive).  SYMBOL =
        the mapped approved symbol when an HGNC table is used (unmapped / ambiguous genes have
        no symbol and are never mito, whatever their dataset name); without HGNC table the
        dataset's symbol (10x features/name, h5ad var index).
     2. Cell filter: drop n_counts == 0; then keep n_genes >= min_genes, n_counts >= min_counts,
        pct_mito <= max_pct_mito (an option that is null is not applied).
     3. Vocabulary: <pad>=0 <mask>=1 <cls>=2 <eos>=3, then genes from 4.  With HGNC: all
        Approved rows sorted by the integer after "HGNC:".  Without: the dataset gene ids (10x
        features/id, h5ad var index) sorted in code-point order.  Dataset genes -> token by the
        rules of B (no HGNC: by id); unmapped/ambiguous genes get no token (but did count in
        step 1).  Several dataset genes on one token: counts summed per cell.
     4. For each token g, over kept cells c with x_cg > 0: v_cg = (x_cg * 10000.0) / n_counts_c;
        median_g = median of those v (odd: middle; even: (lo + hi) / 2.0 -- numpy.median).
     5. Per kept cell: score_cg = ((x_cg * 10000.0) / n_counts_c) / median_g for tokens with
        x_cg > 0; sort by score descending, ties by token id ascending; keep the first
        top_genes -> input_ids; length = len(input_ids).
   JSON: {"input": path relative to Tests/Fixtures, "options": {"hgnc", "top_genes",
   "min_genes", "min_counts", "max_pct_mito"}, "vocab_size", "genes_in_vocab_order_first10",
   "vocab" (all gene entries, token id = position + 4; hgnc_id with HGNC, gene id without),
   "medians": {"<token id>": float, ...} (tokens with >= 1 expressing kept cell, ascending id),
   "cells": [{"cell_id", "n_counts", "n_genes", "pct_mito", "input_ids", "length"}, ...kept
   cells in file order], "dropped_cells", "n_cells_in_file"}.  Floats are written with Python
   repr (shortest round-trip), i.e. exact doubles.
     tenx_v3_nohgnc_top2048   tenx_v3.h5, no HGNC, top_genes 2048 (= every expressed gene)
     tenx_v3_nohgnc_top20     tenx_v3.h5, no HGNC, top_genes 20
     tenx_v3_hgnc_top20       tenx_v3.h5, hgnc_subset.tsv, top_genes 20
     tenx_v3_hgnc_filtered    tenx_v3.h5, hgnc_subset.tsv, top_genes 20, min_genes 12,
                              min_counts 20, max_pct_mito 20 (the brief's 200/500 would drop
                              every cell of this tiny chr21 file: median n_genes 19, n_counts 29;
                              tenx_v3 has no MT- gene, so the mito filter drops nothing here)
     mapping_cases_top5       mapping_cases.h5ad, hgnc_subset.tsv, top_genes 5
     mapping_cases_filtered   mapping_cases.h5ad, hgnc_subset.tsv, top_genes 5, min_genes 4,
                              min_counts 10, max_pct_mito 20 (each filter drops cells)
   The script prints how many cells have two selected genes with exactly equal scores (the tie
   rule is exercised) and how many cells have a tie across the top_genes cut-off.

D. development_stage_ages.json
   {"rules": [{"family", "pattern", "age_years", "examples"}...], "constant": 52.1775,
    "cases": [{"label", "age_years"}...]}: the contract for turning cellxgene development_stage
   labels into an age in years (see DEV_RULES below); values computed here in float64 with the
   operation order stated in each rule.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
import anndata as ad  # noqa: E402

SPECIALS = ["<pad>", "<mask>", "<cls>", "<eos>"]
HGNC_COLUMNS = [
    "hgnc_id", "symbol", "name", "locus_group", "locus_type", "status", "location",
    "location_sortable", "alias_symbol", "alias_name", "prev_symbol", "prev_name", "gene_group",
    "gene_group_id", "date_approved_reserved", "date_symbol_changed", "date_name_changed",
    "date_modified", "entrez_id", "ensembl_gene_id", "vega_id", "ucsc_id", "ena",
    "refseq_accession", "ccds_id", "uniprot_ids",
]
ENSEMBL_VERSIONED = re.compile(r"^(ENS[A-Z]*G[0-9]+)\.[0-9]+$")


# =========================================================================== A. HGNC table

# (hgnc number, symbol, name, locus_group, locus_type, location, alias list, prev list, ensembl)
EDGE_GENES = [
    (11998, "TP53", "tumor protein p53", "protein-coding gene", "gene with protein product",
     "17p13.1", ["LFS1"], [], "ENSG00000141510"),
    (1717, "SEPTIN7", "septin 7", "protein-coding gene", "gene with protein product",
     "7p14.2", ["CDC10", "NBLA02942"], ["SEPT7"], "ENSG00000122545"),
    (26077, "MARCHF1", "membrane associated ring-CH-type finger 1", "protein-coding gene",
     "gene with protein product", "4q32.2-q32.3", ["RNF171"], ["MARCH1"], "ENSG00000145416"),
    (8021, "NT5E", "5'-nucleotidase ecto", "protein-coding gene", "gene with protein product",
     "6q14.3", ["CD73", "eN", "eNT"], ["NT5"], "ENSG00000135318"),
    (30646, "SND1", "staphylococcal nuclease and tudor domain containing 1",
     "protein-coding gene", "gene with protein product", "7q32.1", ["p100", "TDRD11"], [],
     "ENSG00000197157"),
    (7795, "NFKB2", "nuclear factor kappa B subunit 2", "protein-coding gene",
     "gene with protein product", "10q24.32", ["p100", "LYT-10"], [], "ENSG00000077150"),
    (23414, "WASHC2A", "WASH complex subunit 2A", "protein-coding gene",
     "gene with protein product", "10q11.22", [], ["FAM21", "FAM21A"], "ENSG00000099290"),
    (23416, "WASHC2C", "WASH complex subunit 2C", "protein-coding gene",
     "gene with protein product", "10q11.21", [], ["FAM21", "FAM21C"], "ENSG00000172661"),
    (1424, "CAD", "carbamoyl-phosphate synthetase 2, aspartate transcarbamylase, and "
     "dihydroorotase", "protein-coding gene", "gene with protein product", "2p23.3", [], [],
     "ENSG00000084774"),
    (2773, "DFFB", "DNA fragmentation factor subunit beta", "protein-coding gene",
     "gene with protein product", "1p36.32", ["CAD", "CPAN", "DFF-40"], [], "ENSG00000169598"),
    (2722, "DELEC1", "deleted in esophageal cancer 1", "non-coding RNA", "RNA, long non-coding",
     "9q32", [], ["DEC1"], "ENSG00000268658"),
    (1046, "BHLHE40", "basic helix-loop-helix family member e40", "protein-coding gene",
     "gene with protein product", "3p26.1", ["DEC1", "STRA13"], [], "ENSG00000134107"),
    (7455, "MT-ND1", "mitochondrially encoded NADH:ubiquinone oxidoreductase core subunit 1",
     "protein-coding gene", "gene with protein product", "mitochondria", ["ND1"], ["MTND1"],
     "ENSG00000198888"),
    (7419, "MT-CO1", "mitochondrially encoded cytochrome c oxidase I", "protein-coding gene",
     "gene with protein product", "mitochondria", ["COI"], ["MTCO1"], "ENSG00000198804"),
    (7414, "MT-ATP6", "mitochondrially encoded ATP synthase membrane subunit 6",
     "protein-coding gene", "gene with protein product", "mitochondria", ["ATP6", "MTATP6"], [],
     "ENSG00000198899"),
    (7427, "MT-CYB", "mitochondrially encoded cytochrome b", "protein-coding gene",
     "gene with protein product", "mitochondria", ["COB", "CYTB"], ["MTCYB"], "ENSG00000198727"),
    (7459, "MT-ND4", "mitochondrially encoded NADH:ubiquinone oxidoreductase core subunit 4",
     "protein-coding gene", "gene with protein product", "mitochondria", ["ND4"], ["MTND4"],
     "ENSG00000198886"),
]
# Withdrawn rows: each would alter a mapping result in mapping_cases if not ignored.
WITHDRAWN = [
    (6772, "MARCH1", "entry withdrawn", [], [], ""),                 # would take MARCH1 by symbol
    (8030, "NT5EP9", "entry withdrawn", ["CD73"], [], ""),           # would make CD73 ambiguous
    (40000, "OLDGENE1", "entry withdrawn", [], [], "ENSG00000999991"),  # would map by Ensembl
]


def tsv_field(v) -> str:
    if isinstance(v, list):
        s = "|".join(v)
        return f'"{s}"' if len(v) > 1 else s
    return "" if v is None else str(v)


def read_tenx(path: Path):
    with h5py.File(path, "r") as f:
        g = f["matrix"]
        shape = tuple(int(x) for x in g["shape"][:])  # (genes, cells)
        m = sp.csc_matrix((g["data"][:], g["indices"][:], g["indptr"][:]), shape=shape)
        ids = [x.decode() for x in g["features/id"][:]]
        names = [x.decode() for x in g["features/name"][:]]
        bcs = [x.decode() for x in g["barcodes"][:]]
    X = m.T.tocsr().astype(np.float64).toarray()
    return X, ids, names, bcs


def locus_for(symbol: str):
    if symbol.startswith("MIR") and "HG" not in symbol:
        return "non-coding RNA", "RNA, micro"
    if symbol.startswith("LINC") or "-AS" in symbol or "." in symbol or symbol.endswith("HG"):
        return "non-coding RNA", "RNA, long non-coding"
    return "protein-coding gene", "gene with protein product"


def build_hgnc_rows(tenx_ids, tenx_names):
    rows = []
    order = sorted(range(len(tenx_ids)), key=lambda i: tenx_names[i])
    for k, i in enumerate(order):
        lg, lt = locus_for(tenx_names[i])
        rows.append({
            "hgnc_id": f"HGNC:{1 + 25 * k}", "symbol": tenx_names[i],
            "name": f"fixture gene {tenx_names[i]}", "locus_group": lg, "locus_type": lt,
            "status": "Approved", "location": "21q22.3", "location_sortable": "21q22.3",
            "alias_symbol": [], "prev_symbol": [], "ensembl_gene_id": tenx_ids[i],
            "entrez_id": str(100000 + k), "date_approved_reserved": "2001-06-22",
        })
    for num, sym, name, lg, lt, loc, alias, prev, ens in EDGE_GENES:
        rows.append({
            "hgnc_id": f"HGNC:{num}", "symbol": sym, "name": name, "locus_group": lg,
            "locus_type": lt, "status": "Approved", "location": loc, "location_sortable": loc,
            "alias_symbol": alias, "prev_symbol": prev, "ensembl_gene_id": ens,
            "entrez_id": str(200000 + num), "date_approved_reserved": "1989-01-01",
            "gene_group": ["Fixture group A", "Fixture group B"] if num % 2 == 0 else [],
            "gene_group_id": ["1", "2"] if num % 2 == 0 else [],
            "uniprot_ids": ["P00001"] if lt == "gene with protein product" else [],
        })
    for num, sym, name, alias, prev, ens in WITHDRAWN:
        rows.append({
            "hgnc_id": f"HGNC:{num}", "symbol": f"{sym}~withdrawn" if sym == "OLDGENE1" else sym,
            "name": name, "locus_group": "withdrawn", "locus_type": "withdrawn",
            "status": "Entry Withdrawn", "location": "", "location_sortable": "",
            "alias_symbol": alias, "prev_symbol": prev, "ensembl_gene_id": ens,
        })
    ids = [r["hgnc_id"] for r in rows]
    assert len(set(ids)) == len(ids), "duplicate HGNC ids"
    rows.sort(key=lambda r: r["symbol"])
    return rows


def write_hgnc(rows, path: Path):
    lines = ["\t".join(HGNC_COLUMNS)]
    for r in rows:
        lines.append("\t".join(tsv_field(r.get(c, "")) for c in HGNC_COLUMNS))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- HGNC reader + mapper
# Independent of the writer above: parses the TSV text as a consumer would.


def parse_hgnc(path: Path):
    text = path.read_text(encoding="utf-8").splitlines()
    header = text[0].split("\t")
    col = {h: i for i, h in enumerate(header)}
    genes = []
    for line in text[1:]:
        if not line:
            continue
        f = line.split("\t")

        def get(name):
            v = f[col[name]]
            if len(v) >= 2 and v[0] == '"' and v[-1] == '"':
                v = v[1:-1]
            return v

        def lst(name):
            v = get(name)
            return [x for x in v.split("|") if x] if v else []

        if get("status") != "Approved":
            continue
        genes.append({"hgnc_id": get("hgnc_id"), "symbol": get("symbol"),
                      "ensembl_gene_id": get("ensembl_gene_id") or None,
                      "prev_symbol": lst("prev_symbol"), "alias_symbol": lst("alias_symbol")})
    genes.sort(key=lambda g: int(g["hgnc_id"].split(":", 1)[1]))
    return genes


class Mapper:
    def __init__(self, genes):
        self.genes = genes
        self.index = {"symbol": {}, "ensembl": {}, "prev_symbol": {}, "alias": {}}
        for gi, g in enumerate(genes):
            self._add("symbol", g["symbol"], gi)
            if g["ensembl_gene_id"]:
                self._add("ensembl", g["ensembl_gene_id"], gi)
            for p in g["prev_symbol"]:
                self._add("prev_symbol", p, gi)
            for a in g["alias_symbol"]:
                self._add("alias", a, gi)

    def _add(self, level, key, gi):
        self.index[level].setdefault(key, [])
        if gi not in self.index[level][key]:
            self.index[level][key].append(gi)

    def map_name(self, name, ensembl_name=None):
        """Rule B. `ensembl_name` (10x features/id) is used for the ensembl level if given."""
        e = name if ensembl_name is None else ensembl_name
        m = ENSEMBL_VERSIONED.match(e)
        if m:
            e = m.group(1)
        for level, key in (("symbol", name), ("ensembl", e), ("prev_symbol", name),
                           ("alias", name)):
            hits = self.index[level].get(key, [])
            if len(hits) == 1:
                g = self.genes[hits[0]]
                return {"status": "mapped", "symbol": g["symbol"], "hgnc_id": g["hgnc_id"],
                        "ensembl_gene_id": g["ensembl_gene_id"], "via": level,
                        "gene_index": hits[0]}
            if len(hits) > 1:
                return {"status": "ambiguous", "symbol": None, "hgnc_id": None,
                        "ensembl_gene_id": None, "via": None, "gene_index": None}
        return {"status": "unmapped", "symbol": None, "hgnc_id": None, "ensembl_gene_id": None,
                "via": None, "gene_index": None}


# =========================================================================== B. mapping cases

MAPPING_NAMES = [
    "TP53",                 # symbol
    "ENSG00000141510.17",   # ensembl with version -> TP53 (same token as TP53: summed)
    "SEPT7",                # prev_symbol -> SEPTIN7
    "MARCH1",               # prev_symbol -> MARCHF1 (withdrawn row with symbol MARCH1 ignored)
    "CD73",                 # alias only -> NT5E (withdrawn row with alias CD73 ignored)
    "p100",                 # alias shared by SND1 and NFKB2 -> ambiguous
    "FAM21",                # prev shared by WASHC2A and WASHC2C -> ambiguous
    "CAD",                  # approved symbol CAD wins over DFFB's alias CAD
    "DEC1",                 # prev of DELEC1 wins over alias of BHLHE40
    "MT-ND1",               # symbol, mito
    "ENSG00000198804",      # ensembl (no version) -> MT-CO1, mito via mapped symbol
    "MTATP6",               # alias -> MT-ATP6, mito via mapped symbol
    "MT-CYB",               # symbol, mito
    "MT-XYZ1",              # not in HGNC -> unmapped, hence NOT mito
    "tp53",                 # case-sensitive -> unmapped
    "mt-Nd1",               # mouse-style -> unmapped, not mito
    "ENSG00000999991",      # only on a withdrawn row -> unmapped
    "AC012345.1",           # not in HGNC -> unmapped
    "APP",                  # tenx gene, symbol
    "ENSG00000205927.5",    # tenx gene OLIG2 by ensembl with version
    "ERG",                  # tenx gene, symbol
    "HSPA13",               # tenx gene, symbol
    "SND1",                 # symbol (one of the ambiguous-alias genes)
    "DFFB",                 # symbol
    "ENSG00000122545",      # ensembl -> SEPTIN7 (same token as SEPT7: summed)
    "CDC10",                # alias -> SEPTIN7 (third dataset gene on that token)
    "NT5",                  # prev_symbol -> NT5E (with CD73: summed)
    "ENSG00000099290.16",   # ensembl with version -> WASHC2A
]
MITO_NAMES = {"MT-ND1", "ENSG00000198804", "MTATP6", "MT-CYB", "MT-XYZ1", "mt-Nd1"}
N_MAP_CELLS = 30


def make_mapping_counts():
    rng = np.random.default_rng(20240601)
    n_genes = len(MAPPING_NAMES)
    mean = rng.gamma(shape=1.2, scale=2.5, size=n_genes)
    counts = rng.negative_binomial(2, 2.0 / (2.0 + mean), size=(N_MAP_CELLS, n_genes))
    mask = rng.random((N_MAP_CELLS, n_genes)) < 0.5
    counts = np.where(mask, counts, 0)
    mito_cols = [i for i, n in enumerate(MAPPING_NAMES) if n in MITO_NAMES]
    # cells 3, 11, 19, 25: high mitochondrial load
    for c in (3, 11, 19, 25):
        counts[c, mito_cols] = rng.integers(8, 30, size=len(mito_cols))
    # cell 14: only unmapped "MT-XYZ1"/"mt-Nd1" high (must stay pct_mito low)
    counts[14, [MAPPING_NAMES.index("MT-XYZ1"), MAPPING_NAMES.index("mt-Nd1")]] = [40, 35]
    # cell 27: mito counts 10 of 50 -> pct_mito exactly 20.0 (kept by max_pct_mito 20)
    counts[27, :] = 0
    counts[27, [MAPPING_NAMES.index("MT-ND1"), MAPPING_NAMES.index("MT-CYB")]] = [6, 4]
    counts[27, [0, 2, 8, 18, 20]] = [12, 9, 7, 8, 4]
    # cell 28: exactly 4 genes and 10 counts, no mito (kept by min_genes 4, min_counts 10)
    counts[28, :] = 0
    counts[28, [0, 2, 19, 23]] = [4, 3, 2, 1]
    counts[7, :] = 0        # empty cell
    counts[21, :] = 0       # 2 genes, 15 counts: fails only min_genes 4
    counts[21, [0, 5]] = [8, 7]
    counts[22, :] = 0       # 6 genes of 1 count: fails only min_counts 10
    counts[22, [0, 2, 3, 18, 20, 21]] = 1
    return counts.astype(np.int64)


def write_mapping_h5ad(path: Path):
    counts = make_mapping_counts()
    obs = pd.DataFrame(index=pd.Index([f"cell_{i:02d}" for i in range(N_MAP_CELLS)],
                                      dtype=object))
    var = pd.DataFrame(index=pd.Index(MAPPING_NAMES, dtype=object))
    a = ad.AnnData(X=sp.csr_matrix(counts.astype(np.float32)), obs=obs, var=var)
    a.write_h5ad(path, compression="gzip")


def read_h5ad_counts(path: Path):
    a = ad.read_h5ad(path)
    X = a.X.toarray() if sp.issparse(a.X) else np.asarray(a.X)
    X = X.astype(np.float64)
    assert np.all(X == np.round(X)) and np.all(X >= 0)
    return X, list(map(str, a.var_names)), list(map(str, a.obs_names))


# =========================================================================== C. tokens


def median_ref(v: np.ndarray) -> float:
    s = np.sort(v)
    n = len(s)
    m = float(s[n // 2]) if n % 2 == 1 else float((s[n // 2 - 1] + s[n // 2]) / 2.0)
    assert m == float(np.median(v)), (m, np.median(v))
    return m


def tokenize(X, cell_ids, gene_ids, gene_symbols, mapper=None, top_genes=2048,
             min_genes=None, min_counts=None, max_pct_mito=None):
    """Literal implementation of the spec (module docstring, C)."""
    n_cells, n_dg = X.shape
    # --- step 3 first (needs the mapping for the mito symbols), counts untouched
    if mapper is not None:
        vocab = [g["hgnc_id"] for g in mapper.genes]
        maps = [mapper.map_name(sym, gid) for sym, gid in zip(gene_symbols, gene_ids)]
        tok_of = [m["gene_index"] + 4 if m["status"] == "mapped" else None for m in maps]
        symbol_of = [m["symbol"] for m in maps]
    else:
        vocab = sorted(set(gene_ids))
        pos = {g: i for i, g in enumerate(vocab)}
        tok_of = [pos[g] + 4 for g in gene_ids]
        symbol_of = list(gene_symbols)
    # --- step 1
    n_counts = X.sum(axis=1)
    n_genes = (X > 0).sum(axis=1)
    mito = np.array([s is not None and s.startswith("MT-") for s in symbol_of])
    mito_counts = X[:, mito].sum(axis=1)
    pct = np.zeros(n_cells)
    nz = n_counts > 0
    pct[nz] = (100.0 * mito_counts[nz]) / n_counts[nz]
    # --- step 2
    keep = n_counts > 0
    if min_genes is not None:
        keep &= n_genes >= min_genes
    if min_counts is not None:
        keep &= n_counts >= min_counts
    if max_pct_mito is not None:
        keep &= pct <= max_pct_mito
    # --- step 3: token matrix (summed)
    toks = sorted({t for t in tok_of if t is not None})
    tcol = {t: j for j, t in enumerate(toks)}
    T = np.zeros((n_cells, len(toks)))
    for j, t in enumerate(tok_of):
        if t is not None:
            T[:, tcol[t]] += X[:, j]
    tok_arr = np.array(toks, dtype=np.int64)
    # --- step 4
    kept = np.nonzero(keep)[0]
    medians = {}
    for j, t in enumerate(toks):
        c = kept[T[kept, j] > 0]
        if len(c) == 0:
            continue
        v = (T[c, j] * 10000.0) / n_counts[c]
        medians[t] = median_ref(v)
    med_arr = np.array([medians.get(t, np.nan) for t in toks])
    # --- step 5
    cells = []
    ties_sel = ties_cut = 0
    for c in kept:
        j = np.nonzero(T[c] > 0)[0]
        score = ((T[c, j] * 10000.0) / n_counts[c]) / med_arr[j]
        order = np.lexsort((tok_arr[j], -score))
        sel = order[:top_genes]
        ids = [int(x) for x in tok_arr[j][sel]]
        s_sel = score[sel]
        if len(np.unique(s_sel)) < len(s_sel):
            ties_sel += 1
        if len(order) > top_genes and score[order[top_genes - 1]] == score[order[top_genes]]:
            ties_cut += 1
        cells.append({"cell_id": cell_ids[c], "n_counts": float(n_counts[c]),
                      "n_genes": int(n_genes[c]), "pct_mito": float(pct[c]),
                      "input_ids": ids, "length": len(ids)})
    return {
        "vocab": vocab, "medians": medians, "cells": cells,
        "dropped_cells": int(n_cells - len(kept)), "n_cells_in_file": int(n_cells),
        "ties_selected": ties_sel, "ties_at_cutoff": ties_cut,
        "drop_detail": _drop_detail(n_counts, n_genes, pct, min_genes, min_counts,
                                    max_pct_mito),
    }


def _drop_detail(n_counts, n_genes, pct, min_genes, min_counts, max_pct_mito):
    nz = n_counts > 0
    fg = nz & (n_genes < (min_genes if min_genes is not None else 0))
    fc = nz & (n_counts < (min_counts if min_counts is not None else 0))
    fm = nz & (pct > (max_pct_mito if max_pct_mito is not None else np.inf))
    d = {"zero_counts": int((~nz).sum()),
         "fail_min_genes": int(fg.sum()), "fail_min_counts": int(fc.sum()),
         "fail_max_pct_mito": int(fm.sum()),
         "only_min_genes": int((fg & ~fc & ~fm).sum()),
         "only_min_counts": int((fc & ~fg & ~fm).sum()),
         "only_max_pct_mito": int((fm & ~fg & ~fc).sum())}
    if min_genes is not None:
        d["kept_at_min_genes_boundary"] = int((nz & ~fg & ~fc & ~fm & (n_genes == min_genes)).sum())
    if min_counts is not None:
        d["kept_at_min_counts_boundary"] = int((nz & ~fg & ~fc & ~fm
                                                & (n_counts == min_counts)).sum())
    if max_pct_mito is not None:
        d["kept_at_max_pct_mito_boundary"] = int((nz & ~fg & ~fc & ~fm
                                                  & (pct == max_pct_mito)).sum())
    return d


def tokens_json(name, inp, opts, res):
    return {
        "name": name, "input": inp, "options": opts,
        "vocab_size": len(SPECIALS) + len(res["vocab"]),
        "special_tokens": SPECIALS,
        "genes_in_vocab_order_first10": res["vocab"][:10],
        "vocab": res["vocab"],
        "medians": {str(t): m for t, m in sorted(res["medians"].items())},
        "cells": res["cells"],
        "dropped_cells": res["dropped_cells"],
        "n_cells_in_file": res["n_cells_in_file"],
    }


def dump(obj, path: Path) -> Path:
    text = json.dumps(obj, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    data = text.encode("utf-8")
    if len(data) > 1_000_000:
        path = path.with_name(path.name + ".gz")
        with open(path, "wb") as fh:
            with gzip.GzipFile(fileobj=fh, mode="wb", mtime=0, filename="") as gz:
                gz.write(data)
    else:
        path.write_bytes(data)
    return path


# =========================================================================== D. development stage

WEEKS_PER_YEAR = 52.1775
ORDINAL_DECADE = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
                  "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
DEV_RULES = [
    {"family": "human N-year-old", "pattern": r"^([0-9]+)-year-old human stage$",
     "age_years": "N"},
    {"family": "human N year-old and over", "pattern": r"^([0-9]+) year-old and over human stage$",
     "age_years": "N (the lower bound)"},
    {"family": "human decade", "pattern":
     r"^(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth) decade human stage$",
     "age_years": "decade n covers ages 10*(n-1) .. 10*n-1; value = 10*(n-1) + 5 "
                  "(third -> 25, sixth -> 55)"},
    {"family": "human N-month-old", "pattern": r"^([0-9]+)-month-old human stage$",
     "age_years": "N / 12.0"},
    {"family": "newborn", "pattern": r"^newborn human stage$", "age_years": "0"},
    {"family": "human fetal week", "pattern":
     r"^([0-9]+)(st|nd|rd|th) week post-fertilization human stage$",
     "age_years": "(W / 52.1775) - 0.75  (years relative to birth, negative; division first)"},
    {"family": "mouse N-week-old", "pattern": r"^([0-9]+)-week-old stage$",
     "age_years": "N / 52.1775"},
    {"family": "mouse N-month-old", "pattern": r"^([0-9]+)-month-old stage$",
     "age_years": "N / 12.0"},
    {"family": "everything else", "pattern": None,
     "age_years": "null: unknown, broad life stages (infant, child, adolescent, adult, "
                  "late adulthood, post-juvenile adult, ...), Carnegie / Theiler stages, "
                  "embryonic stages, anything not matching a pattern above (matching is exact "
                  "and case-sensitive)"},
]
DEV_LABELS = [
    "45-year-old human stage", "25-year-old human stage", "1-year-old human stage",
    "80 year-old and over human stage", "90 year-old and over human stage",
    "third decade human stage", "sixth decade human stage", "first decade human stage",
    "eighth decade human stage", "tenth decade human stage",
    "3-month-old human stage", "newborn human stage",
    "infant stage", "child stage", "adolescent stage", "human adult stage",
    "human late adulthood stage",
    "1st week post-fertilization human stage", "2nd week post-fertilization human stage",
    "10th week post-fertilization human stage", "21st week post-fertilization human stage",
    "23rd week post-fertilization human stage", "38th week post-fertilization human stage",
    "Carnegie stage 23", "unknown",
    "8-week-old stage", "3-month-old stage", "18-month-old stage",
    "post-juvenile adult stage", "Theiler stage 26", "45-Year-Old human stage",
]


def dev_age(label: str):
    m = re.match(DEV_RULES[0]["pattern"], label)
    if m:
        return float(int(m.group(1)))
    m = re.match(DEV_RULES[1]["pattern"], label)
    if m:
        return float(int(m.group(1)))
    m = re.match(DEV_RULES[2]["pattern"], label)
    if m:
        n = ORDINAL_DECADE[m.group(1)]
        return float(10 * (n - 1) + 5)
    m = re.match(DEV_RULES[3]["pattern"], label)
    if m:
        return int(m.group(1)) / 12.0
    if re.match(DEV_RULES[4]["pattern"], label):
        return 0.0
    m = re.match(DEV_RULES[5]["pattern"], label)
    if m:
        return (int(m.group(1)) / WEEKS_PER_YEAR) - 0.75
    m = re.match(DEV_RULES[6]["pattern"], label)
    if m:
        return int(m.group(1)) / WEEKS_PER_YEAR
    m = re.match(DEV_RULES[7]["pattern"], label)
    if m:
        return int(m.group(1)) / 12.0
    return None


# =========================================================================== main


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.split("\n\n")[1])
    out = Path(sys.argv[1]).resolve()
    fixtures = out.parent
    assert fixtures.name == "Fixtures", "output folder must be Tests/Fixtures/<something>"
    rel = out.name
    out.mkdir(parents=True, exist_ok=True)
    owned = ["hgnc_subset.tsv", "mapping_cases.h5ad", "mapping_cases.expected.json",
             "development_stage_ages.json"]
    for p in out.iterdir():
        if p.name in owned or ".tokens.json" in p.name:
            p.unlink()
    written = []

    # ---- A
    X10, ids10, names10, bcs10 = read_tenx(fixtures / "tenx_v3.h5")
    rows = build_hgnc_rows(ids10, names10)
    write_hgnc(rows, out / "hgnc_subset.tsv")
    written.append(out / "hgnc_subset.tsv")
    genes = parse_hgnc(out / "hgnc_subset.tsv")
    mapper = Mapper(genes)
    n_withdrawn = len(rows) - len(genes)
    assert n_withdrawn == len(WITHDRAWN)
    # tenx: every gene maps by symbol, and name-only / id-only / both agree
    for sym, gid in zip(names10, ids10):
        a, b, c = mapper.map_name(sym, gid), mapper.map_name(sym), mapper.map_name(gid)
        assert a["status"] == "mapped" and a["via"] == "symbol", sym
        assert a["gene_index"] == b["gene_index"] == c["gene_index"], sym
    # vocab order != dataset order, numeric != string order
    hg_order = [g["ensembl_gene_id"] for g in genes if g["ensembl_gene_id"] in set(ids10)]
    assert hg_order != ids10 and hg_order != sorted(ids10)
    assert [g["hgnc_id"] for g in genes] != sorted(g["hgnc_id"] for g in genes)

    # ---- B
    write_mapping_h5ad(out / "mapping_cases.h5ad")
    written.append(out / "mapping_cases.h5ad")
    Xm, var_m, obs_m = read_h5ad_counts(out / "mapping_cases.h5ad")
    assert var_m == MAPPING_NAMES
    mres = []
    for n in var_m:
        r = mapper.map_name(n)
        mres.append({"name": n, **{k: r[k] for k in
                                   ("status", "symbol", "hgnc_id", "ensembl_gene_id", "via")}})
    counts = {s: sum(r["status"] == s for r in mres) for s in ("mapped", "unmapped", "ambiguous")}
    expect_via = {"TP53": "symbol", "ENSG00000141510.17": "ensembl", "SEPT7": "prev_symbol",
                  "MARCH1": "prev_symbol", "CD73": "alias", "CAD": "symbol",
                  "DEC1": "prev_symbol", "MTATP6": "alias", "p100": None, "FAM21": None,
                  "tp53": None, "ENSG00000999991": None}
    for r in mres:
        if r["name"] in expect_via:
            assert r["via"] == expect_via[r["name"]], r
    assert next(r for r in mres if r["name"] == "CAD")["symbol"] == "CAD"
    assert next(r for r in mres if r["name"] == "DEC1")["symbol"] == "DELEC1"
    assert next(r for r in mres if r["name"] == "p100")["status"] == "ambiguous"
    assert next(r for r in mres if r["name"] == "FAM21")["status"] == "ambiguous"
    written.append(dump({"input": f"{rel}/mapping_cases.h5ad", "hgnc": f"{rel}/hgnc_subset.tsv",
                         "rules": "see scripts/reference/make_preprocess_reference.py, B",
                         "genes": mres, "counts": counts},
                        out / "mapping_cases.expected.json"))

    # ---- C
    hg = f"{rel}/hgnc_subset.tsv"
    runs = [
        ("tenx_v3_nohgnc_top2048", "tenx_v3.h5", None, 2048, None, None, None),
        ("tenx_v3_nohgnc_top20", "tenx_v3.h5", None, 20, None, None, None),
        ("tenx_v3_hgnc_top20", "tenx_v3.h5", hg, 20, None, None, None),
        ("tenx_v3_hgnc_filtered", "tenx_v3.h5", hg, 20, 12, 20, 20.0),
        ("mapping_cases_top5", f"{rel}/mapping_cases.h5ad", hg, 5, None, None, None),
        ("mapping_cases_filtered", f"{rel}/mapping_cases.h5ad", hg, 5, 4, 10, 20.0),
    ]
    summary = []
    for name, inp, hgnc, top, mg, mc, mpm in runs:
        if inp == "tenx_v3.h5":
            X, gids, gsyms, cids = X10, ids10, names10, bcs10
        else:
            X, gids, gsyms, cids = Xm, var_m, var_m, obs_m
        res = tokenize(X, cids, gids, gsyms, mapper if hgnc else None, top, mg, mc, mpm)
        opts = {"hgnc": hgnc, "top_genes": top, "min_genes": mg, "min_counts": mc,
                "max_pct_mito": mpm}
        p = dump(tokens_json(name, inp, opts, res), out / f"{name}.tokens.json")
        written.append(p)
        summary.append((name, len(res["cells"]), res["dropped_cells"], res["ties_selected"],
                        res["ties_at_cutoff"], res["drop_detail"],
                        max(c["pct_mito"] for c in res["cells"])))
    # sanity: the no-HGNC vocab of tenx is its sorted ids; top2048 has every expressed gene
    t2048 = json.loads((out / "tenx_v3_nohgnc_top2048.tokens.json").read_text())
    assert all(c["length"] == c["n_genes"] for c in t2048["cells"])

    # ---- D
    cases = [{"label": lb, "age_years": dev_age(lb)} for lb in DEV_LABELS]
    written.append(dump({"constant_weeks_per_year": WEEKS_PER_YEAR, "rules": DEV_RULES,
                         "cases": cases}, out / "development_stage_ages.json"))

    # ---- summary
    print(f"HGNC rows: {len(rows)} ({len(genes)} Approved, {n_withdrawn} withdrawn); "
          f"vocab size with HGNC = {len(genes) + 4}")
    print(f"mapping_cases: {counts}")
    for r in mres:
        print(f"  {r['name']:<22} {r['status']:<9} {str(r['symbol']):<8} {r['via']}")
    print("token references (name, kept, dropped, cells with tie among selected, "
          "cells with tie at cut-off, drop detail, max pct_mito kept):")
    for s in summary:
        print("  ", *s)
    for c in cases:
        print(f"  {c['label']!r:<48} {c['age_years']!r}")
    print("files:")
    for p in written:
        print(f"  {p.relative_to(fixtures.parent.parent)}  {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
