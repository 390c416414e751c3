"""Aggregates: how per-partition values become one number (one list, one rule).

The report's ``summary``, the scorer and the monitor's epoch logs all use
:func:`summarize_values` and :data:`AGGREGATES`; :func:`signed` gives the
greater-is-better form that scorers and ``EarlyStopping`` want.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

Aggregate = Literal["worst", "best", "mean", "std", "gap", "ratio", "overall"]

#: Every aggregate, in the order of the report's summary (``overall`` last).
AGGREGATES: tuple[str, ...] = (
    "worst",
    "best",
    "mean",
    "std",
    "gap",
    "ratio",
    "overall",
)
#: Aggregates over partitions (all but ``overall``).
OVER_PARTITIONS = AGGREGATES[:-1]
# Spreads: smaller is better whatever the metric's direction.
SPREADS = ("std", "gap")


def summarize_values(values: pd.Series, greater_is_better: bool) -> dict:
    """Aggregate one metric's defined values over partitions.

    NaN values are skipped; with none left every aggregate is NaN.

    Parameters
    ----------
    values : Series
        One value per partition, indexed by partition label.
    greater_is_better : bool
        The metric's direction: ``worst`` is the minimum of a score and the
        maximum of a loss.

    Returns
    -------
    dict
        ``worst``, ``best``, ``mean``, ``std`` (ddof=0), ``gap``
        (``|best - worst|``), ``ratio`` (smallest / largest, as Fairlearn's
        ``ratio``; NaN when the largest is 0), ``worst_partition`` and
        ``n_partitions``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skpart._metrics.aggregates import summarize_values
    >>> out = summarize_values(pd.Series([0.5, 0.8], index=["a", "b"]), True)
    >>> out["worst"], out["worst_partition"], out["ratio"]
    (0.5, 'a', 0.625)
    """
    values = values.dropna()
    if values.empty:
        nan = float("nan")
        return dict(
            worst=nan,
            best=nan,
            mean=nan,
            std=nan,
            gap=nan,
            ratio=nan,
            worst_partition=None,
            n_partitions=0,
        )
    smallest, largest = float(values.min()), float(values.max())
    worst, best = (smallest, largest) if greater_is_better else (largest, smallest)
    return dict(
        worst=worst,
        best=best,
        mean=float(values.mean()),
        std=float(values.std(ddof=0)),
        gap=abs(best - worst),
        ratio=smallest / largest if largest != 0 else float("nan"),
        worst_partition=values.idxmin() if greater_is_better else values.idxmax(),
        n_partitions=len(values),
    )


def is_greater_better(aggregate: str, greater_is_better: bool) -> bool:
    """Direction of an aggregate: spreads are lower-is-better, ratios higher."""
    if aggregate in SPREADS:
        return False
    if aggregate == "ratio":
        return True
    return greater_is_better


def signed(value: float, aggregate: str, greater_is_better: bool) -> float:
    """Return the value in its greater-is-better form, as sklearn's ``neg_*``."""
    if is_greater_better(aggregate, greater_is_better):
        return float(value)
    return -float(value) + 0.0  # "+ 0.0" turns -0.0 into 0.0


def check_aggregates(aggregate, allowed=AGGREGATES) -> list[str]:
    """One aggregate or a non-empty list of distinct ones, validated."""
    aggregates = [aggregate] if isinstance(aggregate, str) else list(aggregate)
    unknown = [a for a in aggregates if a not in allowed]
    if unknown or not aggregates or len(set(aggregates)) != len(aggregates):
        raise ValueError(
            f"aggregate must be one of {allowed} or a non-empty list of them "
            f"without repeats; got {aggregate!r}."
        )
    return aggregates
