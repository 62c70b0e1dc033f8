#!/usr/bin/env python3
"""Trains scikit-learn's gradient boosting on the train set a built-in data.split wrote (CSV),
scores it on the test set, logs to the task's tracking run with MLflow's REST API, and writes
the metrics as the task's output. Run with Debian's python3-sklearn (/usr/bin/python3).

    sklearn_possum.py TRAIN_URI TEST_URI TARGET
"""
import csv
import json
import os
import sys

import numpy as np
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mlflow_lite  # noqa: E402  (the standard-library MLflow client of the examples)

FEATURES = ["totlngth", "footlgth", "hdlngth"]


def load(uri, target):
    path = uri[len("file://"):] if uri.startswith("file://") else uri
    with open(path) as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in FEATURES] for r in rows])
    y = np.array([float(r[target]) for r in rows])
    return x, y


def main():
    train_uri, test_uri, target = sys.argv[1], sys.argv[2], sys.argv[3]
    x_train, y_train = load(train_uri, target)
    x_test, y_test = load(test_uri, target)
    params = {"n_estimators": 200, "max_depth": 2, "learning_rate": 0.05, "random_state": 0}
    model = GradientBoostingRegressor(**params).fit(x_train, y_train)
    pred = model.predict(x_test)
    metrics = {
        "r2": float(r2_score(y_test, pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_test, pred))),
        "mae": float(mean_absolute_error(y_test, pred)),
    }
    if mlflow_lite.URI and mlflow_lite.RUN_ID:
        for k, v in params.items():
            mlflow_lite.log_param(k, v)
        for k, v in metrics.items():
            mlflow_lite.log_metric(k, v)
    print("scikit-learn GradientBoostingRegressor on", len(y_test), "test rows:", json.dumps(metrics))
    with open(os.environ["WEIR_OUTPUT"], "w") as f:
        json.dump({"estimator": "sklearn.GradientBoostingRegressor", "metrics": metrics}, f)


if __name__ == "__main__":
    main()
