"""The scoring engine's accumulator: prepare once, accumulate batches, merge, finalise.

Every caller (``metrics_by_partition``, ``score_partitions``, the scorer,
cross-validation, ``PartitionMonitor``, Dask) goes through
:class:`PartitionMetrics`. It holds a :class:`~skpart._engine.plan.ScoringPlan`
(the metrics, task, weighting and bootstrap, resolved once and shared by its
copies) and the state the batches build: the codebooks of classes and
partitions, the statistics and the rows kept for user callables
(:class:`~skpart._engine.state.AccumulatorState`). Its ``result()`` hands the
plan and the state to ``skpart._engine.finalising`` (the metric loop, the
callable loop, the warnings).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .._inputs.groups import encode_groups
from .._inputs.rows import count_rows
from .._inputs.targets import Task
from .._inputs.validation import check_bootstrap, check_int, check_min_partition_size
from .._inputs.weights import check_weighting
from .._results.report import PartitionReport
from .batch_targets import check_targets
from .finalising import build_report
from .plan import ScoringPlan, infer_task
from .state import AccumulatorState


class PartitionMetrics:
    """Mergeable accumulator of per-partition metric statistics.

    Feed it batches of rows with :meth:`update`, combine accumulators of
    disjoint batches with :meth:`merge` (in any order), and get the
    :class:`PartitionReport` with :meth:`result`. The report equals
    :func:`metrics_by_partition` on all the rows at once. It pickles, so it
    travels to Dask, Spark or Ray workers.

    Memory: the count- and sum-based metrics keep a fixed number of sums per
    (partition, class) whatever the number of rows. ``roc_auc`` and
    ``roc_auc_ovr`` keep a compact per-row record (exact): 6 bytes per row,
    plus 4 (float32 probabilities) or 8 (float64) per score column (one for
    ``roc_auc``, one per class for ``roc_auc_ovr``), plus 8 with row weights.
    ``roc_auc_binned`` keeps a histogram instead: 16 KB per partition of a
    binary target, whatever the rows. User callables keep the rows themselves.

    Parameters
    ----------
    metrics : str, callable, tuple or list of these
        As in :func:`metrics_by_partition`.
    classes : array-like of shape (n_classes,), default=None
        All classes, in the order of the ``y_proba`` columns (an estimator's
        ``classes_``). Default: learnt from the labels of the batches; the
        probability metrics then fix them at the first batch.
    sample_weight : {"balanced"} or None, default=None
        ``"balanced"`` gives every class present in a partition equal weight
        there (from the class totals of all batches); None uses the weights
        given to :meth:`update` (or none).
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    min_partition_size : int, default=1
        Partitions with fewer rows are reported but left out of the summary.
    n_boot : int, default=None
        Bootstrap replicates: each row weighs Poisson(1) times in each, drawn
        from its position in the data (so batches, merges and Dask blocks give
        the same replicates), and the report gains percentile intervals.
        Memory grows with the replicates: every statistic is kept per
        replicate.
    confidence_level : float, default=0.95
        Level of the bootstrap intervals.
    random_state : int, RandomState instance or None, default=None
        Seeds the replicates (drawn once at construction).
    task : {"classification", "regression"}, default=None
        Needed only when ``metrics`` holds callables alone: then None decides
        from the first batch's ``y_true`` (real values are regression).

    See Also
    --------
    metrics_by_partition : the same on rows in memory, in one call.

    Examples
    --------
    >>> from skpart import PartitionMetrics
    >>> acc = PartitionMetrics(["accuracy"])
    >>> acc = acc.update([0, 1], [0, 0], ["a", "b"]).update([1, 1], [1, 1], ["b", "b"])
    >>> acc.result().by_partition["accuracy"].tolist()
    [1.0, 0.6666666666666666]
    """

    def __init__(
        self,
        metrics: Any,
        *,
        classes: Any = None,
        sample_weight: Any = None,
        pos_label: Any = None,
        min_partition_size: int = 1,
        n_boot: int | None = None,
        confidence_level: float = 0.95,
        random_state: Any = None,
        task: Task | None = None,
    ) -> None:
        check_min_partition_size(min_partition_size)
        check_weighting(sample_weight)
        check_bootstrap(n_boot, confidence_level)
        self.metrics = metrics
        self.classes = classes
        self.sample_weight = sample_weight
        self.pos_label = pos_label
        self.min_partition_size = min_partition_size
        self.n_boot = n_boot
        self.confidence_level = confidence_level
        self.random_state = random_state
        self.task = task
        self._plan = ScoringPlan.resolve(
            metrics,
            classes=classes,
            weighting=sample_weight,
            pos_label=pos_label,
            n_boot=n_boot,
            random_state=random_state,
            task=task,
        )
        self._state = AccumulatorState(classes)

    # --- what other modules read ---------------------------------------------

    @property
    def metric_names(self) -> list[str]:
        """Names of the metrics, in report order (after the first batch)."""
        return self._plan.metric_names

    @property
    def needs_proba(self) -> bool:
        """Whether the metrics read probabilities."""
        return self._plan.needs_proba

    @property
    def n_rows(self) -> int:
        """Rows accumulated so far (merged accumulators' included)."""
        return self._state.n_rows

    @property
    def n_batches(self) -> int:
        """Batches accumulated so far (merged accumulators' included)."""
        return self._state.n_batches

    def projected_rank_bytes(self, n_rows: int, *, weighted: bool = False) -> float:
        """Bytes the rank metrics' record would take at ``n_rows`` rows (0: none).

        Measured per row on the record so far; before any row, from the
        record's layout with float64 scores (the upper bound: the dtype is
        known only after predict) and a weight per row if ``weighted``.
        """
        return self._state.projected_rank_bytes(self._plan, n_rows, weighted=weighted)

    # --- accumulating ----------------------------------------------------------

    def update(
        self,
        y_true: Any,
        y_pred: Any,
        groups: Any,
        *,
        y_proba: Any = None,
        sample_weight: Any = None,
        row_offset: int | None = None,
    ) -> PartitionMetrics:
        """Add one batch of rows.

        Parameters
        ----------
        y_true : array-like of shape (n_rows,)
            True labels or values.
        y_pred : array-like of shape (n_rows,)
            Predicted labels or values.
        groups : array-like of shape (n_rows,), DataFrame or list of array-like
            Partition label of each row; new partitions may appear in any batch.
        y_proba : array-like of shape (n_rows, n_classes), default=None
            Probabilities, columns in the order of ``classes``.
        sample_weight : array-like of shape (n_rows,), default=None
            Row weights (only with ``sample_weight=None`` at construction).
        row_offset : int, default=None
            Position of the batch's first row in the whole data, which the
            bootstrap draws from; None continues after the rows this
            accumulator has seen. Give it when accumulators of disjoint
            batches are merged (a Dask block's offset, say).

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a bad batch, naming its position; what was accumulated before
            is kept, so the accumulator can go on or finish.
        """
        state = self._state
        saved = (copy.copy(state.classes), self._plan)
        try:
            self._update(y_true, y_pred, groups, y_proba, sample_weight, row_offset)
        except ValueError as exc:
            state.classes, self._plan = saved
            if state.n_batches == 0 and state.stats is None:
                raise
            raise ValueError(
                f"batch {state.n_batches} (rows from {state.n_rows} on): {exc} "
                f"The {state.n_batches} batch(es) before it are kept."
            ) from exc
        return self

    def _update(
        self, y_true, y_pred, groups, y_proba, sample_weight, row_offset
    ) -> None:
        state = self._state
        n_rows = count_rows(y_true, "y_true")
        if n_rows == 0:
            raise ValueError(
                "y_true is empty (0 rows); pass at least one row to score."
            )
        if self._plan.task is None:
            self._plan = self._plan.for_task(infer_task(y_true))
        partitions = encode_groups(groups, n_samples=n_rows)
        codes, partition_labels = state.partitions.encode(partitions)
        targets = check_targets(
            self._plan, y_true, y_pred, y_proba, state.classes, n_rows
        )
        weight = self._plan.row_weights(sample_weight, n_rows)
        if weight is None and state.stats is not None and state.stats.weighted:
            weight = np.ones(n_rows)
        start = state.n_rows if row_offset is None else _check_offset(row_offset)
        # Everything is valid: commit the new partitions and classes.
        state.add(self._plan, codes, partition_labels, targets, weight, start)

    # --- merging -------------------------------------------------------------

    def merge(self, *others: PartitionMetrics) -> PartitionMetrics:
        """Add the statistics of other accumulators of the same metrics.

        Parameters
        ----------
        *others : PartitionMetrics
            Accumulators built with the same parameters, on other rows.

        Returns
        -------
        self
        """
        for other in others:
            self._merge_one(other)
        return self

    def _merge_one(self, other: PartitionMetrics) -> None:
        if not isinstance(other, PartitionMetrics):
            raise TypeError(
                "merge takes PartitionMetrics accumulators; got "
                f"{type(other).__name__}."
            )
        if other._state.stats is None:
            return
        if self._state.stats is not None:
            self._plan.check_mergeable(other._plan)
        other = copy.deepcopy(other)
        if self._state.stats is None:
            # Nothing accumulated here: take the other's plan and state (this
            # accumulator's parameters stay).
            self._plan, self._state = other._plan, other._state
        else:
            self._state.merge(other._state, self._plan)

    # --- finalising ----------------------------------------------------------

    def result(self) -> PartitionReport:
        """Finalise the statistics into a :class:`PartitionReport`.

        The accumulator is left as it is: more batches may follow.

        Returns
        -------
        PartitionReport
        """
        if self._state.stats is None:
            raise ValueError(
                "PartitionMetrics.result() before any rows: call update() with "
                "at least one batch first."
            )
        return build_report(
            self._plan,
            self._state,
            min_partition_size=self.min_partition_size,
            confidence_level=self.confidence_level,
        )

    def __repr__(self) -> str:
        return (
            f"PartitionMetrics(metrics={self.metrics!r}, "
            f"{self.n_rows} rows in {self.n_batches} batch(es), "
            f"{self._state.partitions.n_partitions} partitions)"
        )


def _check_offset(row_offset: Any) -> int:
    return check_int(
        row_offset,
        "row_offset",
        minimum=0,
        meaning=" (the position of the batch's first row in the data)",
    )
