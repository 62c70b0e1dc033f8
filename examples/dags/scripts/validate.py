"""Checks the raw data: no missing or non-finite values, at least 10 rows."""
import csv, json, math, os, sys

rows = list(csv.DictReader(open(sys.argv[1])))
bad = [i for i, r in enumerate(rows) if any(v == "" or not math.isfinite(float(v)) for v in r.values())]
if len(rows) < 10 or bad:
    print(f"data check failed: {len(rows)} rows, {len(bad)} bad rows (first: {bad[:5]})", file=sys.stderr)
    sys.exit(1)
print(f"data check passed: {len(rows)} rows")
json.dump({"rows": len(rows), "bad_rows": 0}, open(os.environ["WEIR_OUTPUT"], "w"))
