"""compare_partitions: two fitted estimators on the same rows and replicates.

A paired bootstrap: both estimators predict once, both reports are computed
with one bootstrap seed, so replicate ``b`` weighs every row the same way for
both, and the difference of their replicate values is a replicate of the
difference. One-sided p-values per (partition, metric) cell, with
Benjamini-Hochberg over all reliable cells, decide which partitions regressed.
"""

from __future__ import annotations

import html
import numbers
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from .._bootstrap.resampling import (
    benjamini_hochberg,
    bootstrap_p_values,
    bootstrap_seed,
    percentile_intervals,
)
from .._engine.accumulator import check_bootstrap
from .._engine.predictions import accumulator_for, add_predictions
from .._inputs.validation import check_nonnegative
from .._messages import truncate
from .._results.charts import _legend_below, _pyplot, format_partition_label
from .._results.report import PartitionReport

#: Fields of each metric in ``by_partition`` and ``overall``, in column order.
FIELDS = ("baseline", "candidate", "difference", "low", "high", "p_value", "regressed")
#: Partitions a chart shows when ``top`` is None and there are more.
DEFAULT_TOP = 30
REGRESSED_STYLE = "background-color:#f6c9c9;font-weight:bold"
UNRELIABLE_STYLE = "color:#999999"


class PartitionComparison:
    """A candidate model against a baseline, per partition, on paired replicates.

    Built by :func:`compare_partitions`. Differences are in the direction
    "positive is better": ``candidate - baseline`` for scores, ``baseline -
    candidate`` for losses and errors, so a negative difference is a
    regression whatever the metric.

    Attributes
    ----------
    by_partition : DataFrame
        Index: the partition labels. Columns: a MultiIndex ``(metric,
        field)`` with fields ``baseline``, ``candidate``, ``difference``,
        ``low``, ``high`` (percentile interval of the replicate differences),
        ``p_value`` (one-sided, for "worse by more than ``tolerance``") and
        ``regressed``; then ``n_samples`` and ``reliable``.
    overall : DataFrame
        Index: metric; the same fields on all rows pooled.
    regressions : DataFrame
        The (partition, metric) cells that regressed, one row each.
    passed : bool
        True when no reliable partition regressed on any metric.
    baseline_report, candidate_report : PartitionReport
        The two reports, with their bootstrap replicates.
    metrics : list of str
    tolerance : float
    confidence_level : float
    n_boot : int

    See Also
    --------
    compare_partitions : Builds it.
    PartitionReport : One model's report.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import compare_partitions
    >>> X, y = [[0], [1], [2], [3]] * 10, [0, 0, 1, 1] * 10
    >>> groups = ["a", "b"] * 20
    >>> baseline = DummyClassifier().fit(X, y)
    >>> candidate = LogisticRegression().fit(X, y)
    >>> comparison = compare_partitions(
    ...     baseline, candidate, X, y, groups, n_boot=200, random_state=0)
    >>> comparison.passed
    True
    >>> comparison.by_partition[("accuracy", "difference")].tolist()
    [0.5, 0.5]
    """

    def __init__(
        self,
        baseline_report: PartitionReport,
        candidate_report: PartitionReport,
        *,
        tolerance: float,
    ) -> None:
        self._baseline = baseline_report
        self._candidate = candidate_report
        self._tolerance = float(tolerance)
        self._level = float(baseline_report.confidence_level)
        self._differences = {
            metric: self._sign(metric)
            * (
                candidate_report.replicates(metric).to_numpy(np.float64)
                - baseline_report.replicates(metric).to_numpy(np.float64)
            )
            for metric in self.metrics
        }
        self._by_partition = self._partition_table()
        self._overall = self._overall_table()

    # --- results ---------------------------------------------------------------

    @property
    def by_partition(self) -> pd.DataFrame:
        """Per partition and metric: both values, the difference and the decision."""
        return self._by_partition

    @property
    def overall(self) -> pd.DataFrame:
        """Per metric, on all rows pooled: the same fields as ``by_partition``."""
        return self._overall

    @property
    def regressions(self) -> pd.DataFrame:
        """The (partition, metric) cells where the candidate is worse, with confidence.

        Columns ``partition`` (a tuple for several group columns), ``metric``,
        ``baseline``, ``candidate``, ``difference``, ``low``, ``high``,
        ``p_value`` and ``n_samples``; smallest p-value first, then most
        negative difference. Empty when the comparison passed.
        """
        frames = []
        partitions = self._by_partition.index.to_flat_index()
        n_samples = self._by_partition["n_samples"].to_numpy()
        for metric in self.metrics:
            cells = self._by_partition[metric]
            hit = cells["regressed"].to_numpy(bool)
            frame = pd.DataFrame(
                {"partition": partitions[hit], "metric": metric}
                | {f: cells[f].to_numpy(np.float64)[hit] for f in FIELDS[:-1]}
                | {"n_samples": n_samples[hit]}
            )
            frames.append(frame)
        columns = ["partition", "metric", *FIELDS[:-1], "n_samples"]
        tidy = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        tidy = tidy.reindex(columns=columns)
        return tidy.sort_values(
            ["p_value", "difference"], kind="stable", ignore_index=True
        )

    @property
    def passed(self) -> bool:
        """True when no reliable partition regressed on any metric."""
        return not any(
            self._by_partition[(metric, "regressed")].any() for metric in self.metrics
        )

    @property
    def baseline_report(self) -> PartitionReport:
        """The baseline's report, with its bootstrap replicates."""
        return self._baseline

    @property
    def candidate_report(self) -> PartitionReport:
        """The candidate's report, on the same replicates as the baseline's."""
        return self._candidate

    @property
    def metrics(self) -> list[str]:
        """Metric names, in column order."""
        return self._baseline.metrics

    @property
    def greater_is_better(self) -> dict[str, bool]:
        """Direction of each metric's values (differences are always higher-better)."""
        return self._baseline.greater_is_better

    @property
    def tolerance(self) -> float:
        """A drop of at most this much is not a regression."""
        return self._tolerance

    @property
    def confidence_level(self) -> float:
        """Level of the intervals; ``1 - confidence_level`` is the FDR controlled."""
        return self._level

    @property
    def n_boot(self) -> int:
        """Number of paired replicates."""
        return int(next(iter(self._differences.values())).shape[0])

    @property
    def min_partition_size(self) -> int:
        """Partitions with fewer rows are not tested."""
        return self._baseline.min_partition_size

    def replicates(self, metric: str) -> pd.DataFrame:
        """Paired replicate differences of one metric ("positive is better").

        Parameters
        ----------
        metric : str
            One of :attr:`metrics`.

        Returns
        -------
        DataFrame
            One row per replicate, one column per partition: the candidate's
            replicate value minus the baseline's (the reverse for losses),
            NaN where either is undefined.
        """
        metric = self._check_metric(metric)
        return pd.DataFrame(
            self._differences[metric], columns=self._by_partition.index
        ).rename_axis("replicate")

    # --- building --------------------------------------------------------------

    def _sign(self, metric: str) -> float:
        return 1.0 if self.greater_is_better[metric] else -1.0

    def _cells(self, metric, baseline, candidate, differences):
        """Compute one metric's fields for each column of ``differences`` (B, n)."""
        low, high, too_few = percentile_intervals(differences, self._level, axis=0)
        p_value = bootstrap_p_values(differences, tolerance=self._tolerance, axis=0)
        # The rule of the intervals: with fewer than 90% of the replicates
        # defined, the rest describe a biased subset; no test is run there.
        p_value = np.where(too_few, np.nan, p_value)
        return {
            "baseline": baseline,
            "candidate": candidate,
            "difference": self._sign(metric) * (candidate - baseline),
            "low": low,
            "high": high,
            "p_value": p_value,
        }

    def _partition_table(self) -> pd.DataFrame:
        base, cand = self._baseline.by_partition, self._candidate.by_partition
        reliable = base["reliable"].to_numpy(bool)
        columns, p_values = {}, []
        for metric in self.metrics:
            cells = self._cells(
                metric,
                base[metric].to_numpy(np.float64),
                cand[metric].to_numpy(np.float64),
                self._differences[metric],
            )
            for field, values in cells.items():
                columns[(metric, field)] = values
            p_values.append(np.where(reliable, cells["p_value"], np.nan))
        # One family: every reliable (partition, metric) cell.
        alpha = 1 - self._level
        rejected = benjamini_hochberg(np.array(p_values).reshape(-1), alpha)
        rejected = rejected.reshape(len(self.metrics), len(base))
        for metric, hits in zip(self.metrics, rejected, strict=True):
            columns[(metric, "regressed")] = hits
        columns[("n_samples", "")] = base["n_samples"].to_numpy()
        columns[("reliable", "")] = reliable
        table = pd.DataFrame(columns, index=base.index)
        table.columns = pd.MultiIndex.from_tuples(
            table.columns, names=["metric", "field"]
        )
        return table

    def _overall_table(self) -> pd.DataFrame:
        rows = []
        for metric in self.metrics:
            differences = self._sign(metric) * (
                self._candidate.overall_replicates[metric].to_numpy(np.float64)
                - self._baseline.overall_replicates[metric].to_numpy(np.float64)
            )
            cells = self._cells(
                metric,
                np.array([self._baseline.overall[metric]]),
                np.array([self._candidate.overall[metric]]),
                differences[:, None],
            )
            rows.append({field: float(values[0]) for field, values in cells.items()})
        table = pd.DataFrame(rows, index=pd.Index(self.metrics, name="metric"))
        # A family of its own: one pooled test per metric.
        p = table["p_value"].to_numpy(np.float64)
        table["regressed"] = benjamini_hochberg(p, 1 - self._level)
        return table

    # --- display ---------------------------------------------------------------

    def _check_metric(self, metric: str | None) -> str:
        if metric is None:
            return self.metrics[0]
        if metric not in self.metrics:
            raise ValueError(
                f"metric={metric!r} is not in this comparison; choose one of "
                f"{self.metrics}."
            )
        return metric

    def _title(self) -> str:
        n_regressed = len(self.regressions)
        n_tested = int(
            sum(
                self._by_partition[(m, "p_value")]
                .where(self._by_partition["reliable"])
                .notna()
                .sum()
                for m in self.metrics
            )
        )
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"PartitionComparison {verdict}: {n_regressed} regression(s) among "
            f"{n_tested} tested (partition, metric) cells; "
            f"{len(self._by_partition)} partitions, metrics "
            f"{', '.join(self.metrics)}, tolerance {self._tolerance:g}, "
            f"false discovery rate {1 - self._level:.2g}, {self.n_boot} "
            "paired replicates"
        )

    def plot(
        self, metric: str | None = None, ax: Any = None, *, top: int | None = None
    ) -> Any:
        """Plot each partition's difference with its interval, worst first.

        Regressed partitions are red, partitions under ``min_partition_size``
        rows hollow grey; a line marks zero (no change) and, with a
        tolerance, a dotted line marks ``-tolerance``.

        Parameters
        ----------
        metric : str, default=None
            Metric to plot; the first metric when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        top : int, default=None
            Show only the ``top`` worst partitions (most negative
            differences); when None, all partitions if there are at most 30,
            else the 30 worst.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from sklearn.dummy import DummyClassifier
        >>> from skpart import compare_partitions
        >>> X, y = [[0], [1]] * 10, [0, 1] * 10
        >>> model = DummyClassifier().fit(X, y)
        >>> comparison = compare_partitions(
        ...     model, model, X, y, ["a", "b"] * 10, n_boot=50, random_state=0)
        >>> ax = comparison.plot()
        >>> ax.get_xlabel()
        'accuracy: candidate - baseline (higher is better)'
        """
        return plot_comparison(self, self._check_metric(metric), ax=ax, top=top)

    def __repr__(self) -> str:
        with pd.option_context(
            "display.max_rows", 20, "display.max_columns", None, "display.width", 120
        ):
            regressions = self.regressions
            return (
                f"{self._title()}\n\noverall:\n{self.overall}\n\n"
                f"regressions:\n"
                f"{regressions if len(regressions) else '(none)'}\n\n"
                f"by partition:\n{self.by_partition}"
            )

    def _repr_html_(self) -> str:
        return comparison_html(self)


def compare_partitions(
    baseline: Any,
    candidate: Any,
    X: Any,
    y: Any,
    groups: Any,
    *,
    metrics: Any = None,
    sample_weight: Any = "auto",
    min_partition_size: int = 1,
    n_boot: int = 1000,
    confidence_level: float = 0.95,
    tolerance: float = 0.0,
    random_state: Any = None,
    pos_label: Any = None,
) -> PartitionComparison:
    """Compare a candidate estimator with a baseline on each partition, paired.

    Both estimators predict once on ``X`` and are scored on the same rows
    with the same bootstrap replicates (one seed for both), so each
    replicate's difference is a replicate of the difference: the paired
    bootstrap, much tighter than comparing two separate intervals. A
    (partition, metric) cell *regressed* when the candidate is worse there by
    more than ``tolerance`` with confidence: its one-sided p-value, the
    share of replicate differences at or above ``-tolerance`` (plus one over
    ``n_boot + 1``), is rejected by Benjamini-Hochberg at false discovery rate
    ``1 - confidence_level`` over all reliable cells (partitions with at
    least ``min_partition_size`` rows, every metric).

    Parameters
    ----------
    baseline, candidate : fitted estimator
        Two sklearn-compatible classifiers (with the same ``classes_``) or
        two regressors, Pipelines included.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Input data, the same for both.
    y : array-like of shape (n_samples,)
        True labels or values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`metrics_by_partition`; None means ``accuracy`` for
        classifiers and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classifiers and None for regressors.
    min_partition_size : int, default=1
        Partitions with fewer rows are reported but not tested.
    n_boot : int, default=1000
        Paired bootstrap replicates (at least 1; a few hundred or more for
        p-values small enough to survive the correction over many cells).
    confidence_level : float, default=0.95
        Level of the intervals; ``1 - confidence_level`` is the false
        discovery rate of the regressions.
    tolerance : float, default=0.0
        A drop of at most this much (in the metric's units) is not a
        regression.
    random_state : int, RandomState instance or None, default=None
        Seeds the replicates (one seed drawn for both estimators).
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.

    Returns
    -------
    PartitionComparison

    See Also
    --------
    score_partitions : One estimator's report.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import compare_partitions
    >>> X, y = [[0], [1], [2], [3]] * 10, [0, 0, 1, 1] * 10
    >>> groups = ["a", "b"] * 20
    >>> baseline = LogisticRegression(C=0.01).fit(X, y)
    >>> candidate = LogisticRegression().fit(X, y)
    >>> comparison = compare_partitions(
    ...     baseline, candidate, X, y, groups, metrics=["accuracy", "log_loss"],
    ...     n_boot=200, random_state=0)
    >>> comparison.passed
    True
    >>> len(comparison.regressions)
    0
    """
    check_is_fitted(baseline)
    check_is_fitted(candidate)
    if n_boot is None or (
        isinstance(n_boot, numbers.Integral)
        and not isinstance(n_boot, bool)
        and n_boot < 1
    ):
        raise ValueError(
            f"n_boot={n_boot!r}: a comparison needs bootstrap replicates; pass an "
            "integer >= 1 (the default 1000, or a few hundred for a quick look)."
        )
    check_bootstrap(n_boot, confidence_level)
    check_nonnegative(
        tolerance,
        "tolerance",
        meaning=" (the drop, in the metric's units, that is not a regression; "
        "pass 0 to flag any drop)",
    )
    if y is None:
        raise ValueError(
            "y is None: compare_partitions needs the true targets of X "
            "(compare_partitions(baseline, candidate, X, y, groups))."
        )
    classes = _common_classes(baseline, candidate)
    # One seed for both: the same rows weigh the same in each replicate.
    seed = bootstrap_seed(random_state)
    reports = []
    for estimator in (baseline, candidate):
        accumulator, weights = accumulator_for(
            estimator,
            metrics,
            sample_weight=sample_weight,
            pos_label=pos_label,
            min_partition_size=min_partition_size,
            classes=classes,
            n_boot=n_boot,
            confidence_level=confidence_level,
            random_state=seed,
        )
        add_predictions(accumulator, estimator, X, y, groups, sample_weight=weights)
        reports.append(accumulator.result())
    return PartitionComparison(*reports, tolerance=tolerance)


def _common_classes(baseline: Any, candidate: Any) -> Any:
    """Return the classes both classifiers share; refuse a task or class mismatch."""
    kinds = [
        "classifier" if is_classifier(e) else "regressor" for e in (baseline, candidate)
    ]
    if kinds[0] != kinds[1]:
        raise ValueError(
            f"baseline is a {kinds[0]} ({type(baseline).__name__}) but candidate "
            f"is a {kinds[1]} ({type(candidate).__name__}); compare two "
            "classifiers or two regressors, scored by the same metrics."
        )
    if kinds[0] == "regressor":
        return None
    ours, theirs = (
        np.asarray(getattr(e, "classes_", None)) for e in (baseline, candidate)
    )
    if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
        raise ValueError(
            f"baseline.classes_ is {truncate(ours.tolist())} but candidate.classes_ "
            f"is {truncate(theirs.tolist())}; the two classifiers must be fitted "
            "on the same classes (in the same order) to be compared."
        )
    return ours


# --- the chart ---------------------------------------------------------------


def plot_comparison(
    comparison: PartitionComparison, metric: str, *, ax: Any = None, top: Any = None
) -> Any:
    """Draw one metric's differences per partition, worst first (see ``plot``)."""
    plt = _pyplot()
    if top is not None and (
        not isinstance(top, numbers.Integral) or isinstance(top, bool) or top < 1
    ):
        raise ValueError(f"top must be an integer >= 1 or None, got top={top!r}.")
    table = comparison.by_partition
    cells = table[metric].reset_index(drop=True)
    reliable = table["reliable"].to_numpy(bool)
    order = cells.sort_values(
        "difference", ascending=True, na_position="last", kind="stable"
    ).index.to_numpy()
    n_partitions = len(order)
    if top is None and n_partitions > DEFAULT_TOP:
        top = DEFAULT_TOP
    shown = order if top is None else order[:top]
    n_shown = len(shown)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, min(2.2 + 0.28 * max(n_shown, 1), 14.0)))
        new_figure = True
    else:
        new_figure = False
    positions = np.arange(n_shown)
    difference = cells["difference"].to_numpy(np.float64)[shown]
    low = cells["low"].to_numpy(np.float64)[shown]
    high = cells["high"].to_numpy(np.float64)[shown]
    regressed = cells["regressed"].to_numpy(bool)[shown]
    solid = reliable[shown] & ~regressed
    hollow = ~reliable[shown]
    level = f"{comparison.confidence_level:.0%} interval"
    has_interval = ~np.isnan(low) & ~np.isnan(high)
    colors = np.where(regressed, "C3", np.where(reliable[shown], "C0", "0.6"))
    ax.hlines(
        positions[has_interval],
        low[has_interval],
        high[has_interval],
        colors=colors[has_interval],
        linewidth=2,
        zorder=2,
        label=level,
        gid="intervals",
    )
    ax.scatter(
        difference[solid], positions[solid], s=40, color="C0", zorder=3,
        label="no regression" if solid.any() else None, gid="partitions",
    )  # fmt: skip
    if regressed.any():
        ax.scatter(
            difference[regressed], positions[regressed], s=60, color="C3",
            marker="D", zorder=4, label="regressed", gid="regressed",
        )  # fmt: skip
    if hollow.any():
        ax.scatter(
            difference[hollow], positions[hollow], s=40, facecolors="white",
            edgecolors="0.6", linewidths=1.5, zorder=3,
            label=f"fewer than {comparison.min_partition_size} rows (not tested)",
            gid="unreliable partitions",
        )  # fmt: skip
    ax.axvline(0.0, color="k", lw=1, label="no change")
    if comparison.tolerance > 0:
        ax.axvline(
            -comparison.tolerance, color="C3", lw=1, linestyle=":",
            label=f"-tolerance ({comparison.tolerance:g})",
        )  # fmt: skip
    labels = [
        f"{format_partition_label(table.index[p])} (n={table['n_samples'].iat[p]:,})"
        for p in shown
    ]
    ax.set_yticks(positions, labels)
    for tick, hit in zip(ax.get_yticklabels(), regressed, strict=True):
        if hit:
            tick.set_color("C3")
            tick.set_fontweight("bold")
    ax.set_ylim(max(n_shown, 1) - 0.5, -0.5)  # worst at the top
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
    _legend_below(ax)
    if new_figure:
        ax.figure.tight_layout()
    return ax


# --- the notebook view -------------------------------------------------------


def comparison_html(comparison: PartitionComparison, *, max_rows: int = 20) -> str:
    """HTML: the verdict, the pooled table, then the partitions (regressed first)."""
    table = comparison.by_partition
    metrics = comparison.metrics
    regressed = np.zeros(len(table), dtype=bool)
    for metric in metrics:
        regressed |= table[(metric, "regressed")].to_numpy(bool)
    first = table[(metrics[0], "difference")].to_numpy(np.float64)
    # Regressed partitions first, then by the first metric's difference.
    order = np.lexsort((np.where(np.isnan(first), np.inf, first), ~regressed))
    shown = order[: max(max_rows, int(regressed.sum()))]
    header = "".join(
        f"<th>{_escape(m)}<br>{_escape(f)}</th>" for m in metrics for f in FIELDS
    )
    reliable = table["reliable"].to_numpy(bool)
    body = []
    for position in shown:
        label = _escape(format_partition_label(table.index[position]))
        cells = [f"<th>{label}</th>"]
        for metric in metrics:
            for field in FIELDS:
                value = table[(metric, field)].iat[position]
                hit = (
                    field == "difference" and table[(metric, "regressed")].iat[position]
                )
                style = f' style="{REGRESSED_STYLE}"' if hit else ""
                cells.append(f"<td{style}>{_number(value)}</td>")
        cells.append(f"<td>{_number(table['n_samples'].iat[position])}</td>")
        cells.append(f"<td>{'yes' if reliable[position] else 'no'}</td>")
        if regressed[position]:
            style = f' style="{REGRESSED_STYLE}"'
        elif not reliable[position]:
            style = f' style="{UNRELIABLE_STYLE}"'
        else:
            style = ""
        body.append(f"<tr{style}>{''.join(cells)}</tr>")
    overall_rows = []
    for metric in metrics:
        row = comparison.overall.loc[metric]
        cells = "".join(f"<td>{_number(row[f])}</td>" for f in FIELDS)
        overall_rows.append(f"<tr><th>{_escape(metric)}</th>{cells}</tr>")
    overall_header = "".join(f"<th>{f}</th>" for f in ("metric", *FIELDS))
    hidden = len(table) - len(shown)
    info = "<th>n_samples</th><th>reliable</th>"
    note = (
        f"<p>{hidden} more partitions not shown (of {len(table)}); "
        "<code>comparison.by_partition</code> has them all.</p>"
        if hidden
        else ""
    )
    return (
        f"<div><p><b>{_escape(comparison._title())}</b></p>"
        "<p><b>All rows pooled</b></p>"
        f"{_table(overall_header, overall_rows)}"
        "<p><b>Partitions</b>, regressed first (highlighted)</p>"
        f"{_table(f'<th>partition</th>{header}{info}', body)}"
        f"{note}</div>"
    )


def _table(header: str, body: list[str]) -> str:
    return (
        f'<table class="dataframe" border="1"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _number(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "<i>undefined</i>"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    return f"{float(value):.4g}"


def _escape(text: Any) -> str:
    return html.escape(str(text), quote=True)
