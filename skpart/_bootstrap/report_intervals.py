"""Bootstrap results of a report: intervals per partition, pooled and aggregated.

The engine hands over every metric's values per (replicate, partition);
this module turns them into the report's ``intervals``,
``overall_intervals`` and the summary's ``worst_low`` ... ``mean_high``
(each aggregate recomputed on every replicate, over the partitions the
point summary counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .resampling import percentile_intervals

#: Aggregates recomputed on each replicate, in the summary's column order.
REPLICATED_AGGREGATES = ("worst", "gap", "mean")


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

    Returns
    -------
    Bootstrap
    """
    columns, too_few, summary_too_few = {}, {}, []
    for metric, values in replicates.items():
        low, high, lacking = percentile_intervals(values, confidence_level, axis=0)
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
        aggregates = _replicate_aggregates(
            values[:, counted], greater_is_better[metric]
        )
        row = {}
        for name in REPLICATED_AGGREGATES:
            bounds = percentile_intervals(aggregates[name], confidence_level)
            row[f"{name}_low"], row[f"{name}_high"] = (
                float(bounds.low),
                float(bounds.high),
            )
        row["worst_share"] = _worst_share(
            values[:, counted], point[metric][counted], greater_is_better[metric]
        )
        if counted.any() and bool(bounds.too_few_defined):
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


def _replicate_aggregates(values: np.ndarray, greater_is_better: bool) -> dict:
    """``worst``, ``gap`` and ``mean`` over the counted partitions, per replicate.

    A replicate in which any counted partition is undefined is undefined for
    every aggregate: leaving that partition out would aggregate another set
    of partitions than the point summary does.
    """
    if not values.shape[1]:
        nan = np.full(len(values), np.nan)
        return {"worst": nan, "gap": nan, "mean": nan}
    # NaN propagates through min, max and mean: exactly the rule above.
    smallest, largest = values.min(axis=1), values.max(axis=1)
    worst = smallest if greater_is_better else largest
    return {"worst": worst, "gap": largest - smallest, "mean": values.mean(axis=1)}


def _worst_share(
    values: np.ndarray, point: np.ndarray, greater_is_better: bool
) -> float:
    """Share of the defined replicates whose worst is the named worst partition.

    The named worst is the summary's ``worst_partition`` (the first of the
    worst values); a replicate in which it ties for worst counts.
    """
    if not point.size:
        return float("nan")
    defined = ~np.isnan(values).any(axis=1)
    if not defined.any():
        return float("nan")
    values = values[defined]
    named = int(np.argmin(point) if greater_is_better else np.argmax(point))
    worst = values.min(axis=1) if greater_is_better else values.max(axis=1)
    return float(np.mean(values[:, named] == worst))
