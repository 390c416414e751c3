"""Predictions (or a fitted estimator) -> PartitionReport.

``metrics_by_partition`` validates once at the boundary, encodes groups and
classes, and computes every named metric for every partition in one call to
the vectorised kernels; user callables run once per partition.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import is_classifier as _is_classifier
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from ._groups import encode_groups, partition_indices
from ._metric_specs import MetricSpec, multiclass_variant, needs_proba, resolve_metrics
from ._metrics import METRICS, ScoreOrder, compute_named_metrics
from ._report import PartitionReport
from ._weights import default_sample_weight, resolve_sample_weight

_MAX_LISTED = 5


class PartitionMetricWarning(UserWarning):
    """A metric is undefined (NaN) on some partitions, or on all rows pooled."""


class _Targets(NamedTuple):
    """Validated targets as the kernels want them, and the original labels."""

    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None
    n_classes: int | None
    y_true_raw: np.ndarray
    y_pred_raw: np.ndarray


def metrics_by_partition(
    y_true: Any,
    y_pred: Any,
    groups: Any,
    *,
    metrics: Any,
    y_proba: Any = None,
    sample_weight: Any = None,
    classes: Any = None,
    min_partition_size: int = 1,
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
        Named metrics and callables, see :func:`resolve_metrics`. None picks
        ``accuracy`` or ``r2`` from the type of ``y_true``.
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
    min_partition_size : int, default=1
        Partitions with fewer rows are reported but marked not ``reliable``
        and left out of the summary.

    Returns
    -------
    PartitionReport

    Warns
    -----
    PartitionMetricWarning
        Once, naming the metrics and partitions whose value is undefined (NaN).

    Examples
    --------
    >>> from skpart._evaluate import metrics_by_partition
    >>> report = metrics_by_partition(
    ...     [0, 1, 1, 0], [0, 1, 0, 0], ["a", "a", "b", "b"], metrics="accuracy")
    >>> report.by_partition["accuracy"].tolist()
    [1.0, 0.5]
    """
    _check_min_partition_size(min_partition_size)
    # The target type is only needed (and only safe to compute) for the default.
    is_classifier = metrics is not None or not _is_continuous(y_true)
    specs = resolve_metrics(metrics, is_classifier=is_classifier)
    is_regression = _is_regression(specs, y_true)
    if is_regression:
        targets = _regression_targets(y_true, y_pred, y_proba, classes)
    else:
        targets = _classification_targets(specs, y_true, y_pred, y_proba, classes)
    codes, labels = encode_groups(groups, n_samples=len(targets.y_true))
    n_partitions = len(labels)
    weights = resolve_sample_weight(
        sample_weight,
        targets.y_true_raw,
        codes,
        n_partitions,
        is_regression=is_regression,
    )
    # Callables get sample_weight only when the user gave weights.
    values, overall = _metric_values(
        specs, targets, codes, n_partitions, weights, sample_weight is not None
    )
    _warn_undefined(values, overall, labels)
    return PartitionReport.from_arrays(
        values,
        labels=labels,
        n_samples=np.bincount(codes, minlength=n_partitions),
        weight=np.bincount(codes, weights=weights, minlength=n_partitions),
        overall=overall,
        greater_is_better={spec.name: spec.greater_is_better for spec in specs},
        min_partition_size=min_partition_size,
    )


def _is_continuous(y: Any) -> bool:
    return type_of_target(y, input_name="y_true").startswith("continuous")


def _is_regression(specs: list[MetricSpec], y_true: Any) -> bool:
    """Regression or classification, from the named metrics (else from y_true)."""
    classification = [s.name for s in specs if s.needs in ("labels", "proba")]
    regression = [s.name for s in specs if s.needs == "values"]
    if classification and regression:
        raise ValueError(
            f"metrics mixes classification metrics {classification} and "
            f"regression metrics {regression}; score them in separate calls."
        )
    if classification or regression:
        return bool(regression)
    return _is_continuous(y_true)


def _check_min_partition_size(min_partition_size: Any) -> None:
    if (
        not isinstance(min_partition_size, numbers.Integral)
        or isinstance(min_partition_size, bool)
        or min_partition_size < 1
    ):
        raise ValueError(
            f"min_partition_size must be an integer >= 1; got {min_partition_size!r}."
        )


def _regression_targets(y_true, y_pred, y_proba, classes) -> _Targets:
    if y_proba is not None or classes is not None:
        raise ValueError(
            "y_proba and classes are for classification metrics; the metrics "
            "here are regression metrics, so leave them as None."
        )
    y_true = column_or_1d(y_true, dtype=np.float64, input_name="y_true")
    y_pred = column_or_1d(y_pred, dtype=np.float64, input_name="y_pred")
    check_consistent_length(y_true, y_pred)
    assert_all_finite(y_true, input_name="y_true")
    assert_all_finite(y_pred, input_name="y_pred")
    return _Targets(y_true, y_pred, None, None, y_true, y_pred)


def _classification_targets(specs, y_true, y_pred, y_proba, classes) -> _Targets:
    """Validate labels and probabilities; encode labels as sorted class indices."""
    y_true = _labels_1d(y_true, "y_true")
    y_pred = _labels_1d(y_pred, "y_pred")
    check_consistent_length(y_true, y_pred)
    inferred = classes is None
    if inferred:
        classes = np.unique(np.concatenate([y_true, y_pred]))
    classes = _check_classes(classes)
    _check_binary_only(specs, classes)
    # The kernels want class indices into the sorted classes ("positive" = larger).
    order = np.argsort(classes, kind="stable")
    sorted_classes = classes[order]
    y_proba = _check_proba(specs, y_proba, classes, len(y_true), inferred)
    if y_proba is not None:
        y_proba = y_proba[:, order]
    return _Targets(
        _encode(y_true, sorted_classes, "y_true"),
        _encode(y_pred, sorted_classes, "y_pred"),
        y_proba,
        len(classes),
        y_true,
        y_pred,
    )


def _labels_1d(y: Any, name: str) -> np.ndarray:
    y = column_or_1d(y, input_name=name)
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name=name)
    elif y.dtype.kind == "O" and pd.isna(y).any():
        raise ValueError(
            f"{name} has {int(pd.isna(y).sum())} missing label(s) (NaN/None); "
            "drop those rows or give them a label."
        )
    return y


def _check_classes(classes: Any) -> np.ndarray:
    classes = column_or_1d(classes, input_name="classes")
    if len(np.unique(classes)) != len(classes):
        raise ValueError(f"classes has duplicate labels: {classes.tolist()!r}.")
    return classes


def _check_binary_only(specs: list[MetricSpec], classes: np.ndarray) -> None:
    for spec in specs:
        binary_only = spec.func is None and METRICS[spec.name].binary_only
        if binary_only and len(classes) > 2:
            variant = multiclass_variant(spec.name)
            raise ValueError(
                f"metric {spec.name!r} is binary-only but there are "
                f"{len(classes)} classes {_truncate(classes.tolist())}; use "
                f"{variant!r} (or another multiclass variant) instead."
            )


def _check_proba(specs, y_proba, classes, n_samples, inferred) -> np.ndarray | None:
    proba_metrics = [s.name for s in specs if s.needs == "proba"]
    if y_proba is None:
        if proba_metrics:
            raise ValueError(
                f"metrics {proba_metrics} need probabilities: pass y_proba "
                "(e.g. estimator.predict_proba(X)) and classes=estimator.classes_."
            )
        return None
    y_proba = check_array(
        y_proba, ensure_2d=False, dtype=np.float64, input_name="y_proba"
    )
    if y_proba.ndim == 1 and len(classes) == 2:
        # A 1-D array is the probability of the larger class, as in sklearn.
        larger_last = classes[1] > classes[0]
        p = y_proba if larger_last else 1.0 - y_proba
        y_proba = np.column_stack([1.0 - p, p])
    if y_proba.ndim != 2 or y_proba.shape[1] != len(classes):
        hint = " Pass classes=estimator.classes_." if inferred else ""
        raise ValueError(
            f"y_proba has shape {y_proba.shape} but there are {len(classes)} "
            f"classes {classes.tolist()!r}: it needs one column per class, in "
            f"the order of classes.{hint}"
        )
    check_consistent_length(y_proba, np.empty(n_samples))
    return y_proba


def _encode(y: np.ndarray, sorted_classes: np.ndarray, name: str) -> np.ndarray:
    index = np.searchsorted(sorted_classes, y)
    index = np.minimum(index, len(sorted_classes) - 1)
    unknown = sorted_classes[index] != y
    if np.any(unknown):
        missing = np.unique(y[unknown])
        raise ValueError(
            f"{name} has labels {_truncate(missing.tolist())} that are not in "
            f"classes {sorted_classes.tolist()!r}; pass classes with every label."
        )
    return index.astype(np.int64)


def _metric_values(specs, targets, codes, n_partitions, weights, pass_weight):
    """Per-partition arrays and pooled values of every metric, in metric order."""
    values, overall = _named_values(specs, targets, codes, n_partitions, weights)
    callables = [spec for spec in specs if spec.func is not None]
    # One stable sort gives every callable the same per-partition index arrays.
    indices = partition_indices(codes, n_partitions) if callables else []
    for spec in callables:
        values[spec.name], overall[spec.name] = _callable_values(
            spec.func, targets, indices, weights if pass_weight else None
        )
    return {spec.name: values[spec.name] for spec in specs}, overall


def _named_values(specs, targets: _Targets, codes, n_partitions, weights):
    """All named metrics per partition and pooled: two kernel calls in total."""
    names = [spec.name for spec in specs if spec.func is None]
    if not names:
        return {}, {}
    common = dict(
        y_true=targets.y_true,
        y_pred=targets.y_pred,
        y_proba=targets.y_proba,
        sample_weight=weights,
        n_classes=targets.n_classes,
        # The pooled call reuses the per-partition call's sorts of the scores.
        score_order=ScoreOrder(targets.y_proba),
    )
    values = compute_named_metrics(
        names, codes=codes, n_partitions=n_partitions, **common
    )
    pooled = compute_named_metrics(
        names, codes=np.zeros_like(codes), n_partitions=1, **common
    )
    return dict(values), {name: float(pooled[name][0]) for name in names}


def _callable_values(func, targets: _Targets, indices, weights):
    """Run a callable on each partition's rows, then on all rows pooled."""
    y_true, y_pred = targets.y_true_raw, targets.y_pred_raw
    values = np.array(
        [_call(func, y_true, y_pred, weights, index) for index in indices],
        dtype=np.float64,
    )
    return values, _call(func, y_true, y_pred, weights, slice(None))


def _call(func, y_true, y_pred, weights, index) -> float:
    # sklearn signals an undefined metric by ValueError (e.g. one class only).
    kwargs = {} if weights is None else {"sample_weight": weights[index]}
    try:
        return float(func(y_true[index], y_pred[index], **kwargs))
    except ValueError:
        return float("nan")


def _warn_undefined(values: dict, overall: dict, labels: pd.Index) -> None:
    """One warning naming each metric's partitions with an undefined value."""
    parts = []
    for name, column in values.items():
        undefined = np.flatnonzero(np.isnan(column))
        if undefined.size:
            parts.append(
                f"{name!r} on {undefined.size} partition(s) "
                f"{_truncate(labels.take(undefined).tolist())}"
            )
        if np.isnan(overall[name]):
            parts.append(f"{name!r} on all rows pooled")
    if parts:
        warnings.warn(
            "Undefined metric values (NaN, e.g. a partition with one class): "
            + "; ".join(parts)
            + ". The summary skips them.",
            PartitionMetricWarning,
            stacklevel=3,
        )


def _truncate(items: Sequence) -> str:
    shown = ", ".join(repr(item) for item in items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return f"[{shown}{f', ... (+{more} more)' if more > 0 else ''}]"


def _predict_once(estimator: Any, X: Any, needs_proba: bool):
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


def score_partitions(
    estimator: Any,
    X: Any,
    y: Any,
    groups: Any,
    *,
    metrics: Any = None,
    sample_weight: Any = "auto",
    min_partition_size: int = 1,
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
    X : array-like or DataFrame of shape (n_samples, n_features)
        Input data.
    y : array-like of shape (n_samples,)
        True labels or values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        See :func:`resolve_metrics`; None means ``accuracy`` for classifiers
        and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classifiers and None for regressors.
    min_partition_size : int, default=1
        Partitions with fewer rows are left out of the summary.

    Returns
    -------
    PartitionReport

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart._evaluate import score_partitions
    >>> X, y = [[0], [1], [2], [3]], [0, 0, 1, 1]
    >>> model = LogisticRegression().fit(X, y)
    >>> report = score_partitions(model, X, y, ["a", "a", "b", "b"])
    >>> float(report.overall["accuracy"])
    1.0
    """
    check_is_fitted(estimator)
    is_classifier = _is_classifier(estimator)
    specs = resolve_metrics(metrics, is_classifier=is_classifier)
    y_pred, y_proba = _predict_once(estimator, X, needs_proba(specs))
    return metrics_by_partition(
        y,
        y_pred,
        groups,
        metrics=specs,
        y_proba=y_proba,
        sample_weight=default_sample_weight(sample_weight, is_classifier=is_classifier),
        classes=getattr(estimator, "classes_", None) if is_classifier else None,
        min_partition_size=min_partition_size,
    )
