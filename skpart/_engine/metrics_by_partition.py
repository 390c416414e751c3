"""metrics_by_partition: predictions in memory -> PartitionReport, in one call.

The one-call form of the engine: a :class:`~skpart.PartitionMetrics` fed all
the rows at once (in chunks of :data:`CHUNK_ROWS` for large inputs, so the
working memory per row stays bounded) and finalised.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.validation import check_consistent_length

from .._bootstrap.docstrings import with_bootstrap_parameters
from .._inputs.groups import encode_groups
from .._inputs.rows import count_rows
from .._inputs.targets import Task
from .._results.report import PartitionReport
from .accumulator import PartitionMetrics
from .plan import infer_task

#: Rows handed to the statistics at a time: bounds the working memory.
CHUNK_ROWS = 1 << 20


@with_bootstrap_parameters
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
    {bootstrap_parameters}

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
    return infer_task(y_true)
