"""Charts and the notebook view: what a reader sees in them, checked on the artists."""

from __future__ import annotations

from html.parser import HTMLParser

import matplotlib
import numpy as np
import pandas as pd
import pytest

from skpart import PartitionReport, metrics_by_partition

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from skpart._results.charts import plot_partition_history  # noqa: E402

WORST_STYLE = "background-color:#f6c9c9"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class ReportWithIntervals(PartitionReport):
    """A report whose bootstrap intervals a test sets by hand.

    Plain class attributes shadow the report's read-only properties, so the
    charts see intervals built here, whatever way the engine stores its own.
    """

    intervals = None
    overall_intervals = None


def hand_report(values, n_samples, *, metric="roc_auc", labels=None, **kwargs):
    """A report built from its documented parts, without skpart's kernels."""
    values = np.asarray(values, dtype=np.float64)
    n_samples = np.asarray(n_samples)
    if labels is None:
        labels = pd.Index([f"site {i}" for i in range(len(values))], name="site")
    minimum = kwargs.get("min_partition_size", 1)
    by_partition = pd.DataFrame(
        {
            metric: values,
            "n_samples": n_samples,
            "weight": n_samples.astype(np.float64),
            "reliable": n_samples >= minimum,
        },
        index=labels,
    )
    overall = pd.Series({metric: kwargs.get("overall", np.nanmean(values))})
    return ReportWithIntervals(
        by_partition,
        overall,
        greater_is_better={metric: kwargs.get("greater_is_better", True)},
        min_partition_size=minimum,
    )


def dot_positions(ax):
    """(x, y) of every partition dot: the scatter collections of the chart."""
    offsets = [
        c.get_offsets()
        for c in ax.collections
        if isinstance(c, PathCollection)
        and c.get_gid() in ("partitions", "unreliable partitions")
    ]
    return np.concatenate(offsets) if offsets else np.empty((0, 2))


def tick_texts(ax):
    return [label.get_text() for label in ax.get_yticklabels()]


def test_top_shows_that_many_worst_reliable_partitions_and_says_so():
    rng = np.random.default_rng(0)
    report = hand_report(
        rng.uniform(0.5, 1.0, 50), rng.integers(1, 40, 50), min_partition_size=10
    )
    ax = report.plot(top=7)

    assert len(dot_positions(ax)) == 7
    frame = report.by_partition
    expected = frame.loc[frame["reliable"], "roc_auc"].nsmallest(7).index
    assert [t.split(" (n=")[0] for t in tick_texts(ax)] == list(expected)
    assert "7 worst of 50 partitions" in ax.get_title()


def test_many_partitions_show_the_30_worst_in_a_bounded_figure():
    rng = np.random.default_rng(1)
    report = hand_report(
        rng.uniform(0, 1, 3000), np.full(3000, 50), greater_is_better=False
    )
    ax = report.plot()

    assert len(dot_positions(ax)) == 30
    assert "30 worst of 3000 partitions" in ax.get_title()
    width, height = ax.figure.get_size_inches() * ax.figure.dpi
    assert height < 1500
    # A loss: the worst is the largest value, drawn first.
    assert dot_positions(ax)[0, 0] == report.by_partition["roc_auc"].max()


def test_an_explicit_large_top_still_bounds_the_figure_height():
    report = hand_report(np.linspace(0, 1, 500), np.full(500, 5))
    ax = report.plot(top=500)
    assert len(dot_positions(ax)) == 500
    assert ax.figure.get_size_inches()[1] <= 14


@pytest.mark.parametrize("top", [0, -1, 2.5, "3"])
def test_top_must_be_a_positive_integer(top):
    with pytest.raises((ValueError, TypeError), match="top"):
        hand_report([0.5, 0.6], [3, 4]).plot(top=top)


def test_top_with_no_partition_large_enough_draws_an_empty_chart_that_says_so():
    ax = hand_report([0.5, 0.7], [3, 4], min_partition_size=10).plot(top=5)
    assert len(dot_positions(ax)) == 0
    assert "0 worst of 2 partitions" in ax.get_title()
    assert "among the 0 with >= 10 rows" in ax.get_title()


def test_tick_labels_carry_each_partition_row_count():
    y_true = np.array([0, 1, 1, 0, 1, 0, 1, 1, 0])
    y_pred = np.array([0, 1, 0, 0, 1, 1, 1, 1, 0])
    groups = np.array(["a", "a", "a", "b", "b", "c", "c", "c", "c"])
    report = metrics_by_partition(y_true, y_pred, groups, metrics=["accuracy"])
    ticks = tick_texts(report.plot())

    counts = pd.Series(groups).value_counts()
    assert sorted(ticks) == sorted(f"{g} (n={counts[g]})" for g in counts.index)


def test_several_group_columns_are_joined_in_tick_labels():
    labels = pd.MultiIndex.from_tuples(
        [("north", 1), ("south", 2)], names=["region", "store"]
    )
    ax = hand_report([0.7, 0.8], [12, 30], labels=labels).plot()
    assert tick_texts(ax) == ["north / 1 (n=12)", "south / 2 (n=30)"]


def test_undefined_partition_is_marked_and_never_drawn_as_zero():
    report = hand_report([0.0, np.nan, 0.6], [10, 10, 10], metric="accuracy")
    ax = report.plot()
    ax.figure.canvas.draw()

    ticks = tick_texts(ax)
    nan_row = ticks.index("site 1 (n=10)")
    dots = dot_positions(ax)
    assert nan_row not in dots[:, 1]  # no dot on the undefined row
    assert len(dots) == 2 and 0.0 in dots[:, 0]  # a real 0 keeps its dot
    marks = [t for t in ax.texts if t.get_text() == "undefined"]
    assert len(marks) == 1 and marks[0].get_position()[1] == nan_row
    assert not [
        p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() == 0
    ]


def test_value_axis_fits_close_scores_instead_of_starting_at_zero():
    report = hand_report([0.93, 0.95, 0.97, 1.0], [20, 20, 20, 20], overall=0.96)
    low, high = report.plot().get_xlim()
    assert 0.85 < low < 0.93
    assert 1.0 <= high < 1.05


def test_overall_value_is_one_dashed_line_inside_the_axis():
    report = hand_report([0.93, 0.95], [20, 20], overall=0.99)
    ax = report.plot()
    (line,) = ax.get_lines()
    assert line.get_xdata()[0] == 0.99
    assert ax.get_xlim()[0] < 0.99 < ax.get_xlim()[1]


@pytest.mark.parametrize("own_axes", [False, True])
def test_legend_sits_below_the_axis_and_covers_no_partition(own_axes):
    report = hand_report([0.93, 0.95, 0.99], [5, 20, 20], min_partition_size=10)
    if own_axes:
        fig, ax = plt.subplots()
        report.plot(ax=ax)
        fig.tight_layout()
    else:
        ax = report.plot()
        fig = ax.figure
    fig.canvas.draw()

    legend = ax.get_legend().get_window_extent()
    first = ax.transData.transform(dot_positions(ax)[0])
    assert not legend.contains(*first)
    assert not legend.overlaps(ax.get_window_extent())
    assert legend.y1 <= ax.xaxis.label.get_window_extent().y0
    assert fig.bbox.contains(legend.x0, legend.y0)  # not cut off the figure


def test_a_chart_on_a_new_figure_leaves_tight_layout_to_the_user(recwarn):
    ax = hand_report([0.5, 0.9], [20, 20]).plot()
    ax.figure.tight_layout()  # as the examples do; no layout-engine warning
    assert not [w for w in recwarn if "layout" in str(w.message)]


def test_unreliable_partitions_are_named_in_the_legend():
    report = hand_report([0.5, 0.9, 0.8], [3, 20, 20], min_partition_size=10)
    ax = report.plot()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "fewer than 10 rows (not in summary)" in texts
    hollow = [c for c in ax.collections if c.get_gid() == "unreliable partitions"]
    assert len(hollow) == 1 and len(hollow[0].get_offsets()) == 1


def test_intervals_are_drawn_through_the_dots_when_the_report_has_them():
    report = hand_report([0.8, np.nan, 0.9], [20, 20, 20])
    assert not [c for c in report.plot().collections if c.get_gid() == "intervals"]

    low = [0.75, np.nan, 0.88]
    high = [0.84, np.nan, 0.93]
    report.intervals = pd.DataFrame(
        np.column_stack([low, high]),
        index=report.by_partition.index,
        columns=pd.MultiIndex.from_product([["roc_auc"], ["low", "high"]]),
    )
    ax = report.plot()
    (bars,) = [
        c
        for c in ax.collections
        if isinstance(c, LineCollection) and c.get_gid() == "intervals"
    ]
    segments = bars.get_segments()
    assert len(segments) == 2  # the undefined partition has none
    # Worst first: site 0 (0.8), then site 2 (0.9).
    np.testing.assert_allclose(segments[0][:, 0], [0.75, 0.84])
    np.testing.assert_allclose(segments[1][:, 0], [0.88, 0.93])
    assert segments[0][0, 1] == 0 and segments[1][0, 1] == 1
    # The axis makes room for the interval ends.
    assert ax.get_xlim()[0] < 0.75 and ax.get_xlim()[1] > 0.93


def make_history(partitions, n_epochs=4):
    rng = np.random.default_rng(0)
    rows = [
        {"epoch": epoch, "partition": p, "metric": "accuracy", "value": rng.uniform()}
        for epoch in range(n_epochs)
        for p in partitions
    ]
    return pd.DataFrame(rows)


def test_history_counts_epochs_from_zero_as_keras_callbacks_and_joins_tuple_labels():
    history = make_history([("a", 1), ("a", 2), ("b", 1)])
    ax = plot_partition_history(history, metric="accuracy", greater_is_better=True)

    assert len(ax.get_lines()) == 3 + 1  # one per partition, then the worst curve
    for line in ax.get_lines():
        assert list(line.get_xdata()) == [0, 1, 2, 3]
    last = history[history["epoch"] == 3].set_index("partition")["value"]
    worst = last.idxmin()
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"worst at the last epoch: {worst[0]} / {worst[1]}" in texts
    assert not any("(" in text and "'" in text for text in texts)


def test_history_of_one_metric_among_several_keeps_skipped_epochs_in_place():
    # As the monitor passes it: rows of one metric, epochs every 2 (0-based).
    history = pd.concat(
        [make_history(["a", "b"]), make_history(["a", "b"]).assign(metric="f1")]
    ).reset_index(drop=True)
    history = history[history["epoch"].isin([0, 2]) & (history["metric"] == "f1")]
    ax = plot_partition_history(history, metric="f1", greater_is_better=True)
    (worst,) = [line for line in ax.get_lines() if line.get_color() == "C3"]
    assert list(worst.get_xdata()) == [0, 2]
    last = history[history["epoch"] == 2].set_index("partition")["value"]
    np.testing.assert_allclose(worst.get_ydata()[-1], last.min())


def test_history_with_many_partitions_draws_bands_not_one_line_each():
    history = make_history([f"p{i}" for i in range(60)])
    ax = plot_partition_history(history, metric="accuracy", greater_is_better=False)
    # The median, the worst partition and the worst-at-each-epoch curve.
    assert len(ax.get_lines()) == 3
    assert len([c for c in ax.collections if not isinstance(c, LineCollection)]) == 2


class CellParser(HTMLParser):
    """Rows of every table as lists of (tag, style, text)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = [tag, dict(attrs).get("style") or "", ""]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[2] += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(tuple(self._cell))
            self._cell = None


def parse_tables(html):
    parser = CellParser()
    parser.feed(html)
    return parser.tables


def two_metric_report(n=6, **kwargs):
    rng = np.random.default_rng(3)
    labels = pd.Index([f"site {i}" for i in range(n)], name="site")
    n_samples = rng.integers(2, 40, n)
    n_samples[:2] = [3, 30]
    minimum = 10
    by_partition = pd.DataFrame(
        {
            "accuracy": rng.uniform(0.5, 1, n),
            "log_loss": rng.uniform(0.1, 1, n),
            "n_samples": n_samples,
            "weight": n_samples.astype(float),
            "reliable": n_samples >= minimum,
        },
        index=labels,
    )
    # The unreliable partition is the worst by value: it must not be highlighted.
    by_partition.loc["site 0", ["accuracy", "log_loss"]] = [0.01, 5.0]
    overall = pd.Series({"accuracy": 0.8, "log_loss": 0.4})
    return PartitionReport(
        by_partition,
        overall,
        greater_is_better={"accuracy": True, "log_loss": False},
        min_partition_size=minimum,
    )


def test_html_highlights_each_metric_worst_reliable_partition():
    report = two_metric_report()
    summary, partitions = parse_tables(report._repr_html_())
    header = [text for _, _, text in partitions[0]]
    reliable = report.by_partition[report.by_partition["reliable"]]
    expected = {
        "accuracy": reliable["accuracy"].idxmin(),
        "log_loss": reliable["log_loss"].idxmax(),
    }
    for metric, label in expected.items():
        column = header.index(metric)
        highlighted = [
            row[0][2] for row in partitions[1:] if WORST_STYLE in row[column][1]
        ]
        assert highlighted == [label]


def test_html_greys_unreliable_rows_and_shows_the_summary_first():
    report = two_metric_report()
    html = report._repr_html_()
    assert html.index("Summary") < html.index("Partitions")
    assert 'style="color:#999999"><th>site 0</th>' in html
    summary = parse_tables(html)[0]
    assert [row[0][2] for row in summary[1:]] == ["accuracy", "log_loss"]


def test_html_lists_worst_first_and_says_how_many_rows_are_hidden():
    report = two_metric_report(n=100)
    html = report._repr_html_()
    rows = parse_tables(html)[1][1:]
    # 20 rows worst first by accuracy, plus the worst log_loss row if not among them.
    order = report.by_partition["accuracy"].sort_values().index
    assert [row[0][2] for row in rows[:20]] == list(order[:20])
    assert len(rows) in (20, 21)
    assert f"{100 - len(rows)} more partitions not shown (of 100)" in html
    reliable = report.by_partition[report.by_partition["reliable"]]
    assert reliable["log_loss"].idxmax() in [row[0][2] for row in rows]


def test_html_escapes_partition_labels():
    labels = pd.Index(["<script>alert(1)</script>", "b & c"], name="<b>site</b>")
    report = hand_report([0.2, 0.9], [10, 10], labels=labels)
    html = report._repr_html_()
    assert "<script>" not in html and "<b>site</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "b &amp; c" in html


def test_html_shows_intervals_and_undefined_values():
    report = hand_report([0.8, np.nan], [20, 20])
    report.intervals = pd.DataFrame(
        [[0.71, 0.86], [np.nan, np.nan]],
        index=report.by_partition.index,
        columns=pd.MultiIndex.from_product([["roc_auc"], ["low", "high"]]),
    )
    report.overall_intervals = pd.DataFrame(
        {"low": [0.7], "high": [0.9]}, index=["roc_auc"]
    )
    summary, partitions = parse_tables(report._repr_html_())
    assert partitions[1][1][2] == "0.8 [0.71, 0.86]"
    assert partitions[2][1][2].startswith("undefined")
    assert summary[1][1][2] == "0.8 [0.7, 0.9]"
