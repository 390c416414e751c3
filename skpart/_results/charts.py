"""Charts of reports and of per-partition values over epochs (matplotlib lazily)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import check_scalar

from .text import WEIGHTINGS

#: Partitions a report chart shows when ``top`` is None and there are more.
DEFAULT_TOP = 30
#: A new report figure is never taller than this (inches), whatever ``top``.
MAX_HEIGHT = 14.0
#: Above this many partitions a history chart draws bands instead of lines.
DEFAULT_MAX_LINES = 20

RELIABLE_COLOR = "C0"
UNRELIABLE_COLOR = "0.6"
WORST_COLOR = "C3"


def pyplot() -> Any:
    """Return matplotlib.pyplot, or say how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the env
        raise ImportError(
            "skpart's charts need matplotlib: pip install skpart[plot]"
        ) from exc
    return plt


def plot_report(
    report: Any, metric: str, *, ax: Any = None, top: int | None = None
) -> Any:
    """Draw one metric of a PartitionReport as one dot per partition, worst first.

    The value axis is fitted to the values shown (with their intervals and the
    overall value), so close values stay apart. Each tick label gives the
    partition's row count; partitions with fewer than ``min_partition_size``
    rows are hollow grey dots (they do not count in the summary); a partition
    whose value is undefined (NaN) is marked "undefined" and has no dot.
    Intervals, when the report has them, are horizontal lines through the
    dots; a dashed line and a shaded band mark the overall value and interval.

    Parameters
    ----------
    report : PartitionReport
        The report to draw.
    metric : str
        One of ``report.metrics``.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure, sized to the rows shown, when None.
    top : int, default=None
        Show the ``top`` worst partitions among those with at least
        ``min_partition_size`` rows and a defined value. When None, every
        partition is shown if there are at most 30, else the 30 worst. The
        title says how many of how many partitions are shown.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    plot_partition_history : A metric per partition over training epochs.
    """
    greater_is_better = report.greater_is_better[metric]
    frame = report.by_partition
    n_partitions = len(frame)
    top = _default_top(top, n_partitions)
    # Worst first: ascending for scores, descending for losses; NaN last.
    # Rows by position (the index is the labels): intervals align by position.
    ordered = frame.reset_index(drop=True).sort_values(
        metric, ascending=greater_is_better, na_position="last", kind="stable"
    )
    if top is not None:
        eligible = ordered[ordered["reliable"].astype(bool) & ordered[metric].notna()]
        shown = eligible.head(top)
    else:
        eligible = shown = ordered
    n_shown = len(shown)
    ax, new_figure = _partition_axes(ax, n_shown, base_height=2.0)

    values = shown[metric].to_numpy(np.float64)
    reliable = shown["reliable"].to_numpy(bool)
    defined = ~np.isnan(values)
    positions = np.arange(n_shown)
    intervals = _interval_bounds(report, metric, shown.index.to_numpy())
    overall = float(report.overall[metric])
    overall_interval = _overall_interval(report, metric)
    level = getattr(report, "confidence_level", None)
    interval_name = f"{level:.0%} interval" if level is not None else "interval"

    dots = defined & reliable
    ax.scatter(
        values[dots],
        positions[dots],
        s=40,
        color=RELIABLE_COLOR,
        zorder=3,
        label="partition" if dots.any() else None,
        gid="partitions",
    )
    _hollow_dots(
        ax,
        values,
        positions,
        defined & ~reliable,
        label=f"fewer than {report.min_partition_size} rows (not in summary)",
    )
    if intervals is not None:
        low, high = intervals
        has_interval = defined & ~np.isnan(low) & ~np.isnan(high)
        ax.hlines(
            positions[has_interval],
            low[has_interval],
            high[has_interval],
            colors=np.where(reliable, RELIABLE_COLOR, UNRELIABLE_COLOR)[has_interval],
            linewidth=2,
            zorder=2,
            label=interval_name,
            gid="intervals",
        )
    if not np.isnan(overall):
        ax.axvline(
            overall, color="k", linestyle="--", lw=1, label=f"overall {overall:.3g}"
        )
    if overall_interval is not None:
        ax.axvspan(
            *overall_interval,
            color="0.88",
            zorder=0,
            label=f"overall {interval_name}",
            gid="overall interval",
        )
    # An undefined value is said in words at its row, never drawn as a value.
    row_transform = ax.get_yaxis_transform()  # x in axes fraction, y in data
    for position in positions[~defined]:
        ax.text(
            0.01,
            position,
            "undefined",
            transform=row_transform,
            va="center",
            ha="left",
            style="italic",
            color="0.35",
            gid="undefined",
        )

    _partition_ticks(ax, frame, shown.index.to_numpy())
    if n_shown > 40:
        ax.tick_params(axis="y", labelsize=max(4.0, 10.0 * 40 / n_shown))
    ax.grid(axis="y", color="0.92", zorder=0)
    ax.grid(axis="x", color="0.95", zorder=0)
    ax.set_axisbelow(True)
    limits = _value_limits(values, intervals, [overall, *(overall_interval or ())])
    if limits is not None:
        ax.set_xlim(*limits)
    direction = "higher" if greater_is_better else "lower"
    # Weighted values say so (metrics_by_partition and score_partitions differ).
    weighting = (
        "" if report.sample_weight is None else f", {WEIGHTINGS[report.sample_weight]}"
    )
    ax.set_xlabel(f"{metric}{weighting} ({direction} is better)")
    ax.set_title(
        _report_title(report, metric, n_shown, n_partitions, len(eligible), top)
    )
    return _finish(ax, new_figure)


def _interval_bounds(
    report: Any, metric: str, positions: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(low, high) of ``metric`` for the partitions at ``positions``, or None."""
    intervals = getattr(report, "intervals", None)
    if intervals is None or metric not in intervals.columns.get_level_values(0):
        return None
    rows = intervals[metric].iloc[positions]
    return rows["low"].to_numpy(np.float64), rows["high"].to_numpy(np.float64)


def _overall_interval(report: Any, metric: str) -> tuple[float, float] | None:
    intervals = getattr(report, "overall_intervals", None)
    if intervals is None or metric not in intervals.index:
        return None
    low, high = (float(intervals.loc[metric, side]) for side in ("low", "high"))
    if np.isnan(low) or np.isnan(high):
        return None
    return low, high


def _value_limits(
    values: np.ndarray,
    intervals: tuple[np.ndarray, np.ndarray] | None,
    extra: list[float],
) -> tuple[float, float] | None:
    """Axis limits from the data range with a margin; None when nothing is defined."""
    parts = [values, np.asarray(extra, dtype=np.float64)]
    if intervals is not None:
        parts.extend(intervals)
    data = np.concatenate(parts)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return None
    low, high = float(data.min()), float(data.max())
    span = high - low
    margin = 0.08 * span if span > 0 else max(0.05 * abs(high), 0.05)
    return low - margin, high + margin


def _report_title(
    report: Any,
    metric: str,
    n_shown: int,
    n_partitions: int,
    n_eligible: int,
    top: int | None,
) -> str:
    if top is None:
        return f"{metric}: all {n_partitions} partitions, worst first"
    title = f"{metric}: {n_shown} worst of {n_partitions} partitions (top={top})"
    if n_eligible < n_partitions:
        title += (
            f"\nranked among the {n_eligible} with >= "
            f"{report.min_partition_size} rows and a defined value"
        )
    return title


def legend_below(ax: Any) -> None:
    """Put the legend under the x axis label, where it covers no data."""
    from matplotlib.transforms import offset_copy

    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return
    # Below the tick labels and the axis label, whatever the axes height.
    font = ax.xaxis.label.get_fontsize()
    below = offset_copy(ax.transAxes, fig=ax.figure, y=-3.6 * font, units="points")
    ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=below,
        ncol=min(len(handles), 2),
        frameon=False,
        fontsize="small",
    )


def plot_comparison(
    comparison: Any, metric: str, *, ax: Any = None, top: int | None = None
) -> Any:
    """Draw one metric of a PartitionComparison: differences per partition.

    What :meth:`PartitionComparison.plot <skpart.PartitionComparison.plot>`
    draws (its docstring describes the chart), for a ``metric`` of
    ``comparison.metrics``: worst (most negative difference) first, regressed
    partitions red, untested ones hollow grey.
    """
    table = comparison.by_partition
    cells = table[metric].reset_index(drop=True)
    reliable = table["reliable"].to_numpy(bool)
    order = cells.sort_values(
        "difference", ascending=True, na_position="last", kind="stable"
    ).index.to_numpy()
    n_partitions = len(order)
    top = _default_top(top, n_partitions)
    shown = order if top is None else order[:top]
    n_shown = len(shown)
    ax, new_figure = _partition_axes(ax, n_shown, base_height=2.2)
    positions = np.arange(n_shown)
    difference = cells["difference"].to_numpy(np.float64)[shown]
    low = cells["low"].to_numpy(np.float64)[shown]
    high = cells["high"].to_numpy(np.float64)[shown]
    regressed = cells["regressed"].to_numpy(bool)[shown]
    solid = reliable[shown] & ~regressed
    has_interval = ~np.isnan(low) & ~np.isnan(high)
    colors = np.where(
        regressed,
        WORST_COLOR,
        np.where(reliable[shown], RELIABLE_COLOR, UNRELIABLE_COLOR),
    )
    ax.hlines(
        positions[has_interval],
        low[has_interval],
        high[has_interval],
        colors=colors[has_interval],
        linewidth=2,
        zorder=2,
        label=f"{comparison.confidence_level:.0%} interval",
        gid="intervals",
    )
    ax.scatter(
        difference[solid], positions[solid], s=40, color=RELIABLE_COLOR, zorder=3,
        label="no regression" if solid.any() else None, gid="partitions",
    )  # fmt: skip
    if regressed.any():
        ax.scatter(
            difference[regressed], positions[regressed], s=60, color=WORST_COLOR,
            marker="D", zorder=4, label="regressed", gid="regressed",
        )  # fmt: skip
    _hollow_dots(
        ax,
        difference,
        positions,
        ~reliable[shown],
        label=f"fewer than {comparison.min_partition_size} rows (not tested)",
    )
    ax.axvline(0.0, color="k", lw=1, label="no change")
    tolerance = comparison.tolerance[metric]
    if tolerance > 0:
        ax.axvline(
            -tolerance, color=WORST_COLOR, lw=1, linestyle=":",
            label=f"-tolerance ({tolerance:g})",
        )  # fmt: skip
    _partition_ticks(ax, table, shown)
    for tick, hit in zip(ax.get_yticklabels(), regressed, strict=True):
        if hit:
            tick.set_color(WORST_COLOR)
            tick.set_fontweight("bold")
    ax.grid(axis="x", color="0.93", zorder=0)
    ax.set_axisbelow(True)
    if comparison.greater_is_better[metric]:
        ax.set_xlabel(f"{metric}: candidate - baseline (higher is better)")
    else:
        ax.set_xlabel(f"{metric}: baseline - candidate (higher is better)")
    n_regressed = int(cells["regressed"].sum())
    shown_text = (
        f"{n_shown} worst of {n_partitions}" if n_shown < n_partitions else "all"
    )
    ax.set_title(
        f"{metric}: {n_regressed} partition(s) regressed "
        f"({shown_text} partitions shown)"
    )
    return _finish(ax, new_figure)


def _default_top(top: int | None, n_partitions: int) -> int | None:
    """``top`` checked; None becomes DEFAULT_TOP when there are more partitions."""
    if top is not None:
        check_scalar(top, "top", numbers.Integral, min_val=1)
    elif n_partitions > DEFAULT_TOP:
        top = DEFAULT_TOP
    return top


def _partition_axes(ax: Any, n_shown: int, *, base_height: float) -> tuple[Any, bool]:
    """``(ax, new_figure)``: the given axes, or a figure sized to the rows shown."""
    if ax is not None:
        return ax, False
    height = min(base_height + 0.28 * max(n_shown, 1), MAX_HEIGHT)
    _, ax = pyplot().subplots(figsize=(6.4, height))
    return ax, True


def _hollow_dots(
    ax: Any, x: np.ndarray, y: np.ndarray, which: np.ndarray, *, label: str
) -> None:
    """Hollow grey dots for the partitions under ``min_partition_size`` rows."""
    if which.any():
        ax.scatter(
            x[which],
            y[which],
            s=40,
            facecolors="white",
            edgecolors=UNRELIABLE_COLOR,
            linewidths=1.5,
            zorder=3,
            label=label,
            gid="unreliable partitions",
        )


def _partition_ticks(ax: Any, frame: pd.DataFrame, rows: np.ndarray) -> None:
    """One tick per row shown, "label (n=rows)", worst at the top."""
    labels = frame.index[rows]
    counts = frame["n_samples"].to_numpy()[rows]
    ax.set_yticks(
        np.arange(len(rows)),
        [
            f"{format_partition_label(label)} (n={count:,})"
            for label, count in zip(labels, counts, strict=True)
        ],
    )
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)


def _finish(ax: Any, new_figure: bool) -> Any:
    """Put the legend below the axes and, in a figure of our own, lay it out."""
    legend_below(ax)
    if new_figure:
        # Once, not a layout engine: a later tight_layout() by the user is silent.
        ax.figure.tight_layout()
    return ax


def format_partition_label(label: Any) -> str:
    """Format a partition label for a chart or a table.

    Parameters
    ----------
    label : object
        A partition label; a tuple for several group columns.

    Returns
    -------
    str
        The label as text, the parts of a tuple joined by ``" / "``.

    Examples
    --------
    >>> from skpart._results.charts import format_partition_label
    >>> format_partition_label(("north", 2))
    'north / 2'
    """
    if isinstance(label, tuple):
        return " / ".join(str(part) for part in label)
    return str(label)


def plot_partition_history(
    history: pd.DataFrame,
    *,
    metric: str,
    greater_is_better: bool,
    ax: Any = None,
    max_lines: int = DEFAULT_MAX_LINES,
    kept_epoch: int | None = None,
) -> Any:
    """Draw each partition's values over epochs; highlight the worst partition.

    The worst partition is the one with the worst value at the last evaluated
    epoch; a dashed line follows the worst value at each epoch (which may move
    from partition to partition). Epochs are drawn as ``history`` numbers
    them, from 0, as Keras's callbacks, ``EarlyStopping.best_epoch`` and the
    epoch logs count them.

    Parameters
    ----------
    history : DataFrame
        Tidy rows of one metric: ``epoch`` (0-based), ``partition``, ``value``.
    metric : str
        Name for the axis label.
    greater_is_better : bool
        Direction of the metric.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure when None.
    max_lines : int, default=20
        Most partitions drawn as one line each. With more, the partitions are
        drawn as bands (their range and middle half at each epoch) and a
        median line, and only the worst partition keeps its own line.
    kept_epoch : int, default=None
        An epoch to mark with a vertical line: the one whose weights an
        ``EarlyStopping(restore_best_weights=True)`` kept.

    Returns
    -------
    matplotlib.axes.Axes

    See Also
    --------
    plot_report : A metric per partition of a PartitionReport.
    """
    plt = pyplot()
    from matplotlib.ticker import MaxNLocator

    new_figure = ax is None
    if new_figure:
        _, ax = plt.subplots(figsize=(7, 4.6))
    # Codes, not labels, as columns: tuple labels would become a MultiIndex.
    codes, labels = pd.factorize(history["partition"])
    table = pd.DataFrame(
        {
            "epoch": history["epoch"].to_numpy(),
            "code": codes,
            "value": history["value"].to_numpy(),
        }
    ).pivot_table(index="epoch", columns="code", values="value", dropna=False)
    epochs = table.index.to_numpy()
    last = table.iloc[-1].dropna()
    worst = None
    if not last.empty:
        worst = last.idxmin() if greater_is_better else last.idxmax()
    n_lines = table.shape[1]
    if n_lines <= max_lines:
        # Thin translucent lines, so the highlighted one stands out.
        alpha = max(0.25, min(0.8, 8 / max(n_lines, 1)))
        others = [code for code in table.columns if code != worst]
        for i, code in enumerate(others):
            ax.plot(
                epochs,
                table[code],
                color="grey",
                lw=0.8,
                alpha=alpha,
                label=f"other partitions ({len(others)})" if i == 0 else None,
            )
    else:
        ax.fill_between(
            epochs,
            table.min(axis=1),
            table.max(axis=1),
            color="0.85",
            lw=0,
            label=f"range of the {n_lines} partitions",
        )
        ax.fill_between(
            epochs,
            table.quantile(0.25, axis=1),
            table.quantile(0.75, axis=1),
            color="0.7",
            lw=0,
            label="middle half of the partitions",
        )
        ax.plot(epochs, table.median(axis=1), color="0.4", lw=1, label="median")
    if worst is not None:
        ax.plot(
            epochs,
            table[worst],
            color=WORST_COLOR,
            lw=2.2,
            label=f"worst at the last epoch: {format_partition_label(labels[worst])}",
        )
    aggregate = table.min(axis=1) if greater_is_better else table.max(axis=1)
    ax.plot(epochs, aggregate, "k--", lw=1, label="worst at each epoch")
    if kept_epoch is not None:
        ax.axvline(
            kept_epoch,
            color="0.3",
            ls=":",
            lw=1.2,
            label=f"weights kept by EarlyStopping (epoch {kept_epoch})",
        )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    direction = "higher" if greater_is_better else "lower"
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{metric} ({direction} is better)")
    return _finish(ax, new_figure)
