"""Bootstrap intervals: each replicate is sklearn on the resampled rows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionMetrics, PartitionMetricWarning, metrics_by_partition
from skpart._bootstrap.resampling import poisson_multiplicities

N, B, SEED = 600, 400, 7


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, N)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(0, 0.25, N), 0.01, 0.99)
    groups = rng.choice(["north", "south", "east"], N)
    return y, (p1 > 0.5).astype(int), np.column_stack([1 - p1, p1]), groups


def _resampled_reference(metric, y, y_pred, proba, mask, m, balanced):
    """sklearn on the replicate's rows, each repeated by its multiplicity."""
    rows = np.repeat(np.flatnonzero(mask), m[mask])
    y_r = y[rows]
    weight = compute_sample_weight("balanced", y_r) if balanced else None
    if metric == "accuracy":
        return skm.accuracy_score(y_r, y_pred[rows], sample_weight=weight)
    if metric == "roc_auc":
        return skm.roc_auc_score(y_r, proba[rows, 1], sample_weight=weight)
    return skm.log_loss(y_r, proba[rows], sample_weight=weight, labels=[0, 1])


@pytest.mark.parametrize("balanced", [True, False])
def test_each_replicate_equals_sklearn_on_the_resampled_rows(balanced):
    y, y_pred, proba, groups = _data()
    report = metrics_by_partition(
        y,
        y_pred,
        groups,
        metrics=["accuracy", "roc_auc", "log_loss"],
        y_proba=proba,
        sample_weight="balanced" if balanced else None,
        n_boot=B,
        random_state=SEED,
    )
    draws = poisson_multiplicities(SEED, 0, N, B)
    for metric in ("accuracy", "roc_auc", "log_loss"):
        replicates = report.replicates(metric)
        assert replicates.shape == (B, 3)
        for b in (0, 17, B - 1):
            for label in replicates.columns:
                expected = _resampled_reference(
                    metric, y, y_pred, proba, groups == label, draws[:, b], balanced
                )
                assert replicates.loc[b, label] == pytest.approx(expected, rel=1e-9)
        pooled = (
            [
                _resampled_reference(
                    metric, y, y_pred, proba, np.ones(N, bool), draws[:, b], False
                )
                for b in range(B)
            ]
            if not balanced
            else None
        )
        if pooled is not None:  # all rows pooled, on the same replicates
            np.testing.assert_allclose(
                report.overall_intervals.loc[metric, ["low", "high"]].to_numpy(float),
                np.percentile(pooled, [2.5, 97.5]),
                rtol=1e-9,
            )
        low, high = np.percentile(replicates.to_numpy(), [2.5, 97.5], axis=0)
        np.testing.assert_allclose(report.intervals[(metric, "low")], low, rtol=1e-12)
        np.testing.assert_allclose(report.intervals[(metric, "high")], high, rtol=1e-12)


def test_intervals_are_identical_in_batches_merges_and_one_call():
    y, y_pred, proba, groups = _data(1)
    kwargs = dict(n_boot=B, random_state=SEED, classes=[0, 1])
    metrics = ["accuracy", "roc_auc", "log_loss"]
    one = metrics_by_partition(
        y, y_pred, groups, metrics=metrics, y_proba=proba, **kwargs
    )
    streamed = PartitionMetrics(metrics, **kwargs)
    parts = []
    for start, stop in [(0, 37), (37, 300), (300, 301), (301, N)]:
        rows = slice(start, stop)
        streamed.update(y[rows], y_pred[rows], groups[rows], y_proba=proba[rows])
        parts.append(
            PartitionMetrics(metrics, **kwargs).update(
                y[rows],
                y_pred[rows],
                groups[rows],
                y_proba=proba[rows],
                row_offset=start,
            )
        )
    merged = parts[2].merge(parts[0], parts[3], parts[1])
    for report in (streamed.result(), merged.result()):
        np.testing.assert_allclose(
            report.intervals.to_numpy(), one.intervals.to_numpy(), rtol=1e-12
        )
        np.testing.assert_allclose(
            report.summary[["worst_low", "worst_high"]].to_numpy(float),
            one.summary[["worst_low", "worst_high"]].to_numpy(float),
            rtol=1e-12,
        )


def test_same_random_state_reproduces_and_another_differs():
    y, y_pred, proba, groups = _data()

    def run(seed):
        return metrics_by_partition(
            y, y_pred, groups, metrics="accuracy", n_boot=B, random_state=seed
        ).intervals

    np.testing.assert_array_equal(run(3).to_numpy(), run(3).to_numpy())
    assert not np.array_equal(run(3).to_numpy(), run(4).to_numpy())


def test_summary_worst_and_gap_come_from_a_simultaneous_band_mean_from_percentiles():
    y, y_pred, proba, groups = _data()
    report = metrics_by_partition(
        y, y_pred, groups, metrics="accuracy", n_boot=B, random_state=SEED
    )
    replicates = report.replicates("accuracy").to_numpy()
    point = report.by_partition["accuracy"].to_numpy()
    # The studentised max-type band, by hand.
    se = replicates.std(axis=0, ddof=1)
    critical = np.quantile(np.max(np.abs(replicates - point) / se, axis=1), 0.95)
    low, high = point - critical * se, point + critical * se
    row = report.summary.loc["accuracy"]
    assert row["worst_low"] == pytest.approx(low.min())
    assert row["worst_high"] == pytest.approx(high.min())
    assert row["gap_low"] == pytest.approx(max(0, low.max() - high.min()))
    assert row["gap_high"] == pytest.approx(high.max() - low.min())
    assert row["worst_low"] <= row["worst"] <= row["worst_high"]
    assert row["gap_low"] <= row["gap"] <= row["gap_high"]
    assert row["mean_low"] == pytest.approx(np.percentile(replicates.mean(axis=1), 2.5))
    tidy = report.to_frame()
    assert {"low", "high"} <= set(tidy.columns)


def test_a_partition_undefined_in_many_replicates_has_no_interval_and_a_warning():
    # Two rows of one class and one of the other: many replicates lose a class.
    y = np.r_[np.tile([0, 1], 100), [0, 0, 1]]
    score = np.r_[np.tile([0.3, 0.7], 100), [0.2, 0.6, 0.9]]
    groups = np.r_[["big"] * 200, ["small"] * 3]
    with pytest.warns(PartitionMetricWarning, match=r"Fewer than 90% .*'small'"):
        report = metrics_by_partition(
            y,
            (score > 0.5).astype(int),
            groups,
            metrics="roc_auc",
            y_proba=score,
            n_boot=400,
            random_state=0,
        )
    assert np.isnan(report.intervals.loc["small", ("roc_auc", "low")])
    assert not np.isnan(report.intervals.loc["big", ("roc_auc", "low")])


def test_without_n_boot_there_are_no_intervals():
    report = metrics_by_partition([0, 1], [0, 1], ["a", "b"], metrics="accuracy")
    assert report.intervals is None and report.overall_intervals is None
    assert "worst_low" not in report.summary.columns
    with pytest.raises(ValueError, match="n_boot=B"):
        report.replicates("accuracy")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_boot=0), "n_boot must be an integer >= 1"),
        (dict(n_boot=10, confidence_level=95), "confidence_level must be a number"),
    ],
)
def test_bad_bootstrap_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics_by_partition([0, 1], [0, 1], ["a", "b"], metrics="accuracy", **kwargs)


def test_user_callables_are_bootstrapped_too():
    y, y_pred, proba, groups = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = metrics_by_partition(
            y,
            y_pred,
            groups,
            metrics=[skm.accuracy_score, "accuracy"],
            sample_weight=None,
            n_boot=400,
            random_state=SEED,
        )
    np.testing.assert_allclose(
        report.replicates("accuracy_score"), report.replicates("accuracy"), rtol=1e-12
    )
