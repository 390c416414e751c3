"""PartitionMonitor inside Pipelines and searches: held-out rows, routed groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareClassifier, PartitionMonitor, score_partitions
from skpart.keras._held_out import hold_out_by_partition

from ._models import tiny_classifier

pytestmark = pytest.mark.slow


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    # Raw features on very different scales: without the scaler the model
    # sees something else entirely.
    X = rng.normal(size=(n, 3)) * np.array([1.0, 100.0, 0.01]) + np.array([5, -300, 0])
    y = ((X[:, 0] - 5) + (X[:, 1] + 300) / 100 > 0).astype(int)
    site = np.repeat(np.array(["a", "b", "c", "d"]), n // 4)
    return X, y, site


def _pipe(monitor, **kwargs):
    clf = PartitionAwareClassifier(
        tiny_classifier,
        epochs=4,
        verbose=0,
        random_state=0,
        callbacks=[monitor],
        **kwargs,
    )
    return make_pipeline(StandardScaler(), clf), clf


def test_a_held_out_monitor_scores_what_the_pipeline_scores_on_those_rows():
    X, y, site = _data()
    monitor = PartitionMonitor(validation_fraction=0.25, metrics=["accuracy"])
    pipe, clf = _pipe(monitor)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(groups=True)
        pipe.fit(X, y, groups=site)
    assert "val_partition_accuracy_worst" in clf.history_
    train, held = hold_out_by_partition(site, 0.25, n_rows=len(y), seed=0)
    assert (
        len(held) == 100
        and np.bincount(pd.factorize(site[held])[0]).tolist() == [25] * 4
    )
    assert not np.intersect1d(train, held).size
    # The last epoch's logged value equals the whole pipeline (scaler
    # included) scored on the held-out rows.
    expected = score_partitions(pipe, X[held], y[held], site[held])
    logged = clf.history_["val_partition_accuracy_worst"][-1]
    assert logged == pytest.approx(expected.summary.loc["accuracy", "worst"])


def test_raw_rows_handed_to_a_monitor_inside_a_pipeline_are_refused():
    X, y, site = _data()
    frame = pd.DataFrame(X, columns=["age", "income", "dose"])
    monitor = PartitionMonitor(frame, y, site)
    pipe, _ = _pipe(monitor)
    with pytest.raises(ValueError, match=r"validation_fraction"):
        pipe.fit(frame, y)


def test_validation_fraction_needs_groups():
    # groups without such a monitor are accepted (DESIGN: a search over
    # partition_objective routes them to every candidate); see
    # tests/test_objectives.py.
    X, y, site = _data()
    pipe, clf = _pipe(PartitionMonitor(validation_fraction=0.2))
    with pytest.raises(ValueError, match=r"fit\(X, y, groups=g\)"):
        pipe.fit(X, y)


def test_grid_search_routes_groups_to_the_splitter_and_the_monitor():
    X, y, site = _data()
    monitor = PartitionMonitor(validation_fraction=0.25)
    pipe, clf = _pipe(monitor)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(groups=True)
        search = GridSearchCV(
            pipe,
            {"partitionawareclassifier__epochs": [2, 3]},
            cv=GroupKFold(2),
            error_score="raise",
        )
        search.fit(X, y, groups=site)
    fitted = search.best_estimator_[-1]
    assert len(fitted.history_["val_partition_accuracy_worst"]) == fitted.epochs


def test_held_out_indices_let_a_user_score_the_rows_the_monitor_watched():
    X, y, site = _data()
    monitor = PartitionMonitor(validation_fraction=0.25, metrics=["accuracy"])
    pipe, clf = _pipe(monitor)
    with sklearn.config_context(enable_metadata_routing=True):
        clf.set_fit_request(groups=True)
        pipe.fit(X, y, groups=site)
    held = clf.held_out_indices_
    # A quarter of each site's 100 rows, positions into fit's X.
    assert held.dtype.kind == "i" and np.all(np.diff(held) > 0)
    assert pd.Series(site[held]).value_counts().tolist() == [25] * 4
    # The whole pipeline on those rows, per site with sklearn: the logged worst.
    y_pred = pipe.predict(X[held])
    balanced = [
        balanced_accuracy_score(y[held][site[held] == s], y_pred[site[held] == s])
        for s in "abcd"
    ]
    logged = clf.history_["val_partition_accuracy_worst"][-1]
    assert logged == pytest.approx(min(balanced), rel=1e-9)
    # A refit without held-out monitoring holds out nothing.
    clf.set_params(callbacks=[])
    pipe.fit(X, y)
    assert not hasattr(clf, "held_out_indices_")
