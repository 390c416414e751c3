"""What a report's summary holds, computed once when the report is built.

Each metric's aggregates over the partitions that count (reliable, with a
defined value), by :func:`~skpart._metrics.aggregates.summarize_values`,
joined with the bootstrap's intervals of those aggregates. The report's
``disparities`` are :func:`~skpart._metrics.fairness.disparities` of this
table.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .._metrics.aggregates import summarize_values


def summary_table(
    by_partition: pd.DataFrame,
    greater_is_better: Mapping[str, bool],
    summary_intervals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate each metric over the reliable partitions with a defined value.

    Parameters
    ----------
    by_partition : DataFrame
        A report's partitions: one column per metric, then ``reliable``.
    greater_is_better : mapping of str to bool
        Direction of each metric, in report order.
    summary_intervals : DataFrame, default=None
        The bootstrap's intervals of the aggregates (index metric), joined
        as further columns; None without a bootstrap.

    Returns
    -------
    DataFrame
        Index ``metric``; columns ``worst``, ``best``, ``mean``, ``std``,
        ``gap``, ``ratio``, ``worst_partition``, ``n_partitions``, then
        those of ``summary_intervals``.
    """
    reliable = by_partition[by_partition["reliable"].astype(bool)]
    metrics = list(greater_is_better)
    rows = [summarize_values(reliable[m], greater_is_better[m]) for m in metrics]
    summary = pd.DataFrame(rows, index=pd.Index(metrics, name="metric"))
    if summary_intervals is not None:
        summary = summary.join(summary_intervals)
    return summary.astype({"worst_partition": object, "n_partitions": np.int64})
