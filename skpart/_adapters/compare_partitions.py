"""compare_partitions: two fitted estimators on the same rows and replicates.

A paired bootstrap: both estimators predict once, both reports are computed
with one bootstrap seed, so replicate ``b`` weighs every row the same way for
both, and the difference of their replicate values is a replicate of the
difference. One-sided p-values per (partition, metric) cell (a studentised
tail of the paired replicates, ``skpart._bootstrap.pvalues``), with
Benjamini-Hochberg over all reliable cells, decide which partitions regressed.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from .._bootstrap.pvalues import (
    benjamini_hochberg,
    lone_rejection_rows,
    paired_p_values,
)
from .._bootstrap.resampling import bootstrap_seed, percentile_intervals
from .._engine.predictions import accumulator_for, add_predictions
from .._inputs.validation import check_bootstrap, check_nonnegative
from .._messages import truncate, warn
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
    tolerance: float | Mapping[str, float] = 0.0,
    random_state: Any = None,
    pos_label: Any = None,
) -> PartitionComparison:
    """Compare a candidate estimator with a baseline on each partition, paired.

    Both estimators predict once on ``X`` and are scored on the same rows
    with the same bootstrap replicates (one seed for both), so each
    replicate's difference is a replicate of the difference: the paired
    bootstrap, much tighter than comparing two separate intervals. A
    (partition, metric) cell *regressed* when the candidate is worse there by
    more than ``tolerance`` with confidence: its one-sided p-value is
    rejected by Benjamini-Hochberg at false discovery rate ``1 -
    confidence_level`` over all reliable cells (partitions with at least
    ``min_partition_size`` rows, every metric).

    The p-value is a studentised tail of the paired replicates: with ``d``
    the difference on the data ("positive is better") and ``s`` the standard
    deviation of its ``B`` defined replicates, ``p = T_{B-1}((d +
    tolerance) / s)`` (Student's t distribution function), never below
    ``2 ** -n`` for a partition of ``n`` rows (what an exact paired test of
    ``n`` rows can reach at most). Unlike the share of replicates on the
    null side, it is not floored at ``1 / (n_boot + 1)``, so one regressed
    cell can be flagged among thousands at the default ``n_boot``. Where
    every replicate is the same (a candidate wrong on every row where the
    baseline is right on every row) ``p`` is ``2 ** -n``, McNemar's exact
    p-value; cells with fewer than 90% of their replicates defined are not
    tested (``p_value`` NaN, left out of the correction). A partition of
    fewer than ``log2(m / (1 - confidence_level))`` rows cannot be flagged
    on its own among ``m`` tested cells: a warning names such partitions.

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
        Paired bootstrap replicates (at least 1; two or more to test, a few
        hundred or more for a stable standard error).
    confidence_level : float, default=0.95
        Level of the intervals; ``1 - confidence_level`` is the false
        discovery rate of the regressions.
    tolerance : float or dict of str to float, default=0.0
        A drop of at most this much (in the metric's units) is not a
        regression. A float applies to every metric; a dict ``{metric:
        tolerance}`` sets one per metric (for example ``{"mean_absolute_error":
        2.0, "r2": 0.01}``), and a metric it leaves out gets 0.0 (any drop
        counts), as with the default. Names must be metrics of the
        comparison; values finite and >= 0.
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
    if not isinstance(tolerance, Mapping):
        _check_tolerance(tolerance, "tolerance")
    if y is None:
        raise ValueError(
            "y is None: compare_partitions needs the true targets of X "
            "(compare_partitions(baseline, candidate, X, y, groups))."
        )
    classes = _common_classes(baseline, candidate)
    # One seed for both: the same rows weigh the same in each replicate.
    seed = bootstrap_seed(random_state)
    accumulators = [
        accumulator_for(
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
        for estimator in (baseline, candidate)
    ]
    # Checked before predicting: a misspelt metric name costs no prediction.
    tolerances = metric_tolerances(tolerance, accumulators[0][0].metric_names)
    reports = []
    for estimator, (accumulator, weights) in zip(
        (baseline, candidate), accumulators, strict=True
    ):
        add_predictions(accumulator, estimator, X, y, groups, sample_weight=weights)
        reports.append(accumulator.result())
    return paired_comparison(*reports, tolerance=tolerances)


def _check_tolerance(value: Any, name: str) -> float:
    return check_nonnegative(
        value,
        name,
        meaning=" (the drop, in the metric's units, that is not a regression; "
        "pass 0 to flag any drop)",
    )


def metric_tolerances(
    tolerance: float | Mapping[str, float], metrics: list[str]
) -> dict[str, float]:
    """Each metric's tolerance, from one number or a dict by metric name.

    A metric the dict leaves out gets 0.0 (the default: any drop counts).

    Parameters
    ----------
    tolerance : float or mapping of str to float
        As ``compare_partitions``'s.
    metrics : list of str
        The metric names of the comparison.

    Returns
    -------
    dict of str to float
        One tolerance per metric, in the order of ``metrics``.
    """
    if not isinstance(tolerance, Mapping):
        value = _check_tolerance(tolerance, "tolerance")
        return dict.fromkeys(metrics, value)
    unknown = [name for name in tolerance if name not in metrics]
    if unknown:
        raise ValueError(
            f"tolerance names {truncate(unknown)}, which are not metrics of this "
            f"comparison; give tolerances for some of {truncate(metrics)} "
            "(a metric left out gets 0.0)."
        )
    return {
        name: _check_tolerance(tolerance[name], f"tolerance[{name!r}]")
        if name in tolerance
        else 0.0
        for name in metrics
    }


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
    baseline: PartitionReport,
    candidate: PartitionReport,
    *,
    tolerance: Mapping[str, float],
) -> PartitionComparison:
    """Compare two reports scored on the same bootstrap replicates.

    Per (partition, metric) cell and per pooled metric: the difference
    ("positive is better"), the percentile interval of the replicate
    differences and the one-sided p-value for "worse by more than the
    metric's tolerance" (:func:`~skpart._bootstrap.pvalues.paired_p_values`);
    Benjamini-Hochberg at ``1 - confidence_level`` decides which regressed,
    over all reliable cells (the pooled tests are a family of their own).
    Warns when some reliable partitions have too few rows to be flagged on
    their own in that family, or when no cell could be tested.

    Parameters
    ----------
    baseline, candidate : PartitionReport
        Two reports of the same rows, metrics and replicates (one seed).
    tolerance : mapping of str to float
        Each metric's tolerance (see :func:`metric_tolerances`): a drop of at
        most this much is not a regression.

    Returns
    -------
    PartitionComparison
    """
    level = float(baseline.confidence_level)
    signs = {m: 1.0 if gib else -1.0 for m, gib in baseline.greater_is_better.items()}
    tolerance = {metric: float(tolerance[metric]) for metric in signs}
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
    n_rows: np.ndarray,
    *,
    level: float,
    tolerance: float,
) -> dict:
    """One metric's fields (all but ``regressed``) per column of ``differences``."""
    low, high, too_few = percentile_intervals(differences, level, axis=0)
    difference = sign * (candidate - baseline)
    p_value = paired_p_values(
        differences, difference, tolerance=tolerance, n_rows=n_rows, axis=0
    )
    # The rule of the intervals: with fewer than 90% of the replicates
    # defined, the rest describe a biased subset; no test is run there.
    p_value = np.where(too_few, np.nan, p_value)
    return {
        "baseline": baseline,
        "candidate": candidate,
        "difference": difference,
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
    tolerance: Mapping[str, float],
) -> pd.DataFrame:
    """Build the comparison's ``by_partition``: every cell, one BH family."""
    base, cand = baseline.by_partition, candidate.by_partition
    reliable = base["reliable"].to_numpy(bool)
    n_rows = base["n_samples"].to_numpy(np.float64)
    columns, p_values = {}, []
    for metric, sign in signs.items():
        cells = _cells(
            sign,
            base[metric].to_numpy(np.float64),
            cand[metric].to_numpy(np.float64),
            differences[metric],
            n_rows,
            level=level,
            tolerance=tolerance[metric],
        )
        for field, values in cells.items():
            columns[(metric, field)] = values
        p_values.append(np.where(reliable, cells["p_value"], np.nan))
    # One family: every reliable (partition, metric) cell.
    p_values = np.array(p_values)
    rejected = benjamini_hochberg(p_values.reshape(-1), 1 - level)
    rejected = rejected.reshape(len(signs), len(base))
    for metric, hits in zip(signs, rejected, strict=True):
        columns[(metric, "regressed")] = hits
    columns[("n_samples", "")] = base["n_samples"].to_numpy()
    columns[("reliable", "")] = reliable
    table = pd.DataFrame(columns, index=base.index)
    table.columns = pd.MultiIndex.from_tuples(table.columns, names=["metric", "field"])
    _warn_blind_cells(table, p_values, n_rows, reliable, 1 - level)
    return table


def _warn_blind_cells(
    table: pd.DataFrame,
    p_values: np.ndarray,
    n_rows: np.ndarray,
    reliable: np.ndarray,
    alpha: float,
) -> None:
    """Warn where the gate cannot flag a regression confined to one cell."""
    tested = ~np.isnan(p_values)
    n_tests = int(tested.sum())
    if not reliable.any():
        return
    if n_tests == 0:
        warn(
            "compare_partitions could not test any (partition, metric) cell: "
            "each needs at least 90% of its replicates defined and at least two "
            "of them, so no regression can be flagged; pass a larger n_boot "
            "(the default is 1000), or check why the metrics are undefined.",
            UserWarning,
        )
        return
    # A cell's p-value is at least 2 ** -n (paired_p_values): below
    # ``needed`` rows it cannot pass BH's line alpha / m on its own.
    needed = lone_rejection_rows(n_tests, alpha)
    blind = tested.any(axis=0) & (n_rows < needed)
    if blind.any():
        labels = table.index.to_flat_index()[blind]
        warn(
            f"compare_partitions cannot flag a regression confined to one of "
            f"{int(blind.sum())} of the {int(tested.any(axis=0).sum())} tested "
            f"partitions, {truncate(labels)}: they have fewer than {needed} rows, "
            f"and no p-value of a partition of n rows is below 2**-n, while one "
            f"cell among {n_tests} tests is flagged only below {alpha:g} / "
            f"{n_tests}. Regressions there are flagged only together with others; "
            f"pass min_partition_size={needed} to leave them out of the test, "
            "or test fewer metrics.",
            UserWarning,
        )


def _overall_table(
    baseline: PartitionReport,
    candidate: PartitionReport,
    signs: dict[str, float],
    *,
    level: float,
    tolerance: Mapping[str, float],
) -> pd.DataFrame:
    """Build the comparison's ``overall``: a pooled test per metric, one family."""
    base, cand = baseline.overall_replicates, candidate.overall_replicates
    n_rows = float(baseline.by_partition["n_samples"].sum())
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
            np.array([n_rows]),
            level=level,
            tolerance=tolerance[metric],
        )
        rows.append({field: float(values[0]) for field, values in cells.items()})
    table = pd.DataFrame(rows, index=pd.Index(list(signs), name="metric"))
    p = table["p_value"].to_numpy(np.float64)
    table["regressed"] = benjamini_hochberg(p, 1 - level)
    return table
