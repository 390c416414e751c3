"""PartitionReport: per-partition metric values, their summary and a chart.

The report holds what scoring computed (with the bootstrap's results, when
there is one, passed in at construction) and renders it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._bootstrap.report_intervals import Bootstrap
from .._metrics.fairness import disparities
from .bootstrap_views import BootstrapViews, check_metric
from .charts import plot_report
from .html import report_html
from .tables import partition_tables, summary_table, tidy_table
from .text import WEIGHTINGS, report_text


class PartitionReport(BootstrapViews):
    """Metric values per partition, pooled over all rows, and their summary.

    Usually built by :func:`metrics_by_partition` or :func:`score_partitions`.

    Parameters
    ----------
    by_partition : DataFrame
        One row per partition, indexed by partition label (a MultiIndex for
        several group columns); one column per metric, then ``n_samples``,
        ``weight`` and ``reliable``.
    overall : Series
        Each metric computed on all rows pooled, indexed by metric name.
    greater_is_better : mapping of str to bool
        Direction of each metric, in report order: True for scores, False for
        losses and errors. Its keys are the report's metrics.
    min_partition_size : int, default=1
        The size under which partitions were marked unreliable.
    bootstrap : Bootstrap, default=None
        The bootstrap's replicates and intervals (``bootstrap_results`` of
        ``skpart._bootstrap.report_intervals``); None without a bootstrap.
    sample_weight : {"balanced", "array"} or None, default=None
        The weighting the values were computed with: ``"balanced"`` (classes
        balanced within each partition), ``"array"`` (row weights given) or
        None (unweighted).

    Attributes
    ----------
    by_partition, overall, greater_is_better, min_partition_size, sample_weight
        As given; ``metrics`` (list of str) are the keys of
        ``greater_is_better``.
    summary : DataFrame
        Aggregates of each metric over the reliable partitions.
    disparities : Series
        The fairness disparities of the rates in the report, by name.
    intervals, overall_intervals, overall_replicates : DataFrame or None
        The bootstrap's intervals and pooled replicates; None without one.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart import PartitionReport
    >>> report = PartitionReport.from_arrays(
    ...     {"accuracy": np.array([0.5, 1.0])}, partition_labels=["a", "b"],
    ...     n_samples=np.array([2, 3]), weight=np.array([2.0, 3.0]),
    ...     overall={"accuracy": 0.8}, greater_is_better={"accuracy": True})
    >>> report.summary.loc["accuracy", "worst_partition"]
    'a'
    """

    def __init__(
        self,
        by_partition: pd.DataFrame,
        overall: pd.Series,
        *,
        greater_is_better: Mapping[str, bool],
        min_partition_size: int = 1,
        bootstrap: Bootstrap | None = None,
        sample_weight: str | None = None,
    ) -> None:
        if sample_weight not in WEIGHTINGS:
            raise ValueError(
                f"sample_weight={sample_weight!r} is not a weighting a report "
                f"records; use one of {list(WEIGHTINGS)}."
            )
        self._sample_weight = sample_weight
        self._metrics = list(greater_is_better)
        missing = [m for m in self._metrics if m not in by_partition.columns]
        if missing:
            raise ValueError(f"by_partition has no column for metrics {missing}.")
        self._by_partition = by_partition
        self._overall = overall
        self._greater_is_better = dict(greater_is_better)
        self._min_partition_size = min_partition_size
        self._bootstrap = bootstrap
        # Derived once from what was passed, by the tables module: held after.
        self._summary = summary_table(
            by_partition,
            self._greater_is_better,
            None if bootstrap is None else bootstrap.summary_intervals,
        )
        self._disparities = disparities(self._summary)

    @property
    def by_partition(self) -> pd.DataFrame:
        """One row per partition: the metrics, then n_samples, weight, reliable.

        With a bootstrap, also ``n_effective``: the size its intervals'
        accuracy depends on (the rarer class's rows under balanced weights,
        Kish's ``(sum w)^2 / sum w^2`` under row weights, else its rows).
        """
        return self._by_partition

    @property
    def overall(self) -> pd.Series:
        """Each metric on all rows pooled, with the same weights."""
        return self._overall

    @property
    def metrics(self) -> list[str]:
        """Metric names, in column order."""
        return list(self._metrics)

    @property
    def greater_is_better(self) -> dict[str, bool]:
        """Direction of each metric: True for scores, False for losses."""
        return dict(self._greater_is_better)

    @property
    def min_partition_size(self) -> int:
        """Partitions with fewer rows are not reliable and not summarised."""
        return self._min_partition_size

    @property
    def sample_weight(self) -> str | None:
        """The weighting used: ``"balanced"``, ``"array"`` or None (unweighted).

        ``"balanced"``: every class present in a partition carries equal
        weight there (``score_partitions``' default for classifiers);
        ``"array"``: the row weights given; None: every row weighs 1
        (``metrics_by_partition``'s default). The views say it too.
        """
        return self._sample_weight

    @property
    def summary(self) -> pd.DataFrame:
        """Aggregates of each metric over reliable partitions.

        Index: metric. Columns ``worst``, ``best``, ``mean``, ``std``
        (ddof=0), ``gap`` (``|best - worst|``), ``ratio`` (smallest /
        largest), ``worst_partition`` and ``n_partitions``, over reliable
        partitions with a defined (non-NaN) value; ``worst`` is the minimum of
        a score, the maximum of a loss. With a bootstrap it gains
        ``worst_low``, ``worst_high``, ``gap_low``, ``gap_high``,
        ``mean_low``, ``mean_high`` and ``worst_share`` (the share of
        replicates in which ``worst_partition`` is the worst), each over
        the same partitions (docs: "Uncertainty").
        """
        return self._summary

    @property
    def disparities(self) -> pd.Series:
        """Fairness disparities of the rates in the report, equal to Fairlearn's.

        ``demographic_parity_difference`` / ``_ratio`` (from
        ``selection_rate``), ``equal_opportunity_difference`` / ``_ratio``
        (``true_positive_rate``) and ``equalized_odds_difference`` / ``_ratio``
        (``true_positive_rate`` and ``false_positive_rate``), over the
        partitions the summary counts; only those whose rates were scored.
        """
        return self._disparities

    @classmethod
    def from_arrays(
        cls,
        values: Mapping[str, np.ndarray],
        *,
        partition_labels: Any,
        n_samples: np.ndarray,
        weight: np.ndarray,
        overall: Mapping[str, float],
        greater_is_better: Mapping[str, bool],
        min_partition_size: int = 1,
        bootstrap: Bootstrap | None = None,
        sample_weight: str | None = None,
        n_effective: np.ndarray | None = None,
    ) -> PartitionReport:
        """Build a report from per-partition arrays (cheap: one DataFrame).

        Parameters
        ----------
        values : mapping of str to ndarray of shape (n_partitions,)
            Metric values per partition, in metric order.
        partition_labels : Index, MultiIndex or array-like of shape (n_partitions,)
            Partition labels.
        n_samples, weight, n_effective : ndarray of shape (n_partitions,)
            Rows, sum of weights and (with a bootstrap; None leaves the column
            out) effective size per partition.
        overall : mapping of str to float
            Each metric on all rows pooled.
        greater_is_better, min_partition_size, bootstrap, sample_weight
            As for the class.

        Returns
        -------
        PartitionReport
        """
        by_partition, overall = partition_tables(
            values,
            partition_labels=partition_labels,
            n_samples=n_samples,
            weight=weight,
            overall=overall,
            min_partition_size=min_partition_size,
            n_effective=n_effective,
        )
        return cls(
            by_partition,
            overall,
            greater_is_better=greater_is_better,
            min_partition_size=min_partition_size,
            bootstrap=bootstrap,
            sample_weight=sample_weight,
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy long form: one row per (partition, metric).

        Returns
        -------
        DataFrame
            Columns ``partition`` (a tuple for several group columns),
            ``metric``, ``value`` and ``n_samples``, then ``low`` and
            ``high`` with bootstrap intervals; metric-major order.
        """
        return tidy_table(self.by_partition, self.metrics, self.intervals)

    def plot(
        self, metric: str | None = None, ax: Any = None, *, top: int | None = None
    ) -> Any:
        """Plot one metric with one dot per partition, worst first.

        The value axis is fitted to the data, so close values stay apart. Tick
        labels give each partition's row count; partitions under
        ``min_partition_size`` rows are hollow grey dots, undefined (NaN)
        values are marked "undefined", intervals (when the report has them)
        are drawn through the dots, and a dashed line marks the overall value.

        Parameters
        ----------
        metric : str, default=None
            Metric to plot; the first metric when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        top : int, default=None
            Show only the ``top`` worst partitions among those with at least
            ``min_partition_size`` rows and a defined value. When None, all
            partitions if there are at most 30, else the 30 worst; the title
            says how many of how many are shown.

        Returns
        -------
        matplotlib.axes.Axes

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import numpy as np
        >>> from skpart import metrics_by_partition
        >>> report = metrics_by_partition(
        ...     np.array([0, 1, 1, 0, 1, 1]), np.array([0, 1, 0, 0, 1, 1]),
        ...     np.array(["a", "a", "a", "b", "b", "b"]), metrics=["accuracy"])
        >>> ax = report.plot("accuracy", top=1)
        >>> [label.get_text() for label in ax.get_yticklabels()]
        ['a (n=3)']
        """
        return plot_report(
            self, check_metric(metric, self.metrics, "report"), ax=ax, top=top
        )

    def __repr__(self) -> str:
        return report_text(self)

    def _repr_html_(self) -> str:
        return report_html(self)
