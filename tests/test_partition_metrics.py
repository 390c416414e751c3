"""PartitionMetrics: batches, merges and pickles give the one-shot report."""

from __future__ import annotations

import pickle
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from skpart import PartitionMetrics, PartitionMetricWarning, metrics_by_partition
from skpart._metrics.registry import METRICS

RTOL = 1e-12
BINARY = [n for n, m in METRICS.items() if m.task == "classification"]
MULTICLASS = [n for n in BINARY if not METRICS[n].binary_only]
REGRESSION = [n for n, m in METRICS.items() if m.task == "regression"]


def _classification(n=3000, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    logits = rng.normal(size=(n, n_classes)) + 1.5 * np.eye(n_classes)[y]
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    groups = rng.choice([f"site{i}" for i in range(7)], n)
    return dict(
        y_true=y,
        y_pred=proba.argmax(axis=1),
        groups=groups,
        y_proba=proba,
        sample_weight=rng.uniform(0.1, 3, n),
    )


def _regression(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 3, n)
    return dict(
        y_true=y,
        y_pred=y + rng.normal(0, 1, n),
        groups=rng.choice(list("abcdef"), n),
        y_proba=None,
        sample_weight=rng.uniform(0.1, 3, n),
    )


def _batches(data, bounds):
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        yield (
            {
                k: None if v is None else v[start:stop]
                for k, v in data.items()
                if k != "sample_weight"
            },
            data["sample_weight"][start:stop],
        )


def _assert_same_report(got, expected):
    pd.testing.assert_index_equal(got.by_partition.index, expected.by_partition.index)
    for metric in expected.metrics:
        np.testing.assert_allclose(
            got.by_partition[metric],
            expected.by_partition[metric],
            rtol=RTOL,
            equal_nan=True,
            err_msg=metric,
        )
        np.testing.assert_allclose(
            got.overall[metric], expected.overall[metric], rtol=RTOL, err_msg=metric
        )
    np.testing.assert_array_equal(
        got.by_partition["n_samples"], expected.by_partition["n_samples"]
    )


CASES = {
    "binary": (lambda: _classification(), BINARY),
    "multiclass": (lambda: _classification(n_classes=4), MULTICLASS),
    "regression": (_regression, REGRESSION),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("weighting", ["none", "array", "balanced"])
@pytest.mark.parametrize("seed", [0, 1])
def test_batches_of_any_size_and_merges_in_any_order_equal_one_call(
    case, weighting, seed
):
    make, names = CASES[case]
    data = make()
    if weighting == "balanced" and case == "regression":
        pytest.skip("balanced weights need classes")
    classes = None if case == "regression" else np.unique(data["y_true"])
    mode = "balanced" if weighting == "balanced" else None
    one_shot = metrics_by_partition(
        data["y_true"],
        data["y_pred"],
        data["groups"],
        metrics=names,
        y_proba=data["y_proba"],
        classes=classes,
        sample_weight=data["sample_weight"] if weighting == "array" else mode,
    )
    rng = np.random.default_rng(seed)
    n = len(data["y_true"])
    bounds = np.r_[0, np.sort(rng.choice(np.arange(1, n), 6, replace=False)), n]

    def accumulator():
        return PartitionMetrics(names, classes=classes, sample_weight=mode)

    streamed = accumulator()
    parts = []
    for batch, weights in _batches(data, bounds):
        kwargs = dict(
            y_proba=batch["y_proba"],
            sample_weight=weights if weighting == "array" else None,
        )
        streamed.update(batch["y_true"], batch["y_pred"], batch["groups"], **kwargs)
        parts.append(
            accumulator().update(
                batch["y_true"], batch["y_pred"], batch["groups"], **kwargs
            )
        )
    _assert_same_report(streamed.result(), one_shot)
    order = rng.permutation(len(parts))
    merged = accumulator().merge(*[parts[i] for i in order])
    _assert_same_report(merged.result(), one_shot)
    # A tree of merges, as Dask reduces.
    left = parts[order[0]].merge(*[parts[i] for i in order[1:3]])
    right = parts[order[3]].merge(*[parts[i] for i in order[4:]])
    _assert_same_report(left.merge(right).result(), one_shot)


def test_partitions_and_classes_met_only_in_later_batches():
    report = (
        PartitionMetrics(["accuracy", "f1_macro"])
        .update(["a", "a"], ["a", "b"], ["north", "north"])
        .update(["c", "b", "a"], ["c", "b", "c"], ["south", "west", "north"])
        .result()
    )
    y_true = np.array(["a", "a", "c", "b", "a"])
    y_pred = np.array(["a", "b", "c", "b", "c"])
    site = np.array(["north", "north", "south", "west", "north"])
    assert report.by_partition.index.tolist() == ["north", "south", "west"]
    for label in ["north", "south", "west"]:
        mask = site == label
        expected = skm.f1_score(y_true[mask], y_pred[mask], average="macro")
        assert report.by_partition.loc[label, "f1_macro"] == pytest.approx(expected)
    assert report.overall["accuracy"] == pytest.approx(3 / 5)


def test_a_pickled_accumulator_goes_on_where_it_stopped():
    data = _classification()
    full = PartitionMetrics(["roc_auc", "log_loss", "accuracy"], classes=[0, 1])
    full.update(data["y_true"], data["y_pred"], data["groups"], y_proba=data["y_proba"])
    half = PartitionMetrics(["roc_auc", "log_loss", "accuracy"], classes=[0, 1])
    rows = slice(0, 1000)
    half.update(
        data["y_true"][rows],
        data["y_pred"][rows],
        data["groups"][rows],
        y_proba=data["y_proba"][rows],
    )
    restored = pickle.loads(pickle.dumps(half))
    rows = slice(1000, None)
    restored.update(
        data["y_true"][rows],
        data["y_pred"][rows],
        data["groups"][rows],
        y_proba=data["y_proba"][rows],
    )
    _assert_same_report(restored.result(), full.result())


def test_a_bad_batch_names_its_position_and_keeps_what_came_before():
    acc = PartitionMetrics(["accuracy", "log_loss"], classes=[0, 1])
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    acc.update([0, 1], [0, 1], ["a", "b"], y_proba=proba)
    with pytest.raises(ValueError, match=r"batch 1 \(rows from 2 on\).*not in classes"):
        acc.update([0, 2], [0, 1], ["a", "b"], y_proba=proba)
    with pytest.raises(
        ValueError, match=r"batch 1 .*y_pred has 2 rows but y_true has 3"
    ):
        acc.update([0, 1, 1], [0, 1], ["a", "b", "b"], y_proba=proba)
    with pytest.raises(ValueError, match=r"batch 1 .*empty"):
        acc.update([], [], [], y_proba=np.empty((0, 2)))
    report = acc.update([1], [1], ["a"], y_proba=[[0.3, 0.7]]).result()
    expected = skm.log_loss([0, 1], [[0.9, 0.1], [0.3, 0.7]], labels=[0, 1])
    assert report.by_partition["n_samples"].tolist() == [2, 1]
    assert report.by_partition.loc["a", "log_loss"] == pytest.approx(expected)


def test_probability_metrics_need_the_classes_fixed_by_the_first_batch():
    acc = PartitionMetrics(["log_loss"])
    acc.update([0, 1], [0, 1], ["a", "a"], y_proba=[[0.6, 0.4], [0.3, 0.7]])
    with pytest.raises(ValueError, match=r"\[2\] that are not in classes \[0, 1\]"):
        acc.update([2], [2], ["a"], y_proba=[[0.1, 0.1]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_loss_and_brier_clip_like_sklearn_at_the_input_dtype(dtype):
    # One confidently wrong row: sklearn clips at the dtype's eps.
    y = np.array([0, 1, 1, 0, 1])
    p1 = np.array([0.1, 0.9, 0.0, 0.2, 0.7], dtype=dtype)
    proba = np.column_stack([1 - p1, p1]).astype(dtype)
    report = metrics_by_partition(
        y,
        (p1 > 0.5).astype(int),
        ["a"] * 5,
        metrics=["log_loss", "brier_score"],
        y_proba=proba,
    )
    rtol = 1e-6 if dtype == np.float32 else 1e-9
    assert report.overall["log_loss"] == pytest.approx(skm.log_loss(y, proba), rel=rtol)
    assert report.overall["brier_score"] == pytest.approx(
        skm.brier_score_loss(y, p1), rel=rtol
    )


@pytest.mark.parametrize("metric", ["accuracy", "f1_macro"])
def test_a_classification_metric_on_a_continuous_target_is_refused(metric):
    y = np.random.default_rng(0).normal(size=50)
    with pytest.raises(ValueError, match=r"y_true is a 'continuous' target"):
        metrics_by_partition(y, y, np.zeros(50), metrics=metric)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(metrics=123), r"metrics=123 is not understood"),
        (dict(metrics={"accuracy", "f1"}), r"is a set, whose order is arbitrary"),
        (dict(metrics=["r2"], classes=[0, 1]), r"classes is for classification"),
        (dict(metrics=["accuracy"], groups=None), r"groups is None"),
        (dict(metrics=["accuracy"], groups="site"), r"groups='site' is a string"),
        (dict(metrics=["accuracy"], y_true=[], y_pred=[], groups=[]), r"empty"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, match):
    args = {"y_true": [0, 1], "y_pred": [0, 1], "groups": ["a", "b"], **kwargs}
    with pytest.raises(ValueError, match=match):
        metrics_by_partition(
            args.pop("y_true"), args.pop("y_pred"), args.pop("groups"), **args
        )


def test_test_labels_unlike_the_fitted_classes_get_a_clear_error():
    with pytest.raises(ValueError, match=r"labels of type int .* classes are of type"):
        metrics_by_partition(
            [0, 1], [0, 1], ["a", "b"], metrics="accuracy", classes=["high", "low"]
        )


def test_a_callable_failing_on_all_rows_is_raised_not_hidden():
    f1_high = partial(skm.f1_score, pos_label="HIGH")
    with pytest.raises(ValueError, match=r"'f1_score' failed on all rows pooled"):
        metrics_by_partition(
            ["high", "low"], ["high", "high"], ["a", "b"], metrics=[f1_high]
        )


def test_a_callable_failing_on_some_partitions_is_nan_there_with_its_error():
    def needs_two_classes(y_true, y_pred):
        if len(set(y_true)) < 2:
            raise ValueError("only one class here")
        return skm.accuracy_score(y_true, y_pred)

    with pytest.warns(PartitionMetricWarning, match=r"only one class here"):
        report = metrics_by_partition(
            [0, 1, 1, 1],
            [0, 1, 0, 1],
            ["a", "a", "b", "b"],
            metrics=[needs_two_classes],
        )
    assert report.by_partition.loc["a", "needs_two_classes"] == 1.0
    assert np.isnan(report.by_partition.loc["b", "needs_two_classes"])


def test_a_callable_without_sample_weight_under_balanced_weights_is_named():
    def my_accuracy(y_true, y_pred):
        return skm.accuracy_score(y_true, y_pred)

    with pytest.raises(
        ValueError, match=r"'my_accuracy' does not accept sample_weight"
    ):
        metrics_by_partition(
            [0, 1], [0, 1], ["a", "a"], metrics=[my_accuracy], sample_weight="balanced"
        )


def test_a_callable_can_ask_for_probabilities():
    data = _classification(n=400)
    report = metrics_by_partition(
        data["y_true"],
        data["y_pred"],
        data["groups"],
        metrics=[("ap", skm.average_precision_score, True, "predict_proba")],
        y_proba=data["y_proba"],
    )
    for label, value in report.by_partition["ap"].items():
        mask = data["groups"] == label
        expected = skm.average_precision_score(
            data["y_true"][mask], data["y_proba"][mask, 1]
        )
        assert value == pytest.approx(expected, rel=1e-12)


def test_pos_label_chooses_the_positive_class_of_binary_metrics():
    y = np.array(["high", "low", "low", "high", "low"])
    y_pred = np.array(["high", "low", "high", "high", "low"])
    report = metrics_by_partition(
        y, y_pred, ["a"] * 5, metrics=["f1", "precision"], pos_label="high"
    )
    assert report.overall["f1"] == pytest.approx(
        skm.f1_score(y, y_pred, pos_label="high")
    )
    default = metrics_by_partition(y, y_pred, ["a"] * 5, metrics=["f1"])
    assert default.overall["f1"] == pytest.approx(
        skm.f1_score(y, y_pred, pos_label="low")
    )
    with pytest.raises(ValueError, match=r"pos_label='HIGH' is not one of the classes"):
        metrics_by_partition(y, y_pred, ["a"] * 5, metrics=["f1"], pos_label="HIGH")


def test_undefined_warning_points_at_the_callers_line_and_skips_small_partitions():
    y = np.array([0, 1, 0, 1, 1, 1])
    proba = np.array([0.2, 0.8, 0.6, 0.9, 0.3, 0.7])
    groups = ["mixed"] * 4 + ["one-class"] * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics_by_partition(y, y, groups, metrics="roc_auc", y_proba=proba)
    assert len(caught) == 1 and caught[0].filename == __file__
    assert "'one-class'] (y_true has 1 class(es) there)" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PartitionMetricWarning)
        # The one-class partition is below min_partition_size: no warning.
        report = metrics_by_partition(
            y, y, groups, metrics="roc_auc", y_proba=proba, min_partition_size=3
        )
    assert not report.by_partition.loc["one-class", "reliable"]


def test_partition_metrics_is_rejected_as_an_unfinished_result():
    with pytest.raises(ValueError, match=r"before any rows"):
        PartitionMetrics(["accuracy"]).result()
