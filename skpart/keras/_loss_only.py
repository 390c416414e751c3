"""Training with the loss only: what the estimators say about the metrics they drop.

The estimators compile their models without metrics (per-partition metrics
come from ``score_partitions`` and ``PartitionMonitor``). When the model
function compiled metrics, or ``metrics=`` was given, a warning says they are
not used and what the epoch logs will hold instead, once per estimator (its
clones in a search share what it said); a callback that watches a dropped
metric is an error before training.
"""

from __future__ import annotations

from typing import Any

import keras
from sklearn.base import is_classifier

from .._messages import warn
from .._metrics.registry import resolve_metrics
from ._callbacks import flatten_callbacks
from ._compat import fit_callbacks, flat_metric_names
from ._monitor import PartitionMonitor
from ._monitor_scoring import LOGGED_AGGREGATES
from ._objectives import WORST_LOSS_KEY

#: Keras callbacks that read one key of the epoch logs (their ``monitor``).
_MONITORING_CALLBACKS = (
    keras.callbacks.EarlyStopping,
    keras.callbacks.ModelCheckpoint,
    keras.callbacks.ReduceLROnPlateau,
)
#: Keras's own spellings of one metric (its log key is the string given).
_METRIC_ALIASES = (
    {"accuracy", "acc"},
    {"crossentropy", "ce"},
    {"mean_squared_error", "mse"},
    {"mean_absolute_error", "mae"},
)


def warn_unused_metrics(estimator: Any, dropped: list[str], ignored: Any) -> None:
    """Warn that training does not use these metrics; refuse callbacks that watch them.

    Parameters
    ----------
    estimator : PartitionAwareClassifier or PartitionAwareRegressor
        The estimator being fitted (its callbacks are initialized).
    dropped : list of str
        The metrics the model function compiled, dropped from the model.
    ignored : str, list or None
        ``metrics=``, when the model function compiled the model itself
        (SciKeras then never passes it to compile).

    Raises
    ------
    ValueError
        When an ``EarlyStopping``, ``ModelCheckpoint`` or ``ReduceLROnPlateau``
        monitors one of those metrics: the epoch logs will never hold it.
    """
    available = epoch_log_keys(estimator)
    unused = [*dropped, *_metric_names(ignored)]
    _check_monitored_keys(estimator, unused, available)
    parts = [f"{type(estimator).__name__} trains with the loss only;"]
    if dropped:
        parts.append(f"the compiled metrics {dropped} are not used.")
    if ignored is not None:
        parts.append(
            f"metrics={ignored!r} is not used{' either' if dropped else ''}: "
            "the model function "
            "compiles the model itself, so SciKeras never passes metrics= "
            "to compile. Drop metrics= from the estimator."
        )
    parts.append(
        f"The epoch logs (history_, callbacks) will hold {_keys_text(available)}. "
        "Per-partition metrics come from score_partitions(...) after "
        "training and from PartitionMonitor(...) during training."
    )
    message = " ".join(parts)
    said = said_by(estimator)
    if message in said:
        return
    said.add(message)
    # Raised deep in SciKeras's fit: named at the user's line, whichever of
    # fit, partial_fit or a search called it.
    warn(message, UserWarning)


def said_by(estimator: Any) -> set[str]:
    """Return the warnings ``estimator`` and its clones have given (one shared set).

    The estimators' ``__sklearn_clone__`` hands this set to their clones, so
    a search or cross-validation (which fit clones) warns once, not per fit,
    while a new estimator warns again.
    """
    return vars(estimator).setdefault("_said", set())


def epoch_log_keys(estimator: Any) -> list[str]:
    """List the keys of the epoch logs: the loss, then the monitors' keys."""
    keys = ["loss", "val_loss (with validation_split or validation_data)"]
    classifier = is_classifier(estimator)
    for callback in flatten_callbacks(fit_callbacks(estimator)):
        if isinstance(callback, PartitionMonitor):
            keys.extend(_monitor_keys(callback, is_classifier=classifier))
    if estimator.partition_objective is not None:
        keys.append(WORST_LOSS_KEY)
    return keys


def _check_monitored_keys(
    estimator: Any, unused: list[str], available: list[str]
) -> None:
    # A callback watching a dropped metric would fail (or never fire)
    # after the first epoch; fail before training instead.
    unused_keys = set()
    for name in unused:
        names = {name}.union(*(s for s in _METRIC_ALIASES if name in s))
        unused_keys |= names | {f"val_{n}" for n in names}
    for callback in flatten_callbacks(fit_callbacks(estimator)):
        key = getattr(callback, "monitor", None)
        if isinstance(callback, _MONITORING_CALLBACKS) and key in unused_keys:
            example = next(
                (k for k in available[2:] if k.endswith("_worst")),
                "val_partition_accuracy_worst",
            )
            raise ValueError(
                f"{type(callback).__name__}(monitor={key!r}) watches the "
                f"metric {key!r}, but {type(estimator).__name__} trains with the "
                f"loss only and drops the metrics {unused}, so the epoch "
                f"logs will never hold {key!r}. They will hold "
                f"{_keys_text(available)}. Monitor one of those: add a "
                "PartitionMonitor to callbacks and use "
                f"{type(callback).__name__}(monitor={example!r}, mode='max') "
                "(mode='min' for a loss or an error), or monitor='val_loss'."
            )


def _metric_names(metrics: Any) -> list[str]:
    """Names of the metrics given as ``metrics=``; unnamed objects are left out."""
    return [name for name in flat_metric_names(metrics, lambda _: "") if name]


def _monitor_keys(monitor: PartitionMonitor, *, is_classifier: bool) -> list[str]:
    """List the keys ``monitor`` writes into the epoch logs."""
    try:
        names = [
            s.name
            for s in resolve_metrics(
                monitor.metrics,
                task="classification" if is_classifier else "regression",
            )
        ]
    except (TypeError, ValueError):
        names = ["<metric>"]  # the monitor itself reports bad metrics at fit
    return [
        f"{monitor.prefix}{name}_{aggregate}"
        for name in names
        for aggregate in LOGGED_AGGREGATES
    ]


def _keys_text(keys: list[str]) -> str:
    return ", ".join(repr(key) if " " not in key else key for key in keys)
