"""The engine's last stage: summed statistics into a PartitionReport.

:class:`~skpart.PartitionMetrics` prepares, accumulates and merges; this
module finalises its plan and state. The final row weights are applied
(:func:`finalise`), every named metric is computed for all partitions and
replicates at once, the user callables run over their kept rows, and the
report is built with its warnings: undefined values, binned AUCs that may be
off, and intervals with too few defined replicates.
"""

from __future__ import annotations

import numpy as np

from .._bootstrap.report_intervals import bootstrap_results
from .._messages import truncate, warn
from .._metrics.kernels import binned_auc_bound, finalise
from .._metrics.statistics import SCORE_BINS
from .._results.report import PartitionReport
from .callables import CallableRows, callable_values
from .plan import ScoringPlan
from .state import AccumulatorState
from .undefined import warn_undefined

#: roc_auc_binned warns where it may be further than this from the exact AUC.
BINNED_AUC_TOLERANCE = 0.005

#: Metrics that are shares of rows (or of pairs, for the AUCs), in [0, 1]:
#: their intervals leave the boundary by a Wilson interval where the
#: replicates cannot vary (docs/uncertainty.rst).
PROPORTIONS = frozenset(
    {
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "selection_rate",
        "true_positive_rate",
        "false_positive_rate",
        "true_negative_rate",
        "false_negative_rate",
        "roc_auc",
        "roc_auc_binned",
    }
)

#: Effective size below which a partition's intervals are named in a warning:
#: in the simulations of docs/uncertainty.rst every cell from 41 effective
#: rows up covered 0.93-0.97 at 95%, while cells of 5 to 28 fell to 0.84-0.91.
MIN_EFFECTIVE_SIZE = 40


def build_report(
    plan: ScoringPlan,
    state: AccumulatorState,
    *,
    min_partition_size: int,
    confidence_level: float,
) -> PartitionReport:
    """Finalise an accumulator's statistics into a report.

    Parameters
    ----------
    plan : ScoringPlan
        The metrics, weighting and bootstrap seed the statistics follow.
    state : AccumulatorState
        The statistics (at least one batch), codebooks and kept rows; left as
        they are.
    min_partition_size : int
    confidence_level : float

    Returns
    -------
    PartitionReport
    """
    stats, partition_labels, order = state.report_statistics()
    rows, positive = state.rows, plan.positive_class(state.classes)
    metrics, balanced = plan.metrics, plan.weighting == "balanced"
    final = finalise(
        stats, balanced=balanced, positive=positive, n_classes=stats.n_classes
    )
    # The finalised view holds the rank record joined into single arrays:
    # the per-batch copy renumbered by reorder() is not needed through
    # the sorts that follow (40 MB of 10 million rows).
    stats.rank = None
    pooled = final.pooled()
    values, overall = {}, {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for metric in metrics:
            if metric.kernel is not None:
                values[metric.name] = _defined(metric.kernel(final), final)
                overall[metric.name] = _defined(metric.kernel(pooled), pooled)[:, 0]
    errors = {}
    callables = plan.callables
    if callables:
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.shape[0])
        kept = CallableRows(
            rows, inverse, len(order), balanced=balanced, positive=positive
        )
        for metric in callables:
            values[metric.name], overall[metric.name], errors[metric.name] = (
                callable_values(
                    metric, kept, seed=plan.seed, n_replicates=stats.n_replicates
                )
            )
    names = [m.name for m in metrics]
    greater_is_better = {m.name: m.greater_is_better for m in metrics}
    n_samples = final.n_rows[0].astype(np.int64)
    reliable = n_samples >= min_partition_size  # the report's `reliable`
    boot = n_effective = None
    if stats.n_replicates > 1:
        n_effective = effective_sizes(final, state.weight_squares[order], balanced)
        sizes = {name: _metric_size(name, final, n_effective) for name in names}
        boot = bootstrap_results(
            {name: values[name][1:] for name in names},
            {name: overall[name][1:] for name in names},
            point={name: values[name][0] for name in names},
            partition_labels=partition_labels,
            reliable=reliable,
            greater_is_better=greater_is_better,
            confidence_level=confidence_level,
            proportion_sizes={
                name: size for name, size in sizes.items() if name in PROPORTIONS
            },
        )
    report = PartitionReport.from_arrays(
        {name: values[name][0] for name in names},
        partition_labels=partition_labels,
        n_samples=n_samples,
        weight=final.weight[0],
        overall={name: float(overall[name][0]) for name in names},
        greater_is_better=greater_is_better,
        min_partition_size=min_partition_size,
        bootstrap=boot,
        n_effective=n_effective,
        # Row weights in any batch make every row weighted.
        sample_weight="balanced" if balanced else "array" if stats.weighted else None,
    )
    warn_undefined(report, final, errors, metrics)
    if any(m.name == "roc_auc_binned" for m in metrics):
        _warn_loose_bins(report, final, pooled)
    if boot is not None:
        _warn_too_few(boot)
        _warn_small_effective(report, np.min(list(sizes.values()), axis=0))
    return report


def effective_sizes(final, weight_squares: np.ndarray, balanced: bool) -> np.ndarray:
    """Each partition's effective size, what its intervals' accuracy depends on.

    Under balanced weights, the rows of its rarer class present (each class
    weighs the same, so the rarer one bounds what is known); under row
    weights, Kish's ``(sum w)^2 / sum w^2``; otherwise its rows.
    """
    if balanced and final.class_rows is not None:
        rows = final.class_rows[0]
        present = np.where(rows > 0, rows, np.inf).min(axis=-1)
        return np.where(np.isfinite(present), present, 0.0)
    weight = final.raw_weight[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        kish = weight * weight / weight_squares
    return np.where(weight_squares > 0, kish, 0.0)


def _metric_size(name: str, final, n_effective: np.ndarray) -> np.ndarray:
    """Return the effective rows one metric's value rests on, per partition.

    ``n_effective``, except that a rate given the true class counts only
    that class's rows, and the AUC and the balanced accuracy are bounded by
    the rarer class (10 positives among 200 rows are 10 rows for an AUC).
    """
    if final.class_rows is None or final.class_rows.shape[-1] < 2:
        return n_effective
    rows = final.class_rows[0]
    positives = rows[:, final.positive]
    negatives = rows.sum(axis=-1) - positives
    if name in ("recall", "true_positive_rate", "false_negative_rate"):
        return np.minimum(n_effective, positives)
    if name in ("false_positive_rate", "true_negative_rate"):
        return np.minimum(n_effective, negatives)
    if name in ("roc_auc", "roc_auc_binned", "balanced_accuracy"):
        present = np.where(rows > 0, rows, np.inf).min(axis=-1)
        return np.minimum(n_effective, np.where(np.isfinite(present), present, 0.0))
    return n_effective


def _warn_small_effective(report: PartitionReport, size: np.ndarray) -> None:
    """Name the counted partitions whose effective size is below the measured one."""
    table = report.by_partition
    small = table["reliable"].to_numpy(bool) & (size < MIN_EFFECTIVE_SIZE)
    if small.any():
        warn(
            f"{small.sum()} partition(s) {truncate(table.index[small])} have an "
            f"effective size below {MIN_EFFECTIVE_SIZE} (by_partition's "
            "n_effective: the rarer class's rows under balanced weights, Kish's "
            "size under row weights; for roc_auc and the rates given the true "
            "class, the rows of the class they rest on), where the bootstrap "
            "intervals were not measured near their level: read their "
            "intervals as rough. Merge them, or raise min_partition_size."
        )


def _defined(values: np.ndarray, final) -> np.ndarray:
    """NaN where a partition's weights sum to 0 (sklearn raises there)."""
    values = np.array(values, dtype=np.float64)
    values[final.weight == 0] = np.nan
    return values


def _warn_loose_bins(report: PartitionReport, final, pooled) -> None:
    """Name where roc_auc_binned may be off by more than BINNED_AUC_TOLERANCE."""
    bound = binned_auc_bound(final)[0]
    loose = report.by_partition["reliable"].to_numpy(bool) & (
        bound > BINNED_AUC_TOLERANCE
    )
    parts = []
    if loose.any():
        labels = report.by_partition.index[loose]
        parts.append(
            f"{loose.sum()} partition(s) {truncate(labels)} (up to "
            f"{np.nanmax(bound[loose]):.3g})"
        )
    pooled_bound = float(binned_auc_bound(pooled)[0, 0])
    if pooled_bound > BINNED_AUC_TOLERANCE:
        parts.append(f"all rows pooled (up to {pooled_bound:.3g})")
    if parts:
        warn(
            f"roc_auc_binned may differ from the exact ROC AUC by more than "
            f"{BINNED_AUC_TOLERANCE} on {' and '.join(parts)}: their scores "
            f"crowd into few of the {SCORE_BINS} bins of [0, 1]. Use 'roc_auc' "
            "(exact) for them."
        )


def _warn_too_few(boot) -> None:
    parts = [
        f"{metric!r} on {truncate(labels)}"
        for metric, labels in boot.too_few.items()
        if labels
    ]
    if boot.summary_too_few:
        parts.append(
            f"the summary's aggregates of {truncate(boot.summary_too_few)} "
            "(a replicate in which any partition the summary counts is "
            "undefined is undefined for them)"
        )
    if parts:
        warn(
            "Fewer than 90% of the bootstrap replicates are defined, so the "
            f"interval is NaN, for {'; '.join(parts)} (small partitions, or one "
            "class in many replicates). Merge small partitions or raise "
            "min_partition_size."
        )
