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
from .._messages import truncate, warn
from .._metrics.batch_sums import Batch
from .._metrics.statistics import SCORE_BINS, Statistics
from . import machine
from .batch_targets import Targets
from .plan import ScoringPlan

#: Share of the machine's memory the bootstrap's replicates may take before a
#: warning says so, ahead of allocating them.
REPLICATE_MEMORY_SHARE = 0.25


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
        # [start, stop) row positions of each batch: the bootstrap draws a
        # row's multiplicities by position, so merged positions must not meet.
        self.spans: list[tuple[int, int]] = []
        self.memory_warned = False
        # Sum of squared row weights per partition (by accumulation code):
        # Kish's effective size, (sum w)^2 / sum w^2, needs it.
        self.weight_squares = np.zeros(0)

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
        self.spans.append((start, start + codes.shape[0]))
        squares = None if weight is None else weight * weight
        self._add_weight_squares(np.bincount(codes, weights=squares))

    def merge(self, other: AccumulatorState, plan: ScoringPlan) -> None:
        """Add ``other``'s statistics and rows (a copy: it is changed too).

        With a bootstrap, refuses accumulators whose rows share positions:
        a row's replicate draws depend on its position, so two rows at one
        position would move together in every replicate.
        """
        if plan.n_boot is not None:
            _check_disjoint(self.spans, other.spans)
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
        self.spans.extend(other.spans)
        theirs = np.zeros(len(labels))
        theirs[codes_map[: len(other.weight_squares)]] = other.weight_squares
        self._add_weight_squares(theirs)

    def _add_weight_squares(self, squares: np.ndarray) -> None:
        """Add squared weights per partition code, growing to every partition."""
        size = max(self.partitions.n_partitions, len(squares))
        if len(self.weight_squares) < size:
            self.weight_squares = np.pad(
                self.weight_squares, (0, size - len(self.weight_squares))
            )
        self.weight_squares[: len(squares)] += squares

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
        if plan.n_boot is not None and not self.memory_warned:
            self.memory_warned = _warn_replicate_memory(
                plan, self.stats, n_partitions, n_classes
            )
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


def _check_disjoint(mine: list[tuple[int, int]], theirs: list[tuple[int, int]]) -> None:
    """Refuse two sets of row positions that overlap, naming the first overlap."""
    spans = sorted([(a, b, 0) for a, b in mine] + [(a, b, 1) for a, b in theirs])
    reach, owner = -1, None
    for start, stop, side in spans:
        if start < reach and side != owner:
            raise ValueError(
                f"merge: both accumulators hold rows at positions from {start} "
                f"to {min(stop, reach) - 1}, and the bootstrap draws a row's "
                "replicates by its position (two rows at one position would "
                "move together). Give each batch its position in the whole "
                "data: update(..., row_offset=first_row)."
            )
        if stop > reach:
            reach, owner = stop, side


def replicate_bytes(
    plan: ScoringPlan, stats: Statistics, n_partitions: int, n_classes: int
) -> float:
    """Bytes the bootstrap's statistics and values take at this many partitions.

    Each replicate holds every kept statistic per partition; finalising
    holds about two more copies of them (the weighted and the balanced
    view) and one value per metric, replicate and partition.
    """
    K = n_classes
    per_partition = 2  # rows and weights
    per_partition += K if stats.class_rows is not None else 0
    per_partition += 2 * K * K if stats.confusion is not None else 0
    per_partition += K if stats.log_loss is not None else 0
    per_partition += K * K if stats.brier is not None else 0
    per_partition += K * SCORE_BINS if stats.score_histogram is not None else 0
    per_partition += 4 if stats.moments is not None else 0
    per_cell = 8 * (3 * per_partition + len(plan.metrics))
    return float(stats.n_replicates) * n_partitions * per_cell


def _warn_replicate_memory(
    plan: ScoringPlan, stats: Statistics, n_partitions: int, n_classes: int
) -> bool:
    """Warn, before growing, if the replicates would pass their memory share."""
    memory = machine.total_memory()
    nbytes = replicate_bytes(plan, stats, n_partitions, n_classes)
    if memory is None or nbytes <= REPLICATE_MEMORY_SHARE * memory:
        return False
    warn(
        f"The bootstrap's replicates would take about {nbytes / 2**30:.2f} GiB "
        f"(n_boot={plan.n_boot} x {n_partitions:,} partitions"
        f"{f' x {n_classes} classes' if n_classes else ''}), more than "
        f"{REPLICATE_MEMORY_SHARE:.0%} of this machine's memory "
        f"({memory / 2**30:.1f} GiB). Lower n_boot, score fewer partitions "
        "at once, or score the metrics without n_boot first."
    )
    return True
