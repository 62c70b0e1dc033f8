#!/usr/bin/python3
"""Writes serve/flavor's XGBoost fixtures with real XGBoost (Debian's python3-xgboost 1.7.4).

Run from this folder with Debian's interpreter (the pyenv python3 on PATH lacks xgboost):

    /usr/bin/python3 make_fixtures.py

It trains small seeded models on seeded data with missing values (regression, binary,
multi-class; with xgb.train, as Booster objects) and saves each in XGBoost's JSON
(xgboost/NAME.json), UBJSON (xgboost/NAME.ubj) and legacy binary (xgboost/NAME.model, what
mlflow.xgboost's default model.xgb is under XGBoost < 2.1) formats, then writes xgboost/cases.json: the test rows (null = missing) and XGBoost's own
predictions for each model. It also writes mlflow-xgboost/, an MLflow model directory as
mlflow.xgboost.save_model(booster, path, signature=..., model_format="json") writes it
(MLmodel with the xgboost and python_function flavors and a column signature; model.json;
requirements.txt), without needing mlflow installed.
The output is deterministic: rerunning it rewrites the same files (but for the MLmodel's
utc_time_created, fixed here too).
"""
import json
import os

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "xgboost")
os.makedirs(OUT, exist_ok=True)

rng = np.random.default_rng(20261202)
names = ["x0", "x1", "x2", "x3"]


def data(n):
    X = rng.normal(size=(n, len(names)))
    X[:, 3] = rng.integers(0, 5, size=n)  # a small integer feature
    mask = rng.random(size=X.shape) < 0.1  # 10% missing values
    X[mask] = np.nan
    return X


X = data(300)
Xt = data(40)
Xt[0, :] = np.nan  # a row with every value missing


def target(X):
    Z = np.nan_to_num(X, nan=0.0)
    return 2.0 * Z[:, 0] - 1.5 * Z[:, 1] * Z[:, 2] + 0.5 * Z[:, 3]


yr = target(X) + rng.normal(scale=0.1, size=len(X))
yb = (yr > 0).astype(float)
ym = np.digitize(yr, [-1.0, 1.0]).astype(float)  # 3 classes

params = {"max_depth": 3, "eta": 0.3, "seed": 1, "nthread": 1, "tree_method": "exact"}
models = {
    "regression": xgb.train({**params, "objective": "reg:squarederror"},
                            xgb.DMatrix(X, label=yr, feature_names=names), num_boost_round=12),
    "binary": xgb.train({**params, "objective": "binary:logistic"},
                        xgb.DMatrix(X, label=yb, feature_names=names), num_boost_round=10),
    "multiclass": xgb.train({**params, "objective": "multi:softprob", "num_class": 3},
                            xgb.DMatrix(X, label=ym, feature_names=names), num_boost_round=8),
}

cases = {"xgboost_version": xgb.__version__, "columns": names,
         "data": [[None if np.isnan(v) else float(v) for v in row] for row in Xt],
         "predictions": {}}
dt = xgb.DMatrix(Xt, feature_names=names)
for name, b in models.items():
    b.save_model(os.path.join(OUT, name + ".json"))
    b.save_model(os.path.join(OUT, name + ".ubj"))
    b.save_model(os.path.join(OUT, name + ".model"))  # the legacy binary format in XGBoost 1.x
    p = b.predict(dt)
    cases["predictions"][name] = p.astype(float).tolist()
with open(os.path.join(OUT, "cases.json"), "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")

# An MLflow model directory, as mlflow.xgboost.save_model(booster, path, signature=...,
# model_format="json") writes it (mlflow/xgboost/__init__.py: model.<model_format>; the
# default "xgb" is the legacy binary format under XGBoost < 2.1 and UBJSON after; the xgboost flavor
# with data, model_class, model_format, xgb_version; python_function with loader_module
# mlflow.xgboost; the signature's inputs as a JSON string of column specs).
ml = os.path.join(HERE, "mlflow-xgboost")
os.makedirs(ml, exist_ok=True)
models["binary"].save_model(os.path.join(ml, "model.json"))
inputs = json.dumps([{"type": "double", "name": n, "required": True} for n in names])
outputs = json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1]}}])
mlmodel = f"""artifact_path: model
flavors:
  python_function:
    data: model.json
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.xgboost
    python_version: 3.11.2
  xgboost:
    code: null
    data: model.json
    model_class: xgboost.core.Booster
    model_format: json
    xgb_version: {xgb.__version__}
mlflow_version: 2.9.2
model_size_bytes: {os.path.getsize(os.path.join(ml, "model.json"))}
model_uuid: 5d1c0e7a4b7f4f0c9a8e2b6d3c1f0a9e
run_id: 0f3c9a6e1b2d4c5e8f7a6b5c4d3e2f1a
signature:
  inputs: '{inputs}'
  outputs: '{outputs}'
  params: null
utc_time_created: '2026-12-02 05:00:00.000000'
"""
with open(os.path.join(ml, "MLmodel"), "w") as f:
    f.write(mlmodel)
with open(os.path.join(ml, "requirements.txt"), "w") as f:
    f.write(f"mlflow==2.9.2\nxgboost=={xgb.__version__}\n")
