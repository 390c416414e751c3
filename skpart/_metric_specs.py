"""What users pass as ``metrics=`` -> a list of :class:`MetricSpec`.

A spec names a vectorised kernel of ``skpart._metrics`` or wraps a user
callable, and says what the metric reads and whether greater is better.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._metrics import METRICS
from ._report import INFO_COLUMNS

# The variant to suggest for a binary-only metric with more than two classes.
_MULTICLASS_VARIANT = {
    "precision": "precision_macro",
    "recall": "recall_macro",
    "f1": "f1_macro",
    "roc_auc": "roc_auc_ovr",
    "brier_score": "log_loss",
}
# A callable whose name ends like this is a loss: lower is better.
_LOSS_SUFFIXES = ("_loss", "_error", "_deviance")


@dataclass(frozen=True)
class MetricSpec:
    """A resolved metric: a named vectorised kernel or a user callable.

    Attributes
    ----------
    name : str
        Column name in the report.
    needs : {"labels", "proba", "values", "predictions"}
        What the metric reads; ``"predictions"`` for callables, which receive
        ``y_pred`` as given (labels or values).
    greater_is_better : bool
        True for scores, False for losses and errors.
    func : callable or None
        ``func(y_true, y_pred, *, sample_weight=None)``; None for named metrics.
    """

    name: str
    needs: str
    greater_is_better: bool
    func: Callable | None = None


def resolve_metrics(metrics: Any, *, is_classifier: bool) -> list[MetricSpec]:
    """Resolve ``metrics`` into a list of :class:`MetricSpec`.

    Parameters
    ----------
    metrics : str, callable, (name, callable, greater_is_better), list of these or None
        Named metrics (see ``skpart._metrics.METRICS``) and callables
        ``f(y_true, y_pred, *, sample_weight=None)``. A callable is named by its
        ``__name__`` and treated as a loss when the name ends in ``_loss``,
        ``_error`` or ``_deviance``, else as a score; pass a
        ``(name, func, greater_is_better)`` tuple to choose both. None means
        ``["accuracy"]`` for classifiers and ``["r2"]`` for regressors, as
        sklearn's ``score``.
    is_classifier : bool
        Chooses the default when ``metrics`` is None.

    Returns
    -------
    list of MetricSpec

    Examples
    --------
    >>> from skpart._metric_specs import resolve_metrics
    >>> [m.name for m in resolve_metrics(None, is_classifier=False)]
    ['r2']
    """
    if metrics is None:
        metrics = ["accuracy"] if is_classifier else ["r2"]
    elif isinstance(metrics, (str, MetricSpec)) or callable(metrics):
        metrics = [metrics]
    elif _is_metric_tuple(metrics):
        metrics = [metrics]
    specs = [_to_spec(metric) for metric in metrics]
    if not specs:
        raise ValueError("metrics is empty; pass at least one metric name or callable.")
    names = [spec.name for spec in specs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(
            f"metrics has duplicate names {duplicated}; name callables with "
            "(name, func, greater_is_better) tuples."
        )
    return specs


def needs_proba(metrics: Any) -> bool:
    """Whether any of ``metrics`` needs predicted probabilities.

    Parameters
    ----------
    metrics : as in :func:`resolve_metrics`, or a list of MetricSpec

    Returns
    -------
    bool

    Examples
    --------
    >>> from skpart._metric_specs import needs_proba
    >>> needs_proba(["accuracy", "roc_auc"]), needs_proba(None)
    (True, False)
    """
    specs = resolve_metrics(metrics, is_classifier=True)
    return any(spec.needs == "proba" for spec in specs)


def multiclass_variant(name: str) -> str:
    """Name the metric to suggest for binary-only ``name`` with 3+ classes.

    Parameters
    ----------
    name : str
        A binary-only metric of ``skpart._metrics.METRICS``.

    Returns
    -------
    str

    Examples
    --------
    >>> from skpart._metric_specs import multiclass_variant
    >>> multiclass_variant("roc_auc")
    'roc_auc_ovr'
    """
    return _MULTICLASS_VARIANT.get(name, "a '_macro'/'_ovr' variant")


def _is_metric_tuple(metric: Any) -> bool:
    return (
        isinstance(metric, tuple)
        and len(metric) == 3
        and isinstance(metric[0], str)
        and callable(metric[1])
        and isinstance(metric[2], (bool, np.bool_))
    )


def _to_spec(metric: Any) -> MetricSpec:
    """One metric (name, callable, tuple or spec) -> MetricSpec."""
    if isinstance(metric, MetricSpec):
        spec = metric
    elif isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(
                f"Unknown metric {metric!r}; valid names are "
                f"{', '.join(sorted(METRICS))}. A callable "
                "f(y_true, y_pred, *, sample_weight=None) is accepted too."
            )
        kernel = METRICS[metric]
        spec = MetricSpec(metric, kernel.needs, kernel.greater_is_better)
    elif _is_metric_tuple(metric):
        spec = MetricSpec(metric[0], "predictions", bool(metric[2]), metric[1])
    elif callable(metric):
        name = _callable_name(metric)
        spec = MetricSpec(
            name, "predictions", not name.endswith(_LOSS_SUFFIXES), metric
        )
    else:
        raise ValueError(
            f"metrics entries must be names, callables or (name, func, "
            f"greater_is_better) tuples; got {metric!r}."
        )
    if spec.name in INFO_COLUMNS:
        raise ValueError(f"metric name {spec.name!r} is reserved; rename it.")
    return spec


def _callable_name(func: Callable) -> str:
    # functools.partial has no __name__: use the wrapped function's.
    inner = getattr(func, "func", func)
    return getattr(func, "__name__", None) or getattr(inner, "__name__", repr(func))
