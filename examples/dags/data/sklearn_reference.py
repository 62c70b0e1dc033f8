#!/usr/bin/env python3
"""scikit-learn's answers for the possum pipeline (examples/dags/possum.yaml), on the train
and test sets the DAG wrote, so a test can compare weir's built-in steps with them.

    /usr/bin/python3 sklearn_reference.py TRAIN.csv TEST.csv CONFIG.json > reference.json

CONFIG holds what the DAG says: {"target": "taill", "numeric": [...], "categorical": [...],
"impute": [...], "estimator": "ridge", "grid": {"alpha": [...]}, "cv": 5}. The pipeline is
SimpleImputer(mean) on the imputed columns, StandardScaler on the numeric ones, OneHotEncoder
on the categorical ones, then the estimator; the grid search uses KFold(cv) without
shuffling and r2, as GridSearchCV does by default for regressors.
"""
import json
import sys

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def read_csv(path):
    import csv
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return rows


def column(rows, name, numeric=True):
    if numeric:
        return np.array([float(r[name]) if r[name] not in ("", "NA", "null") else np.nan for r in rows])
    return np.array([r[name] for r in rows], dtype=object)


def main():
    train_rows, test_rows, cfg = read_csv(sys.argv[1]), read_csv(sys.argv[2]), json.load(open(sys.argv[3]))
    numeric, categorical = cfg["numeric"], cfg.get("categorical", [])
    impute = set(cfg.get("impute", []))

    def matrix(rows):
        cols = [column(rows, c) for c in numeric] + [column(rows, c, False) for c in categorical]
        return np.array(cols, dtype=object).T

    x_train, y_train = matrix(train_rows), column(train_rows, cfg["target"])
    x_test, y_test = matrix(test_rows), column(test_rows, cfg["target"])
    num_idx = list(range(len(numeric)))
    cat_idx = list(range(len(numeric), len(numeric) + len(categorical)))
    num_steps = []
    if impute:
        num_steps.append(("impute", SimpleImputer(strategy="mean")))
    num_steps.append(("scale", StandardScaler()))
    pre = ColumnTransformer([
        ("num", Pipeline(num_steps), num_idx),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat_idx),
    ])
    est = {"ridge": Ridge(), "lasso": Lasso(), "linear_regression": LinearRegression()}[cfg["estimator"]]
    pipe = Pipeline([("pre", pre), ("model", est)])
    grid = {"model__" + k: v for k, v in cfg.get("grid", {}).items()}
    search = GridSearchCV(pipe, grid, cv=KFold(cfg.get("cv", 5)), scoring="r2")
    search.fit(x_train, y_train.astype(float))
    pred = search.best_estimator_.predict(x_test)
    out = {
        "candidates": [
            {"params": {k.removeprefix("model__"): v for k, v in p.items()},
             "mean_score": float(m), "std_score": float(s)}
            for p, m, s in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"],
                               search.cv_results_["std_test_score"])
        ],
        "best_params": {k.removeprefix("model__"): v for k, v in search.best_params_.items()},
        "best_score": float(search.best_score_),
        "test": {
            "r2": float(r2_score(y_test, pred)),
            "rmse": float(np.sqrt(mean_squared_error(y_test, pred))),
            "mae": float(mean_absolute_error(y_test, pred)),
        },
    }
    json.dump(out, sys.stdout, indent=2)


if __name__ == "__main__":
    main()
