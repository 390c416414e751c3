"""What an accumulator's batches have built: codebooks, statistics, kept rows.

:class:`~skpart.PartitionMetrics` validates a batch against its
:class:`~skpart._engine.plan.ScoringPlan`, then commits it here; merging two
accumulators merges their states (classes and partitions aligned first).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from .._inputs.groups import PartitionCodebook, Partitions
from .._inputs.targets import ClassCodebook
from .._messages import truncate
from .._metrics.batch_sums import Batch
from .._metrics.statistics import Statistics
from .batch_targets import Targets
from .plan import ScoringPlan


class AccumulatorState:
    """The state of one accumulator, grown by batches and merges.

    Parameters
    ----------
    classes : array-like or None
        The ``classes`` given to the accumulator (None: learnt).

    Attributes
    ----------
    classes : ClassCodebook
        The classes seen (or given), in sorted order.
    partitions : PartitionCodebook
        The partition labels seen, by accumulation code.
    stats : Statistics or None
        The summed statistics; None before the first batch.
    rows : list of dict
        The batches kept for user callables (``codes``, ``y_true``,
        ``y_pred``, ``y_proba``, ``weight``, ``start``); empty without them.
    n_batches, n_rows : int
        Batches and rows accumulated, merged accumulators' included.
    """

    def __init__(self, classes: Any = None) -> None:
        self.classes = ClassCodebook(classes)
        self.partitions = PartitionCodebook()
        self.stats: Statistics | None = None
        self.rows: list[dict] = []
        self.n_batches = 0
        self.n_rows = 0

    def add(
        self,
        plan: ScoringPlan,
        codes: np.ndarray,
        partition_labels: pd.Index,
        targets: Targets,
        weight: np.ndarray | None,
        start: int,
    ) -> None:
        """Commit one validated batch: its new partitions, classes and sums."""
        self._grow(plan, len(partition_labels), targets.class_map)
        self.partitions.commit(partition_labels)
        self.stats.add(
            Batch(codes, targets.y_true, targets.y_pred, targets.y_proba, weight, start)
        )
        if plan.callables:
            self.rows.append(
                dict(
                    codes=codes,
                    y_true=targets.raw_true,
                    y_pred=targets.raw_pred,
                    y_proba=targets.y_proba,
                    weight=weight,
                    start=start,
                )
            )
        self.n_batches += 1
        self.n_rows += codes.shape[0]

    def merge(self, other: AccumulatorState, plan: ScoringPlan) -> None:
        """Add ``other``'s statistics and rows (a copy: it is changed too)."""
        if plan.task == "classification":
            self._align_classes(other)
        codes_map, labels = self.partitions.encode(
            Partitions(
                np.arange(other.partitions.n_partitions),
                other.partitions.partition_labels,
                other.partitions.categories,
            )
        )
        self._grow(plan, len(labels), None)
        self.partitions.commit(labels)
        other.stats.grow(len(labels), other.stats.n_classes)
        # Put other's partitions at this accumulator's codes.
        order = np.full(len(labels), -1, dtype=np.int64)
        order[codes_map] = np.arange(len(codes_map))
        missing = order < 0
        order[missing] = len(codes_map) + np.arange(int(missing.sum()))
        other.stats.reorder(order)
        self.stats.merge(other.stats)
        for rows in other.rows:
            rows["codes"] = codes_map[rows["codes"]]
        self.rows.extend(other.rows)
        self.n_batches += other.n_batches
        self.n_rows += other.n_rows

    def projected_rank_bytes(
        self, plan: ScoringPlan, n_rows: int, *, weighted: bool = False
    ) -> float:
        """Bytes the rank metrics' record would take at ``n_rows`` rows (0: none).

        Measured per row on the record so far; before any row, from its layout
        with float64 scores (the upper bound: the dtype is known only after
        predict) and a weight per row if ``weighted``.
        """
        rank = None if self.stats is None else self.stats.rank
        if rank is not None and self.n_rows:
            return rank.nbytes / self.n_rows * n_rows
        per_row = plan.rank_bytes_per_row(self.classes.n_classes, weighted=weighted)
        return per_row * n_rows

    def report_statistics(self) -> tuple[Statistics, pd.Index, np.ndarray]:
        """Return the statistics copied in report order, their labels, the order.

        The order maps report positions to accumulation codes (those of
        :attr:`rows`); the state itself is left as it is.
        """
        order = self.partitions.sorted_order()
        stats = copy.copy(self.stats)
        if stats.rank is not None:
            stats.rank = copy.copy(stats.rank)
        if stats.moments is not None:
            stats.moments = dict(stats.moments)
        stats.reorder(order)
        return stats, self.partitions.partition_labels.take(order), order

    def _grow(
        self, plan: ScoringPlan, n_partitions: int, class_map: np.ndarray | None
    ) -> None:
        if self.stats is None:
            self.stats = plan.new_statistics(self.classes)
            class_map = None
        classification = plan.task == "classification"
        n_classes = self.classes.n_classes if classification else 0
        if class_map is not None and len(class_map) == 0:
            class_map = None
        self.stats.grow(n_partitions, n_classes, class_map)

    def _align_classes(self, other: AccumulatorState) -> None:
        """Bring both states to the union of their classes."""
        mine, theirs = self.classes.sorted, other.classes.sorted
        if np.array_equal(mine, theirs):
            return
        if self.classes.fixed or other.classes.fixed:
            raise ValueError(
                f"merge: the accumulators have different classes "
                f"{truncate(mine.tolist())} and {truncate(theirs.tolist())}, and "
                "probability columns fixed them; pass the same classes= to both."
            )
        my_map = self.classes.learn(theirs)
        union = self.classes.sorted
        self.stats.grow(self.stats.n_partitions, len(union), my_map)
        their_map = np.searchsorted(union, theirs)
        other.stats.grow(other.stats.n_partitions, len(union), their_map)
