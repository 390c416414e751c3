"""Charts of reports and of per-partition values over epochs (matplotlib lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise ImportError(
            "skpart's charts need matplotlib: pip install skpart[plot]"
        ) from exc
    return plt


def plot_report(report: Any, metric: str, *, ax: Any = None) -> Any:
    """Draw one metric of a PartitionReport as horizontal bars, worst first.

    Unreliable partitions are drawn in grey; a dashed line marks the overall
    value.

    Parameters
    ----------
    report : PartitionReport
        The report to draw.
    metric : str
        One of ``report.metrics``.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    greater_is_better = report.greater_is_better[metric]
    # Worst first: ascending for scores, descending for losses; NaN last.
    table = report.by_partition.sort_values(
        metric, ascending=greater_is_better, na_position="last"
    )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 1.5 + 0.3 * len(table)))
    positions = np.arange(len(table))
    colors = np.where(table["reliable"].astype(bool), "C0", "lightgrey")
    ax.barh(positions, table[metric].to_numpy(np.float64), color=colors)
    ax.set_yticks(positions, [format_partition_label(p) for p in table.index])
    ax.invert_yaxis()
    overall = report.overall[metric]
    ax.axvline(overall, color="k", linestyle="--", label=f"overall {overall:.3g}")
    direction = "higher" if greater_is_better else "lower"
    ax.set_xlabel(f"{metric} ({direction} is better)")
    ax.legend(loc="best")
    return ax


def format_partition_label(label: Any) -> str:
    """Format a partition label for an axis: tuples of several columns joined."""
    if isinstance(label, tuple):
        return " / ".join(str(part) for part in label)
    return str(label)


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
