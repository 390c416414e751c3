"""Bootstrap results of a report: intervals per partition, pooled and aggregated.

The engine hands over every metric's values per (replicate, partition);
this module turns them into the report's ``intervals``,
``overall_intervals`` and the summary's ``worst_low`` ... ``mean_high``
(each aggregate recomputed on every replicate, over the partitions the
point summary counts).
"""

from __future__ import annotations

import warnings
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
    too_few: dict[str, list]  # metric -> partition labels without an interval


def bootstrap_results(
    replicates: dict[str, np.ndarray],
    overall: dict[str, np.ndarray],
    *,
    partition_labels: pd.Index,
    reliable: np.ndarray,
    greater_is_better: dict[str, bool],
    confidence_level: float,
) -> Bootstrap:
    """Percentile intervals of every metric, pooled value and aggregate."""
    columns, too_few = {}, {}
    for metric, values in replicates.items():
        low, high, lacking = percentile_intervals(values, confidence_level, axis=0)
        columns[(metric, "low")], columns[(metric, "high")] = low, high
        if lacking.any():
            too_few[metric] = partition_labels[lacking & reliable].tolist()
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
        aggregates = _replicate_aggregates(
            values[:, reliable], greater_is_better[metric]
        )
        row = {}
        for name in REPLICATED_AGGREGATES:
            bounds = percentile_intervals(aggregates[name], confidence_level)
            row[f"{name}_low"], row[f"{name}_high"] = (
                float(bounds.low),
                float(bounds.high),
            )
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
    )


def _replicate_aggregates(values: np.ndarray, greater_is_better: bool) -> dict:
    """``worst``, ``gap`` and ``mean`` over partitions, one per replicate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN replicates
        smallest = (
            np.nanmin(values, axis=1) if values.size else np.full(len(values), np.nan)
        )
        largest = np.nanmax(values, axis=1) if values.size else smallest
        mean = np.nanmean(values, axis=1) if values.size else smallest
    worst = smallest if greater_is_better else largest
    return {"worst": worst, "gap": np.abs(largest - smallest), "mean": mean}
