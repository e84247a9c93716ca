#!/usr/bin/env python3
"""Reference results of `sluice analyze trends`, from scipy (deterministic, seeded; no network).

Usage (from the repository root):
    .venv/bin/python scripts/reference/make_trends_reference.py Tests/Fixtures/trends

Writes into the output folder
  activity.tsv     12 signatures x 88 samples: 12 donors seen at days 0, 7, 14 and 28 (donor 11
                   misses day 14, donor 10 is seen at day 0 only), in two cell types (T, B);
                   activity = donor offset + a per-signature slope per day (some rising, some
                   falling, some flat) + noise; signature S11 is constant (undefined correlations)
  samples.tsv      sample, donor, day, visit (baseline, week1, week2, week4), cell_type
  CASE_timepoints.tsv, CASE_trends.tsv   the tables Sluice writes, from numpy and scipy.stats:
    by_day     --time day --donor donor --stratify cell_type
    by_visit   --time visit --order baseline,week1,week2,week4 (no donor, no strata)
  trends: spearmanr(time, activity), linregress slope; per donor (2 distinct times or more) the
  least-squares slope, their mean and ttest_1samp(slopes, 0); friedmanchisquare over the donors
  seen at every time; q-values Benjamini-Hochberg (false_discovery_control) over the signatures
  of a stratum with a defined p-value.
"""
import sys
import warnings
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_tables import bh, write  # noqa: E402

DAYS = [0, 7, 14, 28]
VISITS = ["baseline", "week1", "week2", "week4"]


def key(text: str) -> bytes:
    return text.encode()


def nan_safe(f, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return f(*args)
        except ValueError:
            return None


def study(values, names, meta, time, order=None, donor=None, strata=()):
    strata = list(strata)
    usable = [s for s in meta if all(meta[s][c] is not None for c in [time, *strata, *([donor] if donor else [])])]
    to_time = (lambda label: float(order.index(label))) if order else float
    combos = sorted({tuple(meta[s][c] for c in strata) for s in usable}, key=lambda t: [key(x) for x in t])
    points, trends = [], []
    column = {s: i for i, s in enumerate(values["columns"])}
    for combo in combos:
        members = [s for s in values["columns"] if s in usable and tuple(meta[s][c] for c in strata) == combo]
        times = sorted({to_time(meta[s][time]) for s in members})
        label = {to_time(meta[s][time]): meta[s][time] for s in members}
        by_donor = {}
        if donor:
            for s in members:
                by_donor.setdefault(meta[s][donor], {})[to_time(meta[s][time])] = s
        donors = sorted(by_donor, key=key)
        sloped = [d for d in donors if len(by_donor[d]) >= 2]
        complete = [d for d in donors if len(by_donor[d]) == len(times)] if len(times) >= 3 else []
        block = []
        for r, name in enumerate(names):
            v = lambda s: values["data"][r, column[s]]  # noqa: E731
            for t in times:
                at = np.array([v(s) for s in members if to_time(meta[s][time]) == t])
                sd = at.std(ddof=1) if len(at) > 1 else np.nan
                points.append([*combo, name, label[t], len(at), at.sum() / len(at), sd])
            x = np.array([to_time(meta[s][time]) for s in members])
            y = np.array([v(s) for s in members])
            rho = nan_safe(stats.spearmanr, x, y)
            rho, rho_p = (float(rho.statistic), float(rho.pvalue)) if rho is not None else (np.nan, np.nan)
            line = nan_safe(stats.linregress, x, y)
            slope = float(line.slope) if line is not None else np.nan
            slopes = []
            for d in sloped:
                own = sorted(by_donor[d].items())
                slopes.append(stats.linregress([t for t, _ in own], [v(s) for _, s in own]).slope if len({t for t, _ in own}) > 1 else np.nan)
            slopes = np.array(slopes)
            if len(slopes) >= 2:
                test = nan_safe(stats.ttest_1samp, slopes, 0.0)
                t_stat, t_p = float(test.statistic), float(test.pvalue)
            else:
                t_stat, t_p = np.nan, np.nan
            if complete:
                columns = [np.array([v(by_donor[d][t]) for d in complete]) for t in times]
                f = nan_safe(stats.friedmanchisquare, *columns)
                f_stat, f_p = (float(f.statistic), float(f.pvalue)) if f is not None else (np.nan, np.nan)
            else:
                f_stat, f_p = np.nan, np.nan
            block.append([*combo, name, len(members), rho, rho_p, slope, len(slopes),
                          slopes.mean() if len(slopes) else np.nan, t_stat, t_p, len(complete), f_stat, f_p])
        offset = len(strata)
        qs = [bh(np.array([row[offset + i] for row in block], dtype=np.float64)) for i in (3, 8, 11)]
        trends += [row + [qs[0][i], qs[1][i], qs[2][i]] for i, row in enumerate(block)]
    return points, trends


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20)
    names = [f"S{i}" for i in range(12)]
    per_day = np.array([0.08, -0.06, 0.0, 0.03, -0.02, 0.0, 0.05, -0.09, 0.01, 0.0, 0.12, 0.0])
    samples, meta, columns = [], {}, []
    for cell_type in ("T", "B"):
        for donor in range(12):
            offset = rng.normal(0, 1.0)
            for day, visit in zip(DAYS, VISITS):
                if (donor == 11 and day == 14) or (donor == 10 and day > 0):
                    continue
                sample = f"{cell_type}_d{donor:02d}_{visit}"
                values = offset + per_day * day * (1 if cell_type == "T" else 0.5) + rng.normal(0, 0.5, len(names))
                values[11] = 1.5  # a constant signature
                columns.append(values)
                samples.append(sample)
                meta[sample] = {"donor": f"d{donor:02d}", "day": str(day), "visit": visit, "cell_type": cell_type}
    data = np.array(columns).T
    with open(out / "activity.tsv", "w") as f:
        f.write("\t".join(["signature", *samples]) + "\n")
        for name, row in zip(names, data):
            f.write("\t".join([name, *(repr(float(v)) for v in row)]) + "\n")
    write(out / "samples.tsv", ["sample", "donor", "day", "visit", "cell_type"],
          [[s, meta[s]["donor"], meta[s]["day"], meta[s]["visit"], meta[s]["cell_type"]] for s in samples])
    values = {"columns": samples, "data": data}
    cases = {
        "by_day": dict(time="day", donor="donor", strata=["cell_type"]),
        "by_visit": dict(time="visit", order=VISITS),
    }
    trend_header = ["signature", "samples", "spearman_rho", "spearman_p", "slope", "donors", "donor_slope", "donor_t", "donor_p",
                    "complete_donors", "friedman_chi2", "friedman_p", "spearman_q", "donor_q", "friedman_q"]
    for name, settings in cases.items():
        points, trends = study(values, names, meta, settings["time"], settings.get("order"), settings.get("donor"), settings.get("strata", ()))
        strata = settings.get("strata", [])
        write(out / f"{name}_timepoints.tsv", [*strata, "signature", "time", "samples", "mean", "sd"], points)
        write(out / f"{name}_trends.tsv", [*strata, *trend_header], trends)
        print(f"{name}: {len(points)} timepoint rows, {len(trends)} trend rows")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
