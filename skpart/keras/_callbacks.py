"""Callback lists as SciKeras and Keras take them: flattening and ordering."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ._monitor import PartitionMonitor


def flatten_callbacks(callbacks: Any) -> Iterable[Any]:
    """Callbacks in order, nested lists (allowed by SciKeras and Keras) flattened."""
    if callbacks is None:
        return
    if isinstance(callbacks, (list, tuple)):
        for callback in callbacks:
            yield from flatten_callbacks(callback)
    else:
        yield callbacks


def monitors_first(callbacks: Any, *, estimator: Any = None) -> list:
    """Return the callbacks flattened, every PartitionMonitor moved to the front.

    Keras calls callbacks in list order with one shared ``logs`` dict, so a
    monitor must run before ``EarlyStopping``, ``ModelCheckpoint`` or
    ``ReduceLROnPlateau`` read its keys; the order is otherwise kept.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback, nested lists of them, or None
        The fit callbacks.
    estimator : SciKeras estimator, default=None
        When given, each monitor takes the target kind and ``classes_`` from
        it, so that its ``y`` may hold the original labels.

    Returns
    -------
    list of keras.callbacks.Callback

    Raises
    ------
    ValueError
        When two monitors share a prefix (one would overwrite the other's keys).

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skpart.keras import PartitionMonitor
    >>> from skpart.keras._callbacks import monitors_first
    >>> stop = keras.callbacks.EarlyStopping()
    >>> monitor = PartitionMonitor(np.zeros((2, 1)), [0, 1], ["a", "b"])
    >>> [type(c).__name__ for c in monitors_first([stop, [monitor]])]
    ['PartitionMonitor', 'EarlyStopping']
    """
    flat = list(flatten_callbacks(callbacks))
    monitors = [c for c in flat if isinstance(c, PartitionMonitor)]
    prefixes = [m.prefix for m in monitors]
    shared = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if shared:
        raise ValueError(
            f"Several PartitionMonitors use the prefix {shared}; give each "
            "monitor its own prefix= so that their log keys differ."
        )
    if estimator is not None:
        for monitor in monitors:
            monitor.bind_estimator(estimator)
    return monitors + [c for c in flat if not isinstance(c, PartitionMonitor)]


def partition_history(callbacks: Any) -> pd.DataFrame | None:
    """Per-partition history of the monitors among ``callbacks``.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback, nested lists of them, or None
        The fit callbacks.

    Returns
    -------
    DataFrame or None
        The monitors' :attr:`PartitionMonitor.history_` stacked, with a first
        column ``monitor`` holding each monitor's prefix (always present, so the
        columns are the same for one monitor or several): ``monitor``,
        ``epoch``, ``partition``, ``metric``, ``value``. None when no monitor
        has evaluated an epoch.

    Examples
    --------
    >>> from skpart.keras._callbacks import partition_history
    >>> partition_history([]) is None
    True
    """
    frames = []
    for callback in flatten_callbacks(callbacks):
        if isinstance(callback, PartitionMonitor):
            # history_ is unset (an AttributeError) until an epoch is evaluated.
            history = getattr(callback, "history_", None)
            if history is not None:
                frames.append(history.assign(monitor=callback.prefix))
    if not frames:
        return None
    history = pd.concat(frames, ignore_index=True)
    return history[["monitor", "epoch", "partition", "metric", "value"]]
