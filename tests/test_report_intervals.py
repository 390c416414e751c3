"""What the report's intervals are computed from, checked from outside skpart.

Each expected value is computed here with NumPy or scikit-learn on the
resampled rows (``poisson_multiplicities`` gives each row's draws).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from skpart import PartitionMetrics, PartitionMetricWarning, metrics_by_partition
from skpart._bootstrap.resampling import poisson_multiplicities


def _r2_on_resampled_rows(y, y_pred, rows):
    """sklearn's r2_score on the rows, repeated by their multiplicity.

    A constant resampled target gets sklearn's ``force_finite`` rule (1.0 if
    the prediction is perfect, else 0.0) decided exactly: sklearn decides it
    by comparing the float mean of the repeated value to the value, which
    rounding can miss (``r2_score([0.1] * 3, [0.6] * 3)`` is -1.3e33).
    """
    if rows.size < 2:
        return np.nan
    y_r, p_r = y[rows], y_pred[rows]
    if np.ptp(y_r) == 0:
        return 1.0 if np.array_equal(y_r, p_r) else 0.0
    return skm.r2_score(y_r, p_r)


@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e6])
def test_r2_replicates_equal_sklearn_on_the_resampled_rows(scale):
    rng = np.random.default_rng(4)
    sizes = [2, 3, 3, 4, 6, 30]
    groups = np.repeat(np.arange(len(sizes)), sizes)
    y = scale * (rng.normal(size=groups.size) + 0.1 * groups)
    y_pred = y + scale * rng.normal(0, 0.5, groups.size)
    y_pred[groups == 1] = y[groups == 1]  # a perfect partition
    n_boot = 400
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        report = metrics_by_partition(
            y, y_pred, groups, metrics="r2", n_boot=n_boot, random_state=5
        )
    draws = poisson_multiplicities(5, 0, groups.size, n_boot)
    replicates = report.replicates("r2").to_numpy()
    expected = np.array(
        [
            [
                _r2_on_resampled_rows(
                    y,
                    y_pred,
                    np.repeat(np.flatnonzero(groups == g), draws[groups == g, b]),
                )
                for g in range(len(sizes))
            ]
            for b in range(n_boot)
        ]
    )
    np.testing.assert_allclose(replicates, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("n_boot", "level"), [(200, 0.95), (40, 0.95), (30, 0.9), (10, 0.5)]
)
def test_too_few_replicates_for_the_level_are_refused_with_what_to_do(n_boot, level):
    match = rf"n_boot={n_boot} is too few for confidence_level={level}.*Pass n_boot="
    with pytest.raises(ValueError, match=match):
        metrics_by_partition(
            [0, 1],
            [0, 1],
            ["a", "b"],
            metrics="accuracy",
            n_boot=n_boot,
            confidence_level=level,
        )


def test_ten_replicates_in_each_tail_are_enough():
    for n_boot, level in [(400, 0.95), (200, 0.9), (40, 0.5)]:
        metrics_by_partition(
            [0, 1] * 5, [0, 1] * 5, ["a", "b"] * 5, metrics="accuracy",
            n_boot=n_boot, confidence_level=level, random_state=0,
        )  # fmt: skip


def _rare_positive_data():
    """Three partitions; 'rare' has 4 positives in 44 rows, so its AUC is
    undefined in the ~2% of replicates that draw none of them."""
    rng = np.random.default_rng(3)
    sizes, positives = [300, 300, 44], [150, 150, 4]
    y = np.concatenate(
        [
            np.r_[np.ones(p), np.zeros(n - p)]
            for n, p in zip(sizes, positives, strict=True)
        ]
    )
    groups = np.repeat(["a", "b", "rare"], sizes)
    score = np.clip(0.5 + 0.25 * (y - 0.5) + rng.normal(0, 0.2, y.size), 0, 1)
    return y.astype(int), (score > 0.5).astype(int), score, groups


def test_an_aggregate_replicate_is_undefined_where_a_counted_partition_is():
    y, y_pred, score, groups = _rare_positive_data()
    report = metrics_by_partition(
        y, y_pred, groups, metrics="roc_auc", y_proba=score, n_boot=1000,
        random_state=2,
    )  # fmt: skip
    replicates = report.replicates("roc_auc").to_numpy()
    undefined = np.isnan(replicates).any(axis=1)
    assert 0 < undefined.mean() < 0.1  # the rule is exercised, the interval kept
    means = replicates[~undefined].mean(axis=1)
    row = report.summary.loc["roc_auc"]
    assert row["mean_low"] == pytest.approx(np.percentile(means, 2.5), rel=1e-12)
    assert row["mean_high"] == pytest.approx(np.percentile(means, 97.5), rel=1e-12)


def test_aggregates_with_too_few_defined_replicates_are_nan_and_named():
    y, y_pred, score, groups = _rare_positive_data()
    keep = (groups != "rare") | (np.arange(y.size) >= y.size - 41)  # 1 positive
    with pytest.warns(
        PartitionMetricWarning, match=r"summary's aggregates of \['roc_auc'\]"
    ):
        report = metrics_by_partition(
            y[keep], y_pred[keep], groups[keep], metrics="roc_auc",
            y_proba=score[keep], n_boot=400, random_state=2,
        )  # fmt: skip
    replicates = report.replicates("roc_auc").to_numpy()
    assert np.isnan(replicates).any(axis=1).mean() > 0.1
    row = report.summary.loc["roc_auc"]
    assert np.isnan(row[["worst_low", "gap_high", "mean_low"]].astype(float)).all()


def test_worst_share_is_how_often_the_named_worst_is_worst_in_the_replicates():
    rng = np.random.default_rng(8)
    groups = np.repeat(list("abcd"), 250)
    accuracy = np.repeat([0.78, 0.80, 0.80, 0.90], 250)
    y = rng.integers(0, 2, groups.size)
    y_pred = np.where(rng.random(groups.size) < accuracy, y, 1 - y)
    report = metrics_by_partition(
        y, y_pred, groups, metrics="accuracy", n_boot=400, random_state=1
    )
    replicates = report.replicates("accuracy")
    named = report.summary.loc["accuracy", "worst_partition"]
    expected = np.mean(
        replicates[named].to_numpy() == replicates.min(axis=1).to_numpy()
    )
    assert 0 < expected < 1
    assert report.summary.loc["accuracy", "worst_share"] == pytest.approx(expected)


def test_partitions_the_summary_leaves_out_are_not_named_in_the_warning():
    # 'tiny' (3 rows, below min_partition_size) lacks replicates; no other does.
    y = np.r_[np.tile([0, 1], 100), [0, 0, 1]]
    score = np.r_[np.tile([0.3, 0.7], 100), [0.2, 0.6, 0.9]]
    groups = np.r_[["big"] * 200, ["tiny"] * 3]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        metrics_by_partition(
            y, (score > 0.5).astype(int), groups, metrics="roc_auc",
            y_proba=score, n_boot=400, random_state=0, min_partition_size=20,
        )  # fmt: skip
    messages = [str(w.message) for w in caught]
    assert not any("Fewer than 90%" in m for m in messages), messages
    assert not any("[]" in m for m in messages), messages


def test_merging_accumulators_of_the_same_row_positions_is_refused():
    y, y_pred = np.array([0, 1, 1, 0] * 5), np.array([0, 1, 0, 0] * 5)
    groups = np.array(list("ab") * 10)

    def part(rows, **kwargs):
        return PartitionMetrics(["accuracy"], n_boot=400, random_state=0).update(
            y[rows], y_pred[rows], groups[rows], **kwargs
        )

    first, second = part(slice(0, 10)), part(slice(10, 20))  # both at 0..9
    with pytest.raises(ValueError, match=r"positions from 0 to 9.*row_offset"):
        first.merge(second)
    overlapping = part(slice(10, 20), row_offset=5)
    with pytest.raises(ValueError, match=r"positions from 5 to 9"):
        part(slice(0, 10)).merge(overlapping)
    whole = part(slice(0, 20)).result()
    merged = part(slice(0, 10)).merge(part(slice(10, 20), row_offset=10)).result()
    np.testing.assert_array_equal(
        merged.intervals.to_numpy(), whole.intervals.to_numpy()
    )
    # Without a bootstrap the positions do not matter.
    plain = [PartitionMetrics(["accuracy"]).update(y, y_pred, groups) for _ in "ab"]
    plain[0].merge(plain[1])


def test_replicates_that_would_pass_a_quarter_of_memory_warn_before(monkeypatch):
    import skpart._engine.machine

    monkeypatch.setattr(skpart._engine.machine, "total_memory", lambda: 4_000_000)
    groups = np.arange(2000)
    with pytest.warns(
        PartitionMetricWarning, match=r"replicates would take .*n_boot=400"
    ):
        PartitionMetrics(["accuracy"], n_boot=400, random_state=0).update(
            groups % 2, groups % 2, groups
        )


def _gap_coverage(n_data_sets, seed):
    """Share of simulated data sets whose gap interval holds the true gap.

    Ten partitions of 1,000 rows, predicted positive with probability 0.40
    in one and 0.30 in the others: the true gap of selection_rate (the
    demographic parity difference) is 0.10, and the true worst is 0.30.
    """
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(10), 1000)
    rate = np.where(groups == 0, 0.40, 0.30)
    gap_hits, worst_hits = [], []
    for trial in range(n_data_sets):
        y = rng.integers(0, 2, groups.size)
        y_pred = (rng.random(groups.size) < rate).astype(int)
        row = metrics_by_partition(
            y, y_pred, groups, metrics="selection_rate", n_boot=400,
            random_state=trial,
        ).summary.loc["selection_rate"]  # fmt: skip
        gap_hits.append(row["gap_low"] <= 0.10 <= row["gap_high"])
        worst_hits.append(row["worst_low"] <= 0.30 <= row["worst_high"])
    return np.mean(gap_hits), np.mean(worst_hits)


def test_gap_and_worst_intervals_cover_the_truth_in_a_simulation():
    # 50 data sets: a coverage of 0.95 has a Monte Carlo error of 0.03; the
    # percentile interval of the replicate gap covered about 0.6 here.
    gap, worst = _gap_coverage(50, seed=11)
    assert gap >= 0.86
    assert worst >= 0.86


def test_n_effective_is_rows_kish_or_the_rarer_class():
    rng = np.random.default_rng(6)
    groups = np.repeat(["a", "b", "c"], [50, 80, 120])
    y = (rng.random(groups.size) < 0.3).astype(int)
    y_pred = np.where(rng.random(groups.size) < 0.8, y, 1 - y)
    weight = rng.gamma(0.5, size=groups.size)
    kwargs = dict(metrics="accuracy", n_boot=400, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        plain = metrics_by_partition(y, y_pred, groups, **kwargs)
        weighted = metrics_by_partition(
            y, y_pred, groups, sample_weight=weight, **kwargs
        )
        balanced = metrics_by_partition(
            y, y_pred, groups, sample_weight="balanced", **kwargs
        )
    assert list(plain.by_partition.columns)[-2:] == ["reliable", "n_effective"]
    for label in "abc":
        rows = groups == label
        w = weight[rows]
        assert plain.by_partition.loc[label, "n_effective"] == rows.sum()
        assert weighted.by_partition.loc[label, "n_effective"] == pytest.approx(
            w.sum() ** 2 / (w * w).sum(), rel=1e-12
        )
        assert balanced.by_partition.loc[label, "n_effective"] == min(
            np.bincount(y[rows], minlength=2)
        )
    no_boot = metrics_by_partition(y, y_pred, groups, metrics="accuracy")
    assert "n_effective" not in no_boot.by_partition.columns
    # Merged accumulators of disjoint rows know the same sizes.
    parts = [
        PartitionMetrics(["accuracy"], n_boot=400, random_state=0).update(
            y[s], y_pred[s], groups[s], sample_weight=weight[s], row_offset=s.start
        )
        for s in (slice(0, 100), slice(100, 250))
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        merged = parts[0].merge(parts[1]).result()
    np.testing.assert_allclose(
        merged.by_partition["n_effective"], weighted.by_partition["n_effective"]
    )


def test_an_all_right_partition_gets_the_wilson_interval_not_a_point():
    # 16 rows all right: every replicate is 1, the percentile interval [1, 1].
    with pytest.warns(
        PartitionMetricWarning, match=r"\['small'\] have an effective size below"
    ):
        report = metrics_by_partition(
            np.r_[np.ones(16), np.tile([0, 1], 50)].astype(int),
            np.r_[np.ones(16), np.tile([0, 0], 50)].astype(int),
            np.repeat(["small", "large"], [16, 100]),
            metrics="accuracy", n_boot=400, random_state=0,
        )  # fmt: skip
    from scipy.stats import binomtest

    wilson = binomtest(16, 16).proportion_ci(0.95, method="wilson")
    low, high = report.intervals.loc["small", "accuracy"]
    assert low == pytest.approx(wilson.low, rel=1e-9)
    assert high == pytest.approx(wilson.high, rel=1e-9)
    row = report.summary.loc["accuracy"]
    assert row["worst_low"] <= 0.5 <= row["worst_high"]


def test_per_partition_accuracy_intervals_cover_at_the_boundary():
    # 300 partitions of 20 rows at a true accuracy of 0.95: a third are all
    # right. The percentile intervals covered 0.65 here, a third of zero width.
    rng = np.random.default_rng(12)
    groups = np.repeat(np.arange(300), 20)
    y = rng.integers(0, 2, groups.size)
    y_pred = np.where(rng.random(groups.size) < 0.95, y, 1 - y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        report = metrics_by_partition(
            y, y_pred, groups, metrics="accuracy", n_boot=400, random_state=0
        )
    low, high = report.intervals["accuracy"].to_numpy().T
    assert np.mean((low <= 0.95) & (0.95 <= high)) >= 0.88  # MC error 0.013
    assert np.mean(low == high) == 0


def test_the_warning_counts_an_auc_by_its_rarer_class_not_its_rows():
    # 200 rows, 10 positives: n_effective is 200, but the AUC rests on 10.
    rng = np.random.default_rng(2)
    y = np.r_[np.ones(10), np.zeros(190), rng.integers(0, 2, 200)].astype(int)
    groups = np.repeat(["rare", "even"], 200)
    score = np.clip(0.3 * y + rng.random(400) * 0.7, 0, 1)
    kwargs = dict(y_proba=score, n_boot=400, random_state=0)
    with pytest.warns(PartitionMetricWarning, match=r"1 partition\(s\) \['rare'\]"):
        report = metrics_by_partition(
            y, (score > 0.5).astype(int), groups, metrics="roc_auc", **kwargs
        )
    assert report.by_partition.loc["rare", "n_effective"] == 200
    with warnings.catch_warnings():
        warnings.simplefilter("error", PartitionMetricWarning)
        metrics_by_partition(
            y, (score > 0.5).astype(int), groups, metrics="accuracy", **kwargs
        )
