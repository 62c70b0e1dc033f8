"""Computes the mean and range of one numeric column of a CSV file (the slow step to cache)."""
import csv, json, os, sys

path, column = sys.argv[1], sys.argv[2]
values = [float(r[column]) for r in csv.DictReader(open(path))]
print(f"profiled {len(values)} rows of {path}, column {column}")
json.dump({"column": column, "rows": len(values), "mean": round(sum(values) / len(values), 4),
           "min": min(values), "max": max(values)}, open(os.environ["WEIR_OUTPUT"], "w"))
