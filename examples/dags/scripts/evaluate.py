"""Scores the model on the test split: RMSE and R²."""
import csv, json, math, os

model = json.loads(os.environ["MODEL"])
rows = [[float(v) for v in r] for r in list(csv.reader(open(os.environ["TEST_PATH"])))[1:]]
pred = [model["intercept"] + model["coef"][0] * r[0] + model["coef"][1] * r[1] for r in rows]
y = [r[2] for r in rows]
mean = sum(y) / len(y)
ss_res = sum((a - b) ** 2 for a, b in zip(y, pred))
ss_tot = sum((a - mean) ** 2 for a in y)
r2 = 1 - ss_res / ss_tot
rmse = math.sqrt(ss_res / len(y))
print(f"test rows {len(y)}: RMSE {rmse:.4f}, R² {r2:.4f}")
json.dump({"rmse": rmse, "r2": r2, "rows": len(y)}, open(os.environ["WEIR_OUTPUT"], "w"))
