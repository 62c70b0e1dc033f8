#!/usr/bin/env python3
"""The benchmark's pipeline written as a scikit-learn task: split 80/20, standard scaling and
logistic regression in a 3-fold GridSearchCV over 20 values of C (n_jobs=2, the machine's
cores, as weir's mapped search uses both), refit, evaluate on the test set.
    sklearn_pipeline.py DATA.csv
"""
import json
import os
import sys
import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

t0 = time.time()
data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
x, y = data[:, :-1], data[:, -1].astype(int)
x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
t1 = time.time()
grid = {"model__C": list(np.logspace(-3, 2, 20))}
pipe = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression(max_iter=1000))])
search = GridSearchCV(pipe, grid, cv=KFold(3), scoring="accuracy", n_jobs=2).fit(x_train, y_train)
t2 = time.time()
proba = search.best_estimator_.predict_proba(x_test)[:, 1]
out = {"best_C": float(search.best_params_["model__C"]), "cv_accuracy": float(search.best_score_),
       "test_accuracy": float(accuracy_score(y_test, proba > 0.5)), "test_roc_auc": float(roc_auc_score(y_test, proba)),
       "seconds": {"load_split": t1 - t0, "search": t2 - t1, "evaluate": time.time() - t2}}
print(json.dumps(out))
with open(os.environ.get("WEIR_OUTPUT", "/dev/null"), "w") as f:
    json.dump(out, f)
