"""Each evaluated epoch of a PartitionMonitor: one prediction pass, the engine's report.

The model's outputs become the engine's inputs (labels and probabilities, as
SciKeras's target encoder decodes them); the engine of
:mod:`skpart._engine.accumulator` computes everything, as for
``score_partitions``. The report's summary becomes the epoch-log keys.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._engine.accumulator import PartitionMetrics
from .._messages import PartitionMetricWarning, warn
from .._results.report import PartitionReport
from ._monitor_rows import MonitoredRows, check_largest_partition, single_output
from ._predict import predict_in_batches

#: Aggregates written into the epoch logs, as ``{prefix}{metric}_{aggregate}``.
LOGGED_AGGREGATES = ("worst", "mean", "best", "gap", "ratio")


class EpochScoring:
    """Score a model on the monitored rows of one fit, at each evaluated epoch.

    Parameters
    ----------
    rows : MonitoredRows
        The rows, prepared once for the fit.
    metrics : str, callable or list
        As in :func:`skpart.metrics_by_partition`.
    min_partition_size : int
        Partitions with fewer rows stay out of the summary.
    pos_label : int, float, bool, str or None
        The positive class of the binary metrics.
    """

    def __init__(
        self,
        rows: MonitoredRows,
        *,
        metrics: Any,
        min_partition_size: int,
        pos_label: Any,
    ) -> None:
        self.rows = rows
        self.metrics = metrics
        self.min_partition_size = min_partition_size
        self.pos_label = pos_label
        self._warned = False  # the same partitions would be named every epoch

    def score(self, model: Any) -> PartitionReport:
        """One prediction pass per batch, then the engine's report.

        Parameters
        ----------
        model : keras.Model
            The model being trained.

        Returns
        -------
        PartitionReport
        """
        rows = self.rows
        accumulator = PartitionMetrics(
            self.metrics,
            classes=rows.classes,
            sample_weight=rows.weighting,
            min_partition_size=self.min_partition_size,
            pos_label=self.pos_label,
            task=rows.task,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PartitionMetricWarning)
            for X, y, partitions, weights in rows.batches():
                y_pred, y_proba = _decode(predict_in_batches(model, X), rows, len(y))
                accumulator.update(
                    y, y_pred, partitions, y_proba=y_proba, sample_weight=weights
                )
            report = accumulator.result()
        if rows.source is not None:
            # Batches: their partitions' sizes are known once they are read.
            check_largest_partition(
                report.by_partition["n_samples"],
                self.min_partition_size,
                held_out=False,
            )
        for warning in caught[:1]:
            if not self._warned:
                self._warned = True
                warn(f"PartitionMonitor (warned once per fit): {warning.message}")
        return report


def _decode(outputs: Any, rows: MonitoredRows, n_rows: int):
    """``(y_pred, y_proba)`` from the model's outputs; y_proba None for regression."""
    raw = single_output(outputs)
    if rows.task != "classification":
        return raw.reshape(n_rows), None
    raw = raw.reshape(n_rows, -1)
    if raw.shape[1] == 1:  # a sigmoid: SciKeras's two columns
        raw = np.column_stack([1 - raw, raw])
    return rows.classes[np.argmax(raw, axis=1)], raw


def epoch_logs(report: PartitionReport, prefix: str) -> dict[str, float]:
    """Return the epoch-log values of a report, keyed ``{prefix}{metric}_{aggregate}``.

    Parameters
    ----------
    report : PartitionReport
        The epoch's report.
    prefix : str
        The monitor's prefix.

    Returns
    -------
    dict of str to float
        The :data:`LOGGED_AGGREGATES` of each metric, then the fairness
        disparities of the monitored rates (e.g.
        ``val_partition_demographic_parity_difference``).
    """
    logs = {
        f"{prefix}{metric}_{aggregate}": float(row[aggregate])
        for metric, row in report.summary.iterrows()
        for aggregate in LOGGED_AGGREGATES
    }
    for name, value in report.disparities.items():
        logs[f"{prefix}{name}"] = float(value)
    return logs
