"""Writes a seeded synthetic regression data set: y = 3*x1 - 2*x2 + 1 + noise."""
import argparse, csv, json, os, random, tempfile

p = argparse.ArgumentParser()
p.add_argument("--rows", type=int, required=True)
p.add_argument("--noise", type=float, required=True)
p.add_argument("--seed", type=int, required=True)
a = p.parse_args()

rng = random.Random(a.seed)
work = tempfile.mkdtemp(prefix="weir-example-")
path = os.path.join(work, "raw.csv")
with open(path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x1", "x2", "y"])
    for _ in range(a.rows):
        x1, x2 = rng.uniform(-5, 5), rng.uniform(0, 10)
        w.writerow([x1, x2, 3 * x1 - 2 * x2 + 1 + rng.gauss(0, a.noise)])
print(f"wrote {a.rows} rows to {path}")
json.dump({"path": path, "dir": work, "rows": a.rows}, open(os.environ["WEIR_OUTPUT"], "w"))
