"""The named metrics and what users pass as ``metrics=``: one :class:`Metric` type.

A metric is either named (a vectorised kernel of :mod:`skpart._metrics.kernels` on
statistics that add up) or a user callable run once per partition; either way
it says what it reads and whether greater is better.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .._inputs.targets import Task
from . import kernels
from .fairness import split_disparities

#: Columns of ``by_partition`` that follow the metric columns.
INFO_COLUMNS = ("n_samples", "weight", "reliable")

# The variant to suggest for a binary-only metric with more than two classes.
_MULTICLASS_VARIANT = {
    "precision": "precision_macro",
    "recall": "recall_macro",
    "f1": "f1_macro",
    "roc_auc": "roc_auc_ovr",
    "brier_score": "log_loss",
}
#: Rank metrics that read any score of the positive class, not a probability:
#: sklearn's scorer of the same name takes ``decision_function`` too.
DECISION_FUNCTION_METRICS = frozenset({"roc_auc"})
# A callable whose name ends like this is a loss or an error: lower is better.
_LOSS_SUFFIXES = ("_loss", "_error", "_deviance", "_difference")
# Fairlearn's error rates, whose names do not end like a loss.
_ERROR_RATES = ("false_positive_rate", "false_negative_rate")


@dataclass(frozen=True)
class Metric:
    """A resolved metric: a named vectorised kernel or a user callable.

    Attributes
    ----------
    name : str
        Column name in the report.
    needs : {"labels", "proba", "values", "predictions"}
        What it reads: class labels, class probabilities, regression values,
        or (callables) the predictions as given, labels or values.
    greater_is_better : bool
        True for scores, False for losses and errors (their worst partition
        is the maximum).
    binary_only : bool
        True for the metrics sklearn defines for two classes only.
    statistics : frozenset of str
        The statistics a named metric reads (of
        :data:`skpart._metrics.statistics.STATISTIC_NAMES`).
    kernel : callable or None
        ``kernel(finalised) -> (R, P) array`` for named metrics.
    func : callable or None
        ``func(y_true, y_pred, *, sample_weight=None)`` for user callables.
    """

    name: str
    needs: Literal["labels", "proba", "values", "predictions"]
    greater_is_better: bool
    binary_only: bool = False
    statistics: frozenset = frozenset()
    kernel: Callable | None = None
    func: Callable | None = None

    @property
    def task(self) -> Task | None:
        """The task a named metric belongs to; None for callables."""
        if self.needs in ("labels", "proba") and self.func is None:
            return "classification"
        if self.needs == "values":
            return "regression"
        return None

    @property
    def accepts_sample_weight(self) -> bool:
        """Whether the callable takes ``sample_weight`` (named metrics do)."""
        if self.func is None:
            return True
        try:
            parameters = inspect.signature(self.func).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature
            return True
        return any(
            p.name == "sample_weight" or p.kind is inspect.Parameter.VAR_KEYWORD
            for p in parameters
        )


def _named(name, needs, greater_is_better, kernel, statistics, binary_only=False):
    return Metric(
        name,
        needs,
        greater_is_better,
        binary_only=binary_only,
        statistics=frozenset(statistics),
        kernel=kernel,
    )


_LABELS = ("confusion",)
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        _named("accuracy", "labels", True, kernels.accuracy, _LABELS),
        _named("balanced_accuracy", "labels", True, kernels.balanced_accuracy, _LABELS),
        _named("precision", "labels", True, kernels.precision, _LABELS, True),
        _named("recall", "labels", True, kernels.recall, _LABELS, True),
        _named("f1", "labels", True, kernels.f1, _LABELS, True),
        _named("precision_macro", "labels", True, kernels.precision_macro, _LABELS),
        _named("recall_macro", "labels", True, kernels.recall_macro, _LABELS),
        _named("f1_macro", "labels", True, kernels.f1_macro, _LABELS),
        _named("f1_micro", "labels", True, kernels.f1_micro, _LABELS),
        _named("f1_weighted", "labels", True, kernels.f1_weighted, _LABELS),
        _named("selection_rate", "labels", True, kernels.selection_rate, _LABELS, True),
        _named(
            "true_positive_rate",
            "labels",
            True,
            kernels.true_positive_rate,
            _LABELS,
            True,
        ),
        _named(
            "true_negative_rate",
            "labels",
            True,
            kernels.true_negative_rate,
            _LABELS,
            True,
        ),
        _named(
            "false_positive_rate",
            "labels",
            False,
            kernels.false_positive_rate,
            _LABELS,
            True,
        ),
        _named(
            "false_negative_rate",
            "labels",
            False,
            kernels.false_negative_rate,
            _LABELS,
            True,
        ),
        _named("roc_auc", "proba", True, kernels.roc_auc, ("rank",), True),
        _named("roc_auc_ovr", "proba", True, kernels.roc_auc_ovr, ("rank",)),
        _named(
            "roc_auc_binned",
            "proba",
            True,
            kernels.roc_auc_binned,
            ("score_histogram",),
            True,
        ),
        _named("log_loss", "proba", False, kernels.log_loss, ("log_loss",)),
        _named("brier_score", "proba", False, kernels.brier_score, ("brier",), True),
        _named(
            "mean_squared_error",
            "values",
            False,
            kernels.mean_squared_error,
            ("moments",),
        ),
        _named(
            "root_mean_squared_error",
            "values",
            False,
            kernels.root_mean_squared_error,
            ("moments",),
        ),
        _named(
            "mean_absolute_error",
            "values",
            False,
            kernels.mean_absolute_error,
            ("moments",),
        ),
        _named("r2", "values", True, kernels.r2, ("moments",)),
    )
}


def default_metrics(task: Task) -> list[str]:
    """Sklearn's ``score``: accuracy for classifiers, r2 for regressors."""
    return ["accuracy"] if task == "classification" else ["r2"]


def resolve_metrics(metrics: Any, *, task: Task | None = None) -> list[Metric]:
    """Resolve ``metrics`` into a list of :class:`Metric`, validated.

    Parameters
    ----------
    metrics : str, callable, tuple, Metric, list of these, or None
        Named metrics (keys of :data:`METRICS`) and callables
        ``f(y_true, y_pred, *, sample_weight=None)``. A callable is named by
        its ``__name__`` and is a loss when the name ends in ``_loss``,
        ``_error``, ``_deviance`` or ``_difference`` (or is Fairlearn's
        ``false_positive_rate`` / ``false_negative_rate``), else a score.
        ``(name, func, greater_is_better)`` chooses both, and
        ``(name, func, greater_is_better, "predict_proba")`` gives the
        callable probabilities instead of labels (the positive class's column
        for two classes, as sklearn's ``make_scorer(response_method=...)``).
        Fairness disparities (``demographic_parity_difference`` and the like,
        see :mod:`skpart._metrics.fairness`) stand for the rates they aggregate.
        None means the task's default.
    task : {"classification", "regression"} or None
        Chooses the default when ``metrics`` is None (required then).

    Returns
    -------
    list of Metric

    Examples
    --------
    >>> from skpart._metrics.registry import resolve_metrics
    >>> [m.name for m in resolve_metrics(None, task="regression")]
    ['r2']
    """
    if metrics is None:
        if task is None:
            raise ValueError("metrics=None needs the task to choose a default.")
        metrics = default_metrics(task)
    elif isinstance(metrics, (str, Metric)) or callable(metrics):
        metrics = [metrics]
    elif is_metric_tuple(metrics):
        metrics = [metrics]
    elif isinstance(metrics, (set, frozenset)):
        raise ValueError(
            f"metrics={metrics!r} is a set, whose order is arbitrary, so the "
            "report's columns would be too; pass a list."
        )
    elif not isinstance(metrics, (list, tuple)):
        raise ValueError(
            f"metrics={metrics!r} is not understood; pass a metric name such as "
            "'accuracy', a callable f(y_true, y_pred, *, sample_weight=None), a "
            "(name, func, greater_is_better) tuple, or a list of these."
        )
    # A fairness disparity is an aggregate of rates: score the rates.
    metrics, _ = split_disparities(list(metrics))
    resolved = [_to_metric(metric) for metric in metrics]
    if not resolved:
        raise ValueError("metrics is empty; pass at least one metric name or callable.")
    names = [metric.name for metric in resolved]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(
            f"metrics has duplicate names {duplicated}; name callables with "
            "(name, func, greater_is_better) tuples."
        )
    return resolved


def task_of(metrics: list[Metric]) -> Task | None:
    """Return the task the named metrics imply (None for callables only).

    Raises a clear error for a mix of classification and regression metrics.
    """
    classification = [m.name for m in metrics if m.task == "classification"]
    regression = [m.name for m in metrics if m.task == "regression"]
    if classification and regression:
        raise ValueError(
            f"metrics mixes classification metrics {classification} and "
            f"regression metrics {regression}; score them in separate calls."
        )
    if classification or any(m.needs == "proba" for m in metrics):
        return "classification"
    return "regression" if regression else None


def multiclass_variant(name: str) -> str:
    """Name the metric to suggest for binary-only ``name`` with 3+ classes.

    Examples
    --------
    >>> from skpart._metrics.registry import multiclass_variant
    >>> multiclass_variant("roc_auc")
    'roc_auc_ovr'
    """
    return _MULTICLASS_VARIANT.get(name, "a multiclass metric such as 'f1_macro'")


def is_metric_tuple(metric: Any) -> bool:
    """Whether ``metric`` is a ``(name, func, greater_is_better[, method])`` tuple."""
    return (
        isinstance(metric, tuple)
        and len(metric) in (3, 4)
        and isinstance(metric[0], str)
        and callable(metric[1])
        and isinstance(metric[2], bool)
        and (len(metric) == 3 or metric[3] in ("predict", "predict_proba"))
    )


def _to_metric(metric: Any) -> Metric:
    """One metric (name, callable, tuple or Metric) -> Metric."""
    if isinstance(metric, Metric):
        resolved = metric
    elif isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(
                f"Unknown metric {metric!r}; valid names are "
                f"{', '.join(sorted(METRICS))}. A callable "
                "f(y_true, y_pred, *, sample_weight=None) is accepted too."
            )
        resolved = METRICS[metric]
    elif is_metric_tuple(metric):
        proba = len(metric) == 4 and metric[3] == "predict_proba"
        resolved = Metric(
            metric[0], "proba" if proba else "predictions", metric[2], func=metric[1]
        )
    elif callable(metric):
        name = _callable_name(metric)
        loss = name.endswith(_LOSS_SUFFIXES) or name in _ERROR_RATES
        resolved = Metric(name, "predictions", not loss, func=metric)
    else:
        raise ValueError(
            f"metrics entries must be names, callables or (name, func, "
            f"greater_is_better) tuples; got {metric!r}."
        )
    if resolved.name in INFO_COLUMNS:
        raise ValueError(f"metric name {resolved.name!r} is reserved; rename it.")
    return resolved


def _callable_name(func: Callable) -> str:
    # functools.partial has no __name__: use the wrapped function's.
    inner = getattr(func, "func", func)
    return getattr(func, "__name__", None) or getattr(inner, "__name__", repr(func))
