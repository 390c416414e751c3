"""Keras prediction in large batches, without ``Model.predict``'s overhead.

``Model.predict`` builds a data pipeline, a progress bar and callback hooks on
every call; for the in-memory arrays that scoring and monitoring use, calling
the compiled predict function batch by batch gives the same outputs several
times faster (see docs/benchmarks.md).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from .._inputs.rows import count_rows
from ._compat import trace_predict_for_any_batch_size

#: Rows per prediction batch unless the user chose another size. Keras's
#: default of 32 spends most of a small network's predict time in per-batch
#: overhead.
PREDICT_BATCH_SIZE = 4096


def predict_in_batches(model: Any, X: Any, batch_size: int = PREDICT_BATCH_SIZE):
    """Predict ``model`` on ``X`` with one ``predict_on_batch`` call per batch.

    A model whose class overrides ``predict`` or ``predict_on_batch`` is
    predicted with its own ``model.predict(X, batch_size=..., verbose=0)``:
    the batched path would skip the override.

    Parameters
    ----------
    model : keras.Model
        A built Keras model.
    X : ndarray, or tuple, list or dict of ndarrays
        Model inputs (several for multi-input models).
    batch_size : int, default=4096
        Rows per call; -1 predicts all rows in one call.

    Returns
    -------
    ndarray, or list or dict of ndarrays
        The outputs, shaped as the model's outputs, rows in the order of ``X``.
    """
    n_rows = count_rows(X)
    step = max(n_rows if batch_size == -1 else batch_size, 1)
    if overrides_predict(model):
        return model.predict(X, batch_size=step, verbose=0)
    # One trace per model whatever the batch sizes, so that a ragged last
    # batch or the next call's row count never retraces the predict function.
    trace_predict_for_any_batch_size(model, X)
    chunks = [
        model.predict_on_batch(take_rows(X, start, start + step))
        for start in range(0, n_rows, step)
    ]
    if len(chunks) == 1:
        return chunks[0]
    return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *chunks)


def overrides_predict(model: Any) -> bool:
    """Whether the class of ``model`` replaces Keras's ``predict`` machinery."""
    return any(
        getattr(type(model), name, None) is not getattr(keras.Model, name)
        for name in ("predict", "predict_on_batch")
    )


def take_rows(X: Any, start: int, stop: int) -> Any:
    """Take rows ``start:stop`` of an array, or of each array of a tuple/list/dict."""
    if isinstance(X, dict):
        return {key: value[start:stop] for key, value in X.items()}
    if isinstance(X, (list, tuple)) and X and hasattr(X[0], "shape"):
        rows = [value[start:stop] for value in X]
        return rows if isinstance(X, list) else tuple(rows)
    return X[start:stop]
