"""Standard-scales the features; saves the scaler with the data so serving applies it too."""
import csv, json, os, statistics, sys

src = sys.argv[1]
rows = list(csv.DictReader(open(src)))
scaler = {}
for col in ("x1", "x2"):
    vals = [float(r[col]) for r in rows]
    scaler[col] = {"mean": statistics.fmean(vals), "std": statistics.pstdev(vals) or 1.0}
out = os.path.join(os.path.dirname(src), "scaled.csv")
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x1", "x2", "y"])
    for r in rows:
        w.writerow([(float(r[c]) - scaler[c]["mean"]) / scaler[c]["std"] for c in ("x1", "x2")] + [r["y"]])
print(f"scaled {len(rows)} rows: {scaler}")
json.dump({"path": out, "scaler": scaler}, open(os.environ["WEIR_OUTPUT"], "w"))
