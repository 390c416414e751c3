"""Batch sources: a ``tf.data.Dataset`` or an iterable of ``(X, y, groups)``.

``score_partitions(estimator, data)`` and ``PartitionMonitor(data)`` take
batches as Keras's ``evaluate`` takes a dataset: each batch is predicted once
and added to one :class:`~skpart.PartitionMetrics`, so memory holds one batch
at a time (and the rank metrics' per-row record). Nothing here imports
TensorFlow: a dataset is recognised by its type's module and read with
``as_numpy_iterator``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from .._engine.accumulator import PartitionMetrics
from .._engine.memory import RankMemoryGuard
from .._engine.predictions import add_predictions, warnings_once
from .._inputs.rows import count_rows
from .._inputs.validation import check_int
from .._results.report import PartitionReport

_ACCEPTED = (
    "a tf.data.Dataset, a list of batches or an iterator (a generator, say) "
    "yielding (X, y, groups) or (X, y, groups, sample_weight) tuples"
)


def is_tf_dataset(data: Any) -> bool:
    """Whether ``data`` is a ``tf.data.Dataset`` (duck-typed: no TF import)."""
    return type(data).__module__.startswith("tensorflow") and hasattr(
        data, "as_numpy_iterator"
    )


def _is_keras_pydataset(data: Any) -> bool:
    return any(
        cls.__name__ == "PyDataset" and cls.__module__.startswith("keras")
        for cls in type(data).__mro__
    )


def _looks_like_batch(value: Any) -> bool:
    """Tell a 3- or 4-tuple of arrays (a batch) from a row of scalars."""
    return (
        isinstance(value, (tuple, list))
        and len(value) in (3, 4)
        and all(
            item is None or hasattr(item, "__len__") or hasattr(item, "shape")
            for item in value
        )
        and not isinstance(value[0], (str, bytes))
        and (hasattr(value[0], "__len__") or hasattr(value[0], "shape"))
    )


def is_batch_source(data: Any) -> bool:
    """Whether ``data`` is a source of batches rather than an array of rows.

    A ``tf.data.Dataset``, an iterator (a generator, ``map``, ...), a list or
    tuple whose items are ``(X, y, groups[, sample_weight])`` batches, or an
    iterable that is not array-like (a ``DataLoader``, say). A Keras
    ``PyDataset`` counts too, so that :func:`check_batch_source` can refuse it
    with a message.
    """
    if data is None or isinstance(data, (str, bytes, dict)):
        return False
    if is_tf_dataset(data) or _is_keras_pydataset(data):
        return True
    if hasattr(data, "shape") or hasattr(data, "__array__"):
        return False  # arrays, DataFrames, tensors: rows
    if isinstance(data, (list, tuple)):
        return bool(data) and _looks_like_batch(data[0])
    return isinstance(data, Iterator) or isinstance(data, Iterable)


def check_batch_source(data: Any, name: str = "X", *, reiterable: bool = False):
    """Refuse batch sources skpart cannot read, saying what to pass instead.

    Parameters
    ----------
    data : object
        A candidate from :func:`is_batch_source`.
    name : str, default="X"
        The argument's name, for the messages.
    reiterable : bool, default=False
        Refuse one-shot iterators (the monitor iterates its rows every epoch).
    """
    kind = type(data).__name__
    if _is_keras_pydataset(data):
        raise ValueError(
            f"{name} is a keras.utils.PyDataset ({kind}); its batches are "
            "(x, y) or (x, y, sample_weight) in Keras's convention, with no "
            "groups, and a third item would be ambiguous. Yield the partition "
            "labels with each batch instead, for example "
            f"[(*{name}[i][:2], groups_of_batch(i)) for i in range(len({name}))] "
            "or a generator of (X, y, groups) tuples."
        )
    if reiterable and iter(data) is data:
        raise ValueError(
            f"{name} is a one-shot iterator ({kind}): it would be exhausted "
            "after the first monitored epoch. Pass a re-iterable source, a "
            "tf.data.Dataset or a list of (X, y, groups) batches (list(...) of "
            "the generator), or arrays X, y and groups."
        )


def _to_numpy(value: Any) -> Any:
    """Tensors to NumPy (``.numpy()``), containers item by item."""
    if isinstance(value, dict):
        return {key: _to_numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "numpy"):
        return type(value)(_to_numpy(item) for item in value)
    if hasattr(value, "numpy") and not isinstance(value, (pd.Series, pd.DataFrame)):
        return value.numpy()
    return value


def _decode(value: Any) -> Any:
    """Bytes labels (tf.data's strings) to str; anything else as it is."""
    if isinstance(value, dict):  # several group columns by name
        return pd.DataFrame({key: _decode(item) for key, item in value.items()})
    if isinstance(value, (pd.Series, pd.DataFrame)) or value is None:
        return value
    array = np.asarray(value)
    if array.dtype.kind == "S" or (
        array.dtype == object and array.size and isinstance(array.flat[0], bytes)
    ):
        return np.char.decode(array.astype(np.bytes_), "utf-8")
    return value


def unpack_batch(batch: Any, position: int, first_row: int, name: str = "X"):
    """Return ``(X, y, groups, sample_weight)`` of one batch, checked.

    Raises a ValueError naming the batch's position for a batch that is not a
    3- or 4-tuple, is empty, or whose parts have different lengths.
    """
    where = f"batch {position} (rows from {first_row} on) of {name}"
    if not isinstance(batch, (tuple, list)) or len(batch) not in (3, 4):
        got = (
            f"a {type(batch).__name__} of {len(batch)} items"
            if isinstance(batch, (tuple, list))
            else f"a {type(batch).__name__}"
        )
        hint = (
            " A batch of (X, y) has no partition labels: yield the groups of "
            "its rows too, (X, y, groups)."
            if isinstance(batch, (tuple, list)) and len(batch) == 2
            else ""
        )
        raise ValueError(
            f"{where} is {got}; each batch must be (X, y, groups) or "
            f"(X, y, groups, sample_weight).{hint}"
        )
    X, y, groups, *rest = (_to_numpy(item) for item in batch)
    weight = rest[0] if rest else None
    y, groups = _decode(y), _decode(groups)
    parts = (("X", X), ("y", y), ("groups", groups), ("weight", weight))
    try:
        lengths = {
            key: count_rows(value, key) for key, value in parts if value is not None
        }
    except ValueError as exc:  # a part that is not array-like
        raise ValueError(f"{where}: {exc}") from None
    if "y" not in lengths or "groups" not in lengths:
        raise ValueError(
            f"{where} has y or groups None; each batch needs the true targets "
            "and the partition labels of its rows."
        )
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{key} {n}" for key, n in lengths.items())
        raise ValueError(
            f"{where} has parts of different lengths ({described} rows); give "
            "one target, one partition label (and one weight) per row of X."
        )
    if lengths["y"] == 0:
        raise ValueError(
            f"{where} is empty (0 rows); drop empty batches from the source."
        )
    return X, y, groups, weight


def iter_batches(data: Any, name: str = "X") -> Iterator[tuple[int, int, tuple]]:
    """Yield ``(position, first_row, (X, y, groups, sample_weight))`` per batch."""
    iterator = data.as_numpy_iterator() if is_tf_dataset(data) else iter(data)
    first_row = 0
    for position, batch in enumerate(iterator):
        parts = unpack_batch(batch, position, first_row, name)
        yield position, first_row, parts
        first_row += count_rows(parts[1])


def n_batches(data: Any) -> int | None:
    """Return the number of batches when the source knows it (list, dataset)."""
    if is_tf_dataset(data):
        try:
            n = int(data.cardinality())
        except (TypeError, ValueError):
            return None
        return n if n >= 0 else None  # -1 infinite, -2 unknown
    if isinstance(data, (list, tuple)):
        return len(data)
    return None


def score_batches(
    estimator: Any,
    data: Any,
    accumulator: PartitionMetrics,
    *,
    verbose: int = 0,
    name: str = "X",
    weighted: Any = None,
) -> PartitionReport:
    """Predict each batch once, add it to ``accumulator``, return the report.

    A bad batch raises a ValueError naming its position; the error's
    ``accumulator`` attribute holds the batches before it. ``weighted``, when
    given, builds the accumulator to use if the first batch carries weights
    (``sample_weight="auto"`` then means those weights, as an array would).
    """
    check_batch_source(data, name)
    total = n_batches(data)
    # One warning of each kind per call, not one per batch.
    with warnings_once():
        accumulator = _add_batches(
            estimator, data, accumulator, total, verbose, name, weighted
        )
    if accumulator.n_batches == 0:
        raise ValueError(
            f"{name} yielded no batches; pass {_ACCEPTED} with at least one row."
        )
    return accumulator.result()


def _add_batches(estimator, data, accumulator, total, verbose, name, weighted):
    """Predict each batch and add it; return the accumulator (may be replaced)."""
    guard = RankMemoryGuard()
    batches = iter_batches(data, name)
    while True:
        try:
            position, first_row, (X, y, groups, weight) = next(batches)
        except StopIteration:
            break
        except ValueError as exc:  # a malformed batch
            raise _kept(str(exc), accumulator) from exc
        if position == 0 and weight is not None and weighted is not None:
            accumulator = weighted()
        try:
            add_predictions(
                accumulator,
                estimator,
                X,
                y,
                groups,
                sample_weight=weight,
                row_offset=first_row,
            )
        except ValueError as exc:
            message = str(exc)
            if not message.startswith("batch "):
                message = f"batch {position} (rows from {first_row} on): {message}"
            raise _kept(message, accumulator) from exc
        guard.check(accumulator, count_rows(y))
        if verbose:
            of = "" if total is None else f"/{total}"
            print(
                f"score_partitions: batch {position + 1}{of}, "
                f"{accumulator.n_rows:,} rows scored",
                flush=True,
            )
    return accumulator


def _kept(message: str, accumulator: PartitionMetrics) -> ValueError:
    n = accumulator.n_batches
    # The engine's own "... are kept." is made precise below.
    message = re.sub(r" The \d+ batch\(es\) before it are kept\.$", "", message)
    error = ValueError(
        message
        + (
            f" The {n} batch(es) before it are kept in this error's "
            "accumulator attribute: error.accumulator.result() is their report, "
            "error.accumulator.update(...) goes on."
            if n
            else ""
        )
    )
    error.accumulator = accumulator
    return error


def check_verbose(verbose: Any) -> None:
    """Refuse a ``verbose`` that is not an integer >= 0."""
    check_int(verbose, "verbose", minimum=0, meaning=" (0 silent, 1 progress)")
