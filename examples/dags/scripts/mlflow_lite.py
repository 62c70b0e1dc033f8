"""A standard-library MLflow REST client for the examples (PyPI, and so the real `mlflow`
package, is not reachable on the machines these examples run on; with mlflow installed,
`import mlflow` works unchanged against weir: MLFLOW_TRACKING_URI and MLFLOW_RUN_ID are set).
"""
import json, os, time, urllib.parse, urllib.request

URI = os.environ.get("MLFLOW_TRACKING_URI", "")
RUN_ID = os.environ.get("MLFLOW_RUN_ID", "")


def _call(method, path, body=None, query=None):
    url = URI.rstrip("/") + "/api/2.0/mlflow/" + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"{}")


def log_param(key, value):
    _call("POST", "runs/log-parameter", {"run_id": RUN_ID, "key": key, "value": str(value)})


def log_metric(key, value, step=0):
    _call("POST", "runs/log-metric", {"run_id": RUN_ID, "key": key, "value": value,
                                       "timestamp": int(time.time() * 1000), "step": step})


def set_tag(key, value):
    _call("POST", "runs/set-tag", {"run_id": RUN_ID, "key": key, "value": str(value)})


def log_artifact(path, name):
    """Uploads a file through the artifact proxy into the run's artifacts."""
    run = _call("GET", "runs/get", query={"run_id": RUN_ID})["run"]
    root = run["info"]["artifact_uri"]  # mlflow-artifacts:/<experiment>/<run>/artifacts
    rel = root[len("mlflow-artifacts:"):].lstrip("/")
    url = URI.rstrip("/") + "/api/2.0/mlflow-artifacts/artifacts/" + rel + "/" + name
    with open(path, "rb") as f:
        req = urllib.request.Request(url, data=f.read(), method="PUT")
    urllib.request.urlopen(req).read()
    return root + "/" + name


def register_model(name, source, alias=None):
    try:
        _call("POST", "registered-models/create", {"name": name})
    except urllib.error.HTTPError as e:
        if e.code != 400:  # RESOURCE_ALREADY_EXISTS
            raise
    mv = _call("POST", "model-versions/create", {"name": name, "source": source, "run_id": RUN_ID})["model_version"]
    if alias:
        _call("POST", "registered-models/alias", {"name": name, "alias": alias, "version": mv["version"]})
    return mv["version"]
