"""Searches beyond one process: dask workers give the same scores, fail fast."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from skpart import make_partition_scorer

from ._models import tiny_classifier

pytestmark = pytest.mark.slow
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on localhost."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    site = np.repeat(np.array(["a", "b", "c"]), 40)
    X = rng.normal(size=(120, 3)).astype("float32")
    y = (X[:, 0] + 0.5 * rng.normal(size=120) > 0).astype(int)
    return X, y, site


def classifier(**params):
    from skpart import PartitionAwareClassifier

    params.setdefault("model", tiny_classifier)
    return PartitionAwareClassifier(
        epochs=3, batch_size=32, verbose=0, random_state=0, **params
    )


def search(data, estimator, grid, **search_kwargs):
    X, y, site = data
    scorer = make_partition_scorer(["accuracy", "log_loss"], aggregate=["worst"])
    with sklearn.config_context(enable_metadata_routing=True):
        return GridSearchCV(
            estimator,
            grid,
            cv=GroupKFold(3),
            scoring=scorer,
            refit="accuracy_worst",
            error_score="raise",
            **search_kwargs,
        ).fit(X, y, groups=site)


@pytest.mark.parametrize(
    "estimator, grid, rtol",
    [
        # The scorer and the routed groups cross process boundaries intact.
        pytest.param(LogisticRegression(), {"C": [0.01, 1.0]}, 1e-9, id="linear"),
        # A worker's event loop draws from Python's global random
        # (dask.sizeof on every heartbeat) while a fit runs; the seeded fit
        # must not see it.
        pytest.param(classifier(), {"model__hidden": [4, 8]}, 1e-6, id="keras"),
    ],
)
def test_dask_grid_search_matches_one_process(client, data, estimator, grid, rtol):
    serial = search(data, estimator, grid, n_jobs=1)
    with joblib.parallel_backend("dask"):
        parallel = search(data, estimator, grid, n_jobs=2)
    for key in serial.cv_results_:
        if key.startswith(("split", "mean_test", "rank_test")):
            np.testing.assert_allclose(
                parallel.cv_results_[key], serial.cv_results_[key], rtol=rtol
            )
    assert parallel.best_params_ == serial.best_params_


def tiny_classifier_after_a_draw(meta, compile_kwargs=None, hidden=8):
    # Stands for a dask worker's event loop drawing from the global random
    # during a fit (it does, every heartbeat), here deterministically.
    random.random()
    return tiny_classifier(meta, compile_kwargs, hidden=hidden)


def test_another_draw_from_global_random_does_not_change_a_seeded_fit(data):
    X, y, _ = data
    plain = classifier().fit(X, y)
    drawn = classifier(model=tiny_classifier_after_a_draw).fit(X, y)
    weights = zip(plain.model_.get_weights(), drawn.model_.get_weights(), strict=True)
    for expected, actual in weights:
        np.testing.assert_array_equal(actual, expected)


def fit_within(search, timeout, *fit_args, **fit_kwargs):
    """Fit in a thread under the dask backend; a hang fails the test, not CI."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        with joblib.parallel_backend("dask"):
            future = pool.submit(search.fit, *fit_args, **fit_kwargs)
            return future.result(timeout=timeout)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class RefusesPickling:
    def __reduce__(self):
        raise RuntimeError("RefusesPickling cannot be pickled")


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (threading.Lock(), TypeError, "cannot pickle '_thread.lock' object"),
        (RefusesPickling(), RuntimeError, "RefusesPickling cannot be pickled"),
    ],
    ids=["lock", "reduce-raises"],
)
def test_unpicklable_parameter_fails_fast_under_dask(client, data, value, error, match):
    # sklearn's clone deep-copies parameters (through pickling's reduce
    # protocol) before any task reaches dask, so the search raises at once.
    X, y, site = data
    grid = GridSearchCV(
        classifier(model__extra=value), {"epochs": [1, 2]}, cv=GroupKFold(3)
    )
    with pytest.raises(error, match=match):
        fit_within(grid, 120, X, y, groups=site)


def test_lambda_model_fits_under_dask(client, data):
    # cloudpickle ships lambdas to the workers; they must not be refused.
    X, y, site = data
    grid = GridSearchCV(
        classifier(model=lambda meta, hidden=4: tiny_classifier(meta, hidden=hidden)),
        {"epochs": [1, 2]},
        cv=GroupKFold(3),
        error_score="raise",
    )
    fitted = fit_within(grid, 120, X, y, groups=site)
    assert np.isfinite(fitted.cv_results_["mean_test_score"]).all()
