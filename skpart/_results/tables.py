"""The tables a PartitionReport holds and shows, built from what was computed.

:func:`partition_tables` turns the engine's per-partition arrays into
``by_partition`` and ``overall``; :func:`summary_table` aggregates each
metric over the partitions that count (reliable, with a defined value), by
:func:`~skpart._metrics.aggregates.summarize_values`, joined with the
bootstrap's intervals of those aggregates (the report's ``disparities`` are
:func:`~skpart._metrics.fairness.disparities` of it); :func:`tidy_table` is
the long form of ``to_frame``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._metrics.aggregates import summarize_values


def partition_tables(
    values: Mapping[str, np.ndarray],
    *,
    partition_labels: Any,
    n_samples: np.ndarray,
    weight: np.ndarray,
    overall: Mapping[str, float],
    min_partition_size: int,
    n_effective: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Build a report's ``by_partition`` and ``overall`` from arrays.

    The parameters are those of :meth:`skpart.PartitionReport.from_arrays`.

    Returns
    -------
    by_partition : DataFrame
        The metrics (float64), then ``n_samples``, ``weight``, ``reliable``
        and, when given, ``n_effective``.
    overall : Series
        The pooled values, indexed by metric.
    """
    n_samples = np.asarray(n_samples, dtype=np.int64)
    columns = {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}
    columns.update(
        n_samples=n_samples,
        weight=np.asarray(weight, dtype=np.float64),
        reliable=n_samples >= min_partition_size,
    )
    if n_effective is not None:
        columns["n_effective"] = np.asarray(n_effective, dtype=np.float64)
    index = (
        partition_labels
        if isinstance(partition_labels, pd.Index)
        else pd.Index(partition_labels)
    )
    pooled = pd.Series(
        [float(overall[name]) for name in values],
        index=list(values),
        dtype=np.float64,
        name="overall",
    )
    return pd.DataFrame(columns, index=index), pooled


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


def tidy_table(
    by_partition: pd.DataFrame, metrics: list[str], intervals: pd.DataFrame | None
) -> pd.DataFrame:
    """Long form of a report: one row per (partition, metric), metric-major.

    Columns ``partition`` (flat: a tuple for several group columns),
    ``metric``, ``value`` and ``n_samples``, then ``low`` and ``high`` when
    ``intervals`` is given.
    """
    n_partitions = len(by_partition)
    partitions = by_partition.index.to_flat_index()
    take = np.tile(np.arange(n_partitions), len(metrics))
    tidy = pd.DataFrame(
        {
            "partition": partitions.take(take),
            "metric": np.repeat(np.array(metrics, dtype=object), n_partitions),
            "value": by_partition[metrics].to_numpy(np.float64).T.ravel(),
            "n_samples": by_partition["n_samples"].to_numpy().take(take),
        }
    )
    if intervals is not None:
        for bound in ("low", "high"):
            tidy[bound] = np.concatenate(
                [intervals[(m, bound)].to_numpy() for m in metrics]
            )
    return tidy
