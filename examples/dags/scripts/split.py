"""Seeded 80/20 train/test split."""
import argparse, csv, json, os, random

p = argparse.ArgumentParser()
p.add_argument("path")
p.add_argument("--seed", type=int, required=True)
a = p.parse_args()
rows = list(csv.reader(open(a.path)))
header, body = rows[0], rows[1:]
random.Random(a.seed).shuffle(body)
cut = int(len(body) * 0.8)
d = os.path.dirname(a.path)
paths = {}
for name, part in (("train", body[:cut]), ("test", body[cut:])):
    paths[name] = os.path.join(d, name + ".csv")
    with open(paths[name], "w", newline="") as f:
        csv.writer(f).writerows([header] + part)
print(f"train {cut} rows, test {len(body) - cut} rows")
json.dump(paths, open(os.environ["WEIR_OUTPUT"], "w"))
