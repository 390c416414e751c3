"""Vectorised per-partition metric kernels (NumPy only, never TensorFlow).

Every named metric is computed for all partitions at once from partition codes
(``codes[i]`` is the partition of row ``i``) with ``np.bincount`` and, for the
rank metrics, one global sort. Each value equals the scikit-learn function of
the same meaning called on that partition's rows with that partition's weights
(to a relative tolerance of 1e-9), with NaN where scikit-learn raises or
returns NaN.

Inputs are trusted: the caller has validated and encoded them. Classification
targets are class indices ``0..n_classes-1`` into the sorted classes, so the
"larger label" (the positive class of the binary metrics) is ``n_classes - 1``.

The binary metrics (``precision``, ``recall``, ``f1``, ``roc_auc``,
``brier_score``) are undefined for more than two classes; this module does not
raise for them (the caller validates, see ``Metric.binary_only``) and computes
the last class against the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

__all__ = [
    "METRICS",
    "LabelStatistics",
    "Metric",
    "ScoreOrder",
    "compute_named_metric",
    "compute_named_metrics",
    "label_statistics",
]


@dataclass(frozen=True)
class Metric:
    """A named, vectorised metric.

    Parameters
    ----------
    name : str
        The name users pass, as in the table of DESIGN.md.
    needs : {"labels", "proba", "values"}
        Predicted class indices, class probabilities, or regression values.
    greater_is_better : bool
        False for losses and errors (``log_loss``, ``brier_score``, the
        regression errors): their worst partition is the maximum.
    binary_only : bool, default=False
        True for metrics that sklearn defines for two classes only; the caller
        rejects them for multiclass targets.
    """

    name: str
    needs: str
    greater_is_better: bool
    binary_only: bool = False
    _kernel: Callable[[_Batch], np.ndarray] = field(
        default=None, repr=False, compare=False
    )


@dataclass(frozen=True)
class LabelStatistics:
    """Weighted per-partition, per-class counts shared by all label metrics.

    Each array has shape (n_partitions, n_classes).

    Attributes
    ----------
    true_sum : ndarray of float64
        Weight of the rows whose true class is the column's class.
    pred_sum : ndarray of float64
        Weight of the rows predicted as the column's class.
    tp_sum : ndarray of float64
        Weight of the rows both true and predicted as the column's class.
    present : ndarray of bool
        Whether the class occurs in the partition's ``y_true`` or ``y_pred``
        (counting rows of weight 0): sklearn's averages run over these labels.
    """

    true_sum: np.ndarray
    pred_sum: np.ndarray
    tp_sum: np.ndarray
    present: np.ndarray


def _per_class_sums(index, weight, n_partitions, n_classes):
    """Sum ``weight`` into a (n_partitions, n_classes) table by flat ``index``."""
    sums = np.bincount(index, weights=weight, minlength=n_partitions * n_classes)
    return sums.reshape(n_partitions, n_classes)


def label_statistics(
    *,
    codes: np.ndarray,
    n_partitions: int,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sample_weight: np.ndarray,
    n_classes: int,
) -> LabelStatistics:
    """Compute the per-class sums that every label metric is a function of.

    A (partition, class) table rather than a full confusion tensor: all label
    metrics need only true, predicted and true-positive weights per class, and
    this keeps memory at O(n_partitions * n_classes).

    Parameters
    ----------
    codes : ndarray of int64, shape (n_samples,)
        Partition of each row, in ``[0, n_partitions)``.
    n_partitions : int
        Number of partitions.
    y_true, y_pred : ndarray of int64, shape (n_samples,)
        Class indices in ``[0, n_classes)``.
    sample_weight : ndarray of float64, shape (n_samples,)
        Non-negative weights.
    n_classes : int
        Number of classes.

    Returns
    -------
    LabelStatistics
        The weighted sums and the presence table.
    """
    true_index = codes * n_classes + y_true
    pred_index = codes * n_classes + y_pred
    correct = y_true == y_pred
    shape = (n_partitions, n_classes)
    true_sum = _per_class_sums(true_index, sample_weight, *shape)
    pred_sum = _per_class_sums(pred_index, sample_weight, *shape)
    tp_sum = _per_class_sums(true_index[correct], sample_weight[correct], *shape)
    if np.all(sample_weight > 0):
        present = (true_sum > 0) | (pred_sum > 0)
    else:
        # sklearn finds labels by occurrence, so zero-weight rows count too.
        present = (_per_class_sums(true_index, None, *shape) > 0) | (
            _per_class_sums(pred_index, None, *shape) > 0
        )
    return LabelStatistics(true_sum, pred_sum, tp_sum, present)


class ScoreOrder:
    """Ascending argsort of each column of ``y_proba``, computed on first use.

    Pass one instance to the calls that score the same ``y_proba`` (for
    example per partition, then pooled) so that the rank metrics sort each
    column once.

    Parameters
    ----------
    y_proba : ndarray of float64, shape (n_samples, n_classes), or None
        The probabilities the calls receive.

    Examples
    --------
    >>> import numpy as np
    >>> ScoreOrder(np.array([[0.8, 0.2], [0.3, 0.7]]))[-1]
    array([0, 1])
    """

    def __init__(self, y_proba: np.ndarray | None) -> None:
        self.y_proba = y_proba
        self._orders: dict[int, np.ndarray] = {}

    def __getitem__(self, column: int) -> np.ndarray:
        column %= self.y_proba.shape[1]
        if column not in self._orders:
            self._orders[column] = np.argsort(self.y_proba[:, column])
        return self._orders[column]


@dataclass
class _Batch:
    """The inputs of one call, with statistics computed once on first use."""

    codes: np.ndarray
    n_partitions: int
    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_proba: np.ndarray | None
    sample_weight: np.ndarray
    n_classes: int | None
    score_order: ScoreOrder | None = None

    def __post_init__(self) -> None:
        if self.score_order is None:
            self.score_order = ScoreOrder(self.y_proba)

    def sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Sum ``values`` (row counts when None) per partition."""
        return np.bincount(self.codes, weights=values, minlength=self.n_partitions)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Weighted mean of ``values`` per partition (NaN where weight is 0)."""
        return _divide(self.sum(self.sample_weight * values), self.weight, np.nan)

    @cached_property
    def weight(self) -> np.ndarray:
        return self.sum(self.sample_weight)

    @cached_property
    def labels(self) -> LabelStatistics:
        return label_statistics(
            codes=self.codes,
            n_partitions=self.n_partitions,
            y_true=self.y_true,
            y_pred=self.y_pred,
            sample_weight=self.sample_weight,
            n_classes=self.n_classes,
        )


def _divide(numerator, denominator, fill=0.0):
    """``numerator / denominator``, ``fill`` where the denominator is 0.

    ``fill=0.0`` is sklearn's ``zero_division="warn"`` value.
    """
    out = np.full(np.shape(numerator), fill, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


# --- label metrics -------------------------------------------------------


def _precision_per_class(s: LabelStatistics) -> np.ndarray:
    return _divide(s.tp_sum, s.pred_sum)


def _recall_per_class(s: LabelStatistics) -> np.ndarray:
    return _divide(s.tp_sum, s.true_sum)


def _f1_per_class(s: LabelStatistics) -> np.ndarray:
    # sklearn's form 2 tp / (2 tp + fn + fp), which is 0 (not NaN) when empty.
    return _divide(2 * s.tp_sum, s.true_sum + s.pred_sum)


def _mean_over_present(per_class: np.ndarray, s: LabelStatistics) -> np.ndarray:
    """Macro average over the labels present in the partition (sklearn's set)."""
    return _divide(np.where(s.present, per_class, 0.0).sum(axis=1), s.present.sum(1))


def _accuracy(b: _Batch) -> np.ndarray:
    return _divide(b.labels.tp_sum.sum(axis=1), b.weight)


def _balanced_accuracy(b: _Batch) -> np.ndarray:
    # Mean recall over the classes with weight in y_true; classes seen only in
    # y_pred (or only with weight 0) are dropped, as in sklearn.
    s = b.labels
    has_weight = s.true_sum > 0
    recall = np.where(has_weight, _recall_per_class(s), 0.0)
    return _divide(recall.sum(axis=1), has_weight.sum(axis=1), np.nan)


def _f1_micro(b: _Batch) -> np.ndarray:
    s = b.labels
    tp = s.tp_sum.sum(axis=1)
    return _divide(2 * tp, s.true_sum.sum(axis=1) + s.pred_sum.sum(axis=1))


def _f1_weighted(b: _Batch) -> np.ndarray:
    s = b.labels
    return _divide((_f1_per_class(s) * s.true_sum).sum(axis=1), s.true_sum.sum(1))


# Module-level kernels (no closures) keep Metric objects picklable for joblib.
# The binary ones score the larger label, the macro ones average present labels.


def _precision(b: _Batch) -> np.ndarray:
    return _precision_per_class(b.labels)[:, -1]


def _recall(b: _Batch) -> np.ndarray:
    return _recall_per_class(b.labels)[:, -1]


def _f1(b: _Batch) -> np.ndarray:
    return _f1_per_class(b.labels)[:, -1]


def _precision_macro(b: _Batch) -> np.ndarray:
    return _mean_over_present(_precision_per_class(b.labels), b.labels)


def _recall_macro(b: _Batch) -> np.ndarray:
    return _mean_over_present(_recall_per_class(b.labels), b.labels)


def _f1_macro(b: _Batch) -> np.ndarray:
    return _mean_over_present(_f1_per_class(b.labels), b.labels)


# --- rank metrics --------------------------------------------------------

# Up to this many partitions, the codes fit the 16 bits of np.uint16.
_UINT16_CODES = np.iinfo(np.uint16).max + 1


def _tie_groups(codes_sorted, score_sorted):
    """Group ids of runs of equal (partition, score) in sorted rows."""
    starts = np.empty(codes_sorted.shape[0], dtype=bool)
    starts[:1] = True
    starts[1:] = (codes_sorted[1:] != codes_sorted[:-1]) | (
        score_sorted[1:] != score_sorted[:-1]
    )
    return np.cumsum(starts) - 1, codes_sorted[starts]


def _exclusive_cumsum_by_segment(values, segment):
    """Sum the ``values`` before each entry within its (sorted) segment."""
    # One global prefix sum minus each segment's start offset; the extended
    # precision (where the platform has it) keeps the subtraction from
    # cancelling digits of small partitions that follow large ones.
    before = np.cumsum(values, dtype=np.longdouble) - values
    new = np.empty(segment.shape[0], dtype=bool)
    new[:1] = True
    new[1:] = segment[1:] != segment[:-1]
    offsets = before[new][np.cumsum(new) - 1]
    return (before - offsets).astype(np.float64)


def _sort_by_partition_then_score(codes, score_order, n_partitions):
    """Row order by partition, then ascending score (ties in any order)."""
    # Tied scores form one group whatever their order, so an unstable sort of
    # the scores (``score_order``) then a stable one of the codes is enough,
    # and twice as fast as np.lexsort; one partition skips the second sort.
    if n_partitions < 2:
        return score_order
    if n_partitions <= _UINT16_CODES:
        codes = codes.astype(np.uint16)  # NumPy radix-sorts 16-bit integers
    return score_order[np.argsort(codes[score_order], kind="stable")]


def _binary_auc(b: _Batch, column: int, positive: np.ndarray) -> np.ndarray:
    """Weighted ROC AUC of ``y_proba[:, column]`` for ``positive`` rows.

    The area under sklearn's trapezoidal ROC curve equals the weighted
    Mann-Whitney statistic with half credit for tied scores, so one sort by
    (partition, score) and prefix sums of negative weight give every partition.
    NaN where a partition has no positive or no negative weight.
    """
    codes, n_partitions = b.codes, b.n_partitions
    order = _sort_by_partition_then_score(codes, b.score_order[column], n_partitions)
    score = b.y_proba[:, column]
    codes_sorted, w = codes[order], b.sample_weight[order]
    pos_w = np.where(positive[order], w, 0.0)
    group, group_code = _tie_groups(codes_sorted, score[order])
    pos_g = np.bincount(group, weights=pos_w)
    neg_g = np.bincount(group, weights=w - pos_w)
    neg_below = _exclusive_cumsum_by_segment(neg_g, group_code)
    wins = np.bincount(
        group_code, weights=pos_g * (neg_below + 0.5 * neg_g), minlength=n_partitions
    )
    pairs = np.bincount(group_code, weights=pos_g, minlength=n_partitions) * (
        np.bincount(group_code, weights=neg_g, minlength=n_partitions)
    )
    return _divide(wins, pairs, np.nan)


def _roc_auc(b: _Batch) -> np.ndarray:
    return _binary_auc(b, -1, b.y_true == b.n_classes - 1)


def _rows_not_normalised(b: _Batch) -> np.ndarray:
    """Partitions with a probability row sklearn's multiclass AUC rejects."""
    bad = ~np.isclose(1, b.y_proba.sum(axis=1))  # sklearn's np.allclose test
    return b.sum(bad.astype(np.float64)) > 0


def _roc_auc_ovr(b: _Batch) -> np.ndarray:
    # roc_auc_score rejects a 2-column y_score for binary targets; the
    # "roc_auc_ovr" scorer then scores the larger label, which we follow.
    if b.n_classes == 2:
        return _roc_auc(b)
    per_class = [_binary_auc(b, k, b.y_true == k) for k in range(b.n_classes)]
    # A class absent from a partition makes its AUC NaN, hence the mean NaN:
    # sklearn raises when y_true lacks a class of y_score.
    macro = np.mean(per_class, axis=0)
    macro[_rows_not_normalised(b)] = np.nan
    return macro


# --- probability losses --------------------------------------------------


def _log_loss(b: _Batch) -> np.ndarray:
    # sklearn 1.9 clips to [eps, 1 - eps] and does not renormalise rows.
    eps = np.finfo(b.y_proba.dtype).eps
    p_true = b.y_proba[np.arange(b.y_true.shape[0]), b.y_true]
    return b.mean(-np.log(np.clip(p_true, eps, 1 - eps)))


def _brier_score(b: _Batch) -> np.ndarray:
    # sklearn's two-column form halved; (1-t)-(1-p) keeps its rounding.
    p = b.y_proba[:, -1]
    t = (b.y_true == b.n_classes - 1).astype(np.float64)
    return 0.5 * b.mean(((1 - t) - (1 - p)) ** 2 + (t - p) ** 2)


# --- regression ----------------------------------------------------------


def _squared_error(b: _Batch) -> np.ndarray:
    return (b.y_true - b.y_pred) ** 2


def _mean_squared_error(b: _Batch) -> np.ndarray:
    return b.mean(_squared_error(b))


def _root_mean_squared_error(b: _Batch) -> np.ndarray:
    return np.sqrt(_mean_squared_error(b))


def _mean_absolute_error(b: _Batch) -> np.ndarray:
    return b.mean(np.abs(b.y_true - b.y_pred))


def _constant_target(b: _Batch) -> np.ndarray:
    """Partitions whose rows of positive weight share one ``y_true`` value."""
    weighted = b.sample_weight > 0
    reference = np.zeros(b.n_partitions)
    reference[b.codes[weighted]] = b.y_true[weighted]  # any such row will do
    differs = weighted & (b.y_true != reference[b.codes])
    return b.sum(differs.astype(np.float64)) == 0


def _r2(b: _Batch) -> np.ndarray:
    """R^2 with sklearn's ``force_finite`` rule, NaN below two rows.

    A constant target gets the rule (1.0 if perfect, else 0.0) from an exact
    test, where sklearn relies on its mean reproducing the constant bit for
    bit and otherwise divides by a rounding residue.
    """
    y_mean = b.mean(b.y_true)
    numerator = b.sum(b.sample_weight * _squared_error(b))
    deviation = b.y_true - y_mean[b.codes]
    denominator = b.sum(b.sample_weight * deviation**2)
    denominator[_constant_target(b)] = 0.0
    score = np.where(numerator == 0, 1.0, 0.0)
    valid = (numerator != 0) & (denominator != 0)
    score[valid] = 1 - numerator[valid] / denominator[valid]
    score[b.sum() < 2] = np.nan
    return score


# --- registry ------------------------------------------------------------


def _registry(*metrics: Metric) -> dict[str, Metric]:
    return {metric.name: metric for metric in metrics}


METRICS: dict[str, Metric] = _registry(
    Metric("accuracy", "labels", True, _kernel=_accuracy),
    Metric("balanced_accuracy", "labels", True, _kernel=_balanced_accuracy),
    Metric("precision", "labels", True, binary_only=True, _kernel=_precision),
    Metric("recall", "labels", True, binary_only=True, _kernel=_recall),
    Metric("f1", "labels", True, binary_only=True, _kernel=_f1),
    Metric("precision_macro", "labels", True, _kernel=_precision_macro),
    Metric("recall_macro", "labels", True, _kernel=_recall_macro),
    Metric("f1_macro", "labels", True, _kernel=_f1_macro),
    Metric("f1_micro", "labels", True, _kernel=_f1_micro),
    Metric("f1_weighted", "labels", True, _kernel=_f1_weighted),
    Metric("roc_auc", "proba", True, binary_only=True, _kernel=_roc_auc),
    Metric("roc_auc_ovr", "proba", True, _kernel=_roc_auc_ovr),
    Metric("log_loss", "proba", False, _kernel=_log_loss),
    Metric("brier_score", "proba", False, binary_only=True, _kernel=_brier_score),
    Metric("mean_squared_error", "values", False, _kernel=_mean_squared_error),
    Metric(
        "root_mean_squared_error", "values", False, _kernel=_root_mean_squared_error
    ),
    Metric("mean_absolute_error", "values", False, _kernel=_mean_absolute_error),
    Metric("r2", "values", True, _kernel=_r2),
)


def compute_named_metrics(
    names: Iterable[str],
    *,
    codes: np.ndarray,
    n_partitions: int,
    y_true: np.ndarray,
    y_pred: np.ndarray | None,
    y_proba: np.ndarray | None,
    sample_weight: np.ndarray,
    n_classes: int | None,
    score_order: ScoreOrder | None = None,
) -> dict[str, np.ndarray]:
    """Compute several named metrics per partition, sharing their statistics.

    The per-class label sums and the partition weights are computed once for
    all the metrics of the call.

    Parameters
    ----------
    names : iterable of str
        Keys of ``METRICS``.
    codes : ndarray of int64, shape (n_samples,)
        Partition of each row, in ``[0, n_partitions)``; every partition has
        at least one row. All zeros with ``n_partitions=1`` gives the overall
        value.
    n_partitions : int
        Number of partitions.
    y_true : ndarray, shape (n_samples,)
        Class indices (int64) for classification, values (float64) for
        regression.
    y_pred : ndarray of shape (n_samples,) or None
        Predicted class indices or values; needed by "labels" and "values"
        metrics.
    y_proba : ndarray of float64, shape (n_samples, n_classes), or None
        Class probabilities, columns in class order; needed by "proba" metrics.
    sample_weight : ndarray of float64, shape (n_samples,)
        Non-negative weights (ones when unweighted).
    n_classes : int or None
        Number of classes; None for regression.
    score_order : ScoreOrder, default=None
        The sorts of ``y_proba``'s columns, shared with other calls on the
        same ``y_proba``; None sorts them for this call only.

    Returns
    -------
    dict of str to ndarray of float64, shape (n_partitions,)
        One array per name, NaN where the metric is undefined for a partition
        (sklearn raises or returns NaN there, e.g. when its weights sum to 0).

    Examples
    --------
    >>> import numpy as np
    >>> out = compute_named_metrics(
    ...     ["accuracy"], codes=np.array([0, 0, 1]), n_partitions=2,
    ...     y_true=np.array([0, 1, 1]), y_pred=np.array([0, 0, 1]), y_proba=None,
    ...     sample_weight=np.ones(3), n_classes=2)
    >>> out["accuracy"]
    array([0.5, 1. ])
    """
    names = list(names)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; known: {sorted(METRICS)}.")
    if score_order is not None and score_order.y_proba is not y_proba:
        raise ValueError("score_order was made for another y_proba array.")
    batch = _Batch(
        codes,
        n_partitions,
        y_true,
        y_pred,
        y_proba,
        sample_weight,
        n_classes,
        score_order,
    )
    # sklearn raises when the weights of a partition sum to 0.
    no_weight = batch.weight == 0
    results = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in names:
            values = np.array(METRICS[name]._kernel(batch), dtype=np.float64)
            values[no_weight] = np.nan
            results[name] = values
    return results


def compute_named_metric(name: str, **inputs: Any) -> np.ndarray:
    """Compute one named metric per partition.

    Parameters
    ----------
    name : str
        A key of ``METRICS``.
    **inputs
        The keyword arguments of :func:`compute_named_metrics`.

    Returns
    -------
    ndarray of float64, shape (n_partitions,)
        The metric of each partition, NaN where it is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> compute_named_metric(
    ...     "mean_absolute_error", codes=np.array([0, 1, 1]), n_partitions=2,
    ...     y_true=np.array([1.0, 2.0, 3.0]), y_pred=np.array([1.5, 2.0, 2.0]),
    ...     y_proba=None, sample_weight=np.ones(3), n_classes=None)
    array([0.5, 0.5])
    """
    return compute_named_metrics([name], **inputs)[name]
