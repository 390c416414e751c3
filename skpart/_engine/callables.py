"""User callables: run once per partition (and replicate) on index arrays made once.

A callable is not a function of statistics that add up, so the accumulator
keeps its rows; this is the one Python loop over partitions, and with a
bootstrap over replicates too (slow, and documented as such).
"""

from __future__ import annotations

import numpy as np

from .._bootstrap.resampling import replicate_multiplicities
from .._inputs.groups import partition_indices
from .._metrics.registry import Metric

# What a metric function raises where it is undefined (one class, no rows...).
_UNDEFINED = (ValueError, ZeroDivisionError, IndexError)


class CallableRows:
    """The rows the callables read, joined once, in the report's partition order.

    Parameters
    ----------
    rows : list of dict
        Per batch: ``codes`` (accumulator codes), ``y_true``, ``y_pred``,
        ``y_proba``, ``weight`` and ``start`` (position of the first row).
    inverse : ndarray of int64
        Accumulator code -> report position.
    n_partitions : int
        Number of partitions.
    balanced : bool
        Weigh classes equally within each partition (per replicate).
    positive : int
        Column of the positive class, for callables that read probabilities.
    """

    def __init__(self, rows, inverse, n_partitions, *, balanced, positive):
        self.codes = inverse[np.concatenate([r["codes"] for r in rows])]
        self.y_true = np.concatenate([r["y_true"] for r in rows])
        self.y_pred = np.concatenate([r["y_pred"] for r in rows])
        self.runs = [(r["start"], len(r["codes"])) for r in rows]
        self.n_partitions = n_partitions
        self.balanced = balanced
        self.weight = None
        if any(r["weight"] is not None for r in rows):
            self.weight = np.concatenate(
                [
                    np.ones(len(r["codes"])) if r["weight"] is None else r["weight"]
                    for r in rows
                ]
            )
        self.proba = None
        if all(r["y_proba"] is not None for r in rows):
            self.proba = np.concatenate([r["y_proba"] for r in rows])
            if self.proba.shape[1] == 2:
                self.proba = self.proba[:, positive]  # sklearn's binary y_score
        self.indices = partition_indices(self.codes, n_partitions)

    def weights(self, multiplicity: np.ndarray | None) -> np.ndarray | None:
        """Row weights of one replicate (None: unweighted and no bootstrap)."""
        weight = self.weight
        if multiplicity is not None:
            weight = multiplicity if weight is None else weight * multiplicity
        if self.balanced:
            counts = np.ones(len(self.y_true)) if multiplicity is None else multiplicity
            balance = _balance(self.y_true, self.codes, self.n_partitions, counts)
            weight = balance if weight is None else weight * balance
        return weight


def _balance(y_true, codes, n_partitions, counts) -> np.ndarray:
    """``compute_sample_weight("balanced")`` within each partition, per row."""
    _, y_index = np.unique(y_true, return_inverse=True)
    n_classes = int(y_index.max()) + 1
    key = codes * n_classes + y_index.reshape(-1)
    per_class = np.bincount(key, weights=counts, minlength=n_partitions * n_classes)
    table = per_class.reshape(n_partitions, n_classes)
    n_p = table.sum(axis=1)
    k_p = np.count_nonzero(table, axis=1)
    denominator = k_p[codes] * per_class[key]
    out = np.zeros(len(codes))
    np.divide(n_p[codes], denominator, out=out, where=denominator != 0)
    return out


def callable_values(metric: Metric, rows: CallableRows, *, seed, n_replicates):
    """Values per (replicate, partition), pooled values per replicate, failures.

    A failure on all rows pooled is a bug in the callable: it is raised. A
    failure on a partition gives NaN there, and its message is kept for the
    undefined-value warning.
    """
    second = rows.proba if metric.needs == "proba" else rows.y_pred
    if second is None:
        raise ValueError(
            f"the metric {metric.name!r} asks for probabilities, but y_proba was "
            "not given; pass y_proba (e.g. estimator.predict_proba(X))."
        )
    boot = None
    if n_replicates > 1:
        boot = np.concatenate(
            [
                replicate_multiplicities(seed, start, n, n_replicates)
                for start, n in rows.runs
            ]
        )
    values = np.full((n_replicates, rows.n_partitions), np.nan)
    pooled = np.full(n_replicates, np.nan)
    failures: dict[int, str] = {}
    everything = np.arange(len(rows.y_true))
    for r in range(n_replicates):
        weight = rows.weights(None if boot is None else boot[:, r])
        drawn = everything if boot is None else everything[boot[:, r] > 0]
        try:
            pooled[r] = _call(metric, rows.y_true, second, weight, drawn)
        except Exception as exc:
            if r > 0 and isinstance(exc, _UNDEFINED):
                continue
            raise type(exc)(
                f"the metric {metric.name!r} failed on all rows pooled, so it "
                f"cannot be right on any partition: {exc}"
            ) from exc
        for p, index in enumerate(rows.indices):
            if boot is not None:
                index = index[boot[index, r] > 0]  # rows the replicate drew
            try:
                values[r, p] = _call(metric, rows.y_true, second, weight, index)
            except _UNDEFINED as exc:
                if r == 0:
                    failures[p] = f"{type(exc).__name__}: {exc}"
    return values, pooled, failures


def _call(metric: Metric, y_true, second, weight, index) -> float:
    kwargs = {} if weight is None else {"sample_weight": weight[index]}
    return float(metric.func(y_true[index], second[index], **kwargs))
