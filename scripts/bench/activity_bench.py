"""Signature activity: secactpy vs `sluice analyze activity` on the same inputs, in one run.

Used by activity_vs_secactpy.sh. For each case (signature, samples) it writes a seeded bulk
expression table (log-normal values over the signature's genes plus some others), times
secactpy.secact_activity_inference (numpy backend, srand, the same options) in this process,
times SecActpy's own command line (`secactpy bulk -i TSV -o H5AD`, file to file as sluice is:
pandas reads the table, the same inference, results written), times the sluice binary as a
subprocess (reading the same TSV), checks that z-scores and p-values agree with both, and prints
one JSON object per case. `ratio` compares sluice's whole process with the inference alone (the
table already in memory); `ratio_cli` compares the two command lines.
"""
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import os

import numpy as np
import pandas as pd
import secactpy
import threadpoolctl
from secactpy.signature import load_signature

sluice, data_dir, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
cases = [c.split(":") for c in sys.argv[4].split(",")]  # e.g. cytosig:1000,secact:100
n_rand = int(sys.argv[5])

def cpu_model() -> str:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


# The BLAS kernels each tool ran: numpy's bundled OpenBLAS (threadpoolctl) and sluice's (`sluice bench
# blas`, which also says whether sluice chose them). Run with OPENBLAS_CORETYPE set to give the peer
# the same kernels (activity_vs_secactpy.sh does both); sluice leaves a set variable alone.
numpy_blas = [f"{i['internal_api']} {i.get('version')} {i.get('architecture')}" for i in threadpoolctl.threadpool_info()
              if i.get("user_api") == "blas"]
sluice_blas = subprocess.run([sluice, "bench", "blas"], capture_output=True, text=True, check=True).stdout.strip()
peer_setting = f"OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']}" if "OPENBLAS_CORETYPE" in os.environ else "as installed"

for name, samples in cases:
    samples = int(samples)
    signature = load_signature(name)
    rng = np.random.default_rng(7)
    genes = list(signature.index) + [f"OTHER{i}" for i in range(2000)]
    values = rng.lognormal(mean=1.0, sigma=1.0, size=(len(genes), samples))
    # Gene names as the signature ships them (CytoSig's C1orf…-style names included): SecActpy's
    # bulk API and command line match them exactly, sluice case-insensitively — the same genes.
    expression = pd.DataFrame(values, index=genes, columns=[f"S{i + 1}" for i in range(samples)])
    path = work / f"expression_{name}_{samples}.tsv"
    expression.to_csv(path, sep="\t", index_label="gene", float_format="%.17g")
    expression = pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip")
    lam = 1e4 if name == "cytosig" else 5e5

    start = time.perf_counter()
    ref = secactpy.secact_activity_inference(
        expression, is_differential=False, sig_matrix=name, is_group_sig=(name != "cytosig"), lambda_=lam,
        n_rand=n_rand, seed=0, backend="numpy", rng_method="srand", use_cache=False, sort_genes=False, verbose=False)
    python_seconds = time.perf_counter() - start
    python_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cli_out = work / f"secactpy_{name}_{samples}.h5ad"
    secactpy_cli = str(Path(sys.executable).parent / "secactpy")
    start = time.perf_counter()
    cli = subprocess.run(["/usr/bin/time", "-f", "%M", secactpy_cli, "bulk", "-i", str(path), "-o", str(cli_out), "-s", name,
                          "--lambda", str(lam), "-n", str(n_rand), "--seed", "0", "--backend", "numpy", "-q"],
                         capture_output=True, text=True, check=True)
    cli_seconds = time.perf_counter() - start
    cli_rss = int(cli.stderr.strip().splitlines()[-1]) / 1024

    out = work / f"sluice_{name}_{samples}"
    start = time.perf_counter()
    timed = subprocess.run(["/usr/bin/time", "-f", "%M", sluice, "analyze", "activity", str(path), "--signature", name,
                            "--signature-dir", str(data_dir), "--n-rand", str(n_rand), "--output", str(out)],
                           capture_output=True, text=True, check=True)
    sluice_seconds = time.perf_counter() - start
    sluice_rss = int(timed.stderr.strip().splitlines()[-1]) / 1024

    worst = {}
    for stat in ("zscore", "pvalue", "beta"):
        ours = pd.read_csv(out / f"{stat}.tsv", sep="\t", index_col=0, float_precision="round_trip")
        theirs = ref[stat].loc[ours.index, ours.columns]
        diff = np.abs(ours.values - theirs.values) / np.maximum(np.abs(theirs.values), 1e-9)
        worst[stat] = float(diff.max())
    # The command line's results (samples × signatures in obsm) against sluice's.
    import anndata
    written = anndata.read_h5ad(cli_out)
    ours = pd.read_csv(out / "zscore.tsv", sep="\t", index_col=0, float_precision="round_trip")
    cli_z = pd.DataFrame(np.asarray(written.obsm["zscore"]), index=written.obs_names, columns=written.var_names).T
    cli_z = cli_z.loc[ours.index, ours.columns]
    cli_worst = float((np.abs(ours.values - cli_z.values) / np.maximum(np.abs(cli_z.values), 1e-9)).max())
    print(json.dumps({
        "signature": name, "samples": samples, "n_rand": n_rand, "signatures": int(ref["beta"].shape[0]),
        "secactpy_seconds": round(python_seconds, 3), "sluice_seconds": round(sluice_seconds, 3),
        "ratio": round(python_seconds / sluice_seconds, 2),
        "secactpy_cli_seconds": round(cli_seconds, 3), "ratio_cli": round(cli_seconds / sluice_seconds, 2),
        "secactpy_cli_peak_rss_mib": round(cli_rss, 1), "max_relative_difference_cli_zscore": cli_worst,
        "sluice_peak_rss_mib": round(sluice_rss, 1), "python_process_peak_rss_mib": round(python_rss, 1),
        "max_relative_difference": worst,
        "cpu": cpu_model(), "numpy_blas": numpy_blas, "sluice_blas": sluice_blas, "peer_kernels": peer_setting,
    }), flush=True)
