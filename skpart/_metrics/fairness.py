"""Fairness disparities: aggregates of the per-partition rates, as Fairlearn's.

``demographic_parity_difference`` is the ``gap`` of ``selection_rate``,
``equalized_odds_difference`` the larger ``gap`` of ``true_positive_rate`` and
``false_positive_rate``, ``equal_opportunity_difference`` the ``gap`` of
``true_positive_rate``; the ``_ratio`` forms take the smaller ``ratio``
(smallest / largest) instead. Each equals Fairlearn's function of the same
name with ``sensitive_features=groups`` (its default ``"between_groups"``
method and ``"worst_case"`` aggregation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: name -> (aggregate of the rates, the rates it aggregates)
DISPARITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "demographic_parity_difference": ("gap", ("selection_rate",)),
    "demographic_parity_ratio": ("ratio", ("selection_rate",)),
    "equalized_odds_difference": (
        "gap",
        ("true_positive_rate", "false_positive_rate"),
    ),
    "equalized_odds_ratio": ("ratio", ("true_positive_rate", "false_positive_rate")),
    "equal_opportunity_difference": ("gap", ("true_positive_rate",)),
    "equal_opportunity_ratio": ("ratio", ("true_positive_rate",)),
}


def split_disparities(metrics: list[Any]) -> tuple[list[Any], list[str]]:
    """Replace disparity names in ``metrics`` by the rates they need.

    Returns the metrics to compute per partition (the rates added once, after
    the metrics given) and the disparity names, in the order given.
    """
    names = [m for m in metrics if isinstance(m, str) and m in DISPARITIES]
    kept = [m for m in metrics if not (isinstance(m, str) and m in DISPARITIES)]
    for name in names:
        for rate in DISPARITIES[name][1]:
            if rate not in kept:
                kept.append(rate)
    return kept, names


def disparities(summary: pd.DataFrame) -> pd.Series:
    """Every disparity whose rates are in ``summary`` (a report's summary).

    The differences are the largest gap of their rates, the ratios the
    smallest ratio, over the partitions the summary counts.
    """
    values = {}
    for name, (aggregate, rates) in DISPARITIES.items():
        if all(rate in summary.index for rate in rates):
            column = summary.loc[list(rates), aggregate].astype(np.float64).tolist()
            # Python's max and min over the rates in Fairlearn's order, as
            # Fairlearn does: an undefined first rate makes the result NaN.
            values[name] = float(max(column) if aggregate == "gap" else min(column))
    return pd.Series(values, dtype=np.float64, name="disparity")
