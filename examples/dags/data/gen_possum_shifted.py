#!/usr/bin/env python3
"""Writes possum_shifted.csv: possum.csv with drift injected, for drift_check.yaml.

Deterministic (no randomness): body measurements grow (totlngth ×1.10, hdlngth +4,
footlgth +5), so the numeric features drift by Kolmogorov–Smirnov; the categorical ones
(Pop, sex) and age keep their distributions.

    python3 examples/dags/data/gen_possum_shifted.py
"""
import csv
import os

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "possum.csv"), newline="") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    r["totlngth"] = f"{float(r['totlngth']) * 1.10:.1f}"
    r["hdlngth"] = f"{float(r['hdlngth']) + 4:.1f}"
    r["footlgth"] = f"{float(r['footlgth']) + 5:.1f}"
with open(os.path.join(here, "possum_shifted.csv"), "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
