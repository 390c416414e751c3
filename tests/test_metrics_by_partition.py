"""metrics_by_partition: values equal sklearn per partition; validation; warnings."""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionMetricWarning, metrics_by_partition
from skpart._metrics.registry import METRICS, resolve_metrics

RNG = np.random.default_rng(42)
N = 120
SITES = RNG.choice(["north", "south", "east", "west"], size=N)
Y_BIN = RNG.choice(["no", "yes"], size=N, p=[0.6, 0.4])
PROBA_YES = np.clip(
    np.where(Y_BIN == "yes", 0.65, 0.35) + RNG.normal(0, 0.2, N), 0.01, 0.99
)
PROBA_BIN = np.column_stack([1 - PROBA_YES, PROBA_YES])
Y_PRED_BIN = np.where(PROBA_YES > 0.5, "yes", "no")
WEIGHTS = RNG.uniform(0.2, 3.0, size=N)

BINARY_SKLEARN = {
    "accuracy": (skm.accuracy_score, "labels"),
    "balanced_accuracy": (skm.balanced_accuracy_score, "labels"),
    "precision": (functools.partial(skm.precision_score, pos_label="yes"), "labels"),
    "recall": (functools.partial(skm.recall_score, pos_label="yes"), "labels"),
    "f1": (functools.partial(skm.f1_score, pos_label="yes"), "labels"),
    "f1_macro": (functools.partial(skm.f1_score, average="macro"), "labels"),
    "roc_auc": (skm.roc_auc_score, "positive"),
    "log_loss": (functools.partial(skm.log_loss, labels=["no", "yes"]), "proba"),
    "brier_score": (
        functools.partial(skm.brier_score_loss, pos_label="yes"),
        "positive",
    ),
}


def sklearn_value(func, kind, mask, weights):
    second = {"labels": Y_PRED_BIN, "positive": PROBA_YES, "proba": PROBA_BIN}[kind]
    return func(Y_BIN[mask], second[mask], sample_weight=weights[mask])


GROUP_CONTAINERS = {
    "list": list,
    "ndarray": np.asarray,
    "Series": pd.Series,
    "categorical": lambda g: pd.Series(g, dtype="category"),
    "DataFrame-column": lambda g: pd.DataFrame({"site": g})["site"],
    "one-column-DataFrame": lambda g: pd.DataFrame({"site": g}),
}


@pytest.mark.parametrize("container", GROUP_CONTAINERS.values(), ids=GROUP_CONTAINERS)
def test_binary_metrics_equal_sklearn_on_each_partition_mask(container):
    report = metrics_by_partition(
        Y_BIN,
        Y_PRED_BIN,
        container(SITES),
        metrics=list(BINARY_SKLEARN),
        y_proba=PROBA_BIN,
        sample_weight=WEIGHTS,
    )
    assert report.by_partition.index.tolist() == ["east", "north", "south", "west"]
    for site in report.by_partition.index:
        for name, (func, kind) in BINARY_SKLEARN.items():
            expected = sklearn_value(func, kind, SITES == site, WEIGHTS)
            assert report.by_partition.loc[site, name] == pytest.approx(
                expected, rel=1e-9
            )
    for name, (func, kind) in BINARY_SKLEARN.items():
        expected = sklearn_value(func, kind, np.ones(N, bool), WEIGHTS)
        assert report.overall[name] == pytest.approx(expected, rel=1e-9)


def test_balanced_weights_are_computed_within_each_partition():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics="accuracy", sample_weight="balanced"
    )
    for site in report.by_partition.index:
        mask = SITES == site
        weights = compute_sample_weight("balanced", Y_BIN[mask])
        expected = skm.accuracy_score(
            Y_BIN[mask], Y_PRED_BIN[mask], sample_weight=weights
        )
        assert report.by_partition.loc[site, "accuracy"] == pytest.approx(expected)
        assert report.by_partition.loc[site, "weight"] == pytest.approx(weights.sum())


def test_n_samples_and_weight_are_rows_and_weight_sums():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics="accuracy", sample_weight=WEIGHTS
    )
    for site in report.by_partition.index:
        mask = SITES == site
        assert report.by_partition.loc[site, "n_samples"] == mask.sum()
        assert report.by_partition.loc[site, "weight"] == pytest.approx(
            WEIGHTS[mask].sum()
        )


def test_multiclass_metrics_equal_sklearn_on_each_partition_mask():
    y = RNG.integers(0, 3, size=N)
    proba = RNG.dirichlet(np.ones(3), size=N)
    y_pred = proba.argmax(axis=1)
    report = metrics_by_partition(
        y,
        y_pred,
        SITES,
        y_proba=proba,
        metrics=["accuracy", "f1_macro", "f1_weighted", "log_loss", "roc_auc_ovr"],
    )
    for site in report.by_partition.index:
        m = SITES == site
        row = report.by_partition.loc[site]
        assert row["f1_macro"] == pytest.approx(
            skm.f1_score(y[m], y_pred[m], average="macro")
        )
        assert row["f1_weighted"] == pytest.approx(
            skm.f1_score(y[m], y_pred[m], average="weighted")
        )
        assert row["log_loss"] == pytest.approx(
            skm.log_loss(y[m], proba[m], labels=[0, 1, 2])
        )
        assert row["roc_auc_ovr"] == pytest.approx(
            skm.roc_auc_score(y[m], proba[m], multi_class="ovr", labels=[0, 1, 2])
        )


def test_regression_metrics_equal_sklearn_on_each_partition_mask():
    y = RNG.normal(size=N)
    y_pred = y + RNG.normal(scale=0.5, size=N)
    names = {
        "mean_squared_error": skm.mean_squared_error,
        "root_mean_squared_error": skm.root_mean_squared_error,
        "mean_absolute_error": skm.mean_absolute_error,
        "r2": skm.r2_score,
    }
    report = metrics_by_partition(
        y, y_pred, SITES, metrics=list(names), sample_weight=WEIGHTS
    )
    for site in report.by_partition.index:
        m = SITES == site
        for name, func in names.items():
            expected = func(y[m], y_pred[m], sample_weight=WEIGHTS[m])
            assert report.by_partition.loc[site, name] == pytest.approx(
                expected, rel=1e-9
            )


SEX = RNG.choice(["f", "m"], size=N)


@pytest.mark.parametrize(
    "groups",
    [
        pd.DataFrame({"site": SITES, "sex": SEX}),
        [pd.Series(SITES, name="site"), pd.Series(SEX, name="sex")],
    ],
    ids=["DataFrame", "list-of-Series"],
)
def test_several_group_columns_match_fairlearn_metricframe(groups):
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, groups, metrics=["accuracy", "balanced_accuracy"]
    )
    frame = MetricFrame(
        metrics={
            "accuracy": skm.accuracy_score,
            "balanced_accuracy": skm.balanced_accuracy_score,
        },
        y_true=Y_BIN,
        y_pred=Y_PRED_BIN,
        sensitive_features=pd.DataFrame({"site": SITES, "sex": SEX}),
    )
    expected = frame.by_group.sort_index()
    assert list(report.by_partition.index.names) == ["site", "sex"]
    pd.testing.assert_frame_equal(
        report.by_partition[["accuracy", "balanced_accuracy"]],
        expected,
        check_names=False,
        check_dtype=False,
    )
    assert report.overall["accuracy"] == pytest.approx(frame.overall["accuracy"])


def test_weighted_accuracy_matches_fairlearn_with_sample_params():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics="accuracy", sample_weight=WEIGHTS
    )
    frame = MetricFrame(
        metrics=skm.accuracy_score,
        y_true=Y_BIN,
        y_pred=Y_PRED_BIN,
        sensitive_features=SITES,
        sample_params={"sample_weight": WEIGHTS},
    )
    np.testing.assert_allclose(
        report.by_partition["accuracy"].to_numpy(),
        frame.by_group.sort_index().to_numpy(),
    )


def test_callable_metrics_get_original_labels_once_per_partition():
    seen = []

    def first_label(y_true, y_pred, *, sample_weight=None):
        seen.append((y_true[0], sample_weight))
        return float(len(y_true))

    report = metrics_by_partition(Y_BIN, Y_PRED_BIN, SITES, metrics=[first_label])
    assert len(seen) == 4 + 1  # four partitions, then all rows pooled
    assert {label for label, _ in seen} <= {"no", "yes"}
    # No weights given: the callable is called without sample_weight.
    assert all(weight is None for _, weight in seen)
    counts = pd.Series(SITES).value_counts().sort_index()
    assert report.by_partition["first_label"].tolist() == counts.tolist()


def test_callable_gets_the_partitions_weights_when_weights_are_given():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics=[skm.accuracy_score], sample_weight=WEIGHTS
    )
    named = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics="accuracy", sample_weight=WEIGHTS
    )
    np.testing.assert_allclose(
        report.by_partition["accuracy_score"], named.by_partition["accuracy"]
    )


def test_callable_direction_comes_from_its_name_or_an_explicit_tuple():
    specs = resolve_metrics(
        [
            skm.zero_one_loss,
            skm.max_error,
            skm.accuracy_score,
            ("cost", np.mean, False),
        ]
    )
    assert [(s.name, s.greater_is_better) for s in specs] == [
        ("zero_one_loss", False),
        ("max_error", False),
        ("accuracy_score", True),
        ("cost", False),
    ]


def test_partial_callable_is_named_by_the_wrapped_function():
    specs = resolve_metrics(functools.partial(skm.fbeta_score, beta=2))
    assert specs[0].name == "fbeta_score"


def test_loss_worst_partition_is_the_largest_loss():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics=["log_loss"], y_proba=PROBA_BIN
    )
    values = report.by_partition["log_loss"]
    assert report.summary.loc["log_loss", "worst"] == values.max()
    assert report.summary.loc["log_loss", "worst_partition"] == values.idxmax()


def test_worst_partition_ignores_partitions_below_min_size():
    groups = np.where(np.arange(N) < 3, "tiny", SITES)
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, groups, metrics="accuracy", min_partition_size=10
    )
    assert not report.by_partition.loc["tiny", "reliable"]
    assert report.summary.loc["accuracy", "n_partitions"] == 4
    reliable = report.by_partition.drop(index="tiny")["accuracy"]
    assert report.summary.loc["accuracy", "worst"] == reliable.min()


def test_undefined_partition_is_nan_with_one_warning_naming_metric_and_partition():
    y = np.array([0, 1, 0, 1, 1, 1])
    proba = np.array([0.2, 0.8, 0.4, 0.6, 0.7, 0.9])
    groups = ["mixed"] * 4 + ["only-ones"] * 2
    with pytest.warns(PartitionMetricWarning) as record:
        report = metrics_by_partition(
            y,
            (proba > 0.5).astype(int),
            groups,
            metrics=["roc_auc", "accuracy"],
            y_proba=proba,
        )
    assert len(record) == 1
    message = str(record[0].message)
    assert "'roc_auc' on 1 partition(s): ['only-ones']" in message
    assert "y_true has 1 class(es) there" in message
    assert np.isnan(report.by_partition.loc["only-ones", "roc_auc"])
    assert report.by_partition.loc["only-ones", "accuracy"] == 1.0
    assert report.summary.loc["roc_auc", "n_partitions"] == 1


def test_undefined_warning_truncates_long_partition_lists():
    groups = np.arange(20).repeat(2)
    y = np.tile([0, 0], 20)
    y[:2] = [0, 1]
    with pytest.warns(PartitionMetricWarning, match=r"on 19 partition\(s\).*\+14 more"):
        metrics_by_partition(y, y, groups, metrics="roc_auc", y_proba=y.astype(float))


def test_callable_raising_value_error_gives_nan_with_the_warning():
    def two_class_score(y_true, y_pred):
        if len(set(y_true)) < 2:
            raise ValueError("needs two classes")
        return 1.0

    with pytest.warns(
        PartitionMetricWarning, match=r"'two_class_score' on 1 partition"
    ):
        report = metrics_by_partition(
            [0, 1, 1, 1], [0, 1, 1, 1], ["a", "a", "b", "b"], metrics=two_class_score
        )
    assert np.isnan(report.by_partition.loc["b", "two_class_score"])
    assert report.by_partition.loc["a", "two_class_score"] == 1.0


def test_callable_returning_nan_is_reported_as_undefined():
    with pytest.warns(PartitionMetricWarning, match=r"'roc_auc_score' on 1 partition"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UndefinedMetricWarning)
            report = metrics_by_partition(
                [0, 1, 1, 1],
                [0.2, 0.7, 0.6, 0.9],
                ["a", "a", "b", "b"],
                metrics=[("roc_auc_score", skm.roc_auc_score, True)],
            )
    assert np.isnan(report.by_partition.loc["b", "roc_auc_score"])


def test_no_warning_when_every_value_is_defined():
    with warnings.catch_warnings():
        warnings.simplefilter("error", PartitionMetricWarning)
        metrics_by_partition(Y_BIN, Y_PRED_BIN, SITES, metrics="accuracy")


def test_explicit_classes_define_the_probability_columns_order():
    classes = np.array(["yes", "no"])  # an estimator's (unsorted) class order
    swapped = PROBA_BIN[:, ::-1]
    report = metrics_by_partition(
        Y_BIN,
        Y_PRED_BIN,
        SITES,
        metrics=["roc_auc", "log_loss"],
        y_proba=swapped,
        classes=classes,
    )
    expected = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics=["roc_auc", "log_loss"], y_proba=PROBA_BIN
    )
    pd.testing.assert_frame_equal(report.by_partition, expected.by_partition)


def test_one_dimensional_binary_proba_is_the_larger_class_probability():
    report = metrics_by_partition(
        Y_BIN, Y_PRED_BIN, SITES, metrics="roc_auc", y_proba=PROBA_YES
    )
    assert report.overall["roc_auc"] == pytest.approx(
        skm.roc_auc_score(Y_BIN, PROBA_YES)
    )


def test_explicit_classes_count_classes_absent_from_the_data():
    y = np.array([0, 1, 0, 1])
    proba = np.array(
        [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.1, 0.8, 0.1]]
    )
    report = metrics_by_partition(
        y, y, [1, 1, 2, 2], metrics="log_loss", y_proba=proba, classes=[0, 1, 2]
    )
    assert report.overall["log_loss"] == pytest.approx(
        skm.log_loss(y, proba, labels=[0, 1, 2])
    )


def test_resolve_metrics_defaults_mirror_sklearn_score():
    assert [s.name for s in resolve_metrics(None, task="classification")] == [
        "accuracy"
    ]
    assert [s.name for s in resolve_metrics(None, task="regression")] == ["r2"]
    assert resolve_metrics("log_loss") == [METRICS["log_loss"]]


BAD_INPUTS = {
    "unknown-metric": (
        dict(metrics="acc"),
        r"Unknown metric 'acc'; valid names are .*accuracy.*r2",
    ),
    "proba-missing": (
        dict(metrics="roc_auc"),
        r"metrics \['roc_auc'\] need probabilities: pass y_proba",
    ),
    "proba-columns": (
        dict(metrics="log_loss", y_proba=np.ones((N, 3)) / 3),
        r"y_proba has shape \(120, 3\) but there are 2 classes",
    ),
    "proba-nan": (
        dict(metrics="log_loss", y_proba=np.full((N, 2), np.nan)),
        r"y_proba.*NaN",
    ),
    "label-not-in-classes": (
        dict(metrics="accuracy", classes=["no", "maybe"]),
        r"y_true has labels \['yes'\] that are not in classes",
    ),
    "duplicate-classes": (
        dict(metrics="accuracy", classes=["no", "no", "yes"]),
        r"classes has duplicate",
    ),
    "mixed-tasks": (
        dict(metrics=["accuracy", "r2"]),
        r"mixes classification metrics \['accuracy'\]",
    ),
    "duplicate-names": (
        dict(metrics=["accuracy", "accuracy"]),
        r"duplicate names \['accuracy'\]",
    ),
    "reserved-name": (
        dict(metrics=[("weight", np.mean, True)]),
        r"'weight' is reserved",
    ),
    "min-size": (
        dict(metrics="accuracy", min_partition_size=0),
        r"min_partition_size must be.*got 0",
    ),
    "empty": (dict(metrics=[]), r"metrics is empty"),
}


@pytest.mark.parametrize(("kwargs", "match"), BAD_INPUTS.values(), ids=BAD_INPUTS)
def test_bad_arguments_are_rejected_with_a_message_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics_by_partition(Y_BIN, Y_PRED_BIN, SITES, **kwargs)


@pytest.mark.parametrize(
    "name", ["precision", "recall", "f1", "roc_auc", "brier_score"]
)
def test_binary_only_metrics_on_three_classes_point_to_a_multiclass_variant(name):
    y = np.array([0, 1, 2, 0])
    with pytest.raises(
        ValueError, match=rf"'{name}' is binary-only but there are 3 classes.*use '"
    ):
        metrics_by_partition(
            y, y, [0, 0, 1, 1], metrics=name, y_proba=np.ones((4, 3)) / 3
        )


def test_groups_of_the_wrong_length_name_groups_and_both_lengths():
    with pytest.raises(ValueError, match=r"groups has 119 rows but y has 120"):
        metrics_by_partition(Y_BIN, Y_PRED_BIN, SITES[1:], metrics="accuracy")


def test_predictions_of_the_wrong_length_are_rejected():
    with pytest.raises(ValueError, match=r"y_pred has 119 rows but y_true has 120"):
        metrics_by_partition(Y_BIN, Y_PRED_BIN[1:], SITES, metrics="accuracy")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_regression_values_are_rejected(bad):
    y_pred = np.zeros(N)
    y_pred[3] = bad
    with pytest.raises(ValueError, match=r"y_pred contains (NaN|infinity)"):
        metrics_by_partition(np.zeros(N), y_pred, SITES, metrics="r2")


def test_missing_class_labels_are_rejected():
    y = np.array(["a", None, "b"], dtype=object)
    with pytest.raises(ValueError, match=r"y_true has 1 missing label"):
        metrics_by_partition(y, ["a", "a", "b"], [0, 0, 1], metrics="accuracy")


def test_balanced_weights_for_regression_metrics_name_sample_weight():
    with pytest.raises(
        ValueError, match=r"sample_weight='balanced' needs class labels"
    ):
        metrics_by_partition(
            np.ones(N), np.ones(N), SITES, metrics="r2", sample_weight="balanced"
        )


def test_metrics_none_picks_accuracy_or_r2_from_the_target():
    labels = metrics_by_partition(Y_BIN, Y_PRED_BIN, SITES, metrics=None)
    values = metrics_by_partition(
        np.linspace(0, 1, N), np.linspace(0, 1, N), SITES, metrics=None
    )
    assert labels.metrics == ["accuracy"]
    assert values.metrics == ["r2"]


# --- undefined precision, recall and F1 (0/0) on bundled data ---------------


def _wine_bands():
    """Wine: class 0 against the rest, by alcohol band; no positive in "low"."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, target = load_wine(return_X_y=True, as_frame=True)
    y = (target == 0).astype(int).to_numpy()
    band = pd.cut(X["alcohol"], [0, 12.5, 13.5, 20], labels=["low", "mid", "high"])
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    return y, model.predict(X), band


def test_binary_metrics_without_positives_are_nan_with_one_warning_not_zero():
    y, pred, band = _wine_bands()
    low = (band == "low").to_numpy()
    assert not y[low].any() and not pred[low].any()  # the case this is about
    names = ["precision", "recall", "f1"]
    with pytest.warns(PartitionMetricWarning) as record:
        report = metrics_by_partition(y, pred, band, metrics=names)
    assert len(record) == 1
    message = str(record[0].message)
    for name in names:
        assert f"{name!r} on 1 partition(s): ['low']" in message
    assert "no row is predicted positive there" in message
    assert "y_true has no positive row there" in message
    for name in names:
        score = getattr(skm, f"{name}_score")
        for label in ["low", "mid", "high"]:
            mask = (band == label).to_numpy()
            expected = score(y[mask], pred[mask], zero_division=np.nan)
            np.testing.assert_equal(report.by_partition.loc[label, name], expected)
        # The perfectly predicted band without positives is not the worst.
        assert report.summary.loc[name, "worst_partition"] != "low"
        assert report.summary.loc[name, "n_partitions"] == 2


def test_macro_precision_leaves_out_classes_never_predicted_in_a_partition():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(0)
    # A crude predictor that never predicts some digits in some partitions.
    pred = np.where(rng.random(len(y)) < 0.7, y, (y + 1) % 10)
    pred[(X[:, 20] > 8) & (pred == 3)] = 2
    bands = np.where(X[:, 20] > 8, "ink", "blank")
    report = metrics_by_partition(y, pred, bands, metrics="precision_macro")
    for label in ["blank", "ink"]:
        mask = bands == label
        expected = skm.precision_score(
            y[mask], pred[mask], average="macro", zero_division=np.nan
        )
        assert report.by_partition.loc[label, "precision_macro"] == pytest.approx(
            expected, rel=1e-9
        )
    ink = bands == "ink"
    assert 3 in y[ink] and 3 not in pred[ink]  # sklearn's default would count 0
