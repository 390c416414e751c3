"""The undefined-value warning: which partitions have NaN values, and why.

Vectorised over partitions: a report of 100,000 one-row partitions names its
undefined ones without a Python loop over them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._messages import truncate, warn
from .._metrics.axis_sums import axis_sum
from .._metrics.registry import Metric

# Why precision, recall and F1 divide 0 by 0 (sklearn's zero_division cases).
_ZERO_DIVISION = {
    "precision": "no row is predicted positive there: 0/0",
    "recall": "y_true has no positive row there: 0/0",
    "f1": "y_true has no positive row there and none is predicted: 0/0",
}


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
    codes : ndarray of int
        One code per partition of ``rows``.
    messages : list of str
        The message of each code.
    """
    # Integer codes, not an array of strings: 100,000 partitions may be NaN.
    causes = _Causes(rows.shape[0], "the metric is undefined there")
    if metric.func is not None:
        failures = errors.get(metric.name, {})
        causes.set(slice(None), "the callable returned NaN")
        for i, p in enumerate(rows.tolist()):
            if p in failures:
                causes.set(i, failures[p])
        return causes.codes, causes.messages
    if metric.needs == "proba" and metric.name.startswith("roc_auc"):
        present = axis_sum(final.class_rows[0, rows] > 0)
        needed = final.n_classes if metric.name == "roc_auc_ovr" else 2
        causes.set(slice(None), "a probability row does not sum to 1")
        short = present < max(2, needed)
        for k in np.unique(present[short]).tolist():
            causes.set(short & (present == k), f"y_true has {k} class(es) there")
    elif metric.name == "balanced_accuracy":
        causes.set(slice(None), "no class of y_true has weight there")
    elif metric.name in _ZERO_DIVISION:
        causes.set(slice(None), _ZERO_DIVISION[metric.name])
    if metric.name == "r2":
        causes.set(final.n_rows[0, rows] < 2, "it has one row")
    causes.set(final.weight[0, rows] == 0, "its weights sum to 0")
    return causes.codes, causes.messages


class _Causes:
    """A message code per partition, and the messages."""

    def __init__(self, n: int, default: str) -> None:
        self.codes = np.zeros(n, dtype=np.intp)
        self.messages = [default]

    def set(self, where, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)
        self.codes[where] = self.messages.index(message)


def warn_undefined(report, final, errors: dict, metrics: list[Metric]) -> None:
    """One warning naming each metric's reliable partitions with a NaN value."""
    table = report.by_partition
    reliable = table["reliable"].to_numpy(bool)
    parts = []
    for metric in metrics:
        rows = np.flatnonzero(np.isnan(table[metric.name].to_numpy()) & reliable)
        if rows.size:
            codes, messages = undefined_causes(metric, final, rows, errors)
            described = "; ".join(
                f"{truncate(table.index[rows[codes == code]])} ({messages[code]})"
                for code in pd.unique(codes)  # in order of first appearance
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
