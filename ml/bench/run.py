#!/usr/bin/python3
"""Benchmark weir's ML models side by side with scikit-learn.

    /usr/bin/python3 ml/bench/run.py [--dir /tmp/weir-bench] [--models ols,logistic,gbt,rf,kmeans,csv]

Writes the data sets once (seeded, as little-endian float64 files), then
for each model runs scikit-learn and weir (go build ./ml/bench) in separate
processes, so each peak-memory figure (VmHWM / ru_maxrss, which include the
loaded data) belongs to one fit. Prints a Markdown table for
ml/BENCHMARKS.md. Needs Debian's python3-sklearn and a Go toolchain.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

SETS = {
    # name: (rows, cols, kind)
    "reg": (1_000_000, 20, "regression"),
    "clf50": (100_000, 50, "classification"),
    "clf20": (100_000, 20, "classification"),
    "blobs": (1_000_000, 10, "blobs"),
}
MODEL_SET = {"ols": "reg", "logistic": "clf50", "gbt": "clf20", "rf": "clf20", "kmeans": "blobs"}
DESCRIPTION = {
    "ols": "OLS, 1,000,000 × 20",
    "logistic": "logistic regression (lbfgs, L2, C=1), 100,000 × 50",
    "gbt": "gradient-boosted trees (100 trees, depth 6), 100,000 × 20",
    "rf": "random forest (100 trees), 100,000 × 20",
    "kmeans": "k-means (k=8, k-means++, 10 inits), 1,000,000 × 10",
    "csv": "read CSV into typed columns",
}
SKLEARN = {
    "ols": "LinearRegression()",
    "logistic": "LogisticRegression() (lbfgs)",
    "gbt": "HistGradientBoostingClassifier(max_iter=100, max_depth=6, max_leaf_nodes=None, early_stopping=False)",
    "rf": "RandomForestClassifier(n_estimators=100, n_jobs=2)",
    "kmeans": "KMeans(n_clusters=8, n_init=10) (OpenMP, both cores)",
}


def write(path, a):
    a = np.ascontiguousarray(a, dtype="<f8")
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    with open(path, "wb") as f:
        np.array(a.shape, dtype="<i8").tofile(f)
        a.tofile(f)


def read(path):
    with open(path, "rb") as f:
        shape = np.fromfile(f, dtype="<i8", count=2)
        return np.fromfile(f, dtype="<f8").reshape(shape)


def make_data(d):
    from sklearn import datasets
    os.makedirs(d, exist_ok=True)
    for name, (n, p, kind) in SETS.items():
        if os.path.exists(os.path.join(d, name + "_y.bin")):
            continue
        if kind == "regression":
            X, y = datasets.make_regression(n_samples=n, n_features=p, n_informative=15, noise=10.0, random_state=1)
        elif kind == "classification":
            X, y = datasets.make_classification(n_samples=n, n_features=p, n_informative=p // 2, n_redundant=p // 5,
                                                random_state=2, flip_y=0.02)
        else:
            X, y = datasets.make_blobs(n_samples=n, n_features=p, centers=8, cluster_std=2.0, random_state=3)
        write(os.path.join(d, name + "_X.bin"), X)
        write(os.path.join(d, name + "_y.bin"), y.astype(float))
    csv = os.path.join(d, "big.csv")
    if not os.path.exists(csv):
        # About 1 GB: the 1,000,000 rows below, written 8 times.
        X = read(os.path.join(d, "reg_X.bin"))[:, :10]
        rng = np.random.RandomState(4)
        cats = np.array(["red", "green", "blue", "amber"])[rng.randint(0, 4, len(X))]
        body = []
        for i in range(0, len(X), 100_000):
            chunk = X[i:i + 100_000]
            body.append("\n".join(",".join("%.9g" % v for v in row) + ",%d,%s" % (i + k, cats[i + k])
                                  for k, row in enumerate(chunk)) + "\n")
        body = "".join(body)
        with open(csv, "w") as f:
            f.write(",".join("x%d" % i for i in range(10)) + ",id,color\n")
            for _ in range(8):
                f.write(body)


def cpu():
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def sklearn_one(model, d):
    """Runs in a child process: fit and predict one scikit-learn model."""
    import resource
    from sklearn import metrics
    X = read(os.path.join(d, MODEL_SET[model] + "_X.bin"))
    y = read(os.path.join(d, MODEL_SET[model] + "_y.bin")).ravel()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if model == "ols":
        from sklearn.linear_model import LinearRegression
        m, score = LinearRegression(), lambda p: metrics.r2_score(y, p)
    elif model == "logistic":
        from sklearn.linear_model import LogisticRegression
        m, score = LogisticRegression(), lambda p: metrics.accuracy_score(y, p)
    elif model == "gbt":
        from sklearn.ensemble import HistGradientBoostingClassifier
        m = HistGradientBoostingClassifier(max_iter=100, max_depth=6, max_leaf_nodes=None, early_stopping=False, random_state=0)
        score = lambda p: metrics.accuracy_score(y, p)
    elif model == "rf":
        from sklearn.ensemble import RandomForestClassifier
        m, score = RandomForestClassifier(n_estimators=100, n_jobs=2, random_state=0), lambda p: metrics.accuracy_score(y, p)
    elif model == "kmeans":
        from sklearn.cluster import KMeans
        m = KMeans(n_clusters=8, n_init=10, random_state=0)
        score = None
    t, c = time.perf_counter(), cpu()
    if model == "kmeans":
        m.fit(X)
    else:
        m.fit(X, y)
    fit, fit_cpu = time.perf_counter() - t, cpu() - c
    t = time.perf_counter()
    p = m.predict(X)
    pred = time.perf_counter() - t
    s = m.inertia_ if model == "kmeans" else score(p)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(impl="sklearn", model=model, rows=X.shape[0], cols=X.shape[1], fit_s=fit, fit_cpu_s=fit_cpu, predict_s=pred,
                          predict_rows_per_s=X.shape[0] / pred, base_rss_mib=base, peak_rss_mib=peak, score=float(s))))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(cmd, repeat):
    """Runs cmd repeat times; keeps the fastest fit and the fastest predict
    (the machine is shared, so the minimum is the least disturbed run)."""
    runs = [run(cmd) for _ in range(repeat)]
    r = min(runs, key=lambda x: x["fit_s"])
    p = min(runs, key=lambda x: x["predict_s"] or 1e9)
    r["predict_s"], r["predict_rows_per_s"] = p["predict_s"], p["predict_rows_per_s"]
    r["peak_rss_mib"] = max(x["peak_rss_mib"] for x in runs)
    r["fit_s_all"] = [round(x["fit_s"], 3) for x in runs]
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp/weir-bench")
    ap.add_argument("--models", default="ols,logistic,gbt,rf,kmeans,csv")
    ap.add_argument("--repeat", type=int, default=3, help="runs per model and implementation; the fastest counts")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        sklearn_one(a.child, a.dir)
        return
    make_data(a.dir)
    binary = os.path.join(a.dir, "weirbench")
    subprocess.run(["go", "build", "-o", binary, "./ml/bench"], check=True, cwd=ROOT)
    import sklearn
    rows = []
    for model in a.models.split(","):
        w = best([binary, "-model", model, "-dir", a.dir], a.repeat)
        s = None if model == "csv" else best([sys.executable, __file__, "--dir", a.dir, "--child", model], a.repeat)
        rows.append((model, w, s))
        print(json.dumps(w), file=sys.stderr)
        if s:
            print(json.dumps(s), file=sys.stderr)
    print("Machine: %s, %d cores; Go %s; scikit-learn %s, NumPy %s; %s" % (
        platform.processor() or platform.machine(), os.cpu_count(),
        subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True).stdout.strip(),
        sklearn.__version__, np.__version__, time.strftime("%Y-%m-%d")))
    print()
    print("| model | weir fit s | sklearn fit s | fit ratio | weir fit CPU s | sklearn fit CPU s | weir predict rows/s | sklearn predict rows/s | predict ratio | weir peak MiB | sklearn peak MiB | weir score | sklearn score |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, w, s in rows:
        if s is None:
            print("| %s (%.0f MiB file, %d rows) | %.2f | – | – | – | – | – | – | – | %.0f (base %.0f) | – | – | – |" % (
                DESCRIPTION[model], w["score"], w["rows"], w["fit_s"], w["peak_rss_mib"], w["base_rss_mib"]))
            continue
        print("| %s | %.3f | %.3f | **%.2f** | %.2f | %.2f | %.3g | %.3g | **%.2f** | %.0f | %.0f | %.4g | %.4g |" % (
            DESCRIPTION[model], w["fit_s"], s["fit_s"], w["fit_s"] / s["fit_s"], w["fit_cpu_s"], s["fit_cpu_s"],
            w["predict_rows_per_s"], s["predict_rows_per_s"], s["predict_rows_per_s"] / w["predict_rows_per_s"],
            w["peak_rss_mib"], s["peak_rss_mib"], w["score"], s["score"]))
    print()
    print("Ratios are weir time / scikit-learn time (≤ 1 means weir is as fast or faster); each figure is the")
    print("fastest of %d runs. Fit times of every run: %s" % (a.repeat, "; ".join(
        "%s weir %s sklearn %s" % (m, w.get("fit_s_all"), s.get("fit_s_all") if s else "-") for m, w, s in rows)))


if __name__ == "__main__":
    main()
