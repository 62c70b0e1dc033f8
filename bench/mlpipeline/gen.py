#!/usr/bin/env python3
"""Writes the benchmark's classification data set: 100,000 rows, 20 features (scikit-learn's
make_classification, seed 0), as CSV. Run with Debian's python3-sklearn:
    /usr/bin/python3 bench/mlpipeline/gen.py /tmp/weir-mlbench/clf.csv
"""
import csv
import os
import sys

from sklearn.datasets import make_classification

out = sys.argv[1]
os.makedirs(os.path.dirname(out), exist_ok=True)
x, y = make_classification(n_samples=100_000, n_features=20, n_informative=8, n_redundant=4,
                           n_classes=2, class_sep=0.8, random_state=0)
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow([f"x{i}" for i in range(x.shape[1])] + ["label"])
    for row, label in zip(x, y):
        w.writerow([f"{v:.6f}" for v in row] + [int(label)])
