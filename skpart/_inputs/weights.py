"""``sample_weight``: the one validation of weighting options and weight arrays."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from sklearn.utils.validation import column_or_1d

from .targets import Task

Weighting = Literal["balanced"] | None
_STRINGS = ("auto", "balanced")


def check_weighting(sample_weight: Any) -> None:
    """Refuse a ``sample_weight`` that is neither a known string, None nor array."""
    if isinstance(sample_weight, str) and sample_weight not in _STRINGS:
        raise ValueError(
            f"sample_weight={sample_weight!r} is not understood; pass 'auto', "
            "'balanced', None or an array of one weight per row."
        )


def resolve_weighting(sample_weight: Any, task: Task) -> tuple[Weighting, Any]:
    """Split ``sample_weight`` into a weighting mode and a weight array.

    Parameters
    ----------
    sample_weight : {"auto", "balanced"}, None or array-like
        ``"auto"`` is ``"balanced"`` for classification and None for regression.
    task : {"classification", "regression"}
        The task of the metrics.

    Returns
    -------
    mode : {"balanced"} or None
        ``"balanced"``: classes weigh equally within each partition.
    array : array-like or None
        The user's row weights (unvalidated; see :func:`check_weight_array`).

    Examples
    --------
    >>> from skpart._inputs.weights import resolve_weighting
    >>> resolve_weighting("auto", "classification")
    ('balanced', None)
    """
    check_weighting(sample_weight)
    if isinstance(sample_weight, str):
        if sample_weight == "auto":
            return ("balanced" if task == "classification" else None), None
        if task == "regression":
            raise ValueError(
                "sample_weight='balanced' needs class labels, but the metrics are "
                "regression metrics: there are no classes to balance. Pass "
                "sample_weight=None or an array of one weight per row."
            )
        return "balanced", None
    return None, sample_weight


def check_weight_array(sample_weight: Any, n_rows: int) -> np.ndarray:
    """Validate row weights: one per row, finite, non-negative, float64."""
    weights = column_or_1d(sample_weight, dtype=np.float64, input_name="sample_weight")
    if len(weights) != n_rows:
        raise ValueError(
            f"sample_weight has {len(weights)} rows but y has {n_rows}; "
            "pass one weight per row."
        )
    if not np.all(np.isfinite(weights)):
        n_bad = int(np.count_nonzero(~np.isfinite(weights)))
        raise ValueError(
            f"sample_weight has {n_bad} NaN or infinite value(s); "
            "pass finite, non-negative weights."
        )
    if np.any(weights < 0):
        raise ValueError(
            f"sample_weight has negative values (min {float(weights.min())!r}); "
            "pass finite, non-negative weights."
        )
    return weights
