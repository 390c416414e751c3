"""score_partitions: a fitted estimator and its data -> PartitionReport.

The estimator predicts once (``predict_proba`` when a metric needs
probabilities, else ``predict``); the engine does the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from ._batches import check_verbose, is_batch_source, score_batches
from ._dask import is_dask_collection
from ._engine import PartitionMetrics
from ._metric_registry import resolve_metrics, task_of
from ._report import PartitionReport
from ._targets import Task
from ._weights import resolve_weighting


def estimator_task(estimator: Any) -> Task:
    """Classification for sklearn classifiers, else regression."""
    return "classification" if is_classifier(estimator) else "regression"


def predict_once(estimator: Any, X: Any, needs_proba: bool):
    """One prediction pass: ``(y_pred, y_proba)``; y_proba is None if not needed.

    With probabilities, labels are ``classes_[argmax]`` rather than a second
    ``predict`` call; this can differ from ``predict`` for estimators whose
    ``predict`` is not the argmax of ``predict_proba`` (e.g. SVC).
    """
    if not needs_proba:
        return estimator.predict(X), None
    if not hasattr(estimator, "predict_proba"):
        raise ValueError(
            f"the metrics need probabilities but {type(estimator).__name__} has "
            "no predict_proba; use label metrics or an estimator with predict_proba."
        )
    y_proba = estimator.predict_proba(X)
    classes = np.asarray(estimator.classes_)
    return classes[np.argmax(y_proba, axis=1)], y_proba


def add_predictions(
    accumulator: PartitionMetrics,
    estimator: Any,
    X: Any,
    y: Any,
    groups: Any,
    *,
    sample_weight: Any = None,
    row_offset: int | None = None,
) -> PartitionMetrics:
    """Predict ``X`` once (probabilities if the metrics read them) and add it.

    The one step of every path: in memory, per batch, per Dask block.
    """
    y_pred, y_proba = predict_once(estimator, X, needs_proba(accumulator))
    return accumulator.update(
        y,
        y_pred,
        groups,
        y_proba=y_proba,
        sample_weight=sample_weight,
        row_offset=row_offset,
    )


def accumulator_for(
    estimator: Any,
    metrics: Any,
    *,
    sample_weight: Any,
    pos_label: Any = None,
    min_partition_size: int = 1,
    classes: Any = None,
    **bootstrap: Any,
) -> tuple[PartitionMetrics, Any]:
    """Build the engine's accumulator for ``estimator``; return it and the weights.

    The task follows the estimator (so ``"auto"`` weighting and the default
    metric are sklearn's), and a classifier's ``classes_`` fix the
    probability columns (``classes`` stands in for an unfitted estimator's).
    """
    task = estimator_task(estimator)
    resolved = resolve_metrics(metrics, task=task)
    named_task = task_of(resolved)
    if task == "classification" and named_task == "regression":
        raise ValueError(
            f"metrics {[m.name for m in resolved if m.task]} are regression "
            f"metrics, but {type(estimator).__name__} is a classifier, whose "
            "predictions are class labels; score it with classification metrics "
            "such as 'accuracy', 'f1_macro' or 'log_loss'."
        )
    if named_task is not None:
        task = named_task
    weighting, weights = resolve_weighting(sample_weight, task)
    if task == "regression":
        classes = None
    elif classes is None:
        classes = getattr(estimator, "classes_", None)
    accumulator = PartitionMetrics(
        resolved,
        classes=classes,
        sample_weight=weighting,
        pos_label=pos_label,
        min_partition_size=min_partition_size,
        task=task,
        **bootstrap,
    )
    return accumulator, weights


def needs_proba(accumulator: PartitionMetrics) -> bool:
    """Whether the accumulator's metrics read probabilities."""
    return any(m.needs == "proba" for m in accumulator._metrics)


def score_partitions(
    estimator: Any,
    X: Any,
    y: Any = None,
    groups: Any = None,
    *,
    metrics: Any = None,
    sample_weight: Any = "auto",
    pos_label: Any = None,
    min_partition_size: int = 1,
    n_boot: int | None = None,
    confidence_level: float = 0.95,
    random_state: Any = None,
    verbose: int = 0,
) -> PartitionReport:
    """Score a fitted estimator (or Pipeline) on each partition of the data.

    The estimator predicts once: ``predict_proba`` when a metric needs
    probabilities (labels are then ``classes_[argmax]``, which can differ from
    ``predict`` for estimators whose ``predict`` is not that argmax), else
    ``predict``.

    Parameters
    ----------
    estimator : fitted estimator
        Any sklearn-compatible classifier or regressor, or a Pipeline.
    X : array-like, DataFrame, Dask collection or source of batches
        Input data of shape (n_samples, n_features). A Dask Array or Dask
        DataFrame is scored block by block on the workers (the estimator is
        sent to each worker once, the statistics are merged in a tree), with
        y, groups (and a sample_weight array) Dask collections of the same
        blocks. With y and groups left out, a source of batches: a
        ``tf.data.Dataset``, a list or an iterator of ``(X, y, groups)`` or
        ``(X, y, groups, sample_weight)`` tuples; each batch is predicted
        once and added to one accumulator. The report is the same as for the
        rows in memory.
    y : array-like of shape (n_samples,), default=None
        True labels or values (None only for a source of batches).
    groups : array-like of shape (n_samples,), DataFrame or list of array-like, \
default=None
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`metrics_by_partition`; None means ``accuracy`` for
        classifiers and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classifiers and None for regressors.
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    min_partition_size : int, default=1
        Partitions with fewer rows are left out of the summary.
    n_boot : int, default=None
        Bootstrap replicates (Poisson(1) row weights drawn from each row's
        position): the report gains percentile ``intervals``,
        ``overall_intervals``, the summary's ``worst_low`` ... ``mean_high``
        and ``replicates(metric)``. None: point estimates only.
    confidence_level : float, default=0.95
        Level of the bootstrap intervals.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap replicates.
    verbose : int, default=0
        1 shows progress over batches (a line per batch: the rows so far) or
        Dask blocks (``distributed.progress`` with a distributed Client, else
        ``dask.diagnostics.ProgressBar``); 0 prints nothing.

    Returns
    -------
    PartitionReport

    Raises
    ------
    ValueError
        For a bad batch, naming its position; the error's ``accumulator``
        attribute holds the batches before it (``error.accumulator.result()``).

    See Also
    --------
    metrics_by_partition : the same from predictions.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import score_partitions
    >>> X, y = [[0], [1], [2], [3]], [0, 0, 1, 1]
    >>> model = LogisticRegression().fit(X, y)
    >>> report = score_partitions(model, X, y, ["a", "a", "b", "b"])
    >>> float(report.overall["accuracy"])
    1.0
    """
    check_is_fitted(estimator)
    check_verbose(verbose)
    batches = y is None and groups is None and is_batch_source(X)
    if y is None and not batches:
        raise ValueError(
            f"y is None and X is a {type(X).__name__}: score_partitions needs "
            "the true targets of X (score_partitions(estimator, X, y, groups)), "
            "or, with y and groups left out, batches: a tf.data.Dataset, a list "
            "or an iterator of (X, y, groups) or (X, y, groups, sample_weight) "
            "tuples."
        )
    if not batches and is_batch_source(X) and not isinstance(X, (list, tuple)):
        raise ValueError(
            f"X is a source of batches ({type(X).__name__}) but y or groups was "
            "given too; batches carry their own: leave y and groups out, and "
            "yield (X, y, groups) tuples."
        )
    options = dict(
        pos_label=pos_label,
        min_partition_size=min_partition_size,
        n_boot=n_boot,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    accumulator, weights = accumulator_for(
        estimator, metrics, sample_weight=sample_weight, **options
    )
    if batches:
        if weights is not None:
            raise ValueError(
                "sample_weight is an array but X is a source of batches; give "
                "each batch its weights instead: (X, y, groups, sample_weight)."
            )
        return score_batches(
            estimator,
            X,
            accumulator,
            verbose=verbose,
            # Weighted batches stand for a weight array: "auto" uses them.
            weighted=None
            if sample_weight != "auto"
            else lambda: accumulator_for(
                estimator, metrics, sample_weight=None, **options
            )[0],
        )
    if any(is_dask_collection(value) for value in (X, y, groups, weights)):
        from ._dask import score_dask  # imports dask

        return score_dask(
            estimator,
            X,
            y,
            groups,
            accumulator,
            weights=weights,
            verbose=verbose,
        )
    return add_predictions(
        accumulator, estimator, X, y, groups, sample_weight=weights
    ).result()
