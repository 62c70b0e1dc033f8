#!/usr/bin/python3
"""Generate scikit-learn reference fixtures for weir's ML library.

Run with Debian's python and python3-sklearn (1.2.x):

    /usr/bin/python3 ml/testdata/gen_fixtures.py [GROUP ...]

where GROUP (metrics, linear, logistic, trees, ...) limits the run to
those fixture files.

It writes the bundled data sets as CSV to ml/testdata/data/ and the
reference values as JSON to ml/testdata/*.json. The Go tests read only these
files, so they need no Python. The data sets ship inside scikit-learn (no
download); see ml/testdata/README.md for their licenses.
"""
import json
import os
import sys
import warnings

import numpy as np
import sklearn
from sklearn import datasets, metrics
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                              HistGradientBoostingClassifier, HistGradientBoostingRegressor,
                              RandomForestClassifier, RandomForestRegressor)
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = os.path.dirname(os.path.abspath(__file__))


def dump(name, obj):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(obj, f, indent=None, separators=(",", ":"))
        f.write("\n")


def tolist(a):
    return np.asarray(a).tolist()


def write_csv(name, X, y, feature_names, target="target"):
    path = os.path.join(HERE, "data", name + ".csv")
    cols = [c.replace(" ", "_") for c in feature_names] + [target]
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for row, t in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + "," + (repr(int(t)) if float(t).is_integer() and target == "target_class" else repr(float(t))) + "\n")
    return cols


def load_sets():
    out = {}
    d = datasets.load_diabetes()
    write_csv("diabetes", d.data, d.target, d.feature_names)
    out["diabetes"] = (d.data, d.target)
    for name, loader in [("iris", datasets.load_iris), ("breast_cancer", datasets.load_breast_cancer), ("wine", datasets.load_wine)]:
        d = loader()
        write_csv(name, d.data, d.target, d.feature_names, target="target_class")
        out[name] = (d.data, d.target.astype(int))
    X, y = datasets.make_regression(n_samples=300, n_features=8, n_informative=5, noise=10.0, random_state=42)
    write_csv("synth_regression", X, y, ["x%d" % i for i in range(X.shape[1])])
    out["synth_regression"] = (X, y)
    X, y = datasets.make_classification(n_samples=3000, n_features=20, n_informative=8, n_redundant=4,
                                        n_classes=3, random_state=7)
    write_csv("synth_classification", X, y, ["x%d" % i for i in range(X.shape[1])], target="target_class")
    out["synth_classification"] = (X, y)
    X, y = datasets.make_regression(n_samples=3000, n_features=20, n_informative=10, noise=5.0, random_state=11)
    y = y + 0.02 * X[:, 0] ** 2 * 30  # a little non-linearity for the trees
    write_csv("synth_regression_big", X, y, ["x%d" % i for i in range(X.shape[1])])
    out["synth_regression_big"] = (X, y)
    X, y = datasets.make_blobs(n_samples=1500, centers=5, n_features=4, cluster_std=1.5, random_state=3)
    write_csv("synth_blobs", X, y, ["x%d" % i for i in range(X.shape[1])], target="target_class")
    out["synth_blobs"] = (X, y)
    return out


def gen_metrics():
    rng = np.random.RandomState(0)
    yt = rng.normal(10, 3, 200)
    yp = yt + rng.normal(0, 1.5, 200)
    reg = dict(y_true=tolist(yt), y_pred=tolist(yp),
               mse=metrics.mean_squared_error(yt, yp),
               rmse=metrics.mean_squared_error(yt, yp, squared=False),
               mae=metrics.mean_absolute_error(yt, yp),
               r2=metrics.r2_score(yt, yp),
               mape=metrics.mean_absolute_percentage_error(yt, yp))
    ct = rng.randint(0, 4, 300)
    cp = np.where(rng.rand(300) < 0.6, ct, rng.randint(0, 4, 300))
    cp[cp == 3] = np.where(rng.rand((cp == 3).sum()) < 0.5, 3, 2)
    clf = dict(y_true=tolist(ct), y_pred=tolist(cp),
               accuracy=metrics.accuracy_score(ct, cp),
               confusion=tolist(metrics.confusion_matrix(ct, cp)))
    for avg in ["macro", "micro", "weighted"]:
        clf["precision_" + avg] = metrics.precision_score(ct, cp, average=avg, zero_division=0)
        clf["recall_" + avg] = metrics.recall_score(ct, cp, average=avg, zero_division=0)
        clf["f1_" + avg] = metrics.f1_score(ct, cp, average=avg, zero_division=0)
    bt = rng.randint(0, 2, 250)
    score = np.round(bt * 0.8 + rng.normal(0, 0.6, 250), 1)  # rounded: ties
    bp = (score > 0.4).astype(int)
    binary = dict(y_true=tolist(bt), score=tolist(score), y_pred=tolist(bp),
                  roc_auc=metrics.roc_auc_score(bt, score),
                  precision=metrics.precision_score(bt, bp), recall=metrics.recall_score(bt, bp),
                  f1=metrics.f1_score(bt, bp))
    raw = rng.rand(300, 4) + np.eye(4)[ct] * 1.5
    proba = raw / raw.sum(axis=1, keepdims=True)
    proba[0] = [1.0, 0.0, 0.0, 0.0]  # exercises clipping
    multi = dict(y_true=tolist(ct), proba=tolist(proba),
                 log_loss=metrics.log_loss(ct, proba),
                 roc_auc_ovr=metrics.roc_auc_score(ct, proba, multi_class="ovr", average="macro"))
    # ROC AUC straight from predict_proba, with classes that are not 0/1.
    classes = [3, 7]
    bt_cls = np.where(bt == 1, 7, 3)
    p1 = 1 / (1 + np.exp(-score))
    bproba = np.column_stack([1 - p1, p1])
    proba_auc = dict(binary_classes=classes, binary_y_true=tolist(bt_cls), binary_proba=tolist(bproba),
                     binary_roc_auc=metrics.roc_auc_score(bt_cls, bproba[:, 1]),
                     multi_roc_auc=metrics.roc_auc_score(ct, proba, multi_class="ovr"))
    # A one-class target: log_loss refuses it unless the labels are given.
    one = dict(y_true=[1, 1, 1], proba=[[0.2, 0.8], [0.1, 0.9], [0.4, 0.6]], labels=[0, 1],
               log_loss=metrics.log_loss([1, 1, 1], [[0.2, 0.8], [0.1, 0.9], [0.4, 0.6]], labels=[0, 1]))
    try:
        metrics.log_loss([1, 1, 1], [[0.2, 0.8], [0.1, 0.9], [0.4, 0.6]])
        one["error"] = ""
    except ValueError as e:
        one["error"] = str(e)
    dump("metrics.json", dict(sklearn=sklearn.__version__, regression=reg, classification=clf, binary=binary, multi=multi,
                              proba_auc=proba_auc, one_class=one))


def gen_preprocess(sets):
    X = sets["wine"][0]
    out = dict(sklearn=sklearn.__version__, dataset="wine")
    for name, s in [("standard", StandardScaler()), ("minmax", MinMaxScaler()), ("robust", RobustScaler())]:
        out[name] = tolist(s.fit_transform(X)[:20])
    dump("preprocess.json", out)


def gen_linear(sets):
    out = dict(sklearn=sklearn.__version__, cases=[])
    for ds in ["diabetes", "synth_regression"]:
        X, y = sets[ds]
        for name, m, params in [
            ("ols", LinearRegression(), {}),
            ("ridge", Ridge(alpha=1.0), {"alpha": 1.0}),
            ("ridge_nointercept", Ridge(alpha=0.5, fit_intercept=False), {"alpha": 0.5, "fit_intercept": False}),
            ("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=1000000), {"alpha": 0.1}),
            ("lasso_strong", Lasso(alpha=1.0, tol=1e-12, max_iter=1000000), {"alpha": 1.0}),
            ("enet", ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=1000000), {"alpha": 0.1, "l1_ratio": 0.5}),
            # Zero is a meaningful value, not "the default" (issue 10).
            ("ridge_alpha0", Ridge(alpha=0.0), {"alpha": 0.0}),
            ("lasso_alpha0", Lasso(alpha=0.0, tol=1e-12, max_iter=1000000), {"alpha": 0.0}),
            ("enet_l1ratio0", ElasticNet(alpha=0.1, l1_ratio=0.0, tol=1e-12, max_iter=1000000), {"alpha": 0.1, "l1_ratio": 0.0}),
        ]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # alpha=0 warns; the fit is still defined
                m.fit(X, y)
            out["cases"].append(dict(dataset=ds, model=name, params=params, coef=tolist(m.coef_),
                                     intercept=float(m.intercept_), pred=tolist(m.predict(X[:25]))))
    dump("linear.json", out)


def gen_logistic(sets):
    out = dict(sklearn=sklearn.__version__, cases=[])
    for ds, C in [("breast_cancer", 1.0), ("iris", 1.0), ("wine", 0.5), ("synth_classification", 1.0)]:
        X, y = sets[ds]
        X = StandardScaler().fit_transform(X)
        m = LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(X, y)
        out["cases"].append(dict(dataset=ds, standardize=True, C=C, coef=tolist(m.coef_), intercept=tolist(m.intercept_),
                                 pred=tolist(m.predict(X)), proba=tolist(m.predict_proba(X))))
    # Convergence reporting: whether lbfgs converged within max_iter
    # (scikit-learn's ConvergenceWarning).
    out["convergence"] = []
    for ds, std, max_iter in [("breast_cancer", False, 5), ("breast_cancer", True, 100), ("iris", True, 100), ("wine", False, 10)]:
        X, y = sets[ds]
        if std:
            X = StandardScaler().fit_transform(X)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            m = LogisticRegression(max_iter=max_iter).fit(X, y)
        converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        out["convergence"].append(dict(dataset=ds, standardize=std, max_iter=max_iter, n_iter=int(np.max(m.n_iter_)), converged=converged))
    dump("logistic.json", out)


def gen_trees(sets):
    out = dict(sklearn=sklearn.__version__, cases=[])
    def split(ds, y, strat):
        idx = np.arange(len(y))
        tr, te = train_test_split(idx, test_size=0.3, random_state=0, stratify=y if strat else None)
        return tr, te
    for ds in ["breast_cancer", "wine", "synth_classification"]:
        X, y = sets[ds]
        tr, te = split(ds, y, True)
        for name, m, params in [
            ("tree", DecisionTreeClassifier(random_state=0), {}),
            ("tree_depth4", DecisionTreeClassifier(max_depth=4, random_state=0), {"max_depth": 4}),
            ("forest", RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=2), {"n_estimators": 100}),
            ("gbt", GradientBoostingClassifier(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0),
             {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}),
            ("hgbt", HistGradientBoostingClassifier(max_iter=100, max_depth=6, learning_rate=0.1, early_stopping=False, random_state=0),
             {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1}),
        ]:
            scores = []
            for seed in (range(5) if name == "forest" else [0]):
                m.set_params(random_state=seed)
                m.fit(X[tr], y[tr])
                scores.append(metrics.accuracy_score(y[te], m.predict(X[te])))
            # Forests: the mean over 5 seeds, since one seed's score varies
            # by about a point on these small test sets.
            out["cases"].append(dict(dataset=ds, task="classification", model=name, params=params,
                                     train=tolist(tr), test=tolist(te), score=float(np.mean(scores)), scores=scores))
    for ds in ["diabetes", "synth_regression_big"]:
        X, y = sets[ds]
        tr, te = split(ds, y, False)
        for name, m, params in [
            ("tree_depth4", DecisionTreeRegressor(max_depth=4, random_state=0), {"max_depth": 4}),
            ("forest", RandomForestRegressor(n_estimators=100, random_state=0, n_jobs=2), {"n_estimators": 100}),
            ("gbt", GradientBoostingRegressor(n_estimators=100, max_depth=3, learning_rate=0.1, random_state=0),
             {"n_estimators": 100, "max_depth": 3, "learning_rate": 0.1}),
            ("hgbt", HistGradientBoostingRegressor(max_iter=100, max_depth=6, learning_rate=0.1, early_stopping=False, random_state=0),
             {"n_estimators": 100, "max_depth": 6, "learning_rate": 0.1}),
        ]:
            scores = []
            for seed in (range(5) if name == "forest" else [0]):
                m.set_params(random_state=seed)
                m.fit(X[tr], y[tr])
                scores.append(metrics.r2_score(y[te], m.predict(X[te])))
            out["cases"].append(dict(dataset=ds, task="regression", model=name, params=params,
                                     train=tolist(tr), test=tolist(te), score=float(np.mean(scores)), scores=scores))
    # Exact structure of small trees, where no two splits tie.
    structure = []
    for ds, cls in [("diabetes", DecisionTreeRegressor), ("iris", DecisionTreeClassifier), ("breast_cancer", DecisionTreeClassifier)]:
        X, y = sets[ds]
        m = cls(max_depth=3, random_state=0).fit(X, y)
        structure.append(dict(dataset=ds, max_depth=3, feature=tolist(m.tree_.feature), threshold=tolist(m.tree_.threshold),
                              left=tolist(m.tree_.children_left), right=tolist(m.tree_.children_right)))
    out["structure"] = structure
    dump("trees.json", out)


def gen_weights(sets):
    """Sample and class weights, impurity and permutation importances."""
    from sklearn.inspection import permutation_importance
    out = dict(sklearn=sklearn.__version__)
    X, y = sets["diabetes"]
    w = np.round(np.random.RandomState(1).uniform(0.2, 3.0, len(y)), 3)
    lin = []
    for name, m in [("ols", LinearRegression()), ("ridge", Ridge(alpha=1.0)),
                    ("lasso", Lasso(alpha=0.1, tol=1e-12, max_iter=1000000)),
                    ("enet", ElasticNet(alpha=0.1, l1_ratio=0.5, tol=1e-12, max_iter=1000000))]:
        m.fit(X, y, sample_weight=w)
        lin.append(dict(model=name, coef=tolist(m.coef_), intercept=float(m.intercept_)))
    out["linear"] = dict(dataset="diabetes", weights=tolist(w), cases=lin)
    logit = []
    for ds, cw, use_w in [("breast_cancer", "balanced", True), ("iris", {0: 1.0, 1: 3.0, 2: 0.5}, False)]:
        Xc, yc = sets[ds]
        Xc = StandardScaler().fit_transform(Xc)
        wc = np.round(np.random.RandomState(2).uniform(0.2, 3.0, len(yc)), 3)
        m = LogisticRegression(tol=1e-10, max_iter=10000, class_weight=cw).fit(Xc, yc, sample_weight=wc if use_w else None)
        logit.append(dict(dataset=ds, class_weight=cw if cw == "balanced" else {str(k): v for k, v in cw.items()},
                          weights=tolist(wc) if use_w else None, coef=tolist(m.coef_), intercept=tolist(m.intercept_)))
    out["logistic"] = logit
    # Weighted trees: exact structure and importances of depth-3 trees.
    trees = []
    for ds, cls, cw in [("diabetes", DecisionTreeRegressor, None), ("breast_cancer", DecisionTreeClassifier, "balanced"),
                        ("iris", DecisionTreeClassifier, None)]:
        Xt, yt = sets[ds]
        wt = np.round(np.random.RandomState(3).uniform(0.2, 3.0, len(yt)), 3)
        for weighted in [False, True]:
            kw = dict(max_depth=3, random_state=0)
            if cw and weighted:
                kw["class_weight"] = cw
            m = cls(**kw).fit(Xt, yt, sample_weight=wt if weighted else None)
            trees.append(dict(dataset=ds, weighted=weighted, class_weight=cw if weighted else None,
                              weights=tolist(wt) if weighted else None,
                              feature=tolist(m.tree_.feature), threshold=tolist(m.tree_.threshold),
                              importances=tolist(m.feature_importances_)))
    out["trees"] = trees
    # Ensembles' impurity importances.
    ens = []
    Xb, yb = sets["breast_cancer"]
    m = RandomForestClassifier(n_estimators=200, random_state=0, n_jobs=2).fit(Xb, yb)
    ens.append(dict(dataset="breast_cancer", model="forest", importances=tolist(m.feature_importances_)))
    Xd, yd = sets["diabetes"]
    m = RandomForestRegressor(n_estimators=200, random_state=0, n_jobs=2).fit(Xd, yd)
    ens.append(dict(dataset="diabetes", model="forest", importances=tolist(m.feature_importances_)))
    m = GradientBoostingRegressor(n_estimators=50, max_depth=3, learning_rate=0.1, random_state=0).fit(Xd, yd)
    ens.append(dict(dataset="diabetes", model="gbt", importances=tolist(m.feature_importances_)))
    m = GradientBoostingClassifier(n_estimators=50, max_depth=3, learning_rate=0.1, random_state=0).fit(Xb, yb)
    ens.append(dict(dataset="breast_cancer", model="gbt", importances=tolist(m.feature_importances_)))
    out["ensembles"] = ens
    # Weighted and class-weighted boosting and forests: held-out scores.
    Xs, ys = sets["synth_classification"]
    keep = (ys != 2) | (np.arange(len(ys)) % 6 == 0)  # class 2 made rare
    Xs, ys = Xs[keep], ys[keep]
    tr, te = train_test_split(np.arange(len(ys)), test_size=0.3, random_state=0, stratify=ys)
    scores = []
    for name, m in [("hgbt", HistGradientBoostingClassifier(max_iter=100, max_depth=6, early_stopping=False, class_weight="balanced", random_state=0)),
                    ("forest", RandomForestClassifier(n_estimators=100, class_weight="balanced", random_state=0, n_jobs=2)),
                    ("logistic", LogisticRegression(class_weight="balanced", max_iter=1000))]:
        m.fit(Xs[tr], ys[tr])
        scores.append(dict(model=name, balanced_accuracy=metrics.balanced_accuracy_score(ys[te], m.predict(Xs[te])),
                           recall=tolist(metrics.recall_score(ys[te], m.predict(Xs[te]), average=None))))
    out["class_weight_scores"] = dict(dataset="synth_classification", keep=tolist(np.nonzero(keep)[0]), train=tolist(tr), test=tolist(te), cases=scores)
    # Permutation importance with the row orders scikit-learn uses, so the
    # Go side can reproduce it exactly.
    perm = []
    for ds, m, n_repeats, seed in [("diabetes", Ridge(alpha=1.0), 5, 0), ("iris", LogisticRegression(max_iter=1000), 4, 3)]:
        Xp, yp = sets[ds]
        if ds == "iris":
            Xp = StandardScaler().fit_transform(Xp)
        m.fit(Xp, yp)
        r = permutation_importance(m, Xp, yp, n_repeats=n_repeats, random_state=seed)
        rs = np.random.RandomState(seed)
        rs = np.random.RandomState(rs.randint(np.iinfo(np.int32).max + 1))
        idx = np.arange(len(yp))
        cur = np.arange(len(yp))
        orders = []
        for _ in range(n_repeats):
            rs.shuffle(idx)
            cur = cur[idx]
            orders.append(tolist(cur))
        perm.append(dict(dataset=ds, model=type(m).__name__, standardize=ds == "iris", n_repeats=n_repeats, seed=seed,
                         permutations=orders, mean=tolist(r.importances_mean), std=tolist(r.importances_std),
                         raw=tolist(r.importances)))
    out["permutation"] = perm
    dump("weights.json", out)


def gen_boosting(sets):
    """Boosting early stopping (HistGradientBoosting) and row subsampling
    (GradientBoosting subsample): held-out scores and rounds fitted."""
    out = dict(sklearn=sklearn.__version__, cases=[])
    for ds, task in [("synth_regression_big", "regression"), ("synth_classification", "classification"),
                     ("breast_cancer", "classification"), ("diabetes", "regression")]:
        X, y = sets[ds]
        idx = np.arange(len(y))
        tr, te = train_test_split(idx, test_size=0.3, random_state=0, stratify=y if task == "classification" else None)
        score = metrics.accuracy_score if task == "classification" else metrics.r2_score
        hgb = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
        gb = GradientBoostingClassifier if task == "classification" else GradientBoostingRegressor
        for name, m, params in [
            ("early_stopping", hgb(max_iter=1000, learning_rate=0.3, max_depth=4, early_stopping=True, validation_fraction=0.2,
                                   n_iter_no_change=5, tol=1e-7, random_state=0),
             dict(n_estimators=1000, learning_rate=0.3, max_depth=4, validation_fraction=0.2, n_iter_no_change=5, min_samples_leaf=20)),
            ("subsample", gb(n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.5, random_state=0),
             dict(n_estimators=100, max_depth=3, learning_rate=0.1, subsample=0.5)),
        ]:
            scores, iters = [], []
            for seed in range(5):
                m.set_params(random_state=seed)
                m.fit(X[tr], y[tr])
                scores.append(score(y[te], m.predict(X[te])))
                iters.append(int(m.n_iter_) if hasattr(m, "n_iter_") else int(m.n_estimators_))
            out["cases"].append(dict(dataset=ds, task=task, model=name, params=params, train=tolist(tr), test=tolist(te),
                                     score=float(np.mean(scores)), scores=scores, n_iter=iters))
    dump("boosting.json", out)


def gen_missing(sets):
    """Missing values (NaN) in HistGradientBoosting (DecisionTree has no NaN
    support before scikit-learn 1.3): stumps whose predictions can be
    checked by hand, and held-out scores on data with NaN injected."""
    nan = float("nan")
    out = dict(sklearn=sklearn.__version__, stumps=[], cases=[])
    for name, X, y, Xt in [
        ("missing_right", [[1], [2], [3], [4], [nan], [nan]], [0, 0, 0, 0, 10, 10], [[2.5], [nan], [100]]),
        ("missing_left", [[1], [2], [3], [4], [5], [6], [nan], [nan]], [0, 0, 0, 5, 5, 5, 0, 0], [[2.5], [nan], [3.6], [100]]),
        ("unseen_left", [[1], [2], [3], [4], [5], [6]], [0, 0, 0, 0, 10, 10], [[nan], [5.5]]),
        ("unseen_right", [[1], [2], [3], [4], [5], [6]], [0, 0, 10, 10, 10, 10], [[nan], [1.5]]),
    ]:
        m = HistGradientBoostingRegressor(max_iter=1, learning_rate=1.0, max_depth=1, min_samples_leaf=1, l2_regularization=0.0,
                                          early_stopping=False).fit(np.array(X, float), np.array(y, float))
        out["stumps"].append(dict(name=name, X=[[None if np.isnan(v) else v for v in r] for r in X], y=y,
                                  X_test=[[None if np.isnan(v) else v for v in r] for r in Xt], pred=tolist(m.predict(np.array(Xt, float)))))
    for ds, task in [("synth_regression_big", "regression"), ("synth_classification", "classification")]:
        X, y = sets[ds]
        X = X.copy()
        rng = np.random.RandomState(5)
        missing = []
        for j in range(X.shape[1]):
            if j < 6:
                mask = rng.rand(len(y)) < 0.15  # missing at random
            elif j == 6:
                mask = (X[:, j] > np.quantile(X[:, j], 0.8)) & (rng.rand(len(y)) < 0.7)  # informative
            else:
                mask = np.zeros(len(y), bool)
            X[mask, j] = np.nan
            missing.append(tolist(np.nonzero(mask)[0]))
        tr, te = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0, stratify=y if task == "classification" else None)
        cls = HistGradientBoostingClassifier if task == "classification" else HistGradientBoostingRegressor
        score = metrics.accuracy_score if task == "classification" else metrics.r2_score
        m = cls(max_iter=100, max_depth=6, learning_rate=0.1, early_stopping=False, random_state=0).fit(X[tr], y[tr])
        out["cases"].append(dict(dataset=ds, task=task, missing=missing, train=tolist(tr), test=tolist(te),
                                 params=dict(n_estimators=100, max_depth=6, learning_rate=0.1, min_samples_leaf=20),
                                 score=score(y[te], m.predict(X[te]))))
    dump("missing.json", out)


def gen_kmeans(sets):
    out = dict(sklearn=sklearn.__version__, cases=[])
    for ds, k, std in [("iris", 3, False), ("wine", 3, True), ("synth_blobs", 5, False), ("synth_blobs", 8, False)]:
        X = sets[ds][0]
        if std:
            X = StandardScaler().fit_transform(X)
        m = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X)
        out["cases"].append(dict(dataset=ds, k=k, standardize=std, inertia=float(m.inertia_)))
    dump("kmeans.json", out)


def main():
    # Arguments name the fixture groups to regenerate (metrics, preprocess,
    # linear, logistic, trees, kmeans, ...); none means all of them.
    only = set(sys.argv[1:])
    sets = load_sets()
    for name, gen in [("metrics", lambda: gen_metrics()), ("preprocess", lambda: gen_preprocess(sets)),
                      ("linear", lambda: gen_linear(sets)), ("logistic", lambda: gen_logistic(sets)),
                      ("trees", lambda: gen_trees(sets)), ("kmeans", lambda: gen_kmeans(sets)),
                      ("weights", lambda: gen_weights(sets)), ("boosting", lambda: gen_boosting(sets)),
                      ("missing", lambda: gen_missing(sets))]:
        if not only or name in only:
            gen()


if __name__ == "__main__":
    main()
