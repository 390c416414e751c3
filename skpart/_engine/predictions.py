"""Estimator outputs into the engine: one prediction pass, added to an accumulator.

The one predict-and-add step that every path shares (in memory, per batch,
per Dask block, the comparison's two models, cross-validation), and the
accumulator built for an estimator (its task, its ``classes_``).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from sklearn.base import is_classifier

from .._inputs.targets import Task
from .._inputs.weights import resolve_weighting
from .._metrics.registry import (
    DECISION_FUNCTION_METRICS,
    Metric,
    resolve_metrics,
    task_of,
)
from .accumulator import PartitionMetrics


def estimator_task(estimator: Any) -> Task:
    """Classification for sklearn classifiers, else regression."""
    return "classification" if is_classifier(estimator) else "regression"


def predict_once(
    estimator: Any, X: Any, needs_proba: bool, metrics: list[Metric] | None = None
):
    """One prediction pass: ``(y_pred, y_proba)``; y_proba is None if not needed.

    With probabilities, labels are ``classes_[argmax]`` rather than a second
    ``predict`` call; this can differ from ``predict`` for estimators whose
    ``predict`` is not the argmax of ``predict_proba`` (e.g. SVC). An
    estimator without ``predict_proba`` (SVC) is scored with its
    ``decision_function`` where every metric that reads probabilities is a
    rank metric (``roc_auc``), as sklearn's scorer does; the labels are then
    ``classes_[decision > 0]``, sklearn's rule for binary decision functions.
    ``metrics`` (the resolved metrics) say which do; None refuses.
    """
    if not needs_proba:
        return estimator.predict(X), None
    classes = np.asarray(estimator.classes_)
    if hasattr(estimator, "predict_proba"):
        y_proba = estimator.predict_proba(X)
        return classes[np.argmax(y_proba, axis=1)], y_proba
    name = type(estimator).__name__
    reading = [m.name for m in metrics or [] if m.needs == "proba"]
    has_decision = hasattr(estimator, "decision_function")
    if has_decision and reading and set(reading) <= DECISION_FUNCTION_METRICS:
        scores = np.asarray(estimator.decision_function(X))
        if scores.ndim == 1 and len(classes) == 2:
            return classes[(scores > 0).astype(np.intp)], scores
        raise ValueError(
            f"{reading} scores one class against the other, but {name}'s "
            f"decision_function gives {scores.shape[1:]} columns for classes "
            f"{classes.tolist()}; use 'roc_auc' on a binary target, or an "
            "estimator with predict_proba for 'roc_auc_ovr'."
        )
    needing = [m for m in reading if m not in DECISION_FUNCTION_METRICS] or reading
    which = f"the metrics {needing}" if needing else "the metrics"
    if has_decision:
        raise ValueError(
            f"{which} need probabilities but {name} has "
            "no predict_proba, and its decision_function gives scores, not "
            "probabilities (it serves the rank metric 'roc_auc', as in sklearn's "
            "scorers). Calibrate it (CalibratedClassifierCV(estimator)), enable "
            "its probabilities (SVC(probability=True)), or leave those metrics out."
        )
    raise ValueError(
        f"the metrics need probabilities but {name} has no predict_proba; use "
        "label metrics or an estimator with predict_proba."
    )


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
    needs_proba = accumulator.needs_proba
    metrics = None
    if needs_proba and not hasattr(estimator, "predict_proba"):
        metrics = resolve_metrics(accumulator.metrics)  # which read probabilities
    y_pred, y_proba = predict_once(estimator, X, needs_proba, metrics)
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


@contextlib.contextmanager
def warnings_once() -> Iterator[None]:
    """Show each distinct warning raised inside once (the first, when raised).

    Around the prediction passes of one call (every batch, every Dask block
    on local threads): sklearn's "X does not have valid feature names"
    warning would otherwise repeat per pass, since the ``catch_warnings``
    blocks inside sklearn reset Python's once-per-location registry. The
    caller's filters apply as before ("error" still raises); only repeats of
    a shown warning (same category and text) are dropped. Enter it from one
    thread only: it swaps Python's global ``showwarning``.
    """
    seen = set()
    show = warnings.showwarning

    def show_once(message, category, filename, lineno, file=None, line=None):
        key = (category, str(message))
        if key not in seen:
            seen.add(key)
            show(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():  # restores showwarning on the way out
        warnings.showwarning = show_once
        yield
