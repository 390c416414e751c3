"""The one row counter of the inputs: arrays, DataFrames and several of them.

The engine counts ``y_true``, batch sources count each part of a batch, Dask
counts its blocks and the Keras layer its model inputs: all with
:func:`count_rows`.
"""

from __future__ import annotations

from typing import Any


def count_rows(value: Any, name: str = "X") -> int:
    """Count the rows of an array-like, or of the first of several inputs.

    Several inputs (a dict of them, or a list or tuple whose first item is an
    array of one or more dimensions: a multi-input model's inputs, several
    group columns) have the rows of the first.

    Parameters
    ----------
    value : array-like, DataFrame, or dict, list or tuple of these
        The input whose rows to count.
    name : str, default="X"
        The argument's name, for the message.

    Returns
    -------
    int

    Raises
    ------
    ValueError
        When ``value`` has no rows to count (a scalar, None).

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._inputs.rows import count_rows
    >>> count_rows([np.zeros((3, 2)), np.zeros((3, 5))])
    3
    """
    if isinstance(value, dict):
        value = next(iter(value.values()), None)
    elif (
        isinstance(value, (list, tuple))
        and value
        # A list of NumPy scalars is one column of rows, not several inputs.
        and len(getattr(value[0], "shape", ())) > 0
    ):
        value = value[0]
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(value)
    except TypeError:
        raise ValueError(
            f"{name} must be array-like (one value per row); got "
            f"{type(value).__name__} {value!r:.60}."
        ) from None
