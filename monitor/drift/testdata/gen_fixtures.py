#!/usr/bin/python3
"""Writes fixtures.json: drift statistics computed by SciPy on seeded samples.

Run with Debian's python3-scipy (apt-get install -y python3-scipy):

    /usr/bin/python3 monitor/drift/testdata/gen_fixtures.py > monitor/drift/testdata/fixtures.json

The binning, chi-squared expectation, Z-test and zero filling restate Evidently's
legacy stattests (evidently/legacy/calculations/stattests) with NumPy, so that the
fixtures do not need Evidently or pandas installed.
"""
import json
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance


def binned(ref, cur, numeric, fill):
    # Evidently's get_binned_data.
    if numeric and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        r = np.histogram(ref, bins)[0] / len(ref)
        c = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = sorted(set(ref.tolist()) | set(cur.tolist()))
        r = np.array([np.sum(ref == k) / len(ref) for k in keys])
        c = np.array([np.sum(cur == k) / len(cur) for k in keys])
    if fill:
        for p in (r, c):
            least = min(p[p != 0])
            np.place(p, p == 0, least / 10**6 if least <= 0.0001 else 0.0001)
    return r, c


def chi(ref, cur):
    keys = sorted(set(ref.tolist()) | set(cur.tolist()))
    k = len(cur) / len(ref)
    exp = [np.sum(ref == key) * k for key in keys]
    obs = [np.sum(cur == key) for key in keys]
    return float(stats.chisquare(obs, exp)[1])


def z(ref, cur):
    keys = sorted(set(ref.tolist()) | set(cur.tolist()))
    if len(set(ref.tolist())) == 1 and len(set(cur.tolist())) == 1 and ref[0] == cur[0]:
        return 1.0
    r = (ref != keys[0]).astype(float)
    c = (cur != keys[0]).astype(float)
    n1, n2 = len(r), len(c)
    p1, p2 = r.sum() / n1, c.sum() / n2
    P = (p1 * n1 + p2 * n2) / (n1 + n2)
    zs = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
    return float(2 * (1 - stats.norm.cdf(np.abs(zs))))


rng = np.random.default_rng(20261202)
cases = []


def add(name, test, ref, cur, score, numeric=True):
    cases.append({"name": name, "test": test, "numeric": numeric,
                  "ref": [float(v) for v in ref], "cur": [float(v) for v in cur], "score": float(score)})


# KS: equal and unequal sizes, ties, shifts; all exact (max n <= 10000) but one.
for name, n1, n2, shift, rnd in [
    ("ks equal n no shift", 200, 200, 0.0, None), ("ks equal n shift", 300, 300, 0.3, None),
    ("ks unequal", 1000, 750, 0.1, None), ("ks unequal coprime", 997, 1201, 0.05, None),
    ("ks ties", 800, 640, 0.2, 1), ("ks large current", 1000, 10000, 0.02, None),
    ("ks tiny", 7, 13, 1.0, None), ("ks far apart", 500, 400, 3.0, None),
]:
    ref = rng.normal(0, 1, n1)
    cur = rng.normal(shift, 1.2 if shift else 1, n2)
    if rnd is not None:
        ref, cur = np.round(ref, rnd), np.round(cur, rnd)
    add(name, "ks", ref, cur, stats.ks_2samp(ref, cur).pvalue)
# Asymptotic p-values (max n > 10000): kstwo.sf in its regions (Durbin matrix, Pelz–Good,
# 2·smirnov; n above and below 140). Values rounded to 4 decimals to keep the file small.
for name, n1, n2, shift in [("ks asymp same", 1000, 12000, 0.0), ("ks asymp mild", 1000, 12000, 0.04),
                            ("ks asymp strong", 1000, 11000, 0.2), ("ks asymp small ref", 100, 10500, 0.0),
                            ("ks asymp small ref shift", 100, 10500, 0.5), ("ks asymp tiny ref", 30, 10001, 0.3)]:
    ref = np.round(rng.normal(0, 1, n1), 4)
    cur = np.round(rng.normal(shift, 1, n2), 4)
    r = stats.ks_2samp(ref, cur)
    en = round(n1 * n2 / (n1 + n2))
    print(name, "en", en, "n*d^2", en * r.statistic**2, "p", r.pvalue, file=sys.stderr)
    add(name, "ks", ref, cur, r.pvalue)

# Wasserstein normalised by the reference's population standard deviation.
for name, n1, n2, shift, scale in [("wd small shift", 1000, 800, 0.05, 1), ("wd scale", 900, 1500, 0, 2),
                                   ("wd exponential", 600, 600, 0.5, 1)]:
    if name == "wd exponential":
        ref, cur = rng.exponential(1, n1), rng.exponential(1, n2) + shift
    else:
        ref, cur = rng.normal(10, 3, n1), rng.normal(10 + shift * 3, 3 * scale, n2)
    add(name, "wasserstein", ref, cur, stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001))

# Jensen–Shannon and PSI, numeric (Sturges bins) and by value.
for name, n1, n2, shift in [("numeric mild", 1000, 700, 0.1), ("numeric strong", 800, 1200, 1.0)]:
    ref, cur = rng.normal(0, 1, n1), rng.normal(shift, 1, n2)
    r, c = binned(ref, cur, True, False)
    add("js " + name, "jensenshannon", ref, cur, distance.jensenshannon(r, c))
    r, c = binned(ref, cur, True, True)
    add("psi " + name, "psi", ref, cur, np.sum((r - c) * np.log(r / c)))
# Few distinct numeric values (binned by value), with a value only in current.
ref = rng.integers(0, 8, 900).astype(float)
cur = rng.integers(0, 9, 1100).astype(float)
r, c = binned(ref, cur, True, False)
add("js by value", "jensenshannon", ref, cur, distance.jensenshannon(r, c))
r, c = binned(ref, cur, True, True)
add("psi by value", "psi", ref, cur, np.sum((r - c) * np.log(r / c)))

# Chi-squared (categorical, >2 categories) and Z (binary), categories as strings.
levels = np.array(["a", "b", "c", "d"])
for name, p1, p2, n1, n2 in [("chi same", [.4, .3, .2, .1], [.4, .3, .2, .1], 500, 600),
                             ("chi shifted", [.4, .3, .2, .1], [.25, .25, .25, .25], 1000, 400)]:
    ref, cur = rng.choice(levels, n1, p=p1), rng.choice(levels, n2, p=p2)
    cases.append({"name": name, "test": "chisquare", "numeric": False, "ref_labels": ref.tolist(),
                  "cur_labels": cur.tolist(), "score": chi(ref, cur)})
    r, c = binned(ref, cur, False, False)
    cases.append({"name": "js " + name, "test": "jensenshannon", "numeric": False, "ref_labels": ref.tolist(),
                  "cur_labels": cur.tolist(), "score": float(distance.jensenshannon(r, c))})
for name, p1, p2, n1, n2 in [("z same", .3, .3, 800, 900), ("z shifted", .3, .45, 1000, 500)]:
    ref = np.where(rng.random(n1) < p1, "yes", "no")
    cur = np.where(rng.random(n2) < p2, "yes", "no")
    cases.append({"name": name, "test": "z", "numeric": False, "ref_labels": ref.tolist(),
                  "cur_labels": cur.tolist(), "score": z(ref, cur)})

json.dump({"scipy": scipy.__version__, "numpy": np.__version__, "cases": cases}, sys.stdout)
