"""Searches beyond one process: dask workers give the same partition scores."""

from __future__ import annotations

import joblib
import numpy as np
import pytest
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold

from skpart._scoring import make_partition_scorer

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


def linear_search(data, **search_kwargs):
    X, y, site = data
    scorer = make_partition_scorer(["accuracy", "log_loss"], aggregate=["worst"])
    with sklearn.config_context(enable_metadata_routing=True):
        return GridSearchCV(
            LogisticRegression(),
            {"C": [0.01, 1.0]},
            cv=GroupKFold(3),
            scoring=scorer,
            refit="accuracy_worst",
            error_score="raise",
            **search_kwargs,
        ).fit(X, y, groups=site)


def test_dask_grid_search_with_a_partition_scorer_matches_one_process(client, data):
    # The scorer and the routed groups cross process boundaries intact.
    serial = linear_search(data, n_jobs=1)
    with joblib.parallel_backend("dask"):
        parallel = linear_search(data, n_jobs=2)
    for key in serial.cv_results_:
        if key.startswith(("split", "mean_test", "rank_test")):
            np.testing.assert_allclose(
                parallel.cv_results_[key], serial.cv_results_[key], rtol=1e-9
            )
    assert parallel.best_params_ == serial.best_params_
