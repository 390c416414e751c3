"""Which way an estimator predicts: batch by batch, or through ``Model.predict``.

The estimators call the compiled predict function batch by batch
(``predict_in_batches``: the same outputs, several times faster) unless
something asks for ``Model.predict``'s machinery: a predict option other
than the batch size, a nonzero verbose, a callback with predict hooks, or a
model class that overrides predict. Scoring predicts quietly unless
``predict__verbose`` asks for Keras's progress bar.
"""

from __future__ import annotations

from typing import Any

import keras

from .._engine.predictions import is_scoring
from ._callbacks import flatten_callbacks
from ._compat import predict_callbacks
from ._predict import PREDICT_BATCH_SIZE, overrides_predict

#: Keras's predict hooks: a callback that overrides one acts on predict.
_PREDICT_HOOKS = (
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)


def predict_batch_size(estimator: Any) -> int:
    """Return ``predict__batch_size`` if set, else a large batch (-1: all rows)."""
    chosen = getattr(estimator, "predict__batch_size", None)
    return chosen or (-1 if estimator.batch_size == -1 else PREDICT_BATCH_SIZE)


def uses_model_predict(estimator: Any, kwargs: dict) -> bool:
    """Whether this predict call needs ``Model.predict`` rather than the batched path.

    Parameters
    ----------
    estimator : PartitionAwareClassifier or PartitionAwareRegressor
        A fitted estimator.
    kwargs : dict
        The options of this predict call.

    Returns
    -------
    bool
    """
    # Model.predict is needed for: a predict option other than the batch
    # size (steps, ...); a nonzero verbose, which SciKeras passes to
    # Model.predict (predict__verbose, else the estimator's verbose) for
    # its progress bar; a callback with predict hooks (callbacks= reach
    # predict in SciKeras, but EarlyStopping or a PartitionMonitor do
    # nothing there); a model class that overrides predict.
    params = estimator.get_params()
    routed = {k for k in params if k.startswith("predict__")}
    options = set(kwargs) | {k.removeprefix("predict__") for k in routed}
    return (
        bool(options - {"batch_size", "verbose"})
        or predict_verbose(estimator, kwargs) != 0
        or overrides_predict(estimator.model_)
        or any(
            _acts_on_predict(callback)
            for callback in flatten_callbacks(predict_callbacks(estimator))
        )
    )


def predict_verbose(estimator: Any, kwargs: dict) -> int:
    """Return the ``verbose`` this predict call passes to ``Model.predict``.

    SciKeras's rule (the call's ``verbose``, else ``predict__verbose``, else
    the estimator's ``verbose``), except that scoring (``score_partitions``,
    the scorers, cross-validation) is quiet unless ``predict__verbose`` asks:
    the estimator's ``verbose`` is for ``fit``'s progress bars.

    Parameters
    ----------
    estimator : PartitionAwareClassifier or PartitionAwareRegressor
        A fitted estimator.
    kwargs : dict
        The options of this predict call.

    Returns
    -------
    int
    """
    default = 0 if is_scoring() else estimator.verbose
    return kwargs.get("verbose", getattr(estimator, "predict__verbose", default))


def _acts_on_predict(callback: Any) -> bool:
    """Whether ``callback`` overrides any of Keras's predict hooks."""
    base = keras.callbacks.Callback
    return any(
        getattr(type(callback), hook) is not getattr(base, hook)
        for hook in _PREDICT_HOOKS
    )
