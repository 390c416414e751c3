"""The rows an estimator holds out for ``PartitionMonitor(validation_fraction=f)``.

Inside a Pipeline or a search the monitor cannot be given rows in the model's
input space, so the estimator holds out a fraction ``f`` of each partition's
training rows (already transformed by the Pipeline), trains on the rest and
hands the held-out rows to its monitors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._compat import _num_samples, _safe_indexing
from .._inputs.groups import encode_groups
from ._callbacks import flatten_callbacks
from ._monitor import PartitionMonitor


def held_out_fraction(estimator: Any) -> float | None:
    """Return the validation_fraction of the held-out monitors (one value)."""
    fractions = {
        callback.validation_fraction
        for name in ("callbacks", "fit__callbacks")
        for callback in flatten_callbacks(getattr(estimator, name, None))
        if isinstance(callback, PartitionMonitor)
        and callback.validation_fraction is not None
    }
    if len(fractions) > 1:
        raise ValueError(
            "PartitionMonitors with different validation_fraction "
            f"{sorted(fractions)}; the estimator holds out one set of rows: give "
            "them the same fraction."
        )
    return fractions.pop() if fractions else None


def hold_out_by_partition(groups: Any, fraction: float, *, n_rows: int, seed: Any):
    """Split row indices into ``(train, held_out)``, by partition.

    A ``fraction`` of each partition's rows is held out.

    Each partition keeps at least one training row; a partition of one row is
    trained on and not monitored. The draw follows ``seed`` (None: random).
    """
    if groups is None:
        raise ValueError(
            "PartitionMonitor(validation_fraction=...) needs the partitions of "
            "the training rows: fit(X, y, groups=g) (in a Pipeline or a search, "
            "route them with set_fit_request(groups=True) under "
            "sklearn.set_config(enable_metadata_routing=True))."
        )
    codes = encode_groups(groups, n_samples=n_rows).codes
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_rows)
    order = order[np.argsort(codes[order], kind="stable")]  # shuffled within
    sizes = np.bincount(codes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    held = np.minimum(np.floor(fraction * sizes + 0.5), sizes - 1).astype(np.int64)
    rank = np.arange(n_rows) - np.repeat(starts, sizes)
    is_held = rank < np.repeat(held, sizes)
    return np.sort(order[~is_held]), np.sort(order[is_held])


def split_training_rows(
    X: Any, y: Any, sample_weight: Any, groups: Any, fraction: float, *, seed: Any
) -> tuple[tuple, tuple, np.ndarray, np.ndarray]:
    """Split ``fit``'s rows into those to train on and those to monitor.

    Returns
    -------
    train : tuple
        ``(X, y, sample_weight)`` of the training rows.
    held_out : tuple
        ``(X, y, partitions)`` of the held-out rows.
    train_rows : ndarray of int
        Positions of the training rows in ``X`` (for the training objective).
    held_out_rows : ndarray of int
        Positions of the held-out rows in ``X``, sorted.
    """
    n_rows = _num_samples(X)
    train, held_out = hold_out_by_partition(groups, fraction, n_rows=n_rows, seed=seed)
    partitions = encode_groups(groups, n_samples=n_rows)
    weights = None if sample_weight is None else _safe_indexing(sample_weight, train)
    return (
        (_safe_indexing(X, train), _safe_indexing(y, train), weights),
        (
            _safe_indexing(X, held_out),
            _safe_indexing(y, held_out),
            partitions.take(held_out),
        ),
        train,
        held_out,
    )


def monitor_held_out_rows(callbacks: Any, X: Any, y: Any, partitions: Any) -> None:
    """Hand the held-out rows to the monitors that asked for them."""
    for callback in flatten_callbacks(callbacks):
        if isinstance(callback, PartitionMonitor) and (
            callback.validation_fraction is not None
        ):
            callback.set_held_out_rows(X, y, partitions)
