"""The scoring engine: prepare once, accumulate batches, merge, finalise.

Every caller (``metrics_by_partition``, ``score_partitions``, the scorer,
cross-validation, ``PartitionMonitor``, Dask) goes through
:class:`PartitionMetrics`: validation and the encoding of classes and
partitions exist here once, and its ``result()`` hands the statistics to
``skpart._engine.finalising`` (the metric loop, the callable loop, the warnings).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from sklearn.utils.validation import check_consistent_length

from .._bootstrap.resampling import bootstrap_seed
from .._inputs.groups import PartitionCodebook, Partitions, encode_groups
from .._inputs.rows import count_rows
from .._inputs.targets import (
    ClassCodebook,
    Task,
    check_classification_target,
    check_lengths,
    check_proba,
    labels_1d,
    target_type,
    values_1d,
)
from .._inputs.validation import (
    check_bootstrap,
    check_int,
    check_min_partition_size,
)
from .._inputs.weights import check_weight_array, check_weighting
from .._messages import truncate
from .._metrics.batch_sums import Batch
from .._metrics.registry import multiclass_variant, resolve_metrics, task_of
from .._metrics.statistics import SCORE_BINS, Statistics
from .._results.report import PartitionReport
from .finalising import build_report

#: Rows handed to the statistics at a time: bounds the working memory.
CHUNK_ROWS = 1 << 20


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
        if sample_weight is not None and not isinstance(sample_weight, str):
            raise ValueError(
                "PartitionMetrics(sample_weight=...) takes 'balanced' or None; "
                "pass row weights with each batch: update(..., sample_weight=w)."
            )
        if task not in (None, "classification", "regression"):
            raise ValueError(
                f"task={task!r} is not understood; pass 'classification', "
                "'regression' or None."
            )
        self.metrics = metrics
        self.classes = classes
        self.sample_weight = sample_weight
        self.pos_label = pos_label
        self.min_partition_size = min_partition_size
        self.n_boot = n_boot
        self.confidence_level = confidence_level
        self.random_state = random_state
        self.task = task
        # Drawn once, so every batch and every copy sent to a worker draws the
        # same replicates.
        self._seed = None if n_boot is None else bootstrap_seed(random_state)
        self._metrics = None if metrics is None else resolve_metrics(metrics, task=task)
        named_task = None if self._metrics is None else task_of(self._metrics)
        if task is not None and named_task is not None and task != named_task:
            raise ValueError(
                f"task={task!r} but the metrics "
                f"{[m.name for m in self._metrics if m.task]} are {named_task} "
                "metrics."
            )
        self._task: Task | None = task or named_task
        self._classes = ClassCodebook(classes)
        self._partitions = PartitionCodebook()
        self._stats: Statistics | None = None
        self._rows: list[dict] = []  # kept for user callables only
        self._n_batches = 0
        self._n_rows = 0
        if self._task is not None:
            self._prepare(self._task)

    # --- preparing, once -------------------------------------------------------

    def _prepare(self, task: Task) -> None:
        """Resolve metrics and weighting for ``task``; decide the statistics."""
        self._task = task
        if self._metrics is None:
            self._metrics = resolve_metrics(None, task=task)
        if task == "regression":
            if self.classes is not None:
                raise ValueError(
                    "classes is for classification metrics; the metrics here are "
                    f"regression metrics {[m.name for m in self._metrics]}, so "
                    "leave classes as None."
                )
            if self.sample_weight == "balanced":
                raise ValueError(
                    "sample_weight='balanced' needs class labels, but the metrics "
                    "are regression metrics: there are no classes to balance. Pass "
                    "sample_weight=None or an array of one weight per row."
                )
        needs = set().union(*(m.statistics for m in self._metrics))
        if "score_histogram" in needs and self.n_boot is not None:
            raise ValueError(
                "roc_auc_binned has no bootstrap intervals: its histogram "
                f"(partitions x 2 classes x {SCORE_BINS} bins) would be kept for "
                f"each of the n_boot={self.n_boot} replicates. Use the exact "
                "'roc_auc' with n_boot, or n_boot=None."
            )
        needs |= {"class_rows"} if task == "classification" else {"moments"}
        self._needs = needs
        self._callables = [m for m in self._metrics if m.func is not None]
        self._proba = any(m.needs == "proba" for m in self._metrics)
        weighted = self.sample_weight is not None or self.n_boot is not None
        for metric in self._callables:
            if weighted and not metric.accepts_sample_weight:
                raise ValueError(
                    f"the callable {metric.name!r} does not accept sample_weight, "
                    f"but the weighting is sample_weight={self.sample_weight!r} "
                    "(the default for classifiers is 'balanced'), or a bootstrap "
                    "(n_boot) weighs rows by their multiplicity. Pass "
                    "sample_weight=None (and no n_boot) to score it unweighted, "
                    "or give it a sample_weight parameter."
                )

    @property
    def metric_names(self) -> list[str]:
        """Names of the metrics, in report order (after the first batch)."""
        return [m.name for m in self._metrics] if self._metrics else []

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
        saved = (copy.copy(self._classes), self._task, self._metrics)
        try:
            self._update(y_true, y_pred, groups, y_proba, sample_weight, row_offset)
        except ValueError as exc:
            self._classes, self._task, self._metrics = saved
            if self._n_batches == 0 and self._stats is None:
                raise
            raise ValueError(
                f"batch {self._n_batches} (rows from {self._n_rows} on): {exc} "
                f"The {self._n_batches} batch(es) before it are kept."
            ) from exc
        return self

    def _update(
        self, y_true, y_pred, groups, y_proba, sample_weight, row_offset
    ) -> None:
        n_rows = count_rows(y_true, "y_true")
        if n_rows == 0:
            raise ValueError(
                "y_true is empty (0 rows); pass at least one row to score."
            )
        if self._task is None:
            self._prepare(_infer_task(y_true))
        partitions = encode_groups(groups, n_samples=n_rows)
        codes, partition_labels = self._partitions.encode(partitions)
        if self._task == "classification":
            y_true, y_pred, y_proba, class_map = self._classification(
                y_true, y_pred, y_proba, n_rows
            )
        else:
            y_true, y_pred, class_map = self._regression(y_true, y_pred, y_proba)
        weight = None
        if sample_weight is not None:
            if self.sample_weight == "balanced":
                raise ValueError(
                    "sample_weight was given to update(), but the accumulator "
                    "balances classes (sample_weight='balanced'); construct it "
                    "with sample_weight=None to use row weights."
                )
            weight = check_weight_array(sample_weight, n_rows)
        elif self._stats is not None and self._stats.weighted:
            weight = np.ones(n_rows)
        start = self._n_rows if row_offset is None else _check_offset(row_offset)
        # Everything is valid: commit the new partitions and classes.
        self._grow(len(partition_labels), class_map)
        self._partitions.commit(partition_labels)
        batch = Batch(codes, y_true, y_pred, y_proba, weight, start)
        self._stats.add(batch)
        if self._callables:
            self._rows.append(
                dict(
                    codes=codes,
                    y_true=self._raw_true,
                    y_pred=self._raw_pred,
                    y_proba=y_proba,
                    weight=weight,
                    start=start,
                )
            )
        self._n_batches += 1
        self._n_rows += n_rows

    def _classification(self, y_true, y_pred, y_proba, n_rows):
        names = [m.name for m in self._metrics]
        # Callables alone may take anything as y_pred (scores, say): only the
        # named label metrics read y_pred as classes.
        labels = "confusion" in self._needs
        y_true = labels_1d(y_true, "y_true")
        y_pred = labels_1d(y_pred, "y_pred") if labels else np.asarray(y_pred)
        check_lengths(len(y_true), y_pred=y_pred)
        check_classification_target(y_true, "y_true", names)
        if labels:
            check_classification_target(y_pred, "y_pred", names)
        class_map = self._classes.learn(y_true, *([y_pred] if labels else []))
        n_classes = self._classes.n_classes
        for metric in self._metrics:
            if metric.binary_only and n_classes > 2:
                raise ValueError(
                    f"metric {metric.name!r} is binary-only but there are "
                    f"{n_classes} classes {truncate(self._classes.sorted.tolist())}; "
                    f"use {multiclass_variant(metric.name)!r} instead."
                )
        self._positive = self._positive_class()
        if self._proba:
            if y_proba is None:
                raise ValueError(
                    f"metrics {[m.name for m in self._metrics if m.needs == 'proba']}"
                    " need probabilities: pass y_proba (e.g. "
                    "estimator.predict_proba(X)) and classes=estimator.classes_."
                )
            # The probability columns are the classes known now: fixed from here.
            self._classes.fix()
            y_proba = check_proba(y_proba, self._classes, n_rows)
            if "score_histogram" in self._needs:
                _check_binnable(y_proba[:, self._positive])
        elif y_proba is not None and not self._classes.fixed:
            y_proba = None  # not needed, and its columns could not be checked
        elif y_proba is not None:
            y_proba = check_proba(y_proba, self._classes, n_rows)
        self._raw_true, self._raw_pred = y_true, y_pred
        encoded_true = self._classes.encode(y_true, "y_true")
        encoded_pred = self._classes.encode(y_pred, "y_pred") if labels else None
        return encoded_true, encoded_pred, y_proba, class_map

    def _positive_class(self) -> int:
        if self.pos_label is None:
            return self._classes.n_classes - 1
        return self._classes.position(self.pos_label, "pos_label")

    def _regression(self, y_true, y_pred, y_proba):
        if y_proba is not None:
            raise ValueError(
                "y_proba was given, but the metrics "
                f"{[m.name for m in self._metrics]} are regression metrics, which "
                "read predicted values only; leave y_proba as None."
            )
        y_true = values_1d(y_true, "y_true")
        y_pred = values_1d(y_pred, "y_pred")
        check_lengths(len(y_true), y_pred=y_pred)
        self._raw_true, self._raw_pred = y_true, y_pred
        return y_true, y_pred, None

    def _grow(self, n_partitions: int, class_map: np.ndarray | None) -> None:
        if self._stats is None:
            columns = None
            if "rank" in self._needs:
                ovr = any(m.name == "roc_auc_ovr" for m in self._metrics)
                k = self._classes.n_classes
                columns = np.arange(k) if ovr and k > 2 else np.array([self._positive])
            self._stats = Statistics(
                self._needs,
                score_columns=columns,
                histogram_column=(
                    self._positive if "score_histogram" in self._needs else None
                ),
                n_replicates=1 + (self.n_boot or 0),
                seed=self._seed,
            )
            class_map = None
        n_classes = self._classes.n_classes if self._task == "classification" else 0
        if class_map is not None and len(class_map) == 0:
            class_map = None
        self._stats.grow(n_partitions, n_classes, class_map)

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
        if other._stats is None:
            return
        mine = (
            self.metric_names or None,
            self.sample_weight,
            self.pos_label,
            self.n_boot,
            self._seed,
        )
        theirs = (
            other.metric_names,
            other.sample_weight,
            other.pos_label,
            other.n_boot,
            other._seed,
        )
        if self._stats is not None and mine != theirs:
            raise ValueError(
                "merge needs accumulators of the same metrics, weighting and "
                f"bootstrap (n_boot and seed); got {mine} and {theirs}. Make "
                "them copies of one accumulator (copy.deepcopy or pickle), or "
                "pass the same random_state."
            )
        if self._stats is None:
            self._adopt(copy.deepcopy(other))
            return
        other = copy.deepcopy(other)
        if self._task == "classification":
            self._align_classes(other)
        codes_map, labels = self._partitions.encode(
            Partitions(
                np.arange(other._partitions.n_partitions),
                other._partitions.partition_labels,
            )
        )
        self._grow(len(labels), None)
        self._partitions.commit(labels)
        other._stats.grow(len(labels), other._stats.n_classes)
        # Put other's partitions at this accumulator's codes.
        order = np.full(len(labels), -1, dtype=np.int64)
        order[codes_map] = np.arange(len(codes_map))
        missing = order < 0
        order[missing] = len(codes_map) + np.arange(int(missing.sum()))
        other._stats.reorder(order)
        self._stats.merge(other._stats)
        for rows in other._rows:
            rows["codes"] = codes_map[rows["codes"]]
        self._rows.extend(other._rows)
        self._n_batches += other._n_batches
        self._n_rows += other._n_rows

    def _adopt(self, other: PartitionMetrics) -> None:
        state = other.__dict__
        for key in (
            "_classes",
            "_partitions",
            "_stats",
            "_rows",
            "_n_batches",
            "_n_rows",
            "_task",
            "_metrics",
            "_needs",
            "_callables",
            "_proba",
            "_positive",
        ):
            if key in state:
                setattr(self, key, state[key])

    def _align_classes(self, other: PartitionMetrics) -> None:
        """Bring both accumulators to the union of their classes."""
        mine, theirs = self._classes.sorted, other._classes.sorted
        if np.array_equal(mine, theirs):
            return
        if self._classes.fixed or other._classes.fixed:
            raise ValueError(
                f"merge: the accumulators have different classes "
                f"{truncate(mine.tolist())} and {truncate(theirs.tolist())}, and "
                "probability columns fixed them; pass the same classes= to both."
            )
        my_map = self._classes.learn(theirs)
        union = self._classes.sorted
        self._stats.grow(self._stats.n_partitions, len(union), my_map)
        their_map = np.searchsorted(union, theirs)
        other._stats.grow(other._stats.n_partitions, len(union), their_map)
        self._positive = self._positive_class()

    # --- finalising ----------------------------------------------------------

    def result(self) -> PartitionReport:
        """Finalise the statistics into a :class:`PartitionReport`.

        The accumulator is left as it is: more batches may follow.

        Returns
        -------
        PartitionReport
        """
        if self._stats is None:
            raise ValueError(
                "PartitionMetrics.result() before any rows: call update() with "
                "at least one batch first."
            )
        order = self._partitions.sorted_order()
        stats = copy.copy(self._stats)
        if stats.rank is not None:
            stats.rank = copy.copy(stats.rank)
        if stats.moments is not None:
            stats.moments = dict(stats.moments)
        stats.reorder(order)
        classification = self._task == "classification"
        return build_report(
            stats,
            self._partitions.partition_labels.take(order),
            order,
            self._rows,
            metrics=self._metrics,
            balanced=self.sample_weight == "balanced",
            positive=self._positive if classification else 0,
            n_classes=self._classes.n_classes if classification else 0,
            seed=self._seed,
            min_partition_size=self.min_partition_size,
            confidence_level=self.confidence_level,
        )

    # --- pickling ------------------------------------------------------------

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        # The last batch's raw labels are scratch space, not state.
        state.pop("_raw_true", None)
        state.pop("_raw_pred", None)
        return state

    def __repr__(self) -> str:
        return (
            f"PartitionMetrics(metrics={self.metrics!r}, "
            f"{self._n_rows} rows in {self._n_batches} batch(es), "
            f"{self._partitions.n_partitions} partitions)"
        )


def _check_offset(row_offset: Any) -> int:
    return check_int(
        row_offset,
        "row_offset",
        minimum=0,
        meaning=" (the position of the batch's first row in the data)",
    )


def _check_binnable(score: np.ndarray) -> None:
    """Refuse scores that the [0, 1] bins of roc_auc_binned cannot hold."""
    low, high = float(score.min()), float(score.max())
    if low < 0 or high > 1:
        raise ValueError(
            "roc_auc_binned bins the positive class's probability on [0, 1], "
            f"but y_proba's column of it ranges over [{low:g}, {high:g}]; pass "
            "probabilities (predict_proba), or use the exact 'roc_auc', which "
            "takes any scores."
        )


def _infer_task(y_true: Any) -> Task:
    """Callables only: real-valued targets are regression, others classes."""
    kind = target_type(y_true, "y_true")
    return "regression" if kind.startswith("continuous") else "classification"


def metrics_by_partition(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    *,
    metrics: Any,
    y_proba: Any = None,
    sample_weight: Any = None,
    classes: Any = None,
    pos_label: Any = None,
    min_partition_size: int = 1,
    n_boot: int | None = None,
    confidence_level: float = 0.95,
    random_state: Any = None,
) -> PartitionReport:
    """Compute metrics on each partition of the rows, and on all rows pooled.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True labels (classification) or values (regression).
    y_pred : array-like of shape (n_samples,)
        Predicted labels or values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these
        Named metrics (see :ref:`the table in the user guide
        <named-metrics>`), fairness disparities such as
        ``"demographic_parity_difference"`` (which score the rates they
        aggregate: see ``PartitionReport.disparities``), and callables
        ``f(y_true, y_pred, *, sample_weight=None)``, run once per partition.
        ``(name, func, greater_is_better)`` names a callable and gives its
        direction; ``(name, func, greater_is_better, "predict_proba")`` gives
        it probabilities instead of labels (the positive class's column for
        two classes). None picks ``accuracy`` or ``r2`` from the type of
        ``y_true``.
    y_proba : array-like of shape (n_samples, n_classes), default=None
        Predicted probabilities, one column per class of ``classes``
        (a 1-D array is the probability of the larger class, binary only).
        Required by ``roc_auc``, ``roc_auc_ovr``, ``log_loss``, ``brier_score``.
    sample_weight : {"balanced"}, None or array-like of shape (n_samples,), \
default=None
        ``"balanced"`` gives every class present in a partition equal weight
        there; None is unweighted.
    classes : array-like of shape (n_classes,), default=None
        All classes (an estimator's ``classes_``), in the order of the
        ``y_proba`` columns. Default: the labels seen in ``y_true`` and
        ``y_pred``.
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    min_partition_size : int, default=1
        Partitions with fewer rows are reported but marked not ``reliable``
        and left out of the summary (and of the undefined-value warning).
    n_boot : int, default=None
        Bootstrap replicates (Poisson(1) row weights drawn from each row's
        position): the report gains percentile ``intervals``,
        ``overall_intervals``, the summary's ``worst_low`` ... ``mean_high``
        and ``replicates(metric)``. None: point estimates only.
    confidence_level : float, default=0.95
        Level of the bootstrap intervals.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap replicates.

    Returns
    -------
    PartitionReport

    Warns
    -----
    PartitionMetricWarning
        Once, naming the metrics and partitions whose value is undefined
        (NaN), and why.

    See Also
    --------
    score_partitions : the same from a fitted estimator and its data.
    PartitionMetrics : the same accumulated over batches.

    Examples
    --------
    >>> from skpart import metrics_by_partition
    >>> report = metrics_by_partition(
    ...     [0, 1, 1, 0], [0, 1, 0, 0], ["a", "a", "b", "b"], metrics="accuracy")
    >>> report.by_partition["accuracy"].tolist()
    [1.0, 0.5]
    """
    weighting, weights = (
        (sample_weight, None)
        if sample_weight is None or isinstance(sample_weight, str)
        else (None, sample_weight)
    )
    accumulator = PartitionMetrics(
        metrics,
        classes=classes,
        sample_weight=weighting,
        pos_label=pos_label,
        min_partition_size=min_partition_size,
        n_boot=n_boot,
        confidence_level=confidence_level,
        random_state=random_state,
        task=_task_for_default(metrics, y_true),
    )
    n_rows = count_rows(y_true, "y_true")
    if n_rows <= CHUNK_ROWS:
        return accumulator.update(
            y_true, y_pred, groups, y_proba=y_proba, sample_weight=weights
        ).result()
    # Large inputs go through in chunks, so skpart's working memory per row
    # stays bounded; the groups are encoded once for all chunks.
    check_consistent_length(y_true, y_pred)
    partitions = encode_groups(groups, n_samples=n_rows)
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    for start in range(0, n_rows, CHUNK_ROWS):
        rows = slice(start, start + CHUNK_ROWS)
        accumulator.update(
            y_true[rows],
            y_pred[rows],
            partitions.take(rows),
            y_proba=None if y_proba is None else np.asarray(y_proba)[rows],
            sample_weight=None if weights is None else np.asarray(weights)[rows],
        )
    return accumulator.result()


def _task_for_default(metrics: Any, y_true: Any) -> Task | None:
    """Return the task when ``metrics`` is None: from the type of ``y_true``."""
    if metrics is not None:
        return None
    return _infer_task(y_true)
