"""Fits ordinary least squares y ~ x1 + x2 by solving the normal equations (3x3)."""
import csv, json, os

rows = [[float(v) for v in r] for r in list(csv.reader(open(os.environ["TRAIN_PATH"])))[1:]]
X = [[1.0, r[0], r[1]] for r in rows]
y = [r[2] for r in rows]
n = 3
A = [[sum(x[i] * x[j] for x in X) for j in range(n)] for i in range(n)]
b = [sum(x[i] * t for x, t in zip(X, y)) for i in range(n)]
# Gaussian elimination with partial pivoting.
for c in range(n):
    p = max(range(c, n), key=lambda r: abs(A[r][c]))
    A[c], A[p], b[c], b[p] = A[p], A[c], b[p], b[c]
    for r in range(c + 1, n):
        f = A[r][c] / A[c][c]
        A[r] = [a - f * ac for a, ac in zip(A[r], A[c])]
        b[r] -= f * b[c]
coef = [0.0] * n
for r in reversed(range(n)):
    coef[r] = (b[r] - sum(A[r][k] * coef[k] for k in range(r + 1, n))) / A[r][r]
print(f"trained on {len(rows)} rows: intercept {coef[0]:.4f}, coefficients {coef[1]:.4f}, {coef[2]:.4f}")
json.dump({"intercept": coef[0], "coef": coef[1:]}, open(os.environ["WEIR_OUTPUT"], "w"))
