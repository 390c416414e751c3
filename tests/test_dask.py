"""Dask collections scored where they live: the same report as in memory."""

from __future__ import annotations

import os
import signal
import threading
import time
from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from skpart import make_partition_scorer, score_partitions

from . import _reports as reports

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

METRICS = ["accuracy", "f1", "roc_auc", "log_loss", "balanced_accuracy"]
assert_same_report = partial(reports.assert_same_report, metrics=METRICS)
CHUNK = 700

#: Times this process unpickled a CountingClassifier (read on each worker).
DESERIALISED = 0


class CountingClassifier(LogisticRegression):
    """Counts its unpickling in the process that unpickles it."""

    def __setstate__(self, state):
        global DESERIALISED
        DESERIALISED += 1
        super().__setstate__(state)


class SlowClassifier(LogisticRegression):
    """Takes a while per block, so a worker can be killed mid-computation."""

    def predict_proba(self, X):
        time.sleep(0.15)
        return super().predict_proba(X)


def deserialised():
    return DESERIALISED


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 5000
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    groups = rng.choice(np.array(["a", "b", "c", "d", "e"]), size=n)
    return X, y, groups


def dask_arrays(X, y, groups, chunk=CHUNK):
    return (
        da.from_array(X, chunks=(chunk, X.shape[1])),
        da.from_array(y, chunks=chunk),
        da.from_array(groups, chunks=chunk),
    )


# --- dask's default scheduler (these run before the cluster fixture starts) ---


def test_dask_arrays_without_a_client_give_the_in_memory_report(data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    expected = score_partitions(model, X, y, groups, metrics=METRICS)
    actual = score_partitions(model, *dask_arrays(X, y, groups), metrics=METRICS)
    assert_same_report(actual, expected)


def test_in_memory_y_and_groups_are_sliced_to_the_chunks(data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    weight = np.random.default_rng(2).uniform(0.5, 2, size=len(y))
    expected = score_partitions(
        model, X, y, groups, metrics=METRICS, sample_weight=weight
    )
    X_dask = da.from_array(X, chunks=(1000, 1))  # column chunks are joined
    actual = score_partitions(
        model, X_dask, y, groups, metrics=METRICS, sample_weight=weight
    )
    assert_same_report(actual, expected)


def test_misaligned_dask_chunks_are_rechunked_to_x(data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    expected = score_partitions(model, X, y, groups, metrics=METRICS)
    X_dask = da.from_array(X, chunks=(CHUNK, 3))
    actual = score_partitions(
        model,
        X_dask,
        da.from_array(y, chunks=333),
        da.from_array(groups, chunks=1200),
        metrics=METRICS,
    )
    assert_same_report(actual, expected)


def test_progress_bar_without_a_client_only_when_verbose(data, capsys):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    score_partitions(model, *dask_arrays(X, y, groups))
    assert capsys.readouterr().out == ""
    score_partitions(model, *dask_arrays(X, y, groups), verbose=1)
    assert "100% Completed" in capsys.readouterr().out


def test_in_memory_x_with_dask_y_is_refused(data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    _, y_dask, g_dask = dask_arrays(X, y, groups)
    with pytest.raises(ValueError, match="pass X as a Dask Array or DataFrame too"):
        score_partitions(model, X, y_dask, g_dask)


@pytest.mark.slow
def test_keras_classifier_on_dask_arrays_threads(data):
    from skpart import PartitionAwareClassifier

    from ._models import tiny_classifier

    X, y, groups = data
    X = X.astype("float32")
    clf = PartitionAwareClassifier(
        tiny_classifier, epochs=2, verbose=0, random_state=0
    ).fit(X, y)
    expected = score_partitions(clf, X, y, groups, metrics=METRICS)
    actual = score_partitions(clf, *dask_arrays(X, y, groups), metrics=METRICS)
    assert_same_report(actual, expected)


def test_feature_name_warning_is_shown_once_per_call_not_per_block(data):
    import warnings

    X, y, groups = data
    model = LogisticRegression().fit(pd.DataFrame(X, columns=["u", "v", "w"]), y)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("default")
        score_partitions(model, *dask_arrays(X, y, groups))  # 8 blocks, no names
    named = [w for w in record if "valid feature names" in str(w.message)]
    assert len(named) == 1


# --- a distributed LocalCluster ----------------------------------------------


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes on localhost."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


def test_on_a_cluster_report_and_intervals_equal_in_memory(client, data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    expected = score_partitions(
        model,
        X,
        y,
        groups,
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=7,
    )
    actual = score_partitions(
        model,
        *dask_arrays(X, y, groups),
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=7,
    )
    assert_same_report(actual, expected)


def test_the_estimator_is_unpickled_once_per_worker(client, data):
    X, y, groups = data
    model = CountingClassifier().fit(X, y)
    before = client.run(deserialised)
    X_dask, y_dask, g_dask = dask_arrays(X, y, groups, chunk=250)  # 20 blocks
    score_partitions(model, X_dask, y_dask, g_dask, metrics=METRICS)
    after = client.run(deserialised)
    shipped = {worker: after[worker] - before.get(worker, 0) for worker in after}
    assert shipped == dict.fromkeys(after, 1), shipped


def test_scorer_on_dask_collections_equals_in_memory(client, data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    scorer = make_partition_scorer(
        ["accuracy", "roc_auc", "log_loss"], aggregate=["worst", "mean", "gap"]
    )
    expected = scorer(model, X, y, groups=groups)
    X_dask, y_dask, g_dask = dask_arrays(X, y, groups)
    actual = scorer(model, X_dask, y_dask, groups=g_dask)
    assert actual.keys() == expected.keys()
    for key in expected:
        assert actual[key] == pytest.approx(expected[key], rel=1e-10), key


def test_progress_on_a_cluster_only_when_verbose(client, data, capsys):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    score_partitions(model, *dask_arrays(X, y, groups))
    assert capsys.readouterr().out == ""
    score_partitions(model, *dask_arrays(X, y, groups), verbose=1)
    assert "100%" in capsys.readouterr().out


def test_a_bad_block_names_its_position(client, data):
    X, y, groups = data
    model = LogisticRegression().fit(X, y)
    bad = y.copy()
    bad[CHUNK * 2 + 5] = 9  # a class the model does not know, in block 2
    X_dask, _, g_dask = dask_arrays(X, y, groups)
    with pytest.raises(ValueError, match=r"Dask block 2 \(rows from 1400 on\).*\[9\]"):
        score_partitions(model, X_dask, da.from_array(bad, chunks=CHUNK), g_dask)


def test_a_worker_killed_mid_computation_still_gives_the_exact_report(client, data):
    X, y, groups = data
    model = SlowClassifier().fit(X, y)
    expected = score_partitions(
        model,
        X,
        y,
        groups,
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=1,
    )
    victim = sorted(client.scheduler_info()["workers"])[0]
    pid = client.run(os.getpid, workers=[victim])[victim]

    def kill_when_busy():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            processing = client.processing()
            if any(processing.values()):
                break
            time.sleep(0.02)
        time.sleep(0.3)  # some blocks done, some running
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    actual = score_partitions(
        model,
        *dask_arrays(X, y, groups, chunk=250),  # 20 blocks of 0.15 s
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=1,
    )
    killer.join()
    assert_same_report(actual, expected)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the victim
    assert victim not in client.scheduler_info()["workers"]


# --- Dask DataFrames (need dask[dataframe]: pyarrow) -------------------------


@pytest.fixture(scope="module")
def dd():
    pytest.importorskip("pyarrow")
    return pytest.importorskip("dask.dataframe")


def test_dask_dataframe_partitions_give_the_in_memory_report(client, data, dd):
    X, y, groups = data
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(target=y, site=groups)
    features = ["u", "v", "w"]
    model = LogisticRegression().fit(frame[features], y)
    ddf = dd.from_pandas(frame, npartitions=6)
    expected, actual = (
        score_partitions(
            model,
            table[features],
            table["target"],
            table["site"],
            metrics=METRICS,
            n_boot=40,
            confidence_level=0.5,
            random_state=0,
        )
        for table in (frame, ddf)
    )
    assert_same_report(actual, expected)
    scorer = make_partition_scorer(["accuracy", "roc_auc"], aggregate=["worst", "mean"])
    expected_scores = scorer(
        model, frame[features], frame["target"], groups=frame["site"]
    )
    actual_scores = scorer(model, ddf[features], ddf["target"], groups=ddf["site"])
    assert actual_scores.keys() == expected_scores.keys()
    for key, value in expected_scores.items():
        assert actual_scores[key] == pytest.approx(value, rel=1e-10), key


def test_dask_dataframe_categorical_bands_keep_the_category_order(client, data, dd):
    X, y, _ = data
    bands = pd.cut(X[:, 1], [-np.inf, -0.5, 0.5, np.inf], labels=["low", "mid", "hi"])
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(target=y, band=bands)
    features = ["u", "v", "w"]
    model = LogisticRegression().fit(frame[features], y)
    ddf = dd.from_pandas(frame, npartitions=6)
    report = score_partitions(model, ddf[features], ddf["target"], ddf["band"])
    order = frame.groupby("band", observed=True).size().index.tolist()
    assert report.by_partition.index.tolist() == order == ["low", "mid", "hi"]
    expected = score_partitions(model, frame[features], y, frame["band"])
    reports.assert_same_report(report, expected, metrics=["accuracy"])
