"""Per-partition metric kernels equal sklearn called on each partition's rows."""

from __future__ import annotations

import ast
import functools
import pickle
import warnings
from pathlib import Path

import fairlearn.metrics
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from skpart import metrics_by_partition
from skpart._metrics import (
    axis_sums,
    batch_sums,
    division,
    kernels,
    ranks,
    statistics,
)
from skpart._metrics.registry import METRICS

RTOL = 1e-9


def compute_named_metrics(
    names, *, codes, n_partitions, y_true, y_pred, y_proba, sample_weight, n_classes
):
    """Per-partition values through the public metrics_by_partition."""
    if y_pred is None:  # probability metrics only: labels from the argmax
        y_pred = np.argmax(y_proba, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = metrics_by_partition(
            y_true,
            y_pred,
            codes,
            metrics=list(names),
            y_proba=y_proba,
            sample_weight=sample_weight,
            classes=None if n_classes is None else np.arange(n_classes),
        )
    assert len(report.by_partition) == n_partitions
    return {name: report.by_partition[name].to_numpy() for name in names}


def compute_named_metric(name, **case):
    return compute_named_metrics([name], **case)[name]


LABEL_METRICS = [name for name, m in METRICS.items() if m.needs == "labels"]
PROBA_METRICS = [name for name, m in METRICS.items() if m.needs == "proba"]
VALUE_METRICS = [name for name, m in METRICS.items() if m.needs == "values"]
BINARY_ONLY = {name for name, m in METRICS.items() if m.binary_only}


# --- the oracle: sklearn on one partition's rows --------------------------


def _constant_r2(y_true, y_pred, sample_weight):
    # sklearn's force_finite rule for a constant target, asked of sklearn on a
    # target whose mean is exact (0): its own mean of a constant can miss the
    # constant by one ulp and then divides by the rounding residue.
    return skm.r2_score(
        np.zeros(len(y_true)),
        (y_pred != y_true).astype(float),
        sample_weight=sample_weight,
    )


def _r2(y_true, y_pred, sample_weight):
    weighted = y_true[sample_weight > 0]
    if len(y_true) >= 2 and weighted.size and np.all(weighted == weighted[0]):
        return _constant_r2(y_true, y_pred, sample_weight)
    return skm.r2_score(y_true, y_pred, sample_weight=sample_weight)


def _roc_auc(y_true, y_proba, sample_weight):
    positive = y_true == y_proba.shape[1] - 1
    return skm.roc_auc_score(positive, y_proba[:, -1], sample_weight=sample_weight)


def _roc_auc_binned(y_true, y_proba, sample_weight):
    # The positive class's probability cut into 1,000 equal bins of [0, 1].
    binned = np.minimum(np.floor(y_proba[:, -1].astype(np.float64) * 1000), 999)
    positive = y_true == y_proba.shape[1] - 1
    return skm.roc_auc_score(positive, binned, sample_weight=sample_weight)


def _roc_auc_ovr(y_true, y_proba, sample_weight):
    if y_proba.shape[1] == 2:  # sklearn rejects 2 columns; documented fallback
        return _roc_auc(y_true, y_proba, sample_weight)
    return skm.roc_auc_score(
        y_true,
        y_proba,
        multi_class="ovr",
        average="macro",
        sample_weight=sample_weight,
    )


def _fairlearn_rate(name):
    function = getattr(fairlearn.metrics, name)

    def rate(t, p, sample_weight):
        # A partition whose weights sum to 0 has no rate (skpart: NaN).
        if sample_weight.sum() == 0:
            raise ValueError("zero weight")
        return function(t, p, pos_label=1, sample_weight=sample_weight)

    return rate


def _label_oracle(name):
    base, _, average = name.partition("_")
    if name.endswith("_rate"):
        return _fairlearn_rate(name)
    if name in ("accuracy", "balanced_accuracy"):
        return getattr(skm, f"{name}_score")
    # skpart's precision, recall and F1 are NaN where sklearn divides 0 by 0.
    function = functools.partial(getattr(skm, f"{base}_score"), zero_division=np.nan)
    if average:
        return lambda t, p, sample_weight: function(
            t, p, average=average, sample_weight=sample_weight
        )
    # The binary metrics score the larger label (class index 1 of 2).
    return lambda t, p, sample_weight: function(
        t, p, pos_label=1, sample_weight=sample_weight
    )


PROBA_ORACLES = {
    "roc_auc": _roc_auc,
    "roc_auc_ovr": _roc_auc_ovr,
    "roc_auc_binned": _roc_auc_binned,
    "log_loss": lambda t, p, sample_weight: skm.log_loss(
        t, y_proba=p, labels=np.arange(p.shape[1]), sample_weight=sample_weight
    ),
    "brier_score": lambda t, p, sample_weight: skm.brier_score_loss(
        t, p[:, -1], pos_label=p.shape[1] - 1, sample_weight=sample_weight
    ),
}
VALUE_ORACLES = {
    "mean_squared_error": skm.mean_squared_error,
    "root_mean_squared_error": skm.root_mean_squared_error,
    "mean_absolute_error": skm.mean_absolute_error,
    "r2": _r2,
}


def _call_sklearn(function, *arrays, sample_weight):
    """sklearn's value, NaN where sklearn raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return float(function(*arrays, sample_weight=sample_weight))
        except (ValueError, ZeroDivisionError):
            return np.nan


def expected_by_partition(name, case):
    """sklearn's metric on each partition's boolean mask."""
    if name in LABEL_METRICS:
        function, second = _label_oracle(name), case["y_pred"]
    elif name in PROBA_METRICS:
        function, second = PROBA_ORACLES[name], case["y_proba"]
    else:
        function, second = VALUE_ORACLES[name], case["y_pred"]
    values = []
    for partition in range(case["n_partitions"]):
        mask = case["codes"] == partition
        values.append(
            _call_sklearn(
                function,
                case["y_true"][mask],
                second[mask],
                sample_weight=case["sample_weight"][mask],
            )
        )
    return np.array(values)


def assert_matches_sklearn(names, case):
    results = compute_named_metrics(names, **case)
    for name in names:
        expected = expected_by_partition(name, case)
        np.testing.assert_allclose(
            results[name],
            expected,
            rtol=RTOL,
            atol=0,
            equal_nan=True,
            err_msg=name,
        )


# --- strategies ------------------------------------------------------------


@st.composite
def partition_codes(draw, n_rows):
    """Codes where every partition has a row; small sizes give 1-row ones."""
    n_partitions = draw(st.integers(1, min(n_rows, 5)))
    rest = draw(
        st.lists(
            st.integers(0, n_partitions - 1),
            min_size=n_rows - n_partitions,
            max_size=n_rows - n_partitions,
        )
    )
    order = draw(st.permutations(range(n_rows)))
    codes = np.array(list(range(n_partitions)) + rest, dtype=np.int64)
    return codes[np.array(order, dtype=np.intp)], n_partitions


def sample_weights(n_rows):
    unit = st.just(np.ones(n_rows))
    random = st.lists(st.floats(0.01, 10.0), min_size=n_rows, max_size=n_rows).map(
        np.array
    )
    # Zero weights, including partitions whose weights all vanish.
    sparse = st.lists(
        st.sampled_from([0.0, 0.5, 1.0, 3.0]), min_size=n_rows, max_size=n_rows
    ).map(np.array)
    return st.one_of(unit, random, sparse)


def class_probabilities(n_rows, n_classes):
    # Scores on a coarse grid give ties and exact 0s and 1s (log-loss clipping).
    grid = st.integers(0, 4)
    rows = st.lists(grid, min_size=n_classes, max_size=n_classes)

    def normalise(raw):
        raw = np.array(raw, dtype=np.float64)
        raw[raw.sum(axis=1) == 0] = 1.0
        return raw / raw.sum(axis=1, keepdims=True)

    return st.lists(rows, min_size=n_rows, max_size=n_rows).map(normalise)


@st.composite
def classification_cases(draw, n_classes):
    n_rows = draw(st.integers(1, 30))
    codes, n_partitions = draw(partition_codes(n_rows))
    labels = st.lists(
        st.integers(0, n_classes - 1), min_size=n_rows, max_size=n_rows
    ).map(lambda v: np.array(v, dtype=np.int64))
    return dict(
        codes=codes,
        n_partitions=n_partitions,
        y_true=draw(labels),
        y_pred=draw(labels),
        y_proba=draw(class_probabilities(n_rows, n_classes)),
        sample_weight=draw(sample_weights(n_rows)),
        n_classes=n_classes,
    )


@st.composite
def regression_cases(draw):
    n_rows = draw(st.integers(1, 30))
    codes, n_partitions = draw(partition_codes(n_rows))
    # A few repeated values make constant partitions and perfect predictions.
    value = st.one_of(st.sampled_from([0.1, 1.0, -2.5]), st.floats(-100, 100))
    values = st.lists(value, min_size=n_rows, max_size=n_rows).map(np.array)
    return dict(
        codes=codes,
        n_partitions=n_partitions,
        y_true=draw(values),
        y_pred=draw(values),
        y_proba=None,
        sample_weight=draw(sample_weights(n_rows)),
        n_classes=None,
    )


# --- property tests ----------------------------------------------------------

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(classification_cases(n_classes=2))
def test_binary_classification_metrics_match_sklearn_per_partition(case):
    assert_matches_sklearn(LABEL_METRICS + PROBA_METRICS, case)


@SETTINGS
@given(classification_cases(n_classes=3))
def test_multiclass_metrics_match_sklearn_per_partition(case):
    names = [n for n in LABEL_METRICS + PROBA_METRICS if n not in BINARY_ONLY]
    assert_matches_sklearn(names, case)


@SETTINGS
@given(regression_cases())
def test_regression_metrics_match_sklearn_per_partition(case):
    assert_matches_sklearn(VALUE_METRICS, case)


# --- explicit edge cases -----------------------------------------------------


def _case(y_true, y_pred=None, y_proba=None, codes=None, weight=None, n_classes=2):
    y_true = np.asarray(y_true)
    codes = np.zeros(len(y_true), np.int64) if codes is None else np.asarray(codes)
    return dict(
        codes=codes,
        n_partitions=int(codes.max()) + 1,
        y_true=y_true,
        y_pred=None if y_pred is None else np.asarray(y_pred),
        y_proba=None if y_proba is None else np.asarray(y_proba, dtype=float),
        sample_weight=np.ones(len(y_true))
        if weight is None
        else np.asarray(weight, dtype=float),
        n_classes=n_classes,
    )


def test_roc_auc_is_nan_where_a_partition_holds_one_class():
    case = _case(
        [0, 1, 1, 1],
        y_proba=[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]],
        codes=[0, 0, 1, 1],
    )
    auc = compute_named_metric("roc_auc", **case)
    assert auc[0] == 1.0 and np.isnan(auc[1])


def test_roc_auc_gives_half_credit_to_tied_scores():
    case = _case([0, 1, 0, 1], y_proba=[[0.5, 0.5]] * 4, weight=[1, 2, 3, 4])
    assert compute_named_metric("roc_auc", **case)[0] == 0.5
    assert_matches_sklearn(["roc_auc"], case)


def test_roc_auc_ovr_is_nan_where_a_partition_lacks_a_class():
    proba = np.full((5, 3), 1 / 3)
    case = _case([0, 1, 2, 0, 1], y_proba=proba, codes=[0, 0, 0, 1, 1], n_classes=3)
    auc = compute_named_metric("roc_auc_ovr", **case)
    assert auc[0] == 0.5 and np.isnan(auc[1])


def test_roc_auc_ovr_is_nan_where_probabilities_do_not_sum_to_one():
    proba = [[0.5, 0.2, 0.2], [0.2, 0.6, 0.2], [0.2, 0.2, 0.6], [0.6, 0.2, 0.2]]
    case = _case([0, 1, 2, 0], y_proba=proba, n_classes=3)
    assert np.isnan(compute_named_metric("roc_auc_ovr", **case)[0])
    assert_matches_sklearn(["roc_auc_ovr"], case)


def test_roc_auc_stays_exact_for_a_small_partition_after_a_large_one():
    rng = np.random.default_rng(0)
    n_large = 200_000
    codes = np.r_[np.zeros(n_large, np.int64), np.ones(4, np.int64)]
    y_true = np.r_[rng.integers(0, 2, n_large), [0, 1, 0, 1]]
    score = np.r_[rng.random(n_large), [0.1, 0.4, 0.35, 0.8]]
    weight = np.r_[rng.random(n_large) * 1e3, [1e-3, 2e-3, 3e-3, 1e-3]]
    case = _case(y_true, y_proba=np.c_[1 - score, score], codes=codes, weight=weight)
    expected = skm.roc_auc_score(y_true[-4:], score[-4:], sample_weight=weight[-4:])
    got = compute_named_metric("roc_auc", **case)[1]
    np.testing.assert_allclose(got, expected, rtol=RTOL)


def test_every_metric_is_nan_where_partition_weights_sum_to_zero():
    case = _case(
        [0, 1, 0, 1],
        y_pred=[0, 1, 1, 1],
        codes=[0, 0, 1, 1],
        y_proba=[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.1, 0.9]],
        weight=[1.0, 1.0, 0.0, 0.0],
    )
    results = compute_named_metrics(LABEL_METRICS + PROBA_METRICS, **case)
    assert all(
        np.isnan(values[1]) and not np.isnan(values[0]) for values in results.values()
    )


def test_macro_averages_run_over_labels_present_in_the_partition():
    # Class 2 occurs in neither y_true nor y_pred: sklearn leaves it out (and
    # class 1, never predicted, has no precision: zero_division=np.nan).
    case = _case([0, 0, 1], y_pred=[0, 0, 0], n_classes=3)
    assert compute_named_metric("precision_macro", **case)[0] == pytest.approx(2 / 3)
    assert_matches_sklearn(
        ["precision_macro", "recall_macro", "f1_macro", "f1_micro", "f1_weighted"], case
    )


def test_macro_averages_count_labels_seen_only_in_zero_weight_rows():
    case = _case([0, 0, 1, 2], y_pred=[0, 1, 1, 2], weight=[1, 1, 1, 0], n_classes=3)
    assert_matches_sklearn(["precision_macro", "recall_macro", "f1_macro"], case)


def test_balanced_accuracy_ignores_classes_only_predicted():
    case = _case([0, 0, 1], y_pred=[0, 2, 1], n_classes=3)
    assert compute_named_metric("balanced_accuracy", **case)[0] == 0.75


def test_precision_is_undefined_without_predicted_positives():
    # sklearn's zero_division=np.nan: precision is 0/0; recall and F1 are 0/2.
    case = _case([0, 1, 1], y_pred=[0, 0, 0])
    results = compute_named_metrics(["precision", "recall", "f1"], **case)
    precision, recall, f1 = (v[0] for v in results.values())
    assert np.isnan(precision) and recall == 0.0 and f1 == 0.0
    assert_matches_sklearn(["precision", "recall", "f1"], case)


def test_binary_metrics_are_undefined_without_positives_in_truth_or_prediction():
    case = _case([0, 0, 1, 1], y_pred=[0, 0, 1, 1], codes=[0, 0, 1, 1])
    results = compute_named_metrics(["precision", "recall", "f1"], **case)
    for values in results.values():
        assert np.isnan(values[0]) and values[1] == 1.0
    assert_matches_sklearn(["precision", "recall", "f1"], case)


def test_macro_averages_leave_out_classes_whose_value_is_undefined():
    # Class 2 is never predicted (precision 0/0) and class 1 never true
    # (recall 0/0): sklearn's zero_division=np.nan drops them from the mean.
    case = _case([0, 0, 2], y_pred=[0, 1, 1], n_classes=3)
    assert compute_named_metric("precision_macro", **case)[0] == pytest.approx(0.5)
    assert compute_named_metric("recall_macro", **case)[0] == pytest.approx(0.25)
    assert_matches_sklearn(
        ["precision_macro", "recall_macro", "f1_macro", "f1_micro", "f1_weighted"], case
    )


def test_log_loss_clips_certain_wrong_probabilities_like_sklearn():
    case = _case([0, 1], y_proba=[[0.0, 1.0], [0.0, 1.0]])
    assert_matches_sklearn(["log_loss"], case)
    assert np.isfinite(compute_named_metric("log_loss", **case)[0])


def test_r2_is_nan_for_a_single_row_and_finite_for_a_constant_target():
    case = _case(
        [0.1, 0.1, 0.1, 5.0],
        y_pred=[0.1, 0.2, 0.1, 4.0],
        codes=[0, 0, 0, 1],
        n_classes=None,
    )
    r2 = compute_named_metric("r2", **case)
    assert r2[0] == 0.0 and np.isnan(r2[1])


def test_r2_is_one_for_a_perfectly_predicted_constant_target():
    case = _case([0.1] * 3, y_pred=[0.1] * 3, weight=[0.3, 0.7, 0.1], n_classes=None)
    assert compute_named_metric("r2", **case)[0] == 1.0


# --- interface -------------------------------------------------------------


def test_metrics_table_holds_every_named_metric_of_the_design():
    assert set(METRICS) == {
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "f1",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "f1_micro",
        "f1_weighted",
        "selection_rate",
        "true_positive_rate",
        "true_negative_rate",
        "false_positive_rate",
        "false_negative_rate",
        "roc_auc",
        "roc_auc_ovr",
        "log_loss",
        "brier_score",
        "mean_squared_error",
        "root_mean_squared_error",
        "mean_absolute_error",
        "r2",
    } | {"roc_auc_binned"}  # beyond the design's table: for rows beyond memory
    losses = {name for name, m in METRICS.items() if not m.greater_is_better}
    assert losses == {
        "false_positive_rate",
        "false_negative_rate",
        "log_loss",
        "brier_score",
        "mean_squared_error",
        "root_mean_squared_error",
        "mean_absolute_error",
    }


def test_each_result_is_a_float64_array_per_partition():
    case = _case(
        [0, 1, 1],
        y_pred=[0, 1, 0],
        codes=[0, 1, 1],
        y_proba=[[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]],
    )
    for values in compute_named_metrics(LABEL_METRICS + PROBA_METRICS, **case).values():
        assert values.dtype == np.float64 and values.shape == (2,)


def test_unknown_metric_names_are_rejected_with_the_known_ones():
    with pytest.raises(ValueError, match="accuracy"):
        compute_named_metrics(["acuracy"], **_case([0], y_pred=[0]))


@pytest.mark.parametrize(
    "module", [kernels, statistics, batch_sums, ranks, axis_sums, division]
)
def test_kernels_and_statistics_import_numpy_and_scipy_only(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    }
    stdlib = {"__future__", "dataclasses", "functools", "typing"}
    assert imported <= stdlib | {"numpy", "scipy"}


def test_metrics_survive_pickling_for_parallel_scoring():
    case = _case([0, 1, 1], y_pred=[0, 1, 0])
    for metric in METRICS.values():
        if metric.needs == "labels":
            restored = pickle.loads(pickle.dumps(metric))
            assert restored == metric
            report = metrics_by_partition(
                case["y_true"], case["y_pred"], case["codes"], metrics=[restored]
            )
            expected = compute_named_metric(metric.name, **case)
            np.testing.assert_array_equal(
                report.by_partition[metric.name].to_numpy(), expected
            )


@pytest.mark.parametrize("dtype", [bool, np.int8, np.uint8, np.int64, np.float32])
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
@pytest.mark.parametrize("keepdims", [False, True])
def test_axis_sum_equals_numpy_sum_with_its_dtype(dtype, axis, keepdims):
    rng = np.random.default_rng(0)
    shape = (3, 4, 2, 7) if axis in (0, -2) else (2, 3, 9)  # short and long axes
    array = (rng.random(shape) * 200).astype(dtype)
    expected = array.sum(axis=axis, keepdims=keepdims)
    actual = axis_sums.axis_sum(array, axis, keepdims=keepdims)
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=1e-6)
