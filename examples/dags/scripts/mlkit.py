"""A tiny standard-library ML kit for the example DAGs: data generation, ridge regression
and scoring. Usage: mlkit.py gen|train|score [--options]; results go to $WEIR_OUTPUT."""
import argparse, csv, json, math, os, random, sys


def write_output(obj):
    with open(os.environ["WEIR_OUTPUT"], "w") as f:
        json.dump(obj, f)


def read_rows(path):
    rows = list(csv.reader(open(path)))[1:]
    return [[float(v) for v in r] for r in rows]


def gen(a):
    """Seeded data y = 3*x1 - 2*x2 + 0.5*x3 + 1 + noise, split 70/30 into train and valid."""
    rng = random.Random(a.seed)
    os.makedirs(a.dir, exist_ok=True)
    rows = []
    for _ in range(a.rows):
        x = [rng.uniform(-3, 3) for _ in range(3)]
        rows.append(x + [3 * x[0] - 2 * x[1] + 0.5 * x[2] + 1 + rng.gauss(0, a.noise)])
    cut = int(len(rows) * 0.7)
    out = {}
    for name, part in (("train", rows[:cut]), ("valid", rows[cut:])):
        out[name] = os.path.join(a.dir, name + ".csv")
        with open(out[name], "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["x1", "x2", "x3", "y"])
            w.writerows(part)
    print(f"generated {len(rows)} rows in {a.dir}")
    write_output(out)


def solve(A, b):
    n = len(b)
    A = [row[:] for row in A]
    b = b[:]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(A[r][c]))
        A[c], A[p], b[c], b[p] = A[p], A[c], b[p], b[c]
        for r in range(c + 1, n):
            f = A[r][c] / A[c][c]
            A[r] = [x - f * y for x, y in zip(A[r], A[c])]
            b[r] -= f * b[c]
    x = [0.0] * n
    for r in reversed(range(n)):
        x[r] = (b[r] - sum(A[r][k] * x[k] for k in range(r + 1, n))) / A[r][r]
    return x


def train(a):
    """Ridge regression (intercept not penalised), by the normal equations."""
    rows = read_rows(a.train)
    X = [[1.0] + r[:-1] for r in rows]
    y = [r[-1] for r in rows]
    p = len(X[0])
    A = [[sum(x[i] * x[j] for x in X) + (a.alpha if i == j and i > 0 else 0.0) for j in range(p)] for i in range(p)]
    b = [sum(x[i] * t for x, t in zip(X, y)) for i in range(p)]
    coef = solve(A, b)
    print(f"alpha={a.alpha}: coefficients {[round(c, 4) for c in coef]}")
    write_output({"alpha": a.alpha, "coef": coef})


def score(a):
    """R² and RMSE of a model on a data set."""
    model = json.loads(a.model)
    rows = read_rows(a.data)
    pred = [model["coef"][0] + sum(c * v for c, v in zip(model["coef"][1:], r[:-1])) for r in rows]
    y = [r[-1] for r in rows]
    mean = sum(y) / len(y)
    ss_res = sum((t - p) ** 2 for t, p in zip(y, pred))
    ss_tot = sum((t - mean) ** 2 for t in y)
    r2 = 1 - ss_res / ss_tot
    print(f"alpha={model['alpha']}: R² {r2:.4f} on {len(y)} rows")
    write_output({"alpha": model["alpha"], "r2": r2, "rmse": math.sqrt(ss_res / len(y))})


p = argparse.ArgumentParser()
sub = p.add_subparsers(dest="cmd", required=True)
g = sub.add_parser("gen")
g.add_argument("--dir", required=True)
g.add_argument("--rows", type=int, default=1000)
g.add_argument("--noise", type=float, default=1.0)
g.add_argument("--seed", type=int, default=7)
t = sub.add_parser("train")
t.add_argument("--train", required=True)
t.add_argument("--alpha", type=float, required=True)
s = sub.add_parser("score")
s.add_argument("--model", required=True)
s.add_argument("--data", required=True)
a = p.parse_args()
{"gen": gen, "train": train, "score": score}[a.cmd](a)
