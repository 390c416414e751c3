"""PartitionComparison: what compare_partitions computed, held and rendered.

The intervals, p-values and Benjamini-Hochberg decisions are computed by
:func:`~skpart.compare_partitions` (``skpart._adapters.compare_partitions``);
the comparison holds its tables and replicate differences, and derives only
views of them (the tidy regressions, the verdict, a chart, HTML).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .bootstrap_views import check_metric
from .charts import plot_comparison
from .html import comparison_html
from .report import PartitionReport
from .text import comparison_text

#: Fields of each metric in ``by_partition`` and ``overall``, in column order.
FIELDS = ("baseline", "candidate", "difference", "low", "high", "p_value", "regressed")


class PartitionComparison:
    """A candidate model against a baseline, per partition, on paired replicates.

    Built by :func:`compare_partitions`. Differences are in the direction
    "positive is better": ``candidate - baseline`` for scores, ``baseline -
    candidate`` for losses and errors, so a negative difference is a
    regression whatever the metric.

    Parameters
    ----------
    baseline_report, candidate_report : PartitionReport
        The two reports, on the same bootstrap replicates.
    by_partition : DataFrame
        The per-partition table (see Attributes).
    overall : DataFrame
        The pooled table (see Attributes).
    differences : mapping of str to ndarray of shape (n_boot, n_partitions)
        Each metric's paired replicate differences ("positive is better").
    tolerance : mapping of str to float
        Each metric's drop that was not counted as a regression.
    confidence_level : float
        Level of the intervals; ``1 - confidence_level`` is the FDR.

    Attributes
    ----------
    by_partition : DataFrame
        Index: the partition labels. Columns: a MultiIndex ``(metric,
        field)`` with fields ``baseline``, ``candidate``, ``difference``,
        ``low``, ``high`` (percentile interval of the replicate differences),
        ``p_value`` (one-sided, for "worse by more than the metric's
        tolerance": a studentised tail of the paired replicates, see
        :func:`compare_partitions`; NaN where not tested) and ``regressed``;
        then ``n_samples`` and ``reliable``.
    overall : DataFrame
        Index: metric; the same fields on all rows pooled.
    regressions : DataFrame
        The (partition, metric) cells that regressed, one row each.
    passed : bool
        True when no reliable partition regressed on any metric.
    baseline_report, candidate_report : PartitionReport
        The two reports, with their bootstrap replicates.
    metrics : list of str
    tolerance : dict of str to float
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
    ...     baseline, candidate, X, y, groups, n_boot=400, random_state=0)
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
        by_partition: pd.DataFrame,
        overall: pd.DataFrame,
        differences: Mapping[str, np.ndarray],
        tolerance: Mapping[str, float],
        confidence_level: float,
    ) -> None:
        self._baseline = baseline_report
        self._candidate = candidate_report
        self._by_partition = by_partition
        self._overall = overall
        self._differences = dict(differences)
        self._tolerance = {metric: float(value) for metric, value in tolerance.items()}
        self._level = float(confidence_level)

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
    def tolerance(self) -> dict[str, float]:
        """Per metric, the drop (in its units) that is not a regression."""
        return dict(self._tolerance)

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
        metric = check_metric(metric, self.metrics, "comparison")
        return pd.DataFrame(
            self._differences[metric], columns=self._by_partition.index
        ).rename_axis("replicate")

    def plot(
        self, metric: str | None = None, ax: Any = None, *, top: int | None = None
    ) -> Any:
        """Plot each partition's difference with its interval, worst first.

        Regressed partitions are red, partitions under ``min_partition_size``
        rows hollow grey; a line marks zero (no change) and, with a
        tolerance, a dotted line marks minus the metric's tolerance.

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
        ...     model, model, X, y, ["a", "b"] * 10, n_boot=400, random_state=0)
        >>> ax = comparison.plot()
        >>> ax.get_xlabel()
        'accuracy: candidate - baseline (higher is better)'
        """
        metric = check_metric(metric, self.metrics, "comparison")
        return plot_comparison(self, metric, ax=ax, top=top)

    def __repr__(self) -> str:
        return comparison_text(self)

    def _repr_html_(self) -> str:
        return comparison_html(self)
