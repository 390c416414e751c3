"""Charts of per-partition values over epochs (matplotlib imported lazily)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise ImportError(
            "PartitionMonitor.plot needs matplotlib: pip install skpart[plot]"
        ) from exc
    return plt


def plot_partition_history(
    history: pd.DataFrame,
    *,
    metric: str,
    greater_is_better: bool,
    ax: Any = None,
) -> Any:
    """Draw one line per partition over epochs; highlight the worst partition.

    The worst partition is the one with the worst value at the last evaluated
    epoch; a dashed line follows the worst value at each epoch (which may move
    from partition to partition).

    Parameters
    ----------
    history : DataFrame
        Tidy rows of one metric: ``epoch``, ``partition``, ``value``.
    metric : str
        Name for the axis label.
    greater_is_better : bool
        Direction of the metric.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    table = history.pivot_table(
        index="epoch", columns="partition", values="value", dropna=False
    )
    last = table.iloc[-1].dropna()
    worst = None
    if not last.empty:
        worst = last.idxmax() if not greater_is_better else last.idxmin()
    # Many partitions: thin translucent lines, so the highlighted one stands out.
    alpha = max(0.15, min(0.8, 8 / max(table.shape[1], 1)))
    for partition in table.columns:
        if partition != worst:
            ax.plot(table.index, table[partition], color="grey", lw=0.8, alpha=alpha)
    if worst is not None:
        ax.plot(table.index, table[worst], color="C3", lw=2.2, label=f"{worst}")
    aggregate = table.min(axis=1) if greater_is_better else table.max(axis=1)
    ax.plot(table.index, aggregate, "k--", lw=1, label="worst at each epoch")
    direction = "higher" if greater_is_better else "lower"
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{metric} ({direction} is better)")
    ax.legend(loc="best", title="worst partition (last epoch)")
    return ax
