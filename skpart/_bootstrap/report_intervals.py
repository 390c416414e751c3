"""Bootstrap results of a report: intervals per partition, pooled and aggregated.

The engine hands over every metric's values per (replicate, partition);
this module turns them into the report's ``intervals``,
``overall_intervals`` and the summary's ``worst_low`` ... ``worst_share``,
over the partitions the point summary counts: ``worst`` and ``gap`` bounded
by a simultaneous band over those partitions, ``mean`` by the percentile
interval of the replicate means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bands import (
    gap_bounds,
    simultaneous_band,
    wilson_interval,
    worst_bounds,
)
from .resampling import percentile_intervals

#: The summary's interval columns, in order.
SUMMARY_INTERVAL_COLUMNS = (
    "worst_low",
    "worst_high",
    "gap_low",
    "gap_high",
    "mean_low",
    "mean_high",
    "worst_share",
)
#: Smallest share of defined replicates that gives an interval.
MIN_DEFINED = 0.9


@dataclass(frozen=True)
class Bootstrap:
    """What a report keeps of a bootstrap."""

    replicates: dict[str, np.ndarray]  # metric -> (B, P)
    overall: dict[str, np.ndarray]  # metric -> (B,)
    confidence_level: float
    intervals: pd.DataFrame
    overall_intervals: pd.DataFrame
    summary_intervals: pd.DataFrame
    too_few: dict[str, list]  # metric -> counted partitions without an interval
    summary_too_few: list[str]  # metrics whose aggregates have no interval


def bootstrap_results(
    replicates: dict[str, np.ndarray],
    overall: dict[str, np.ndarray],
    *,
    point: dict[str, np.ndarray],
    partition_labels: pd.Index,
    reliable: np.ndarray,
    greater_is_better: dict[str, bool],
    confidence_level: float,
    proportion_sizes: dict[str, np.ndarray] | None = None,
) -> Bootstrap:
    """Intervals of every metric per partition, pooled and aggregated.

    Parameters
    ----------
    replicates : dict of str to ndarray of shape (B, P)
        Each metric's replicate values, NaN where undefined.
    overall : dict of str to ndarray of shape (B,)
        The pooled replicate values.
    point : dict of str to ndarray of shape (P,)
        The values of the data itself: with ``reliable`` they decide which
        partitions the summary counts.
    partition_labels : Index
    reliable : ndarray of bool of shape (P,)
    greater_is_better : dict of str to bool
    confidence_level : float
    proportion_sizes : dict of str to ndarray of shape (P,), default=None
        For the metrics that are proportions, the effective rows each
        partition's value is a share of: where the replicates cannot vary
        (the value at 0 or 1, or a zero-width percentile interval), the
        partition's interval is widened to hold the Wilson interval at that
        size, and the band's standard error kept at least Agresti and
        Coull's.

    Returns
    -------
    Bootstrap
    """
    proportion_sizes = proportion_sizes or {}
    columns, too_few, summary_too_few, stuck = {}, {}, [], {}
    for metric, values in replicates.items():
        low, high, lacking = percentile_intervals(values, confidence_level, axis=0)
        if metric in proportion_sizes:
            low, high, stuck[metric] = _leave_the_boundary(
                low, high, point[metric], proportion_sizes[metric], confidence_level
            )
        columns[(metric, "low")], columns[(metric, "high")] = low, high
        # Only the partitions the summary counts are named: the others are
        # either below min_partition_size or undefined (warned about apart).
        lacking &= _counted(point[metric], reliable)
        if lacking.any():
            too_few[metric] = partition_labels[lacking].tolist()
    intervals = pd.DataFrame(columns, index=partition_labels)
    intervals.columns = pd.MultiIndex.from_tuples(intervals.columns)
    pooled = {m: percentile_intervals(v, confidence_level) for m, v in overall.items()}
    overall_intervals = pd.DataFrame(
        {
            "low": [float(pooled[m].low) for m in overall],
            "high": [float(pooled[m].high) for m in overall],
        },
        index=pd.Index(list(overall), name="metric"),
    )
    rows = []
    for metric, values in replicates.items():
        counted = _counted(point[metric], reliable)
        sizes = stuck.get(metric)
        row = _summary_row(
            values[:, counted],
            point[metric][counted],
            greater_is_better[metric],
            confidence_level,
            stuck_sizes=None if sizes is None else sizes[counted],
        )
        if counted.any() and np.isnan(row["mean_low"]):
            summary_too_few.append(metric)
        rows.append(row)
    summary_intervals = pd.DataFrame(
        rows, index=pd.Index(list(replicates), name="metric")
    )
    return Bootstrap(
        replicates,
        overall,
        confidence_level,
        intervals,
        overall_intervals,
        summary_intervals,
        too_few,
        summary_too_few,
    )


def _counted(point: np.ndarray, reliable: np.ndarray) -> np.ndarray:
    """Return the partitions the summary counts: reliable, with a defined value."""
    return reliable & ~np.isnan(point)


def _summary_row(
    values: np.ndarray,
    point: np.ndarray,
    greater_is_better: bool,
    confidence_level: float,
    *,
    stuck_sizes: np.ndarray | None = None,
) -> dict:
    """Return the summary's interval columns of one metric (counted partitions).

    ``worst`` and ``gap`` are bounded by a simultaneous band over the
    partitions (:mod:`skpart._bootstrap.bands`), ``mean`` by the percentile
    interval of the replicate means. A replicate in which any counted
    partition is undefined is left out of all three (leaving the partition
    out instead would aggregate another set of partitions than the point
    summary does); with fewer than 90% of the replicates left, all are NaN.
    """
    row = dict.fromkeys(SUMMARY_INTERVAL_COLUMNS, np.nan)
    if not point.size:
        return row
    defined = ~np.isnan(values).any(axis=1)
    # NaN propagates through the mean: the rule above, for the quantiles.
    means = values.mean(axis=1)
    bounds = percentile_intervals(means, confidence_level, min_defined=MIN_DEFINED)
    if bool(bounds.too_few_defined):
        return row
    row["mean_low"], row["mean_high"] = float(bounds.low), float(bounds.high)
    band = simultaneous_band(
        values[defined], point, confidence_level, stuck_sizes=stuck_sizes
    )
    row["worst_low"], row["worst_high"] = worst_bounds(band, greater_is_better)
    row["gap_low"], row["gap_high"] = gap_bounds(band)
    row["worst_share"] = _worst_share(values[defined], point, greater_is_better)
    return row


def _leave_the_boundary(
    low: np.ndarray,
    high: np.ndarray,
    point: np.ndarray,
    size: np.ndarray,
    confidence_level: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Widen a proportion's intervals where its replicates cannot vary.

    At 0 or 1 (16 rows all right), or where the percentile interval has
    zero width, every replicate repeats the value and the interval would
    claim certainty; there the interval becomes the hull of itself and the
    Wilson interval at the effective size. Returns the bounds and, for the
    band, the effective size of those partitions (NaN elsewhere).
    """
    stuck = (low == high) | (point == 0) | (point == 1)
    stuck &= ~np.isnan(low) & (size > 0)
    wilson_low, wilson_high = wilson_interval(point, size, confidence_level)
    low = np.where(stuck, np.fmin(low, wilson_low), low)
    high = np.where(stuck, np.fmax(high, wilson_high), high)
    return low, high, np.where(stuck, size, np.nan)


def _worst_share(
    values: np.ndarray, point: np.ndarray, greater_is_better: bool
) -> float:
    """Share of the replicates whose worst is the named worst partition.

    The named worst is the summary's ``worst_partition`` (the first of the
    worst values); a replicate in which it ties for worst counts.
    """
    named = int(np.argmin(point) if greater_is_better else np.argmax(point))
    worst = values.min(axis=1) if greater_is_better else values.max(axis=1)
    return float(np.mean(values[:, named] == worst))
