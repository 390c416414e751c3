"""One batch's targets, validated and encoded against the scoring plan.

Class labels become indices into the sorted classes (learning the batch's new
classes), regression values float64, probabilities one column per class; the
statistics trust what comes out. The labels as given are kept beside the
codes, for the user callables.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._inputs.targets import (
    ClassCodebook,
    check_classification_target,
    check_lengths,
    check_proba,
    labels_1d,
    values_1d,
)
from .._messages import truncate
from .._metrics.registry import multiclass_variant
from .plan import ScoringPlan


class Targets(NamedTuple):
    """One batch's targets, validated against the plan.

    ``y_true`` and ``y_pred`` are class indices (classification) or float64
    values; ``raw_true`` and ``raw_pred`` are the validated labels as given,
    which user callables read. ``class_map`` renumbers the classes known
    before the batch (None for regression).
    """

    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_proba: np.ndarray | None
    class_map: np.ndarray | None
    raw_true: np.ndarray
    raw_pred: np.ndarray


def check_targets(
    plan: ScoringPlan, y_true, y_pred, y_proba, classes: ClassCodebook, n_rows: int
) -> Targets:
    """Validate and encode one batch's targets; learn its new classes.

    ``classes`` learns the batch's classes (and is fixed by probability
    metrics): the caller restores its copy if the batch is refused later.
    """
    if plan.task == "classification":
        return _classification(plan, y_true, y_pred, y_proba, classes, n_rows)
    if y_proba is not None:
        raise ValueError(
            "y_proba was given, but the metrics "
            f"{plan.metric_names} are regression metrics, which "
            "read predicted values only; leave y_proba as None."
        )
    y_true = values_1d(y_true, "y_true")
    y_pred = values_1d(y_pred, "y_pred")
    check_lengths(len(y_true), y_pred=y_pred)
    return Targets(y_true, y_pred, None, None, y_true, y_pred)


def _classification(plan, y_true, y_pred, y_proba, classes, n_rows) -> Targets:
    names = plan.metric_names
    # Callables alone may take anything as y_pred (scores, say): only the
    # named label metrics read y_pred as classes.
    labels = "confusion" in plan.statistics
    y_true = labels_1d(y_true, "y_true")
    y_pred = labels_1d(y_pred, "y_pred") if labels else np.asarray(y_pred)
    check_lengths(len(y_true), y_pred=y_pred)
    check_classification_target(y_true, "y_true", names)
    if labels:
        check_classification_target(y_pred, "y_pred", names)
    class_map = classes.learn(y_true, *([y_pred] if labels else []))
    n_classes = classes.n_classes
    for metric in plan.metrics:
        if metric.binary_only and n_classes > 2:
            raise ValueError(
                f"metric {metric.name!r} is binary-only but there are "
                f"{n_classes} classes {truncate(classes.sorted.tolist())}; "
                f"use {multiclass_variant(metric.name)!r} instead."
            )
    positive = plan.positive_class(classes)  # refuses a pos_label not seen
    if plan.needs_proba:
        if y_proba is None:
            raise ValueError(
                f"metrics {[m.name for m in plan.metrics if m.needs == 'proba']}"
                " need probabilities: pass y_proba (e.g. "
                "estimator.predict_proba(X)) and classes=estimator.classes_."
            )
        # The probability columns are the classes known now: fixed from here.
        classes.fix()
        y_proba = check_proba(y_proba, classes, n_rows)
        if "score_histogram" in plan.statistics:
            _check_binnable(y_proba[:, positive])
    elif y_proba is not None and not classes.fixed:
        y_proba = None  # not needed, and its columns could not be checked
    elif y_proba is not None:
        y_proba = check_proba(y_proba, classes, n_rows)
    encoded_true = classes.encode(y_true, "y_true")
    encoded_pred = classes.encode(y_pred, "y_pred") if labels else None
    return Targets(encoded_true, encoded_pred, y_proba, class_map, y_true, y_pred)


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
