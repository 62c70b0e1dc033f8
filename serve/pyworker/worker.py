"""weir's Python model worker: loads MLflow sklearn / python_function models and predicts.

weir starts this script with the machine's interpreter (see the Go package serve/pyworker) and
talks to it over stdin/stdout, one JSON object per line each way; one request is answered
before the next is read. Anything the models print goes to stderr, which weir logs.

Requests:
  {"id": N, "op": "load", "model": ID, "spec": {...}}
  {"id": N, "op": "predict", "model": ID, "spec": {...}, "columns": [names], "data": [[column values], ...]}
  {"id": N, "op": "unload", "model": ID}
Answers:
  {"id": N, "ok": true, ...}
  {"id": N, "ok": false, "kind": "input" | "load" | "predict" | "protocol", "error": LAST LINE, "traceback": TEXT}
The first line the worker writes, before reading anything, is a hello:
  {"hello": true, "ok": true, "python": ..., "numpy": ..., "sklearn": ..., "pandas": bool, "cloudpickle": bool, "mlflow": bool}
or {"hello": true, "ok": false, "error": ...} when numpy or scikit-learn cannot be imported.
"""
import json
import math
import os
import sys
import traceback

# The protocol owns the original stdout; everything else printing to fd 1 lands on stderr.
_proto = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
os.dup2(2, 1)
sys.stdout = sys.stderr


def send(obj):
    _proto.write(json.dumps(obj, allow_nan=False, separators=(",", ":")))
    _proto.write("\n")
    _proto.flush()


def importable(name):
    try:
        __import__(name)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not usable"
        return False


try:
    import numpy as np
    import sklearn
except Exception as e:  # noqa: BLE001
    send({"hello": True, "ok": False, "error": "%s: %s" % (type(e).__name__, e), "python": sys.version.split()[0]})
    sys.exit(3)

try:
    import pandas as pd
except Exception:  # noqa: BLE001
    pd = None

send({
    "hello": True,
    "ok": True,
    "python": sys.version.split()[0],
    "executable": sys.executable,
    "numpy": np.__version__,
    "sklearn": sklearn.__version__,
    "pandas": pd is not None,
    "cloudpickle": importable("cloudpickle"),
    "mlflow": importable("mlflow"),
    "pid": os.getpid(),
})


class Failure(Exception):
    """An error with a kind the Go side maps to its own errors."""

    def __init__(self, kind, message):
        Exception.__init__(self, message)
        self.kind = kind


def unpickle(path, fmt):
    if fmt not in ("pickle", "cloudpickle", "", None):
        raise Failure("load", "serialization_format %r of %s is not pickle or cloudpickle" % (fmt, path))
    if fmt == "cloudpickle" and importable("cloudpickle"):
        import cloudpickle as loader
    else:
        import pickle as loader
    try:
        with open(path, "rb") as f:
            return loader.load(f)
    except ModuleNotFoundError as e:
        if e.name == "cloudpickle":
            raise Failure("load", "%s was written with cloudpickle, which %s cannot import: install it "
                          "(Debian: apt-get install python3-cloudpickle; pip: pip install cloudpickle)"
                          % (path, sys.executable))
        raise Failure("load", "%s needs the Python module %r, which %s cannot import: install it for that "
                      "interpreter" % (path, e.name, sys.executable))


def add_code_paths(root, code):
    for c in code or []:
        p = os.path.join(root, c)
        if os.path.isdir(p):
            # MLflow copies code paths into a directory; both it and its parent may hold modules.
            for q in (os.path.dirname(p), p):
                if q not in sys.path:
                    sys.path.insert(0, q)


class Loaded:
    def __init__(self, obj, pyfunc):
        self.obj = obj
        self.pyfunc = pyfunc
        classes = getattr(obj, "classes_", None) if not pyfunc else None
        self.classes = None
        if classes is not None:
            try:
                self.classes = [label(c) for c in list(classes)]
            except TypeError:  # classes_ of a multi-output model is a list of arrays
                self.classes = None
        self.proba = self.classes is not None and hasattr(obj, "predict_proba")
        self.task = "classification" if self.classes is not None else ""
        names = getattr(obj, "feature_names_in_", None)
        self.features = [str(n) for n in names] if names is not None else None
        self.n_features = getattr(obj, "n_features_in_", None)

    def info(self):
        return {"task": self.task, "classes": self.classes, "proba": self.proba,
                "features": self.features, "n_features": int(self.n_features) if self.n_features is not None else None,
                "pyfunc": self.pyfunc}


def label(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.generic):
        v = v.item()
    return str(v)


def load(spec):
    root = spec["dir"]
    flavor = spec.get("flavor")
    add_code_paths(root, spec.get("code"))
    if flavor == "sklearn":
        return Loaded(unpickle(os.path.join(root, spec.get("pickled_model") or "model.pkl"),
                               spec.get("serialization_format") or "pickle"), False)
    if flavor != "python_function":
        raise Failure("load", "flavor %r is not sklearn or python_function" % (flavor,))
    loader = spec.get("loader_module") or ""
    if loader == "mlflow.sklearn":
        data = spec.get("data") or spec.get("pickled_model") or "model.pkl"
        path = os.path.join(root, data)
        if os.path.isdir(path):  # an older layout: data is a directory holding model.pkl
            path = os.path.join(path, "model.pkl")
        return Loaded(unpickle(path, spec.get("serialization_format") or "pickle"), False)
    try:
        import mlflow.pyfunc
    except Exception as e:  # noqa: BLE001
        what = "loader_module %r" % loader if loader else "a custom python_model"
        if spec.get("python_model") and loader:
            what += " (python_model %r)" % spec.get("python_model")
        raise Failure("load", "the python_function model in %s needs %s, which needs the mlflow package, and %s "
                      "cannot import mlflow (%s): install mlflow for that interpreter (pip install mlflow) or "
                      "point weir at an interpreter that has it" % (root, what, sys.executable, e))
    return Loaded(mlflow.pyfunc.load_model(root), True)


def frame(columns, data):
    """Builds the model input: a pandas DataFrame when pandas imports, else a 2-D numpy array."""
    if pd is not None:
        df = pd.DataFrame({c: v for c, v in zip(columns, data)}, columns=columns)
        return df
    cols = []
    numeric = True
    for v in data:
        try:
            a = np.asarray([math.nan if x is None else x for x in v], dtype=np.float64)
        except (TypeError, ValueError):
            numeric = False
            a = np.asarray(v, dtype=object)
        cols.append(a)
    if not cols:
        return np.empty((0, 0))
    if numeric:
        return np.column_stack(cols)
    return np.column_stack([c.astype(object) for c in cols])


def finite(values):
    out = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        f = float(v)
        if math.isfinite(f):
            out.append(f)
        elif math.isnan(f):
            out.append("NaN")
        else:
            out.append("Infinity" if f > 0 else "-Infinity")
    return out


def one_dim(y, what):
    if pd is not None and isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise Failure("predict", "%s returned a DataFrame of %d columns; weir serves one output per row"
                          % (what, y.shape[1]))
        y = y.iloc[:, 0]
    if pd is not None and isinstance(y, pd.Series):
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise Failure("predict", "%s returned an output of shape %s; weir serves one output per row"
                      % (what, y.shape))
    return y


def predict(m, x, n):
    y = one_dim(m.obj.predict(x), "predict")
    if len(y) != n:
        raise Failure("predict", "predict returned %d values for %d rows" % (len(y), n))
    if m.classes is not None or y.dtype.kind not in "fiu":
        out = {"labels": [label(v) for v in y.tolist()]}
        if m.proba:
            p = np.asarray(m.obj.predict_proba(x), dtype=np.float64)
            out["probabilities"] = [finite(r) for r in p.tolist()]
        return out
    return {"values": finite(y.astype(np.float64).tolist())}


INPUT_ERRORS = (ValueError, TypeError, KeyError)


def main():
    models = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            op = req.get("op")
            mid = req.get("model")
            if op == "unload":
                models.pop(mid, None)
                send({"id": rid, "ok": True})
                continue
            m = models.get(mid)
            if m is None:
                if "spec" not in req:
                    raise Failure("protocol", "model %r is not loaded and the request has no spec" % (mid,))
                try:
                    m = load(req["spec"])
                except Failure:
                    raise
                except Exception as e:  # noqa: BLE001
                    raise Failure("load", "%s: %s" % (type(e).__name__, e))
                models[mid] = m
            if op == "load":
                send({"id": rid, "ok": True, "info": m.info()})
                continue
            if op != "predict":
                raise Failure("protocol", "unknown op %r" % (op,))
            columns = req["columns"]
            data = req["data"]
            n = len(data[0]) if data else 0
            x = frame(columns, data)
            try:
                out = predict(m, x, n)
            except Failure:
                raise
            except INPUT_ERRORS as e:
                raise Failure("input", "%s: %s" % (type(e).__name__, e))
            except Exception as e:  # noqa: BLE001
                raise Failure("predict", "%s: %s" % (type(e).__name__, e))
            out["id"] = rid
            out["ok"] = True
            send(out)
        except Failure as f:
            send({"id": rid, "ok": False, "kind": f.kind, "error": str(f), "traceback": traceback.format_exc()})
        except Exception as e:  # noqa: BLE001
            send({"id": rid, "ok": False, "kind": "protocol", "error": "%s: %s" % (type(e).__name__, e),
                  "traceback": traceback.format_exc()})


if __name__ == "__main__":
    main()
