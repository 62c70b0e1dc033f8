#!/usr/bin/python3
"""Reference values for the model.search and model.select steps, from scikit-learn.

Run with Debian's python3 and python3-sklearn (1.2.x), from the repository root:

    /usr/bin/python3 steps/search/testdata/gen_reference.py

It writes steps/search/testdata/iris_shuffled.csv (iris, rows shuffled with a fixed seed,
so unshuffled k-fold is meaningful) and steps/search/testdata/reference.json: for each
grid search, every candidate's fold scores, their mean and (population) standard
deviation as cross_val_score gives them, and GridSearchCV's best params and score. Folds
are KFold(n_splits=5) without shuffling, which is what model.search does by default.
"""
import json
import os

import numpy as np
from sklearn.linear_model import Lasso, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, KFold, ParameterGrid, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "ml", "testdata", "data")


def search(name, est, grid, x, y, scoring, sign=1.0, prefix=""):
    """Every candidate's cross_val_score and GridSearchCV's best; params are written without
    the pipeline step's prefix ("ridge__alpha" as "alpha")."""
    cv = KFold(n_splits=5)
    cands = []
    for p in ParameterGrid(grid):
        s = sign * cross_val_score(est.set_params(**p), x, y, cv=cv, scoring=scoring)
        cands.append({"params": {k[len(prefix):]: v for k, v in p.items()}, "scores": s.tolist(),
                      "mean": float(s.mean()), "std": float(s.std())})
    gs = GridSearchCV(est, grid, cv=cv, scoring=scoring).fit(x, y)
    return {"name": name, "candidates": cands,
            "best_params": {k[len(prefix):]: v for k, v in gs.best_params_.items()},
            "best_score": float(sign * gs.best_score_)}


def read_csv(path):
    with open(path) as f:
        header = f.readline().strip()
    return header, np.loadtxt(path, delimiter=",", skiprows=1)


def main():
    out = {}
    _, d = read_csv(os.path.join(DATA, "diabetes.csv"))
    x, y = d[:, :-1], d[:, -1]
    out["ridge_r2"] = search("ridge", Ridge(), {"alpha": [0.01, 0.1, 1.0, 10.0]}, x, y, "r2")
    # Standardised inside the search: the scaler is refitted on each fold's training rows.
    out["scaled_ridge_r2"] = search("ridge", make_pipeline(StandardScaler(), Ridge()),
                                    {"ridge__alpha": [0.1, 1.0, 10.0, 100.0]}, x, y, "r2", prefix="ridge__")
    out["lasso_mse"] = search("lasso", Lasso(), {"alpha": [0.01, 0.1, 1.0]}, x, y,
                              "neg_mean_squared_error", sign=-1.0)

    header, iris = read_csv(os.path.join(DATA, "iris.csv"))
    iris = iris[np.random.RandomState(0).permutation(len(iris))]
    with open(os.path.join(HERE, "iris_shuffled.csv"), "w") as f:
        f.write(header + "\n")
        for row in iris:
            f.write(",".join(repr(float(v)) for v in row[:-1]) + ",%d\n" % int(row[-1]))
    x, y = iris[:, :-1], iris[:, -1].astype(int)
    out["logistic_accuracy"] = search("logistic_regression", LogisticRegression(max_iter=1000),
                                      {"C": [0.01, 0.1, 1.0, 10.0]}, x, y, "accuracy")
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
