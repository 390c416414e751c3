"""Scoring from batches: tf.data datasets, lists and iterators of (X, y, groups)."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import skpart._engine.memory
from skpart import PartitionMetricWarning, score_partitions

from . import _reports as reports

METRICS = ["accuracy", "f1", "roc_auc", "log_loss", "brier_score"]
assert_same_report = partial(reports.assert_same_report, metrics=METRICS)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 3000
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(int)
    groups = rng.choice(np.array(["north", "south", "east", "west"]), size=n)
    model = LogisticRegression().fit(X, y)
    return model, X, y, groups


def batches_of(X, y, groups, size, weight=None):
    for start in range(0, len(y), size):
        rows = slice(start, start + size)
        batch = (X[rows], y[rows], groups[rows])
        yield batch if weight is None else (*batch, weight[rows])


@pytest.mark.parametrize("container", ["list", "generator", "map"])
@pytest.mark.parametrize("size", [1000, 701])
def test_batches_give_the_in_memory_report(data, container, size):
    model, X, y, groups = data
    expected = score_partitions(model, X, y, groups, metrics=METRICS)
    source = batches_of(X, y, groups, size)
    if container == "list":
        source = list(source)
    elif container == "map":
        source = map(tuple, source)
    actual = score_partitions(model, source, metrics=METRICS)
    assert_same_report(actual, expected)


def test_bootstrap_intervals_do_not_depend_on_the_batching(data):
    model, X, y, groups = data
    expected = score_partitions(
        model,
        X,
        y,
        groups,
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=3,
    )
    actual = score_partitions(
        model,
        batches_of(X, y, groups, 433),
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=3,
    )
    assert_same_report(actual, expected)


def test_batch_roc_auc_equals_sklearn_on_each_partition(data):
    model, X, y, groups = data
    report = score_partitions(
        model, batches_of(X, y, groups, 500), metrics="roc_auc", sample_weight=None
    )
    scores = model.predict_proba(X)[:, 1]
    for label in np.unique(groups):
        mask = groups == label
        assert report.by_partition.loc[label, "roc_auc"] == pytest.approx(
            roc_auc_score(y[mask], scores[mask]), rel=1e-12
        )


def test_weighted_batches_stand_for_a_weight_array(data):
    model, X, y, groups = data
    weight = np.random.default_rng(1).uniform(0.5, 2.0, size=len(y))
    expected = score_partitions(
        model, X, y, groups, metrics=METRICS, sample_weight=weight
    )
    actual = score_partitions(
        model, batches_of(X, y, groups, 800, weight), metrics=METRICS
    )
    assert_same_report(actual, expected)


def test_several_group_columns_in_batches(data):
    model, X, y, groups = data
    columns = pd.DataFrame({"site": groups, "half": np.arange(len(y)) % 2})
    expected = score_partitions(model, X, y, columns, metrics="accuracy")
    batches = [
        (X[i : i + 1000], y[i : i + 1000], columns.iloc[i : i + 1000])
        for i in range(0, len(y), 1000)
    ]
    actual = score_partitions(model, batches, metrics="accuracy")
    assert_same_report(actual, expected, metrics=["accuracy"])


def test_verbose_prints_rows_so_far_and_default_prints_nothing(data, capsys):
    model, X, y, groups = data
    score_partitions(model, list(batches_of(X, y, groups, 1000)))
    assert capsys.readouterr().out == ""
    score_partitions(model, list(batches_of(X, y, groups, 1000)), verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "score_partitions: batch 1/3, 1,000 rows scored",
        "score_partitions: batch 2/3, 2,000 rows scored",
        "score_partitions: batch 3/3, 3,000 rows scored",
    ]


# --- errors ------------------------------------------------------------------


def test_a_batch_without_groups_is_refused_with_its_position(data):
    model, X, y, groups = data

    def pairs():
        yield X[:10], y[:10], groups[:10]
        yield X[10:20], y[10:20]

    with pytest.raises(
        ValueError, match=r"batch 1 \(rows from 10 on\).*yield the groups"
    ) as info:
        score_partitions(model, pairs(), metrics="accuracy")
    assert info.value.accumulator.result().by_partition["n_samples"].sum() == 10


@pytest.mark.parametrize(
    "bad, match",
    [
        (
            lambda X, y, g: (X[:5], y[:4], g[:5]),
            "different lengths \\(X 5, y 4, groups 5",
        ),
        (lambda X, y, g: (X[:0], y[:0], g[:0]), "is empty \\(0 rows\\)"),
        (lambda X, y, g: (X[:5], np.full(5, 7), g[:5]), "7"),
    ],
    ids=["mismatched-lengths", "empty", "unknown-class"],
)
def test_a_bad_batch_names_its_position_and_keeps_the_batches_before(data, bad, match):
    model, X, y, groups = data
    good = list(batches_of(X[:600], y[:600], groups[:600], 300))
    source = [*good, bad(X, y, groups), *good]
    with pytest.raises(ValueError, match=r"batch 2 \(rows from 600 on\)") as info:
        score_partitions(model, source, metrics=["accuracy", "roc_auc"])
    assert info.match(match)
    assert "error.accumulator.result()" in str(info.value)
    kept = info.value.accumulator.result()
    expected = score_partitions(
        model, X[:600], y[:600], groups[:600], metrics=["accuracy", "roc_auc"]
    )
    assert_same_report(kept, expected, metrics=["accuracy", "roc_auc"])


def test_a_bad_first_batch_is_named_too(data):
    model, X, y, groups = data
    with pytest.raises(ValueError, match=r"^batch 0 \(rows from 0 on\)"):
        score_partitions(model, [(X[:5], np.full(5, 7), groups[:5])])


def test_batch_source_with_y_is_refused(data):
    model, X, y, groups = data
    with pytest.raises(ValueError, match="leave y and groups out"):
        score_partitions(model, batches_of(X, y, groups, 100), y, groups)


def test_y_none_with_rows_says_what_to_pass(data):
    model, X, *_ = data
    with pytest.raises(ValueError, match="y is None and X is a ndarray.*tf.data"):
        score_partitions(model, X)


def test_no_batches_is_an_error(data):
    model, *_ = data
    with pytest.raises(ValueError, match="yielded no batches"):
        score_partitions(model, iter([]))


def test_weight_array_with_batches_is_refused(data):
    model, X, y, groups = data
    with pytest.raises(ValueError, match=r"\(X, y, groups, sample_weight\)"):
        score_partitions(
            model, batches_of(X, y, groups, 100), sample_weight=np.ones(len(y))
        )


def test_verbose_must_be_a_non_negative_integer(data):
    model, X, y, groups = data
    with pytest.raises(ValueError, match="verbose must be an integer >= 0"):
        score_partitions(model, X, y, groups, verbose="yes")


def test_rank_record_warns_before_outgrowing_its_memory_share(data, monkeypatch):
    model, X, y, groups = data
    # 3000 rows at 6 + 8 bytes: about 42 kB, against a 25% share of 100 kB.
    monkeypatch.setattr(skpart._engine.memory, "total_memory", lambda: 100_000)
    with pytest.warns(PartitionMetricWarning, match="rank metrics.*25%"):
        score_partitions(model, batches_of(X, y, groups, 1000), metrics="roc_auc")
    with pytest.warns(PartitionMetricWarning, match="rank metrics") as record:
        score_partitions(model, batches_of(X, y, groups, 100), metrics="roc_auc")
    assert sum("rank metrics" in str(w.message) for w in record) == 1  # once
    monkeypatch.setattr(skpart._engine.memory, "total_memory", lambda: 10**12)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", PartitionMetricWarning)
        score_partitions(model, batches_of(X, y, groups, 1000), metrics="roc_auc")


# --- tf.data and Keras -------------------------------------------------------


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def test_tf_dataset_with_bytes_groups_gives_the_in_memory_report(data, tf):
    model, X, y, groups = data
    dataset = tf.data.Dataset.from_tensor_slices((X, y, groups)).batch(512)
    expected = score_partitions(
        model,
        X,
        y,
        groups,
        metrics=METRICS,
        n_boot=40,
        confidence_level=0.5,
        random_state=0,
    )
    actual = score_partitions(
        model, dataset, metrics=METRICS, n_boot=40, confidence_level=0.5, random_state=0
    )
    assert actual.by_partition.index.tolist() == ["east", "north", "south", "west"]
    assert_same_report(actual, expected)


def test_generator_of_tensors_is_converted(data, tf):
    model, X, y, groups = data

    def tensors():
        for batch in batches_of(X, y, groups, 1000):
            yield tuple(tf.constant(part) for part in batch)

    expected = score_partitions(model, X, y, groups, metrics=METRICS)
    assert_same_report(score_partitions(model, tensors(), metrics=METRICS), expected)


def test_keras_pydataset_is_refused_with_what_to_do(data, tf):
    import keras

    model, X, y, groups = data

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return X[i * 1000 : (i + 1) * 1000], y[i * 1000 : (i + 1) * 1000]

    with pytest.raises(ValueError, match="X is a keras.utils.PyDataset.*no groups"):
        score_partitions(model, Batches())


@pytest.mark.slow
def test_keras_classifier_on_a_dataset_equals_in_memory(data, tf):
    from skpart import PartitionAwareClassifier

    from ._models import tiny_classifier

    _, X, y, groups = data
    X = X.astype("float32")
    clf = PartitionAwareClassifier(
        tiny_classifier, epochs=2, verbose=0, random_state=0
    ).fit(X, y)
    dataset = tf.data.Dataset.from_tensor_slices((X, y, groups)).batch(1000)
    expected = score_partitions(clf, X, y, groups, metrics=METRICS)
    assert_same_report(score_partitions(clf, dataset, metrics=METRICS), expected)


# --- PartitionMonitor on batch sources ---------------------------------------


def monitored_fit(X, y, monitor):
    from skpart import PartitionAwareClassifier

    from ._models import tiny_classifier

    clf = PartitionAwareClassifier(
        tiny_classifier, epochs=3, verbose=0, random_state=0, callbacks=[monitor]
    )
    return clf.fit(X, y)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["list", "dataset"])
def test_monitor_on_batches_logs_what_it_logs_on_arrays(data, tf, source):
    from skpart import PartitionMonitor

    _, X, y, groups = data
    X = X.astype("float32")
    train, held = slice(0, 2000), slice(2000, None)
    metrics = ["accuracy", "roc_auc", "log_loss"]
    on_arrays = monitored_fit(
        X[train],
        y[train],
        PartitionMonitor(X[held], y[held], groups[held], metrics=metrics),
    )
    if source == "list":
        batches = list(batches_of(X[held], y[held], groups[held], 300))
    else:
        batches = tf.data.Dataset.from_tensor_slices(
            (X[held], y[held], groups[held])
        ).batch(300)
    monitor = PartitionMonitor(batches, metrics=metrics)
    on_batches = monitored_fit(X[train], y[train], monitor)
    for key, values in on_arrays.history_.items():
        if key.startswith("val_partition_"):
            np.testing.assert_allclose(on_batches.history_[key], values, rtol=1e-6)
    assert set(monitor.history_["epoch"]) == {0, 1, 2}


def test_monitor_refuses_a_one_shot_generator_at_construction(data):
    keras = pytest.importorskip("keras")  # noqa: F841
    from skpart import PartitionMonitor

    _, X, y, groups = data
    with pytest.raises(ValueError, match="one-shot iterator.*list\\(...\\)"):
        PartitionMonitor(batches_of(X, y, groups, 100))


def test_monitor_refuses_a_weight_array_with_batches(data):
    pytest.importorskip("keras")
    from skpart import PartitionMonitor

    _, X, y, groups = data
    with pytest.raises(ValueError, match="give each batch its weights"):
        PartitionMonitor(
            list(batches_of(X, y, groups, 100)), sample_weight=np.ones(len(y))
        )


# --- sklearn's feature-name warning: once per call, not once per batch -------


def _feature_name_warnings(record):
    return [w for w in record if "does not have valid feature names" in str(w.message)]


def _named_model_and_batches():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"])
    y = (frame["a"] > 0).astype(int).to_numpy()
    model = LogisticRegression().fit(frame, y)  # fitted with feature names
    groups = rng.choice(["u", "v"], 300)
    X = frame.to_numpy()  # scored without them
    batches = [
        (X[i : i + 100], y[i : i + 100], groups[i : i + 100]) for i in (0, 100, 200)
    ]
    return model, batches


def test_feature_name_warning_is_shown_once_per_call_not_per_batch():
    import warnings

    model, batches = _named_model_and_batches()
    for _ in range(2):  # and again on the next call
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("default")
            score_partitions(model, batches)
        assert len(_feature_name_warnings(record)) == 1


def test_feature_name_warning_still_obeys_an_error_filter():
    import warnings

    model, batches = _named_model_and_batches()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(UserWarning, match="valid feature names"):
            score_partitions(model, batches)
