"""Checks of scalar options: one per kind of value, with one message each."""

from __future__ import annotations

import math
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


#: Fewest replicates expected beyond each bound of an interval: a quantile
#: further out rests on a handful of replicates and moves from seed to seed.
MIN_TAIL_REPLICATES = 10


def check_bootstrap(n_boot: Any, confidence_level: Any) -> None:
    """Refuse a bad ``n_boot`` or ``confidence_level``, naming the value.

    ``n_boot`` must also leave at least :data:`MIN_TAIL_REPLICATES`
    replicates expected in each tail, ``n_boot * (1 - confidence_level) / 2``.

    Examples
    --------
    >>> from skpart._inputs.validation import check_bootstrap
    >>> check_bootstrap(400, 0.95)
    >>> check_bootstrap(200, 0.95)
    Traceback (most recent call last):
    ...
    ValueError: n_boot=200 is too few for confidence_level=0.95: ...
    """
    if n_boot is not None:
        check_int(n_boot, "n_boot", minimum=1, meaning=" (or None: no bootstrap)")
    level = check_fraction(confidence_level, "confidence_level")
    if n_boot is None:
        return
    # Rounded so that 400 replicates at 0.95 count as 10, not 9.999999999999998.
    in_tail = round(n_boot * (1 - level) / 2, 9)
    if in_tail < MIN_TAIL_REPLICATES:
        needed = math.ceil(round(2 * MIN_TAIL_REPLICATES / (1 - level), 9))
        lowest = 1 - 2 * MIN_TAIL_REPLICATES / n_boot
        lower = (
            f", or lower confidence_level to {math.floor(lowest * 1000) / 1000:g} "
            "or less"
            if lowest > 0
            else ""
        )
        raise ValueError(
            f"n_boot={n_boot} is too few for confidence_level={level:g}: each "
            f"bound would have only {in_tail:g} replicate(s) expected beyond it "
            f"(a stable bound needs {MIN_TAIL_REPLICATES}). Pass "
            f"n_boot={needed} or more{lower}."
        )
