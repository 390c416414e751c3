"""A PartitionMonitor's history: each partition's values at the evaluated epochs.

It keeps the per-partition table of each evaluated epoch's report, renders
them as one tidy frame and plots one metric over the epochs, marking the
epoch whose weights an ``EarlyStopping`` kept.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pandas as pd

from .._results.charts import plot_partition_history
from .._results.report import PartitionReport


def kept_epoch(callbacks: Any) -> int | None:
    """Return the epoch whose weights an EarlyStopping that stopped the fit kept.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback
        The callbacks of the fit that just ended.

    Returns
    -------
    int or None
        The ``best_epoch`` of an ``EarlyStopping(restore_best_weights=True)``
        that stopped training (``stopped_epoch > 0``) with weights to
        restore; None otherwise.
    """
    for callback in callbacks:
        if (
            isinstance(callback, keras.callbacks.EarlyStopping)
            and callback.restore_best_weights
            and callback.stopped_epoch > 0
            and callback.best_weights is not None
        ):
            return int(callback.best_epoch)
    return None


class MonitorHistory:
    """Each partition's values at the evaluated epochs of one monitor."""

    def __init__(self) -> None:
        self._records: list[tuple[int, pd.DataFrame]] = []
        self._greater_is_better: dict[str, bool] = {}
        #: The epoch whose weights an EarlyStopping kept in the last run.
        self.kept_epoch: int | None = None

    def __bool__(self) -> bool:
        return bool(self._records)

    def add(self, epoch: int, report: PartitionReport) -> None:
        """Keep the per-partition values of ``report`` as those of ``epoch``."""
        self._records.append((epoch, report.by_partition[report.metrics]))
        self._greater_is_better.update(report.greater_is_better)

    def drop_from(self, epoch: int) -> None:
        """Drop the epochs from ``epoch`` on: a new run evaluates them again."""
        self._records = [record for record in self._records if record[0] < epoch]

    def frame(self) -> pd.DataFrame:
        """Tidy values: columns ``epoch``, ``partition``, ``metric``, ``value``.

        Raises
        ------
        AttributeError
            Before the first evaluated epoch (so ``hasattr(monitor,
            "history_")`` is False then).
        """
        if not self._records:
            raise AttributeError(
                "PartitionMonitor has no history_ yet: it is set after the first "
                "evaluated epoch of a fit."
            )
        frames = []
        for epoch, table in self._records:
            long = table.set_axis(table.index.to_flat_index(), axis=0).melt(
                ignore_index=False, var_name="metric", value_name="value"
            )
            frames.append(
                long.rename_axis("partition").reset_index().assign(epoch=epoch)
            )
        history = pd.concat(frames, ignore_index=True)
        history["value"] = history["value"].astype(np.float64)
        return history[["epoch", "partition", "metric", "value"]]

    def plot(self, metric: str | None = None, ax: Any = None) -> Any:
        """Plot each partition's values of ``metric`` over the epochs."""
        history = self.frame()
        metrics = list(dict.fromkeys(history["metric"]))
        metric = metrics[0] if metric is None else metric
        if metric not in metrics:
            raise ValueError(
                f"metric={metric!r} was not monitored; choose one of {metrics}."
            )
        return plot_partition_history(
            history[history["metric"] == metric],
            metric=metric,
            greater_is_better=self._greater_is_better[metric],
            ax=ax,
            kept_epoch=self.kept_epoch,
        )
