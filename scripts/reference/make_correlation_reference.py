"""Reference correlations from scipy (pearsonr, spearmanr), statsmodels-style BH and a partial
correlation by residuals, for Tests/Fixtures/correlation.

Run: .venv/bin/python scripts/reference/make_correlation_reference.py Tests/Fixtures/correlation
Writes data.tsv (columns x, y, z, w: seeded values with ties and NaN in z) and expected.tsv.
"""
import sys
from pathlib import Path

import numpy as np
from scipy import stats

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(11)
n = 40
x = rng.normal(size=n)
y = 0.6 * x + rng.normal(size=n)
z = np.round(rng.normal(size=n) * 2) / 2  # many ties
z[[3, 17]] = np.nan
w = 0.3 * x + rng.normal(size=n)
with open(out / "data.tsv", "w") as f:
    f.write("x\ty\tz\tw\n")
    for row in zip(x, y, z, w):
        f.write("\t".join(repr(float(v)) if not np.isnan(v) else "NaN" for v in row) + "\n")

rows = []
def add(name, r, p, count):
    rows.append((name, repr(float(r)), repr(float(p)), str(count)))

r, p = stats.pearsonr(x, y); add("pearson_x_y", r, p, n)
r, p = stats.spearmanr(x, y); add("spearman_x_y", r, p, n)
keep = ~np.isnan(z)
r, p = stats.pearsonr(x[keep], z[keep]); add("pearson_x_z", r, p, int(keep.sum()))
r, p = stats.spearmanr(x[keep], z[keep]); add("spearman_x_z", r, p, int(keep.sum()))
# Partial correlation of x and y controlling for w: residuals of OLS with an intercept, then
# Pearson's r, with n - 2 - k degrees of freedom (pingouin's partial_corr).
design = np.column_stack([np.ones(n), w])
rx = x - design @ np.linalg.lstsq(design, x, rcond=None)[0]
ry = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
r = np.corrcoef(rx, ry)[0, 1]
dof = n - 2 - 1
t = r * np.sqrt(dof / (1 - r * r))
add("partial_x_y_given_w", r, 2 * stats.t.sf(abs(t), dof), n)
with open(out / "expected.tsv", "w") as f:
    f.write("test\tr\tpvalue\tn\n")
    for row in rows:
        f.write("\t".join(row) + "\n")
p = np.array([0.01, 0.04, 0.03, 0.2, np.nan, 0.5, 0.001])
from scipy.stats import false_discovery_control
valid = ~np.isnan(p)
q = np.full_like(p, np.nan)
q[valid] = false_discovery_control(p[valid], method="bh")
with open(out / "bh.tsv", "w") as f:
    f.write("p\tq\n")
    for a, b in zip(p, q):
        f.write(f"{a!r}\t{b!r}\n")
