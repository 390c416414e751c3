"""roc_auc_binned: a ROC AUC of fixed memory per partition, and its error bound."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionMetrics, metrics_by_partition
from skpart._metrics.statistics import SCORE_BINS

METRICS = ["roc_auc_binned"]


def make_case(seed, n=3000, n_partitions=6, spread=0.25):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(rng.normal(0.45 + 0.15 * y, spread), 0, 1)
    groups = rng.integers(0, n_partitions, n)
    weight = rng.random(n) + 0.1
    return y, p, groups, weight


def binned(p):
    """The bin of each probability, computed here from the bins' definition."""
    return np.minimum(np.floor(np.asarray(p, np.float64) * SCORE_BINS), SCORE_BINS - 1)


def score(y, p, groups, **options):
    return metrics_by_partition(
        y,
        (p > 0.5).astype(int),
        groups,
        metrics=["roc_auc_binned"],
        y_proba=np.c_[1 - p, p],
        **options,
    )


@pytest.mark.parametrize("weighting", ["none", "array", "balanced"])
def test_equals_sklearn_on_the_binned_scores(weighting):
    y, p, groups, weight = make_case(0)
    options = {"sample_weight": {"none": None, "array": weight}.get(weighting)}
    if weighting == "balanced":
        options["sample_weight"] = "balanced"
    report = score(y, p, groups, **options)
    rows = np.zeros(len(y))
    for g in np.unique(groups):
        mask = groups == g
        w = {
            "none": None,
            "array": weight[mask],
            "balanced": compute_sample_weight("balanced", y[mask]),
        }[weighting]
        if weighting == "balanced":
            rows[mask] = w
        expected = roc_auc_score(y[mask], binned(p[mask]), sample_weight=w)
        assert report.by_partition.loc[g, "roc_auc_binned"] == pytest.approx(
            expected, rel=1e-12
        )
    pooled_weight = {"none": None, "array": weight, "balanced": rows}[weighting]
    expected = roc_auc_score(y, binned(p), sample_weight=pooled_weight)
    assert report.overall["roc_auc_binned"] == pytest.approx(expected, rel=1e-12)


def tied_pair_share(y, p, weight):
    """Half the weight of (positive, negative) pairs that share a bin."""
    bins = binned(p).astype(int)
    positive = np.bincount(bins[y == 1], weight[y == 1], minlength=SCORE_BINS)
    negative = np.bincount(bins[y == 0], weight[y == 0], minlength=SCORE_BINS)
    return 0.5 * (positive * negative).sum() / (positive.sum() * negative.sum())


@pytest.mark.filterwarnings("ignore:roc_auc_binned may differ")
@pytest.mark.parametrize("seed", range(20))
def test_binned_auc_is_within_the_tied_pairs_of_the_exact_auc(seed):
    # Spreads from crowded (most pairs share a bin) to wide; ties included.
    spread = [0.0005, 0.002, 0.02, 0.2][seed % 4]
    y, p, groups, weight = make_case(seed, n=2000, spread=spread)
    p = np.round(p, 3 + seed % 3)  # exact ties at bin edges and inside bins
    report = score(y, p, groups, sample_weight=weight)
    for g in np.unique(groups):
        mask = groups == g
        exact = roc_auc_score(y[mask], p[mask], sample_weight=weight[mask])
        error = abs(exact - report.by_partition.loc[g, "roc_auc_binned"])
        assert error <= tied_pair_share(y[mask], p[mask], weight[mask]) + 1e-12


def test_spread_scores_give_no_warning():
    y, p, groups, _ = make_case(4, spread=0.25)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = score(y, p, groups, sample_weight=None)
    assert report.by_partition["roc_auc_binned"].notna().all()


def test_crowded_scores_are_named_in_a_warning():
    y, _, groups, _ = make_case(1)
    # Both classes' scores within 0.5 +- 0.001: most pairs share a bin.
    p = 0.5 + 0.0003 * y + np.random.default_rng(1).normal(0, 0.0003, len(y))
    with pytest.warns(
        UserWarning, match=r"roc_auc_binned may differ .* 'roc_auc'"
    ) as w:
        score(y, p, groups, sample_weight=None)
    # The bounds it states are those of the definition, computed here.
    ones = np.ones(len(y))
    per_partition = [
        tied_pair_share(y[groups == g], p[groups == g], ones[groups == g])
        for g in np.unique(groups)
    ]
    stated = re.findall(r"up to ([0-9.e-]+)\)", str(w[0].message))
    assert float(stated[0]) == pytest.approx(max(per_partition), rel=1e-3)
    assert float(stated[1]) == pytest.approx(tied_pair_share(y, p, ones), rel=1e-3)


def test_batches_and_merges_give_the_same_values():
    y, p, groups, weight = make_case(2, n=5000)
    proba = np.c_[1 - p, p]
    pred = (p > 0.5).astype(int)
    whole = PartitionMetrics(METRICS, classes=[0, 1], sample_weight="balanced")
    whole.update(y, pred, groups, y_proba=proba)
    parts = []
    for rows in np.array_split(np.random.default_rng(0).permutation(len(y)), 7):
        part = PartitionMetrics(METRICS, classes=[0, 1], sample_weight="balanced")
        parts.append(
            pickle.loads(
                pickle.dumps(
                    part.update(y[rows], pred[rows], groups[rows], y_proba=proba[rows])
                )
            )
        )
    merged = parts[3].merge(*parts[:3], *parts[4:])
    np.testing.assert_allclose(
        merged.result().by_partition["roc_auc_binned"],
        whole.result().by_partition["roc_auc_binned"],
        rtol=1e-12,
    )


def test_one_class_partition_is_nan_with_the_cause():
    y = np.array([0, 1, 0, 1, 1, 1])
    p = np.array([0.2, 0.8, 0.4, 0.6, 0.7, 0.9])
    groups = np.array(["a", "a", "a", "a", "b", "b"])
    with pytest.warns(UserWarning, match=r"\['b'\] \(y_true has 1 class"):
        report = score(y, p, groups, sample_weight=None)
    assert np.isnan(report.by_partition.loc["b", "roc_auc_binned"])
    assert report.by_partition.loc["a", "roc_auc_binned"] == 1.0


def test_scores_outside_zero_one_are_refused():
    y, p, groups, _ = make_case(3, n=100)
    with pytest.raises(ValueError, match=r"roc_auc_binned bins .* \[0, 1\].*'roc_auc'"):
        metrics_by_partition(
            y,
            (p > 0.5).astype(int),
            groups,
            metrics=METRICS,
            y_proba=np.c_[1 - p, p] * 3 - 1,
        )


def test_bootstrap_is_refused_with_what_to_do():
    with pytest.raises(
        ValueError, match=r"no bootstrap intervals.*'roc_auc' with n_boot"
    ):
        PartitionMetrics(METRICS, classes=[0, 1], n_boot=400)


def test_multiclass_is_refused_as_binary_only():
    y = np.array([0, 1, 2, 0, 1, 2])
    proba = np.full((6, 3), 1 / 3)
    with pytest.raises(ValueError, match="binary-only"):
        metrics_by_partition(
            y, y, np.zeros(6), metrics=METRICS, y_proba=proba, sample_weight=None
        )
