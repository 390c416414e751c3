"""The undefined-value warning: which partitions have NaN values, and why.

Vectorised over partitions: a report of 100,000 one-row partitions names its
undefined ones without a Python loop over them.
"""

from __future__ import annotations

import numpy as np

from ._metric_registry import Metric
from ._text import truncate
from ._warnings import warn


def undefined_causes(metric: Metric, final, rows: np.ndarray, errors: dict):
    """Say why ``metric`` is NaN on each of ``rows``, as a user can act on it.

    Parameters
    ----------
    metric : Metric
    final : Finalised
        The finalised statistics (replicate 0 is the data).
    rows : ndarray of int
        Positions of the partitions whose value is NaN.
    errors : dict
        Per callable metric, the error message of each failing partition.

    Returns
    -------
    ndarray of object
        One message per partition of ``rows``.
    """
    causes = np.full(rows.shape[0], "the metric is undefined there", dtype=object)
    if metric.func is not None:
        failures = errors.get(metric.name, {})
        causes[:] = "the callable returned NaN"
        for i, p in enumerate(rows.tolist()):
            if p in failures:
                causes[i] = failures[p]
        return causes
    if metric.needs == "proba" and metric.name.startswith("roc_auc"):
        present = np.count_nonzero(final.class_rows[0, rows] > 0, axis=-1)
        needed = final.n_classes if metric.name == "roc_auc_ovr" else 2
        causes[:] = "a probability row does not sum to 1"
        short = present < max(2, needed)
        for k in np.unique(present[short]).tolist():
            causes[short & (present == k)] = f"y_true has {k} class(es) there"
    elif metric.name == "balanced_accuracy":
        causes[:] = "no class of y_true has weight there"
    if metric.name == "r2":
        causes[final.n_rows[0, rows] < 2] = "it has one row"
    causes[final.weight[0, rows] == 0] = "its weights sum to 0"
    return causes


def warn_undefined(report, final, errors: dict, metrics: list[Metric]) -> None:
    """One warning naming each metric's reliable partitions with a NaN value."""
    table = report.by_partition
    reliable = table["reliable"].to_numpy(bool)
    parts = []
    for metric in metrics:
        rows = np.flatnonzero(np.isnan(table[metric.name].to_numpy()) & reliable)
        if rows.size:
            causes = undefined_causes(metric, final, rows, errors)
            described = "; ".join(
                f"{truncate(table.index[rows[causes == cause]].tolist())} ({cause})"
                for cause in dict.fromkeys(causes.tolist())
            )
            parts.append(f"{metric.name!r} on {rows.size} partition(s): {described}")
        if np.isnan(report.overall[metric.name]):
            parts.append(f"{metric.name!r} on all rows pooled")
    if parts:
        warn(
            "Undefined metric values (NaN), skipped by the summary: "
            + " | ".join(parts)
            + "."
        )
