"""Writes scikit-learn models as MLflow's Python client logs them, with scikit-learn's answers.

Usage: /usr/bin/python3 make_models.py OUTDIR

For each model, OUTDIR/NAME/ holds model.pkl and an MLmodel file laid out as
mlflow.sklearn.save_model writes them (MLflow 2.22: Model.to_dict() dumped by
yaml.safe_dump(default_flow_style=False), with the sklearn flavor, the python_function flavor
with loader_module mlflow.sklearn, the signature as JSON strings, mlflow_version, model_uuid and
utc_time_created), and OUTDIR/NAME.json holds held-out input rows (as columns) and scikit-learn's
own predictions for them. The models are trained with fixed seeds on scikit-learn's bundled data
(load_diabetes, load_iris), so nothing is downloaded. scikit-learn pickles are bound to the
version that wrote them: the tests run this script each time instead of committing pickles.
"""
import datetime
import json
import os
import pickle
import sys
import uuid

import numpy as np
import sklearn
import yaml
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

try:
    import cloudpickle
except ImportError:
    sys.exit("make_models.py: cloudpickle is missing (MLflow's default serialization_format): "
             "apt-get install python3-cloudpickle (scripts/ensure-deps.sh does)")

MLFLOW_VERSION = "2.22.0"


def colspec(names):
    return json.dumps([{"type": "double", "name": n, "required": True} for n in names])


def tensor(dtype):
    return json.dumps([{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": [-1]}}])


def save(out, name, est, names, fmt, outputs, x_test):
    path = os.path.join(out, name)
    os.makedirs(path)
    pkl = os.path.join(path, "model.pkl")
    with open(pkl, "wb") as f:
        (cloudpickle if fmt == "cloudpickle" else pickle).dump(est, f)
    run_id = uuid.uuid4().hex
    mlmodel = {
        "artifact_path": "model",
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "mlflow.sklearn",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": "%d.%d.%d" % sys.version_info[:3],
            },
            "sklearn": {
                "code": None,
                "pickled_model": "model.pkl",
                "serialization_format": fmt,
                "sklearn_version": sklearn.__version__,
            },
        },
        "mlflow_version": MLFLOW_VERSION,
        "model_size_bytes": os.path.getsize(pkl),
        "model_uuid": uuid.uuid4().hex,
        "prompts": None,
        "run_id": run_id,
        "signature": {"inputs": colspec(names), "outputs": outputs, "params": None},
        "utc_time_created": str(datetime.datetime.utcnow()),
    }
    with open(os.path.join(path, "MLmodel"), "w") as f:
        yaml.safe_dump(mlmodel, stream=f, default_flow_style=False)
    with open(os.path.join(path, "requirements.txt"), "w") as f:
        f.write("mlflow==%s\nscikit-learn==%s\n" % (MLFLOW_VERSION, sklearn.__version__))
        if fmt == "cloudpickle":
            f.write("cloudpickle==%s\n" % cloudpickle.__version__)
    want = {"columns": names, "data": [x_test[:, j].tolist() for j in range(x_test.shape[1])]}
    y = est.predict(x_test)
    if hasattr(est, "classes_"):
        want["labels"] = [str(v.item() if isinstance(v, np.generic) else v) for v in y]
        want["classes"] = [str(c.item() if isinstance(c, np.generic) else c) for c in est.classes_]
        want["probabilities"] = est.predict_proba(x_test).tolist()
    else:
        want["values"] = y.tolist()
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(want, f)


def save_slow(out):
    """A sklearn-flavor model whose class lives in a code path (testdata/code/slowmodel.py)."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "code"))
    import slowmodel
    path = os.path.join(out, "slow")
    os.makedirs(os.path.join(path, "code"))
    with open(os.path.join(here, "code", "slowmodel.py")) as src, open(os.path.join(path, "code", "slowmodel.py"), "w") as dst:
        dst.write(src.read())
    with open(os.path.join(path, "model.pkl"), "wb") as f:
        pickle.dump(slowmodel.Slow(), f)
    mlmodel = {
        "flavors": {
            "python_function": {"code": "code", "loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                "predict_fn": "predict", "python_version": "%d.%d.%d" % sys.version_info[:3]},
            "sklearn": {"code": "code", "pickled_model": "model.pkl", "serialization_format": "pickle",
                        "sklearn_version": sklearn.__version__},
        },
        "mlflow_version": MLFLOW_VERSION,
        "model_uuid": uuid.uuid4().hex,
        "utc_time_created": str(datetime.datetime.utcnow()),
    }
    with open(os.path.join(path, "MLmodel"), "w") as f:
        yaml.safe_dump(mlmodel, stream=f, default_flow_style=False)


def main():
    sys.dont_write_bytecode = True  # keep testdata/code free of __pycache__
    out = sys.argv[1]
    save_slow(out)
    d = load_diabetes()
    x, y = d.data, d.target
    save(out, "diabetes_linear", LinearRegression().fit(x[:400], y[:400]), list(d.feature_names), "pickle",
         tensor("float64"), x[400:])
    save(out, "diabetes_ridge", Ridge(alpha=0.5).fit(x[:400], y[:400]), list(d.feature_names), "cloudpickle",
         tensor("float64"), x[400:])
    iris = load_iris()
    test = np.arange(len(iris.target)) % 5 == 0
    xi, yi = iris.data, iris.target
    save(out, "iris_logreg", LogisticRegression(max_iter=1000, random_state=0).fit(xi[~test], yi[~test]),
         list(iris.feature_names), "cloudpickle", tensor("int64"), xi[test])
    names = iris.target_names[yi]  # string classes
    save(out, "iris_forest", RandomForestClassifier(n_estimators=50, random_state=0).fit(xi[~test], names[~test]),
         list(iris.feature_names), "cloudpickle", json.dumps([{"type": "string", "required": True}]), xi[test])


if __name__ == "__main__":
    main()
