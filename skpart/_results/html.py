"""Notebook (HTML) views of the results: a PartitionReport, a PartitionComparison.

One formatting of values for both (numbers short, NaN as "undefined", text
escaped) and one table markup.
"""

from __future__ import annotations

import html
import numbers
from typing import Any

import numpy as np
from sklearn.utils import check_scalar

from .charts import format_partition_label
from .text import WEIGHTINGS, comparison_title

#: Partition rows shown before the table is cut (the worst rows are kept).
DEFAULT_MAX_ROWS = 20
#: Columns after the metrics in a report's table of partitions.
INFO_COLUMNS = ("n_samples", "weight", "reliable")
#: Inline styles: notebook front ends may drop <style> blocks, not attributes.
#: The worst partition of a report, a regressed one of a comparison.
HIGHLIGHT_STYLE = "background-color:#f6c9c9;font-weight:bold"
UNRELIABLE_STYLE = "color:#999999"
NOTE_STYLE = "color:#666666;font-size:smaller"


def report_html(report: Any, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """Render a PartitionReport as HTML: the summary first, then the partitions.

    The partitions are listed worst first by the first metric, cut after
    ``max_rows`` rows (the worst partition of every metric is always kept) with
    a line saying how many are hidden. The cell of each metric's worst
    partition is highlighted; partitions under ``min_partition_size`` rows are
    greyed. Intervals, when the report has them, follow each value in
    brackets. Every label is escaped.

    Parameters
    ----------
    report : PartitionReport
        The report to render.
    max_rows : int, default=20
        Most partition rows listed (plus the worst partition of each metric).

    Returns
    -------
    str
        An HTML fragment.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart import metrics_by_partition
    >>> from skpart._results.html import report_html
    >>> report = metrics_by_partition(
    ...     np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]),
    ...     np.array(["a", "a", "b", "b"]), metrics=["accuracy"])
    >>> report_html(report).startswith("<div")
    True
    """
    check_scalar(max_rows, "max_rows", numbers.Integral, min_val=1)
    frame = report.by_partition
    metrics = list(report.metrics)
    reliable = frame["reliable"].to_numpy(bool)
    worst = {
        name: _worst_position(
            frame[name].to_numpy(np.float64), reliable, report.greater_is_better[name]
        )
        for name in metrics
    }
    rows = _rows_shown(report, metrics, worst, max_rows)
    n_hidden = len(frame) - len(rows)
    n_reliable = int(reliable.sum())
    minimum = report.min_partition_size
    title = (
        f"PartitionReport: {len(frame)} partitions ({n_reliable} with &ge; "
        f"{minimum} rows), metrics {_escape(', '.join(metrics))}; "
        f"{WEIGHTINGS[report.sample_weight]}"
    )
    parts = [
        "<div>",
        f"<p><b>{title}</b></p>",
        f"<p><b>Summary</b> over the partitions with &ge; {minimum} rows and a "
        "defined value</p>",
        _summary_table(report, metrics),
        f"<p><b>Partitions</b>, worst first by {_escape(metrics[0])}"
        if metrics
        else "<p><b>Partitions</b>",
        f' <span style="{NOTE_STYLE}">(highlighted: the worst partition of each '
        f'metric; <span style="{UNRELIABLE_STYLE}">grey: fewer than {minimum} '
        "rows, not in the summary</span>)</span></p>",
        _partition_table(report, metrics, rows, worst),
    ]
    parts.append(_hidden_note(n_hidden, len(frame), "report"))
    parts.append("</div>")
    return "".join(parts)


def _worst_position(
    values: np.ndarray, reliable: np.ndarray, greater_is_better: bool
) -> int | None:
    """Position of the worst reliable defined value (the first of ties), or None."""
    candidates = np.where(reliable, values, np.nan)
    if np.isnan(candidates).all():
        return None
    return int(
        np.nanargmin(candidates) if greater_is_better else np.nanargmax(candidates)
    )


def _rows_shown(
    report: Any, metrics: list[str], worst: dict[str, int | None], max_rows: int
) -> np.ndarray:
    """Positions listed: worst first by the first metric, each metric's worst kept."""
    frame = report.by_partition
    if not metrics:
        return np.arange(min(len(frame), max_rows))
    values = frame[metrics[0]].to_numpy(np.float64)
    keys = values if report.greater_is_better[metrics[0]] else -values
    order = np.argsort(keys, kind="stable")  # NaN sorts last
    shown = list(order[:max_rows])
    kept = set(shown)
    shown.extend(
        position
        for position in dict.fromkeys(worst.values())
        if position is not None and position not in kept
    )
    return np.asarray(shown, dtype=np.intp)


def _summary_table(report: Any, metrics: list[str]) -> str:
    summary = report.summary
    overall_intervals = getattr(report, "overall_intervals", None)
    columns = list(summary.columns)
    header = "".join(
        f"<th>{_escape(name)}</th>" for name in ["metric", "overall", *columns]
    )
    body = []
    for name in metrics:
        overall = _number(report.overall[name])
        if overall_intervals is not None and name in overall_intervals.index:
            overall += _interval(
                overall_intervals.loc[name, "low"], overall_intervals.loc[name, "high"]
            )
        cells = [f"<th>{_escape(name)}</th>", f"<td>{overall}</td>"]
        for column in columns:
            value = summary.loc[name, column]
            if column == "worst_partition":
                text = "" if value is None else _escape(format_partition_label(value))
            else:
                text = _number(value)
            cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return _table(header, body)


def _partition_table(
    report: Any, metrics: list[str], rows: np.ndarray, worst: dict[str, int | None]
) -> str:
    frame = report.by_partition
    intervals = getattr(report, "intervals", None)
    names = [name for name in frame.index.names if name is not None]
    label_header = " / ".join(str(name) for name in names) or "partition"
    columns = [*metrics, *INFO_COLUMNS]
    header = "".join(f"<th>{_escape(name)}</th>" for name in [label_header, *columns])
    reliable = frame["reliable"].to_numpy(bool)
    body = []
    for position in rows:
        cells = []
        for name in metrics:
            text = _number(frame[name].iat[position])
            if intervals is not None and name in intervals.columns.get_level_values(0):
                text += _interval(
                    intervals[(name, "low")].iat[position],
                    intervals[(name, "high")].iat[position],
                )
            cells.append(
                _cell(text, HIGHLIGHT_STYLE if worst[name] == position else "")
            )
        style = "" if reliable[position] else UNRELIABLE_STYLE
        body.append(_partition_row(frame, position, cells, INFO_COLUMNS, style))
    return _table(header, body)


def comparison_html(comparison: Any, *, max_rows: int = DEFAULT_MAX_ROWS) -> str:
    """Render a PartitionComparison as HTML: the verdict, pooled, then partitions.

    The partitions are listed regressed first (highlighted), then by the
    first metric's difference, cut after ``max_rows`` rows (every regressed
    partition is kept); partitions under ``min_partition_size`` rows are
    greyed. Every label is escaped.
    """
    table = comparison.by_partition
    metrics = comparison.metrics
    fields = list(comparison.overall.columns)
    regressed = np.zeros(len(table), dtype=bool)
    for metric in metrics:
        regressed |= table[(metric, "regressed")].to_numpy(bool)
    first = table[(metrics[0], "difference")].to_numpy(np.float64)
    # Regressed partitions first, then by the first metric's difference.
    order = np.lexsort((np.where(np.isnan(first), np.inf, first), ~regressed))
    shown = order[: max(max_rows, int(regressed.sum()))]
    header = "".join(
        f"<th>{_escape(m)}<br>{_escape(f)}</th>" for m in metrics for f in fields
    )
    reliable = table["reliable"].to_numpy(bool)
    info = ("n_samples", "reliable")
    body = []
    for position in shown:
        cells = []
        for metric in metrics:
            for field in fields:
                value = table[(metric, field)].iat[position]
                hit = (
                    field == "difference" and table[(metric, "regressed")].iat[position]
                )
                cells.append(_cell(_number(value), HIGHLIGHT_STYLE if hit else ""))
        if regressed[position]:
            style = HIGHLIGHT_STYLE
        else:
            style = "" if reliable[position] else UNRELIABLE_STYLE
        body.append(_partition_row(table, position, cells, info, style))
    overall_rows = []
    for metric in metrics:
        row = comparison.overall.loc[metric]
        cells = "".join(f"<td>{_number(row[f])}</td>" for f in fields)
        overall_rows.append(f"<tr><th>{_escape(metric)}</th>{cells}</tr>")
    overall_header = "".join(f"<th>{f}</th>" for f in ("metric", *fields))
    info_header = "".join(f"<th>{name}</th>" for name in info)
    note = _hidden_note(len(table) - len(shown), len(table), "comparison")
    return (
        f"<div><p><b>{_escape(comparison_title(comparison))}</b></p>"
        "<p><b>All rows pooled</b></p>"
        f"{_table(overall_header, overall_rows)}"
        "<p><b>Partitions</b>, regressed first (highlighted)</p>"
        f"{_table(f'<th>partition</th>{header}{info_header}', body)}"
        f"{note}</div>"
    )


def _partition_row(
    frame: Any, position: int, cells: list[str], info: tuple[str, ...], style: str
) -> str:
    """One partition's row: its label, ``cells``, then its ``info`` columns."""
    label = _escape(format_partition_label(frame.index[position]))
    info_cells = [_cell(_number(frame[name].iat[position])) for name in info]
    return f"<tr{_style(style)}><th>{label}</th>{''.join(cells + info_cells)}</tr>"


def _cell(text: str, style: str = "") -> str:
    return f"<td{_style(style)}>{text}</td>"


def _style(style: str) -> str:
    return f' style="{style}"' if style else ""


def _hidden_note(n_hidden: int, n_partitions: int, name: str) -> str:
    """Say how many partitions a table leaves out, and where they all are."""
    if not n_hidden:
        return ""
    return (
        f'<p style="{NOTE_STYLE}">{n_hidden} more partitions not shown (of '
        f"{n_partitions}); <code>{name}.by_partition</code> has them all.</p>"
    )


def _table(header: str, body: list[str]) -> str:
    return (
        f'<table class="dataframe" border="1"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _interval(low: Any, high: Any) -> str:
    return f' <span style="{NOTE_STYLE}">[{_number(low)}, {_number(high)}]</span>'


def _number(value: Any) -> str:
    """Format a value as short text: integers with separators, NaN as "undefined"."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<i>undefined</i>"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4g}"
    return _escape(str(value))


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)
