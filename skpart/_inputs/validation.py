"""Checks of scalar options: one per kind of value, with one message each."""

from __future__ import annotations

import numbers
from typing import Any


def check_int(value: Any, name: str, *, minimum: int, meaning: str = "") -> int:
    """Refuse ``value`` unless it is an integer >= ``minimum`` (bools refused).

    Examples
    --------
    >>> from skpart._inputs.validation import check_int
    >>> check_int(3, "every", minimum=1)
    3
    """
    if (
        not isinstance(value, numbers.Integral)
        or isinstance(value, bool)
        or value < minimum
    ):
        raise ValueError(
            f"{name} must be an integer >= {minimum}{meaning}; got {value!r}."
        )
    return int(value)


def check_nonnegative(value: Any, name: str, *, meaning: str = "") -> float:
    """Refuse ``value`` unless it is a finite number >= 0 (bools refused).

    Examples
    --------
    >>> from skpart._inputs.validation import check_nonnegative
    >>> check_nonnegative(0.01, "tolerance")
    0.01
    """
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not 0 <= value < float("inf")
    ):
        raise ValueError(
            f"{name} must be a finite number >= 0{meaning}; got {name}={value!r}."
        )
    return float(value)


def check_fraction(value: Any, name: str, *, example: str = "0.95") -> float:
    """Refuse ``value`` unless it is a number strictly between 0 and 1.

    Examples
    --------
    >>> from skpart._inputs.validation import check_fraction
    >>> check_fraction(0.9, "confidence_level")
    0.9
    """
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not (0 < value < 1)
    ):
        raise ValueError(
            f"{name} must be a number strictly between 0 and 1, such as {example}; "
            f"got {name}={value!r}."
        )
    return float(value)


def check_min_partition_size(min_partition_size: Any) -> None:
    """Refuse a ``min_partition_size`` that is not an integer >= 1."""
    check_int(min_partition_size, "min_partition_size", minimum=1)


def check_bootstrap(n_boot: Any, confidence_level: Any) -> None:
    """Refuse a bad ``n_boot`` or ``confidence_level``, naming the value."""
    if n_boot is not None:
        check_int(n_boot, "n_boot", minimum=1, meaning=" (or None: no bootstrap)")
    check_fraction(confidence_level, "confidence_level")
