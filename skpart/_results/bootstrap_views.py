"""The bootstrap's views of a result: intervals and replicates, held as computed.

:class:`~skpart.PartitionReport` reads its bootstrap through these; the
``Bootstrap`` they read is built by ``skpart._bootstrap.report_intervals``.
"""

from __future__ import annotations

import pandas as pd


def check_metric(metric: str | None, metrics: list[str], holder: str) -> str:
    """Return ``metric``, or the first of ``metrics`` when None; refuse others.

    ``holder`` names the result in the message ("report", "comparison").
    """
    if metric is None:
        return metrics[0]
    if metric not in metrics:
        raise ValueError(
            f"metric={metric!r} is not in this {holder}; choose one of {metrics}."
        )
    return metric


class BootstrapViews:
    """The bootstrap's intervals and replicates of a report (None without one).

    A base of :class:`~skpart.PartitionReport`, which sets ``_bootstrap``,
    ``_metrics`` and ``_by_partition``.
    """

    @property
    def intervals(self) -> pd.DataFrame | None:
        """Per-partition bootstrap intervals; None without a bootstrap.

        Index as ``by_partition``; columns a MultiIndex ``(metric, "low" |
        "high")``. NaN where fewer than 90% of the replicates are defined.
        """
        return None if self._bootstrap is None else self._bootstrap.intervals

    @property
    def overall_intervals(self) -> pd.DataFrame | None:
        """Bootstrap intervals of the pooled values (index metric; low, high)."""
        return None if self._bootstrap is None else self._bootstrap.overall_intervals

    @property
    def confidence_level(self) -> float | None:
        """Level of the bootstrap intervals; None without a bootstrap."""
        return None if self._bootstrap is None else self._bootstrap.confidence_level

    def replicates(self, metric: str) -> pd.DataFrame:
        """Bootstrap replicate values of one metric.

        Parameters
        ----------
        metric : str
            One of :attr:`metrics`.

        Returns
        -------
        DataFrame
            One row per replicate, one column per partition (NaN where the
            metric is undefined in a replicate).
        """
        metric = check_metric(metric, self.metrics, "report")
        if self._bootstrap is None:
            raise ValueError(
                "this report has no bootstrap replicates; score with n_boot=B "
                "(e.g. n_boot=1000) to get them."
            )
        return pd.DataFrame(
            self._bootstrap.replicates[metric],
            columns=self._by_partition.index,
        ).rename_axis("replicate")

    @property
    def overall_replicates(self) -> pd.DataFrame | None:
        """Bootstrap replicate values of the pooled metrics; None without a bootstrap.

        One row per replicate, one column per metric (NaN where the metric is
        undefined in a replicate).
        """
        if self._bootstrap is None:
            return None
        return pd.DataFrame(self._bootstrap.overall, columns=self._metrics).rename_axis(
            "replicate"
        )
