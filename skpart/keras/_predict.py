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

#: Rows per prediction batch unless the user chose another size. Keras's
#: default of 32 spends most of a small network's predict time in per-batch
#: overhead.
PREDICT_BATCH_SIZE = 4096


def predict_in_batches(model: Any, X: Any, batch_size: int = PREDICT_BATCH_SIZE):
    """Predict ``model`` on ``X`` with one ``predict_on_batch`` call per batch.

    Parameters
    ----------
    model : keras.Model
        A built Keras model.
    X : ndarray, or list or dict of ndarrays
        Model inputs (several for multi-input models).
    batch_size : int, default=4096
        Rows per call; -1 predicts all rows in one call.

    Returns
    -------
    ndarray, or list or dict of ndarrays
        The outputs, shaped as the model's outputs, rows in the order of ``X``.
    """
    n_rows = n_samples(X)
    step = n_rows if batch_size == -1 else batch_size
    chunks = [
        model.predict_on_batch(take_rows(X, start, start + step))
        for start in range(0, n_rows, max(step, 1))
    ]
    if len(chunks) == 1:
        return chunks[0]
    return keras.tree.map_structure(lambda *parts: np.concatenate(parts), *chunks)


def n_samples(X: Any) -> int:
    """Count the rows of an array or DataFrame, or of a list/dict of them."""
    if isinstance(X, dict):
        X = next(iter(X.values()))
    elif isinstance(X, (list, tuple)) and X and hasattr(X[0], "shape"):
        X = X[0]
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def take_rows(X: Any, start: int, stop: int) -> Any:
    """Take rows ``start:stop`` of an array, or of each of a list/dict of arrays."""
    if isinstance(X, dict):
        return {key: value[start:stop] for key, value in X.items()}
    if isinstance(X, list):
        return [value[start:stop] for value in X]
    return X[start:stop]
