"""compare_partitions: two fitted estimators on the same rows and replicates.

A paired bootstrap: both estimators predict once, both reports are computed
with one bootstrap seed, so replicate ``b`` weighs every row the same way for
both, and the difference of their replicate values is a replicate of the
difference. One-sided p-values per (partition, metric) cell, with
Benjamini-Hochberg over all reliable cells, decide which partitions regressed.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from .._bootstrap.resampling import (
    benjamini_hochberg,
    bootstrap_p_values,
    bootstrap_seed,
    percentile_intervals,
)
from .._engine.predictions import accumulator_for, add_predictions
from .._inputs.validation import check_bootstrap, check_nonnegative
from .._messages import truncate
from .._results.comparison import PartitionComparison
from .._results.report import PartitionReport


def compare_partitions(
    baseline: Any,
    candidate: Any,
    X: Any,
    y: Any,
    groups: Any,
    *,
    metrics: Any = None,
    sample_weight: Any = "auto",
    min_partition_size: int = 1,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    tolerance: float = 0.0,
    random_state: Any = None,
    pos_label: Any = None,
) -> PartitionComparison:
    """Compare a candidate estimator with a baseline on each partition, paired.

    Both estimators predict once on ``X`` and are scored on the same rows
    with the same bootstrap replicates (one seed for both), so each
    replicate's difference is a replicate of the difference: the paired
    bootstrap, much tighter than comparing two separate intervals. A
    (partition, metric) cell *regressed* when the candidate is worse there by
    more than ``tolerance`` with confidence: its one-sided p-value, the
    share of replicate differences at or above ``-tolerance`` (plus one over
    ``n_boot + 1``), is rejected by Benjamini-Hochberg at false discovery rate
    ``1 - confidence_level`` over all reliable cells (partitions with at
    least ``min_partition_size`` rows, every metric).

    Parameters
    ----------
    baseline, candidate : fitted estimator
        Two sklearn-compatible classifiers (with the same ``classes_``) or
        two regressors, Pipelines included.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Input data, the same for both.
    y : array-like of shape (n_samples,)
        True labels or values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`metrics_by_partition`; None means ``accuracy`` for
        classifiers and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classifiers and None for regressors.
    min_partition_size : int, default=1
        Partitions with fewer rows are reported but not tested.
    n_boot : int, default=1000
        Paired bootstrap replicates (at least 1; a few hundred or more for
        p-values small enough to survive the correction over many cells).
    confidence_level : float, default=0.95
        Level of the intervals; ``1 - confidence_level`` is the false
        discovery rate of the regressions.
    tolerance : float, default=0.0
        A drop of at most this much (in the metric's units) is not a
        regression.
    random_state : int, RandomState instance or None, default=None
        Seeds the replicates (one seed drawn for both estimators).
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.

    Returns
    -------
    PartitionComparison

    See Also
    --------
    score_partitions : One estimator's report.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import compare_partitions
    >>> X, y = [[0], [1], [2], [3]] * 10, [0, 0, 1, 1] * 10
    >>> groups = ["a", "b"] * 20
    >>> baseline = LogisticRegression(C=0.01).fit(X, y)
    >>> candidate = LogisticRegression().fit(X, y)
    >>> comparison = compare_partitions(
    ...     baseline, candidate, X, y, groups, metrics=["accuracy", "log_loss"],
    ...     n_boot=400, random_state=0)
    >>> comparison.passed
    True
    >>> len(comparison.regressions)
    0
    """
    check_is_fitted(baseline)
    check_is_fitted(candidate)
    if n_boot is None or (
        isinstance(n_boot, numbers.Integral)
        and not isinstance(n_boot, bool)
        and n_boot < 1
    ):
        raise ValueError(
            f"n_boot={n_boot!r}: a comparison needs bootstrap replicates; pass an "
            "integer >= 1 (the default 1000, or a few hundred for a quick look)."
        )
    check_bootstrap(n_boot, confidence_level)
    check_nonnegative(
        tolerance,
        "tolerance",
        meaning=" (the drop, in the metric's units, that is not a regression; "
        "pass 0 to flag any drop)",
    )
    if y is None:
        raise ValueError(
            "y is None: compare_partitions needs the true targets of X "
            "(compare_partitions(baseline, candidate, X, y, groups))."
        )
    classes = _common_classes(baseline, candidate)
    # One seed for both: the same rows weigh the same in each replicate.
    seed = bootstrap_seed(random_state)
    reports = []
    for estimator in (baseline, candidate):
        accumulator, weights = accumulator_for(
            estimator,
            metrics,
            sample_weight=sample_weight,
            pos_label=pos_label,
            min_partition_size=min_partition_size,
            classes=classes,
            n_boot=n_boot,
            confidence_level=confidence_level,
            random_state=seed,
        )
        add_predictions(accumulator, estimator, X, y, groups, sample_weight=weights)
        reports.append(accumulator.result())
    return paired_comparison(*reports, tolerance=tolerance)


def _common_classes(baseline: Any, candidate: Any) -> Any:
    """Return the classes both classifiers share; refuse a task or class mismatch."""
    kinds = [
        "classifier" if is_classifier(e) else "regressor" for e in (baseline, candidate)
    ]
    if kinds[0] != kinds[1]:
        raise ValueError(
            f"baseline is a {kinds[0]} ({type(baseline).__name__}) but candidate "
            f"is a {kinds[1]} ({type(candidate).__name__}); compare two "
            "classifiers or two regressors, scored by the same metrics."
        )
    if kinds[0] == "regressor":
        return None
    ours, theirs = (
        np.asarray(getattr(e, "classes_", None)) for e in (baseline, candidate)
    )
    if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
        raise ValueError(
            f"baseline.classes_ is {truncate(ours.tolist())} but candidate.classes_ "
            f"is {truncate(theirs.tolist())}; the two classifiers must be fitted "
            "on the same classes (in the same order) to be compared."
        )
    return ours


def paired_comparison(
    baseline: PartitionReport, candidate: PartitionReport, *, tolerance: float
) -> PartitionComparison:
    """Compare two reports scored on the same bootstrap replicates.

    Per (partition, metric) cell and per pooled metric: the difference
    ("positive is better"), the percentile interval of the replicate
    differences and the one-sided p-value for "worse by more than
    ``tolerance``"; Benjamini-Hochberg at ``1 - confidence_level`` decides
    which regressed, over all reliable cells (the pooled tests are a family
    of their own).

    Parameters
    ----------
    baseline, candidate : PartitionReport
        Two reports of the same rows, metrics and replicates (one seed).
    tolerance : float
        A drop of at most this much is not a regression.

    Returns
    -------
    PartitionComparison
    """
    level = float(baseline.confidence_level)
    signs = {m: 1.0 if gib else -1.0 for m, gib in baseline.greater_is_better.items()}
    differences = {
        metric: sign
        * (
            candidate.replicates(metric).to_numpy(np.float64)
            - baseline.replicates(metric).to_numpy(np.float64)
        )
        for metric, sign in signs.items()
    }
    return PartitionComparison(
        baseline,
        candidate,
        by_partition=_partition_table(
            baseline, candidate, differences, signs, level=level, tolerance=tolerance
        ),
        overall=_overall_table(
            baseline, candidate, signs, level=level, tolerance=tolerance
        ),
        differences=differences,
        tolerance=tolerance,
        confidence_level=level,
    )


def _cells(
    sign: float,
    baseline: np.ndarray,
    candidate: np.ndarray,
    differences: np.ndarray,
    *,
    level: float,
    tolerance: float,
) -> dict:
    """One metric's fields (all but ``regressed``) per column of ``differences``."""
    low, high, too_few = percentile_intervals(differences, level, axis=0)
    p_value = bootstrap_p_values(differences, tolerance=tolerance, axis=0)
    # The rule of the intervals: with fewer than 90% of the replicates
    # defined, the rest describe a biased subset; no test is run there.
    p_value = np.where(too_few, np.nan, p_value)
    return {
        "baseline": baseline,
        "candidate": candidate,
        "difference": sign * (candidate - baseline),
        "low": low,
        "high": high,
        "p_value": p_value,
    }


def _partition_table(
    baseline: PartitionReport,
    candidate: PartitionReport,
    differences: dict[str, np.ndarray],
    signs: dict[str, float],
    *,
    level: float,
    tolerance: float,
) -> pd.DataFrame:
    """Build the comparison's ``by_partition``: every cell, one BH family."""
    base, cand = baseline.by_partition, candidate.by_partition
    reliable = base["reliable"].to_numpy(bool)
    columns, p_values = {}, []
    for metric, sign in signs.items():
        cells = _cells(
            sign,
            base[metric].to_numpy(np.float64),
            cand[metric].to_numpy(np.float64),
            differences[metric],
            level=level,
            tolerance=tolerance,
        )
        for field, values in cells.items():
            columns[(metric, field)] = values
        p_values.append(np.where(reliable, cells["p_value"], np.nan))
    # One family: every reliable (partition, metric) cell.
    rejected = benjamini_hochberg(np.array(p_values).reshape(-1), 1 - level)
    rejected = rejected.reshape(len(signs), len(base))
    for metric, hits in zip(signs, rejected, strict=True):
        columns[(metric, "regressed")] = hits
    columns[("n_samples", "")] = base["n_samples"].to_numpy()
    columns[("reliable", "")] = reliable
    table = pd.DataFrame(columns, index=base.index)
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "field"])
    return table


def _overall_table(
    baseline: PartitionReport,
    candidate: PartitionReport,
    signs: dict[str, float],
    *,
    level: float,
    tolerance: float,
) -> pd.DataFrame:
    """Build the comparison's ``overall``: a pooled test per metric, one family."""
    base, cand = baseline.overall_replicates, candidate.overall_replicates
    rows = []
    for metric, sign in signs.items():
        differences = sign * (
            cand[metric].to_numpy(np.float64) - base[metric].to_numpy(np.float64)
        )
        cells = _cells(
            sign,
            np.array([baseline.overall[metric]]),
            np.array([candidate.overall[metric]]),
            differences[:, None],
            level=level,
            tolerance=tolerance,
        )
        rows.append({field: float(values[0]) for field, values in cells.items()})
    table = pd.DataFrame(rows, index=pd.Index(list(signs), name="metric"))
    p = table["p_value"].to_numpy(np.float64)
    table["regressed"] = benjamini_hochberg(p, 1 - level)
    return table
