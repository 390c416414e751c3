"""Resolving ``sample_weight`` (None, "balanced", "auto" or an array)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d


def default_sample_weight(sample_weight: Any, *, is_classifier: bool) -> Any:
    """Replace ``"auto"`` by the default: ``"balanced"`` for classifiers, else None.

    Parameters
    ----------
    sample_weight : {"auto", "balanced"}, None or array-like
        The user's value; anything but ``"auto"`` is returned unchanged.
    is_classifier : bool
        Whether the estimator is a classifier.

    Returns
    -------
    sample_weight : {"balanced"}, None or array-like

    Examples
    --------
    >>> from skpart._weights import default_sample_weight
    >>> default_sample_weight("auto", is_classifier=True)
    'balanced'
    """
    if isinstance(sample_weight, str) and sample_weight == "auto":
        return "balanced" if is_classifier else None
    return sample_weight


def resolve_sample_weight(
    sample_weight: Any,
    y_true: np.ndarray,
    codes: np.ndarray,
    n_partitions: int,
    *,
    is_regression: bool = False,
) -> np.ndarray:
    """Turn ``sample_weight`` into a validated float64 array of row weights.

    Parameters
    ----------
    sample_weight : {"balanced"}, None or array-like of shape (n_samples,)
        None gives ones; ``"balanced"`` balances the classes present within
        each partition; an array is validated (length, finite, non-negative).
    y_true : ndarray of shape (n_samples,)
        True targets (original labels).
    codes : ndarray of shape (n_samples,), dtype int64
        Partition codes.
    n_partitions : int
        Number of partitions.
    is_regression : bool, default=False
        Whether the metrics are regression metrics (``"balanced"`` is then
        refused even for integer-valued targets).

    Returns
    -------
    ndarray of shape (n_samples,), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._weights import resolve_sample_weight
    >>> resolve_sample_weight("balanced", np.array([0, 0, 1]), np.zeros(3, int), 1)
    array([0.75, 0.75, 1.5 ])
    """
    n_samples = len(y_true)
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    if isinstance(sample_weight, str):
        if sample_weight != "balanced":
            raise ValueError(
                f"sample_weight={sample_weight!r} is not understood; pass "
                "'balanced', None or an array of one weight per row."
            )
        _check_classification_target(y_true, is_regression)
        return balanced_sample_weight(y_true, codes, n_partitions)
    return _check_weight_array(sample_weight, n_samples)


def balanced_sample_weight(
    y_true: np.ndarray, codes: np.ndarray, n_partitions: int
) -> np.ndarray:
    """``compute_sample_weight("balanced", y_true[p])`` within each partition p.

    Each row weighs ``n_p / (k_p * n_pc)`` where ``n_p`` is the partition size,
    ``k_p`` the number of classes present in it and ``n_pc`` the count of the
    row's class there; computed for all partitions with one bincount.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,)
        Class labels.
    codes : ndarray of shape (n_samples,), dtype int64
        Partition codes.
    n_partitions : int
        Number of partitions.

    Returns
    -------
    ndarray of shape (n_samples,), dtype float64

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._weights import balanced_sample_weight
    >>> y, codes = np.array(["a", "b", "b", "a"]), np.array([0, 0, 0, 1])
    >>> balanced_sample_weight(y, codes, 2)
    array([1.5 , 0.75, 0.75, 1.  ])
    """
    classes, y_index = np.unique(y_true, return_inverse=True)
    n_classes = len(classes)
    key = codes * n_classes + y_index.reshape(-1)
    counts = np.bincount(key, minlength=n_partitions * n_classes)
    per_partition = counts.reshape(n_partitions, n_classes)
    n_p = per_partition.sum(axis=1)
    k_p = np.count_nonzero(per_partition, axis=1)
    # Same operation order as sklearn's compute_class_weight, so equal bit for bit.
    return n_p[codes] / (k_p[codes] * counts[key]).astype(np.float64)


def _check_classification_target(y_true: np.ndarray, is_regression: bool) -> None:
    target_type = type_of_target(y_true, input_name="y_true")
    if is_regression or target_type.startswith("continuous"):
        raise ValueError(
            "sample_weight='balanced' needs class labels, but the target is "
            f"{'a regression target' if is_regression else target_type!r}: "
            "there are no classes to balance. Pass sample_weight=None or an "
            "array of one weight per row."
        )


def _check_weight_array(sample_weight: Any, n_samples: int) -> np.ndarray:
    weights = column_or_1d(sample_weight, dtype=np.float64, input_name="sample_weight")
    if len(weights) != n_samples:
        raise ValueError(
            f"sample_weight has {len(weights)} rows but y has {n_samples}; "
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
