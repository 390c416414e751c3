"""Fairness rates and disparities: equal to Fairlearn's, direction, weighting.

Every expected value comes from Fairlearn (``fairlearn.metrics``) on each
partition's rows, from its ``MetricFrame`` or from its disparity functions,
never from skpart's kernels.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from fairlearn import metrics as flm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.utils.class_weight import compute_sample_weight

from skpart import (
    PartitionMetricWarning,
    make_partition_scorer,
    metrics_by_partition,
    score_partitions,
)

from ._models import tiny_classifier

RATES = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "true_negative_rate",
    "false_negative_rate",
]
CLASS_CONDITIONED = RATES[1:]
DISPARITIES = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]
# Label pairs (negative, positive by default = the larger class).
LABELS = [(0, 1), (-1, 1), ("low", "high"), ("no", "yes")]
RTOL = 1e-12
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Fairlearn builds one MetricFrame per disparity function: fewer, dearer cases.
HYPOTHESIS_FAIRLEARN_FRAMES = settings(HYPOTHESIS, max_examples=30)


def _fairlearn_rate(name, y_true, y_pred, *, pos_label, sample_weight=None):
    """Fairlearn's rate on some rows; NaN where Fairlearn raises or gives NaN."""
    func = getattr(flm, name)
    kwargs = {"pos_label": pos_label}
    if sample_weight is not None:
        kwargs["sample_weight"] = sample_weight
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # 0/0 in selection_rate
        try:
            return float(func(y_true, y_pred, **kwargs))
        except ValueError:  # sklearn: "Sample weights must contain ... non-zero"
            return np.nan


def _quiet_report(*args, **kwargs):
    # Partitions whose weights sum to 0 are NaN, with a warning: expected here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        return metrics_by_partition(*args, **kwargs)


# --- strategies ------------------------------------------------------------

KINDS = ("mixed", "no_positives", "no_negatives")


@st.composite
def binary_cases(draw, *, weights=True, zero_weights=True, labels=LABELS):
    """Binary labels in a few partitions, some without positives or negatives.

    Returns y_true, y_pred (object or int arrays), groups, sample_weight (None
    or an array), the ``pos_label`` to pass (None: the larger class) and the
    positive class it means.
    """
    pair = draw(st.sampled_from(labels))
    pos_label = draw(st.sampled_from([None, *pair]))
    positive = max(pair) if pos_label is None else pos_label
    negative = pair[0] if positive == pair[1] else pair[1]
    n_partitions = draw(st.integers(1, 5))
    y_true, y_pred, groups = [], [], []
    for p in range(n_partitions):
        size = draw(st.integers(1, 12))
        kind = draw(st.sampled_from(KINDS))
        truth = draw(st.lists(st.booleans(), min_size=size, max_size=size))
        if kind != "mixed":
            truth = [kind == "no_negatives"] * size
        pred = draw(st.lists(st.booleans(), min_size=size, max_size=size))
        y_true += truth
        y_pred += pred
        groups += [f"g{p}"] * size
    y_true, y_pred = np.array(y_true), np.array(y_pred)
    # Both classes somewhere, so that "the larger class" is the positive one.
    y_true[0], y_pred[-1] = True, False
    as_labels = np.array([negative, positive], dtype=object)
    y_true, y_pred = as_labels[y_true.astype(int)], as_labels[y_pred.astype(int)]
    if isinstance(positive, int):
        y_true, y_pred = y_true.astype(int), y_pred.astype(int)
    sample_weight = None
    if weights and draw(st.booleans()):
        low = 0.0 if zero_weights else 0.1
        values = st.one_of(st.just(low), st.floats(0.1, 10.0))
        sample_weight = np.array(
            draw(st.lists(values, min_size=len(y_true), max_size=len(y_true)))
        )
    return y_true, y_pred, np.array(groups), sample_weight, pos_label, positive


# --- the five rates --------------------------------------------------------


@HYPOTHESIS
@given(case=binary_cases())
def test_rates_equal_fairlearn_on_each_partition(case):
    y_true, y_pred, groups, sample_weight, pos_label, positive = case
    report = _quiet_report(
        y_true,
        y_pred,
        groups,
        metrics=RATES,
        sample_weight=sample_weight,
        pos_label=pos_label,
    )
    for label in report.by_partition.index:
        rows = groups == label
        weight = None if sample_weight is None else sample_weight[rows]
        expected = [
            _fairlearn_rate(
                name,
                y_true[rows],
                y_pred[rows],
                pos_label=positive,
                sample_weight=weight,
            )
            for name in RATES
        ]
        np.testing.assert_allclose(
            report.by_partition.loc[label, RATES].to_numpy(float),
            expected,
            rtol=RTOL,
            atol=0,
            equal_nan=True,
            err_msg=f"partition {label!r}",
        )
    overall = [
        _fairlearn_rate(
            name, y_true, y_pred, pos_label=positive, sample_weight=sample_weight
        )
        for name in RATES
    ]
    np.testing.assert_allclose(
        report.overall[RATES].to_numpy(float), overall, rtol=RTOL, atol=0
    )


@pytest.mark.parametrize("negative, positive", LABELS)
def test_rates_follow_fairlearn_conventions_without_positives_or_negatives(
    negative, positive
):
    # Partition "none+" has no positives (TPR = FNR = 0 by Fairlearn's
    # convention), "none-" no negatives (FPR = TNR = 0); "empty" selects none.
    y_true = np.array([negative] * 3 + [positive] * 3 + [negative, positive] * 2)
    y_pred = np.array([positive, negative, negative] + [positive] * 3 + [negative] * 4)
    groups = np.array(["none+"] * 3 + ["none-"] * 3 + ["empty"] * 4)
    report = metrics_by_partition(
        y_true, y_pred, groups, metrics=RATES, pos_label=positive
    )
    frame = flm.MetricFrame(
        metrics={
            name: functools.partial(getattr(flm, name), pos_label=positive)
            for name in RATES
        },
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    expected = frame.by_group.loc[report.by_partition.index, RATES]
    np.testing.assert_allclose(
        report.by_partition[RATES].to_numpy(float),
        expected.to_numpy(float),
        rtol=RTOL,
        atol=0,
    )
    assert report.by_partition.loc["none+", "true_positive_rate"] == 0.0
    assert report.by_partition.loc["none+", "false_negative_rate"] == 0.0
    assert report.by_partition.loc["none-", "false_positive_rate"] == 0.0
    assert report.by_partition.loc["none-", "true_negative_rate"] == 0.0
    assert report.by_partition.loc["empty", "selection_rate"] == 0.0


def test_rates_of_a_partition_whose_weights_sum_to_zero_are_nan_with_a_warning():
    # Fairlearn's selection_rate is NaN there and its other rates raise.
    y_true, y_pred = np.array([0, 1, 1, 0, 1]), np.array([1, 1, 0, 0, 1])
    groups = np.array(["a", "a", "a", "b", "b"])
    weights = np.array([0.0, 0.0, 0.0, 1.0, 2.0])
    with pytest.warns(PartitionMetricWarning, match="weights sum to 0"):
        report = metrics_by_partition(
            y_true, y_pred, groups, metrics=RATES, sample_weight=weights
        )
    assert report.by_partition.loc["a", RATES].isna().all()
    for name in RATES:
        expected = _fairlearn_rate(
            name, y_true[3:], y_pred[3:], pos_label=1, sample_weight=weights[3:]
        )
        assert report.by_partition.loc["b", name] == pytest.approx(expected, rel=RTOL)


# --- the disparities -------------------------------------------------------


def _fairlearn_disparities(y_true, y_pred, sensitive_features, sample_weight):
    if isinstance(sensitive_features, np.ndarray):
        # Fairlearn squeezes a 1-row array to 0-d and refuses it; a Series not.
        sensitive_features = pd.Series(sensitive_features)
    return {
        name: float(
            getattr(flm, name)(
                y_true,
                y_pred,
                sensitive_features=sensitive_features,
                sample_weight=sample_weight,
            )
        )
        for name in DISPARITIES
    }


@HYPOTHESIS_FAIRLEARN_FRAMES
@given(
    case=binary_cases(zero_weights=False),
    request=st.sampled_from(["rates", "disparities"]),
)
def test_disparities_equal_fairlearn_functions(case, request):
    y_true, y_pred, groups, sample_weight, _, positive = case
    # Fairlearn's disparity functions take no pos_label: the positive is 1.
    y_true, y_pred = (y_true == positive).astype(int), (y_pred == positive).astype(int)
    # Asked for by their rates or by their own names: the same Series.
    metrics = RATES if request == "rates" else DISPARITIES
    report = metrics_by_partition(
        y_true, y_pred, groups, metrics=metrics, sample_weight=sample_weight
    )
    expected = _fairlearn_disparities(y_true, y_pred, groups, sample_weight)
    ours = report.disparities
    assert list(ours.index) == [
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equalized_odds_difference",
        "equalized_odds_ratio",
        "equal_opportunity_difference",
        "equal_opportunity_ratio",
    ]
    names = DISPARITIES
    np.testing.assert_allclose(
        ours[names].to_numpy(float),
        [expected[n] for n in names],
        rtol=RTOL,
        atol=1e-15,  # differences of equal rates: 0 against a rounding residue
        equal_nan=True,
    )


def test_equalized_odds_ratio_is_nan_when_no_partition_has_a_true_positive():
    # No row is a true positive: every TPR is 0, so the TPR ratio is 0 / 0.
    y_true = np.array([1, 0, 0, 1, 0, 0])
    y_pred = np.array([0, 1, 0, 0, 1, 1])
    groups = np.array(list("aaabbb"))
    expected = flm.equalized_odds_ratio(y_true, y_pred, sensitive_features=groups)
    assert np.isnan(expected)
    report = metrics_by_partition(
        y_true, y_pred, groups, metrics=["equalized_odds_ratio"]
    )
    assert np.isnan(report.disparities["equalized_odds_ratio"])


@st.composite
def intersection_cases(draw):
    n = draw(st.integers(4, 60))
    bools = st.lists(st.booleans(), min_size=n, max_size=n)
    y_true = np.array(draw(bools), dtype=int)
    y_pred = np.array(draw(bools), dtype=int)
    y_true[0], y_pred[-1] = 1, 0
    sex = np.array(draw(st.lists(st.sampled_from(["f", "m"]), min_size=n, max_size=n)))
    band = np.array(
        draw(st.lists(st.sampled_from(["<40", "40-55", ">55"]), min_size=n, max_size=n))
    )
    weights = None
    if draw(st.booleans()):
        weights = np.array(draw(st.lists(st.floats(0.1, 5.0), min_size=n, max_size=n)))
    return y_true, y_pred, pd.DataFrame({"sex": sex, "age": band}), weights


@HYPOTHESIS_FAIRLEARN_FRAMES
@given(case=intersection_cases())
def test_intersections_equal_fairlearn_with_a_dataframe_of_sensitive_features(case):
    y_true, y_pred, features, weights = case
    report = metrics_by_partition(
        y_true, y_pred, features, metrics=RATES, sample_weight=weights
    )
    sample_params = None
    if weights is not None:
        sample_params = {name: {"sample_weight": weights} for name in RATES}
    frame = flm.MetricFrame(
        metrics={name: getattr(flm, name) for name in RATES},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=features,
        sample_params=sample_params,
    )
    # Only the intersections present: MetricFrame lists every combination
    # (NaN for the empty ones), skpart the ones that have rows.
    by_group = frame.by_group.dropna(how="all")
    assert report.by_partition.index.names == ["sex", "age"]
    assert set(report.by_partition.index) == set(by_group.index)
    np.testing.assert_allclose(
        report.by_partition[RATES].to_numpy(float),
        by_group.loc[report.by_partition.index, RATES].to_numpy(float),
        rtol=RTOL,
        atol=0,
    )
    expected = _fairlearn_disparities(y_true, y_pred, features, weights)
    names = DISPARITIES
    np.testing.assert_allclose(
        report.disparities[names].to_numpy(float),
        [expected[n] for n in names],
        rtol=RTOL,
        atol=1e-15,
        equal_nan=True,
    )


# --- direction -------------------------------------------------------------


def _direction_data():
    y_true = np.array([0, 0, 1, 1] * 3)
    y_pred = np.array([1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 1])
    groups = np.repeat(["a", "b", "c"], 4)
    return y_true, y_pred, groups


def test_false_positive_and_false_negative_rates_are_errors():
    y_true, y_pred, groups = _direction_data()
    report = metrics_by_partition(y_true, y_pred, groups, metrics=RATES)
    assert report.greater_is_better == {
        "selection_rate": True,
        "true_positive_rate": True,
        "false_positive_rate": False,
        "true_negative_rate": True,
        "false_negative_rate": False,
    }
    for name in RATES:
        values = report.by_partition[name]
        worst = values.min() if report.greater_is_better[name] else values.max()
        assert report.summary.loc[name, "worst"] == worst
    # a: FPR 1, b: FPR 0.5, c: FPR 0.
    assert report.summary.loc["false_positive_rate", "worst"] == 1.0
    assert report.summary.loc["false_positive_rate", "worst_partition"] == "a"
    assert report.summary.loc["false_negative_rate", "worst"] == 0.5


def test_fairlearn_false_positive_rate_callable_is_taken_as_an_error():
    y_true, y_pred, groups = _direction_data()
    report = metrics_by_partition(
        y_true,
        y_pred,
        groups,
        metrics=[flm.false_positive_rate, flm.false_negative_rate],
    )
    assert report.greater_is_better == {
        "false_positive_rate": False,
        "false_negative_rate": False,
    }
    fpr = {
        g: flm.false_positive_rate(y_true[groups == g], y_pred[groups == g])
        for g in "abc"
    }
    assert report.summary.loc["false_positive_rate", "worst"] == max(fpr.values())
    assert report.summary.loc["false_positive_rate", "best"] == min(fpr.values())


# --- balanced weights ------------------------------------------------------


def _class_mix_by_partition(seed=0):
    """Prevalence 10%, 50% and 80% in three partitions, noisy predictions."""
    rng = np.random.default_rng(seed)
    prevalence = {"a": 0.1, "b": 0.5, "c": 0.8}
    groups = np.repeat(list(prevalence), [60, 80, 50])
    y_true = (rng.random(len(groups)) < pd.Series(groups).map(prevalence)).astype(int)
    flip = rng.random(len(groups)) < 0.3
    y_pred = np.where(flip, 1 - y_true, y_true)
    X = np.column_stack([y_pred * 2.0 - 1 + rng.normal(0, 0.1, len(groups))])
    return X, y_true, y_pred, groups


def _check_balanced_rates(report, y_true, y_pred, groups):
    unweighted = flm.MetricFrame(
        metrics={name: getattr(flm, name) for name in RATES},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    # The class mix differs by partition, so balancing would change
    # selection_rate: it must be Fairlearn's unweighted one...
    np.testing.assert_allclose(
        report.by_partition["selection_rate"].to_numpy(float),
        unweighted.by_group.loc[report.by_partition.index, "selection_rate"],
        rtol=RTOL,
        atol=0,
    )
    np.testing.assert_allclose(
        report.overall["selection_rate"],
        unweighted.overall["selection_rate"],
        rtol=RTOL,
    )
    # ...and the rates conditioned on the true class are unchanged by balancing.
    np.testing.assert_allclose(
        report.by_partition[CLASS_CONDITIONED].to_numpy(float),
        unweighted.by_group.loc[report.by_partition.index, CLASS_CONDITIONED],
        rtol=RTOL,
        atol=0,
    )
    # The weights were balanced all the same: each partition weighs its rows.
    balanced = np.concatenate(
        [compute_sample_weight("balanced", y_true[groups == g]) for g in "abc"]
    )
    assert report.by_partition["weight"].sum() == pytest.approx(balanced.sum())
    weighted_selection = flm.MetricFrame(
        metrics=flm.selection_rate,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
        sample_params={"sample_weight": balanced},
    ).by_group
    assert not np.allclose(
        weighted_selection.to_numpy(float),
        report.by_partition["selection_rate"].to_numpy(float),
    )


def test_balanced_weights_leave_selection_rate_unweighted_in_metrics_by_partition():
    _, y_true, y_pred, groups = _class_mix_by_partition()
    report = metrics_by_partition(
        y_true, y_pred, groups, metrics=RATES, sample_weight="balanced"
    )
    _check_balanced_rates(report, y_true, y_pred, groups)


@pytest.mark.parametrize("sample_weight", ["auto", "balanced"])
def test_default_weighting_of_score_partitions_leaves_selection_rate_unweighted(
    sample_weight,
):
    X, y_true, _, groups = _class_mix_by_partition()
    clf = LogisticRegression().fit(X, y_true)
    report = score_partitions(
        clf, X, y_true, groups, metrics=RATES, sample_weight=sample_weight
    )
    _check_balanced_rates(report, y_true, clf.predict(X), groups)


def test_disparities_under_default_weighting_equal_fairlearn_unweighted():
    X, y_true, _, groups = _class_mix_by_partition()
    clf = LogisticRegression().fit(X, y_true)
    report = score_partitions(clf, X, y_true, groups, metrics=DISPARITIES)
    expected = _fairlearn_disparities(y_true, clf.predict(X), groups, None)
    np.testing.assert_allclose(
        report.disparities[DISPARITIES].to_numpy(float),
        [expected[n] for n in DISPARITIES],
        rtol=RTOL,
    )


# --- the scorer in a real search ------------------------------------------


def _search_data(seed=0):
    rng = np.random.default_rng(seed)
    n = 240
    groups = np.repeat(["s1", "s2", "s3", "s4", "s5", "s6"], n // 6)
    shift = pd.Series(groups).map(
        {"s1": -1.0, "s2": -0.5, "s3": 0.0, "s4": 0.3, "s5": 0.8, "s6": 1.2}
    )
    X = rng.normal(size=(n, 3)) + shift.to_numpy()[:, None] * [1.0, 0.0, 0.0]
    y = (X[:, 0] + 0.5 * X[:, 1] + rng.normal(0, 1, n) > 0).astype(int)
    # Each test fold of GroupKFold(3) holds two sites.
    return X, y, groups


def _scoring():
    return {
        "accuracy_worst": make_partition_scorer("accuracy"),
        "dpd": make_partition_scorer("demographic_parity_difference"),
    }


def test_scorer_in_grid_search_equals_fairlearn_on_a_fold_and_refits_on_the_disparity():
    X, y, groups = _search_data()
    Cs = [1e-3, 1e-2, 1.0]
    cv = GroupKFold(n_splits=3)
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LogisticRegression(),
            {"C": Cs},
            cv=cv,
            scoring=_scoring(),
            refit="dpd",
        ).fit(X, y, groups=groups)
    results = search.cv_results_
    train, test = next(cv.split(X, y, groups))
    for i, C in enumerate(Cs):
        model = LogisticRegression(C=C).fit(X[train], y[train])
        y_pred, g = model.predict(X[test]), groups[test]
        dpd = flm.demographic_parity_difference(y[test], y_pred, sensitive_features=g)
        # Accuracy with classes balanced within each partition (the default).
        balanced = np.empty(len(test))
        for label in np.unique(g):
            balanced[g == label] = compute_sample_weight(
                "balanced", y[test][g == label]
            )
        worst = flm.MetricFrame(
            metrics=accuracy_score,
            y_true=y[test],
            y_pred=y_pred,
            sensitive_features=g,
            sample_params={"sample_weight": balanced},
        ).group_min()
        assert results["split0_test_dpd"][i] == pytest.approx(-dpd, rel=RTOL, abs=0)
        assert results["split0_test_accuracy_worst"][i] == pytest.approx(
            worst, rel=RTOL
        )
    # Refit on the smallest disparity (greater is better: the negated one).
    assert search.best_index_ == int(np.argmax(results["mean_test_dpd"]))
    assert np.all(results["mean_test_dpd"] <= 0)
    assert search.best_params_ == {"C": Cs[search.best_index_]}
    assert search.best_score_ == results["mean_test_dpd"].max()


def test_scorer_reads_groups_from_a_column_without_routing():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline

    X, y, groups = _search_data()
    frame = pd.DataFrame(X, columns=["x0", "x1", "x2"]).assign(site=groups)
    model = make_pipeline(
        ColumnTransformer([("drop_site", "drop", ["site"])], remainder="passthrough"),
        LogisticRegression(),
    )
    scoring = {
        "accuracy_worst": make_partition_scorer("accuracy", groups="site"),
        "dpd": make_partition_scorer("demographic_parity_difference", groups="site"),
    }
    search = GridSearchCV(
        model,
        {"logisticregression__C": [1e-2, 1.0]},
        cv=GroupKFold(n_splits=3),
        scoring=scoring,
        refit="dpd",
    ).fit(frame, y, groups=groups)
    train, test = next(GroupKFold(n_splits=3).split(X, y, groups))
    fold_model = LogisticRegression(C=1.0).fit(X[train], y[train])
    dpd = flm.demographic_parity_difference(
        y[test], fold_model.predict(X[test]), sensitive_features=groups[test]
    )
    assert search.cv_results_["split0_test_dpd"][1] == pytest.approx(-dpd, rel=RTOL)


def test_ratio_scorer_keeps_its_sign_and_keys_are_the_disparity_names():
    X, y, groups = _search_data()
    clf = LogisticRegression().fit(X, y)
    scorer = make_partition_scorer(
        ["accuracy", "demographic_parity_ratio", "equalized_odds_difference"]
    )
    with sklearn.config_context(enable_metadata_routing=True):
        scores = scorer(clf, X, y, groups=groups)
    y_pred = clf.predict(X)
    assert list(scores) == [
        "accuracy_worst",
        "demographic_parity_ratio",
        "equalized_odds_difference",
    ]
    assert scores["demographic_parity_ratio"] == pytest.approx(
        flm.demographic_parity_ratio(y, y_pred, sensitive_features=groups), rel=RTOL
    )
    assert scores["equalized_odds_difference"] == pytest.approx(
        -flm.equalized_odds_difference(y, y_pred, sensitive_features=groups), rel=RTOL
    )


def test_scorer_takes_pos_label_for_string_labels():
    X, y, groups = _search_data()
    labels = np.where(y == 1, "high", "low")
    clf = LogisticRegression().fit(X, labels)
    scorer = make_partition_scorer(
        "equal_opportunity_difference", pos_label="high", sample_weight=None
    )
    with sklearn.config_context(enable_metadata_routing=True):
        score = scorer(clf, X, labels, groups=groups)
    expected = flm.equal_opportunity_difference(
        y, (clf.predict(X) == "high").astype(int), sensitive_features=groups
    )
    assert score == pytest.approx(-expected, rel=RTOL)


# --- the monitor -----------------------------------------------------------


def _epochs_until_no_improvement(values, patience, epochs):
    """Number of epochs Keras's EarlyStopping(mode="min") lets run."""
    best, wait = np.inf, 0
    for epoch, value in enumerate(values):
        wait += 1
        if value < best:
            best, wait = value, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1
    return epochs


@pytest.mark.slow
def test_monitor_logs_equalized_odds_difference_for_early_stopping():
    import keras

    from skpart import PartitionAwareClassifier, PartitionMonitor

    rng = np.random.default_rng(0)
    n = 400
    X = rng.normal(size=(n, 3)).astype(np.float32)
    groups = np.where(X[:, 2] > 0, "u", "v")
    y = (X[:, 0] + 0.8 * X[:, 2] + rng.normal(0, 0.7, n) > 0).astype(int)
    X_train, y_train = X[:300], y[:300]
    X_val, y_val, g_val = X[300:], y[300:], groups[300:]
    key = "val_partition_equalized_odds_difference"
    monitor = PartitionMonitor(
        X_val,
        y_val,
        g_val,
        metrics=["selection_rate", "true_positive_rate", "false_positive_rate"],
    )
    stop = keras.callbacks.EarlyStopping(
        monitor=key, mode="min", patience=2, restore_best_weights=False
    )
    clf = PartitionAwareClassifier(
        tiny_classifier,
        epochs=12,
        batch_size=32,
        verbose=0,
        random_state=0,
        callbacks=[monitor, stop],
    ).fit(X_train, y_train)
    history = clf.history_
    assert key in history
    for name in ("demographic_parity_difference", "demographic_parity_ratio"):
        assert f"val_partition_{name}" in history
    assert len(history[key]) == len(history["loss"])
    # EarlyStopping(mode="min") read the key: training ran until the
    # disparity had not improved for `patience` epochs.
    assert len(history[key]) == _epochs_until_no_improvement(history[key], 2, 12)
    # The last epoch's value is Fairlearn's on the final model's predictions
    # (no weights restored, so the final model is the last epoch's).
    y_pred = clf.predict(X_val)
    expected = flm.equalized_odds_difference(y_val, y_pred, sensitive_features=g_val)
    assert history[key][-1] == pytest.approx(expected, rel=RTOL, abs=1e-15)
    dpd = flm.demographic_parity_difference(y_val, y_pred, sensitive_features=g_val)
    assert history["val_partition_demographic_parity_difference"][-1] == (
        pytest.approx(dpd, rel=RTOL, abs=1e-15)
    )
