#!/usr/bin/env python3
"""Writes possum.csv: a seeded synthetic stand-in for the possum data set (Lindenmayer et
al. 1995, distributed with R's DAAG package), with its columns and plausible ranges. It is
NOT the real data: the real set's licence travels with DAAG (GPL), so weir commits a
synthetic one. Tail length (taill, cm) depends linearly on total length, foot length,
population and sex, plus noise; a few values are missing, as in the original.

Run with Debian's python3 (numpy): /usr/bin/python3 gen_possum.py
"""
import csv
import os

import numpy as np

rng = np.random.default_rng(20261202)
n = 300
site = rng.integers(1, 8, n)
pop = np.where(site <= 2, "Vic", "other")
sex = rng.choice(["m", "f"], n, p=[0.58, 0.42])
age = rng.integers(1, 10, n).astype(float)
totlngth = rng.normal(87.1, 4.3, n)
hdlngth = 0.55 * totlngth + rng.normal(44.5, 2.0, n)
skullw = 0.28 * hdlngth + rng.normal(30.5, 1.8, n)
footlgth = rng.normal(68.4, 4.4, n) + np.where(pop == "Vic", 3.0, -2.5)
earconch = rng.normal(48.1, 4.1, n) + np.where(pop == "Vic", 3.5, -3.0)
eye = rng.normal(15.0, 1.05, n)
chest = 0.2 * totlngth + rng.normal(9.5, 1.6, n)
belly = 0.3 * totlngth + rng.normal(6.5, 2.4, n)
taill = (0.26 * totlngth + 0.08 * footlgth + np.where(pop == "Vic", -1.4, 0.6)
         + np.where(sex == "m", -0.3, 0.2) + rng.normal(8.6, 0.9, n))
age_missing = rng.random(n) < 0.02
rows = []
for i in range(n):
    rows.append({
        "case": i + 1, "site": int(site[i]), "Pop": pop[i], "sex": sex[i],
        "age": "" if age_missing[i] else f"{age[i]:.0f}",
        "hdlngth": f"{hdlngth[i]:.1f}", "skullw": f"{skullw[i]:.1f}",
        "totlngth": f"{totlngth[i]:.1f}", "taill": f"{taill[i]:.1f}",
        "footlgth": f"{footlgth[i]:.1f}", "earconch": f"{earconch[i]:.1f}",
        "eye": f"{eye[i]:.1f}", "chest": f"{chest[i]:.1f}", "belly": f"{belly[i]:.1f}",
    })
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "possum.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
