"""Sums over the short class axes of per-partition tables.

NumPy reduces an axis of length 2 or 3 one outer element at a time, which
for a table of 100,000 one-row partitions costs twenty times more than
adding the axis's slices as whole arrays; the kernels sum such axes many
times per report.
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: Axes up to this length are summed slice by slice.
SHORT_AXIS = 8


def axis_sum(array: np.ndarray, axis: int = -1, *, keepdims: bool = False):
    """``array.sum(axis=axis, keepdims=keepdims)``, fast over a short axis.

    The result has ``numpy.sum``'s dtype (booleans and small integers are
    summed as 64-bit integers); slices are added in axis order, the order
    in which NumPy adds along any but a contiguous last axis.
    """
    array = np.asarray(array)
    axis = axis % array.ndim
    n = array.shape[axis]
    if n == 0 or n > SHORT_AXIS or array.dtype.kind not in "biuf":
        return array.sum(axis=axis, keepdims=keepdims)
    head = (slice(None),) * axis
    out = np.array(array[(*head, 0)], dtype=_sum_dtype(array.dtype))
    for i in range(1, n):
        out += array[(*head, i)]
    return np.expand_dims(out, axis) if keepdims else out


@cache
def _sum_dtype(dtype: np.dtype) -> np.dtype:
    return np.zeros(0, dtype).sum().dtype
