"""Division of per-partition sums, with a fill where a partition has none.

The statistics divide by weights when merging moments, and the kernels by
counts and weights when finalising; an empty partition (or replicate) has a
denominator of 0, where sklearn returns its ``zero_division`` value or NaN.
"""

from __future__ import annotations

import numpy as np


def divide(numerator, denominator, fill: float = 0.0) -> np.ndarray:
    """``numerator / denominator`` as float64, ``fill`` where the denominator is 0.

    ``fill=0.0`` is sklearn's ``zero_division="warn"`` value.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._metrics.division import divide
    >>> divide(np.array([1.0, 2.0]), np.array([2.0, 0.0]), np.nan)
    array([0.5, nan])
    """
    numerator, denominator = np.broadcast_arrays(numerator, denominator)
    out = np.full(numerator.shape, fill, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out
