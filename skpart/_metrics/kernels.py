"""Named metrics as functions of finalised statistics, for all partitions at once.

:func:`finalise` applies the weighting that needs whole partitions (the
``"balanced"`` rescaling, from each partition's class totals) to the summed
statistics; each kernel then turns them into one value per (replicate,
partition) with NumPy only. Each value equals the scikit-learn (or Fairlearn)
function of the same meaning on that partition's rows and weights, NaN where
that function raises or returns NaN. Precision, recall and F1 follow sklearn's
``zero_division=np.nan``: a 0/0 is undefined (NaN, named by the engine's
warning), never a silent 0 that could make a partition the worst.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .axis_sums import axis_sum
from .division import divide
from .ranks import FinalisedRankRecord
from .statistics import Statistics


@dataclass
class Finalised:
    """Statistics with the final weights applied, shaped (R, P, ...).

    ``pooled()`` gives the same for all rows as one partition (P = 1).
    """

    n_rows: np.ndarray
    weight: np.ndarray
    raw_weight: np.ndarray  # before balancing (selection_rate reads it)
    class_rows: np.ndarray | None  # rows per true class
    confusion: np.ndarray | None
    raw_confusion: np.ndarray | None
    present: np.ndarray | None
    log_loss: np.ndarray | None
    brier: np.ndarray | None
    # Left unbalanced per partition: a factor per (partition, class) cancels
    # in the binned AUC and its bound; pooled() applies histogram_factor.
    score_histogram: np.ndarray | None
    histogram_factor: np.ndarray | None
    moments: dict | None
    rank: FinalisedRankRecord | None
    positive: int
    n_classes: int

    def pooled(self) -> Finalised:
        """All rows as one partition, with the same row weights."""

        def total(array):
            return None if array is None else array.sum(axis=1, keepdims=True)

        moments = None
        if self.moments is not None:
            moments = _pooled_moments(self.moments, self.weight)
        rank = None if self.rank is None else self.rank.pooled()
        return replace(
            self,
            n_rows=total(self.n_rows),
            weight=total(self.weight),
            raw_weight=total(self.raw_weight),
            class_rows=total(self.class_rows),
            confusion=total(self.confusion),
            raw_confusion=total(self.raw_confusion),
            present=None
            if self.present is None
            else self.present.any(1, keepdims=True),
            log_loss=total(self.log_loss),
            brier=total(self.brier),
            score_histogram=_pooled_histogram(
                self.score_histogram, self.histogram_factor
            ),
            histogram_factor=None,
            moments=moments,
            rank=rank,
        )

    # Label sums, shape (R, P, K), computed once for all kernels.
    @cached_property
    def true_sum(self) -> np.ndarray:
        return axis_sum(self.confusion, -1)

    @cached_property
    def pred_sum(self) -> np.ndarray:
        return axis_sum(self.confusion, -2)

    @property
    def tp_sum(self) -> np.ndarray:
        return np.diagonal(self.confusion, axis1=-2, axis2=-1)


def finalise(
    stats: Statistics, *, balanced: bool, positive: int, n_classes: int
) -> Finalised:
    """Apply the final row weights to ``stats``.

    With ``balanced``, every row of class ``t`` in partition ``p`` weighs
    ``n_p / (k_p * n_pt)`` (``compute_sample_weight("balanced")`` within the
    partition, recomputed on each replicate from its own class totals).
    """
    confusion, raw_confusion = stats.confusion, stats.confusion
    log_loss, brier, weight = stats.log_loss, stats.brier, stats.weight
    factor = None
    if balanced:
        factor = balance_factor(_class_counts(stats))
        if confusion is not None:
            confusion = confusion * factor[..., None]
        if log_loss is not None:
            log_loss = log_loss * factor
        if brier is not None:
            brier = brier * factor[..., None]
        weight = axis_sum(_class_counts(stats) * factor)
    present = None
    if stats.confusion is not None:
        rows = stats.confusion if stats.confusion_rows is None else stats.confusion_rows
        present = (axis_sum(rows, -1) > 0) | (axis_sum(rows, -2) > 0)
    return Finalised(
        n_rows=stats.n_rows,
        weight=weight,
        raw_weight=stats.weight,
        class_rows=stats.class_rows,
        confusion=confusion,
        raw_confusion=raw_confusion,
        present=present,
        log_loss=log_loss,
        brier=brier,
        score_histogram=stats.score_histogram,
        histogram_factor=factor,
        moments=stats.moments,
        rank=_finalised_ranks(stats, factor),
        positive=positive,
        n_classes=n_classes,
    )


def _finalised_ranks(
    stats: Statistics, factor: np.ndarray | None
) -> FinalisedRankRecord | None:
    if stats.rank is None or not stats.rank.codes:
        return None
    return stats.rank.finalised(
        factor,
        seed=stats.seed,
        n_replicates=stats.n_replicates,
        n_partitions=stats.n_partitions,
    )


def _class_counts(stats: Statistics) -> np.ndarray:
    """Rows per (replicate, partition, true class)."""
    return stats.class_rows


def balance_factor(counts: np.ndarray) -> np.ndarray:
    """``n_p / (k_p * n_pt)`` per class, 0 for absent classes; shape of counts."""
    n_p = axis_sum(counts, keepdims=True)
    k_p = axis_sum(counts != 0, keepdims=True)
    denominator = k_p * counts
    out = np.zeros(counts.shape)
    # Same operation order as sklearn's compute_class_weight.
    np.divide(
        np.broadcast_to(n_p, counts.shape), denominator, out=out, where=denominator != 0
    )
    return out


def _pooled_histogram(histogram, factor):
    """Sum the partitions' histograms, each class weighed by its factor."""
    if histogram is None or factor is None:
        return None if histogram is None else histogram.sum(axis=1, keepdims=True)
    # A class at a time: a temporary of one class's bins, not of all.
    pooled = np.empty(histogram.shape[:1] + (1,) + histogram.shape[2:])
    for k in range(histogram.shape[2]):
        pooled[:, 0, k] = np.einsum("rp,rpb->rb", factor[..., k], histogram[:, :, k])
    return pooled


def _pooled_moments(moments: dict, weight: np.ndarray) -> dict:
    """Pool the moments of the partitions into those of all rows."""
    total = weight.sum(axis=1, keepdims=True)
    share = divide(weight, total)
    mean = (share * moments["mean"]).sum(axis=1, keepdims=True)
    spread = (weight * (moments["mean"] - mean) ** 2).sum(axis=1, keepdims=True)
    return dict(
        mean=mean,
        m2=moments["m2"].sum(axis=1, keepdims=True) + spread,
        sse=moments["sse"].sum(axis=1, keepdims=True),
        sae=moments["sae"].sum(axis=1, keepdims=True),
        y_min=np.min(moments["y_min"], keepdims=True),
        y_max=np.max(moments["y_max"], keepdims=True),
    )


# --- label metrics ---------------------------------------------------------


def _mean_over_present(per_class: np.ndarray, s: Finalised) -> np.ndarray:
    """Macro average over the classes present in the partition (sklearn's set).

    Classes whose value is undefined (0/0) are left out, as sklearn's
    ``_nanaverage`` does with ``zero_division=np.nan``; NaN if none is left.
    """
    counted = s.present & ~np.isnan(per_class)
    total = axis_sum(np.where(counted, per_class, 0.0))
    return divide(total, axis_sum(counted), np.nan)


# Per class, NaN where the denominator is 0: sklearn's zero_division=np.nan.


def _precision_per_class(s: Finalised) -> np.ndarray:
    return divide(s.tp_sum, s.pred_sum, np.nan)


def _recall_per_class(s: Finalised) -> np.ndarray:
    return divide(s.tp_sum, s.true_sum, np.nan)


def _f1_per_class(s: Finalised) -> np.ndarray:
    # sklearn's form 2 tp / (2 tp + fn + fp): NaN only without a row of the class.
    return divide(2 * s.tp_sum, s.true_sum + s.pred_sum, np.nan)


def accuracy(s: Finalised) -> np.ndarray:
    return divide(axis_sum(s.tp_sum), s.weight)


def balanced_accuracy(s: Finalised) -> np.ndarray:
    # Mean recall over the classes with weight in y_true; classes seen only in
    # y_pred (or only with weight 0) are dropped, as in sklearn.
    has_weight = s.true_sum > 0
    recall = np.where(has_weight, divide(s.tp_sum, s.true_sum), 0.0)
    return divide(axis_sum(recall), axis_sum(has_weight), np.nan)


def precision(s: Finalised) -> np.ndarray:
    return _precision_per_class(s)[..., s.positive]


def recall(s: Finalised) -> np.ndarray:
    return _recall_per_class(s)[..., s.positive]


def f1(s: Finalised) -> np.ndarray:
    return _f1_per_class(s)[..., s.positive]


def precision_macro(s: Finalised) -> np.ndarray:
    return _mean_over_present(_precision_per_class(s), s)


def recall_macro(s: Finalised) -> np.ndarray:
    return _mean_over_present(_recall_per_class(s), s)


def f1_macro(s: Finalised) -> np.ndarray:
    return _mean_over_present(_f1_per_class(s), s)


def f1_micro(s: Finalised) -> np.ndarray:
    tp = axis_sum(s.tp_sum)
    return divide(2 * tp, axis_sum(s.true_sum) + axis_sum(s.pred_sum), np.nan)


def f1_weighted(s: Finalised) -> np.ndarray:
    # An undefined class has no weight in y_true: leaving it out (sklearn's
    # _nanaverage) changes nothing but the NaN.
    per_class = np.nan_to_num(_f1_per_class(s), nan=0.0)
    return divide(axis_sum(per_class * s.true_sum), axis_sum(s.true_sum), np.nan)


# --- fairness rates (Fairlearn's conventions) ------------------------------


def selection_rate(s: Finalised) -> np.ndarray:
    # Depends on the class mix by definition: never balanced (raw weights).
    selected = axis_sum(s.raw_confusion, -2)[..., s.positive]
    return divide(selected, s.raw_weight, np.nan)


def _binary_cells(s: Finalised):
    """(tp, fn, fp, tn) weights of the positive class against the rest."""
    c, pos = s.confusion, s.positive
    # Sums of the cells themselves, never differences: 0 stays exactly 0.
    other = np.arange(c.shape[-1]) != pos
    tp = c[..., pos, pos]
    fn = axis_sum(c[..., pos, :] * other)
    fp = axis_sum(c[..., :, pos] * other)
    tn = axis_sum(axis_sum(c * (other[:, None] & other[None, :])))
    return tp, fn, fp, tn


# Fairlearn normalises sklearn's confusion matrix by rows, which is 0 for a
# class absent from y_true (sklearn's nan_to_num), hence the fill of 0.


def true_positive_rate(s: Finalised) -> np.ndarray:
    tp, fn, _, _ = _binary_cells(s)
    return divide(tp, tp + fn)


def false_negative_rate(s: Finalised) -> np.ndarray:
    tp, fn, _, _ = _binary_cells(s)
    return divide(fn, tp + fn)


def false_positive_rate(s: Finalised) -> np.ndarray:
    _, _, fp, tn = _binary_cells(s)
    return divide(fp, fp + tn)


def true_negative_rate(s: Finalised) -> np.ndarray:
    _, _, fp, tn = _binary_cells(s)
    return divide(tn, fp + tn)


# --- probability losses ----------------------------------------------------


def log_loss(s: Finalised) -> np.ndarray:
    return divide(axis_sum(s.log_loss), s.weight, np.nan)


def brier_score(s: Finalised) -> np.ndarray:
    return divide(axis_sum(s.brier[..., s.positive]), s.weight, np.nan)


# --- rank metrics ----------------------------------------------------------


def roc_auc(s: Finalised) -> np.ndarray:
    return s.rank.auc(0, s.positive)


def roc_auc_ovr(s: Finalised) -> np.ndarray:
    # roc_auc_score rejects a 2-column y_score for binary targets; sklearn's
    # "roc_auc_ovr" scorer then scores the positive class, which we follow.
    if s.n_classes == 2:
        return roc_auc(s)
    per_class = [s.rank.auc(k, k) for k in range(s.n_classes)]
    # A class absent from a partition makes its AUC NaN, hence the mean NaN:
    # sklearn raises when y_true lacks a class of y_score.
    macro = np.mean(per_class, axis=0)
    r = s.rank
    # sklearn's multiclass AUC rejects rows that do not sum to 1 (np.allclose).
    bad = ~np.isclose(1, r.scores.astype(np.float64).sum(axis=1))
    if bad.any():
        has_bad = np.bincount(r.group_codes[bad], minlength=r.n_partitions) > 0
        macro[:, has_bad] = np.nan
    return macro


def _binned_classes(s: Finalised):
    """Weights per bin of the positive class's rows and of the other's."""
    h = s.score_histogram
    positive = h[..., s.positive, :]
    other = [k for k in range(h.shape[-2]) if k != s.positive]
    negative = h[..., other[0], :] if other else np.zeros_like(positive)
    return positive, negative


def roc_auc_binned(s: Finalised) -> np.ndarray:
    # Each positive wins the negatives of lower bins and half those of its own:
    # sklearn's roc_auc_score of the scores replaced by their bin.
    positive, negative = _binned_classes(s)
    # credit = 2 x (negatives below + half those tied), built in place: with
    # 10,000 partitions each temporary is 80 MB.
    credit = np.zeros_like(negative)
    np.cumsum(negative[..., :-1], axis=-1, out=credit[..., 1:])
    credit *= 2
    credit += negative
    credit *= positive
    wins = 0.5 * credit.sum(axis=-1)
    return divide(wins, positive.sum(axis=-1) * negative.sum(axis=-1), np.nan)


def binned_auc_bound(s: Finalised) -> np.ndarray:
    """Largest possible ``|roc_auc - roc_auc_binned|``: shape (R, P).

    Only pairs of a positive and a negative row in the same bin can be
    credited differently: the exact AUC gives each 0, 1/2 or 1, the binned
    one 1/2.
    """
    positive, negative = _binned_classes(s)
    tied = np.einsum("...b,...b->...", positive, negative)
    return divide(0.5 * tied, positive.sum(axis=-1) * negative.sum(axis=-1), np.nan)


# --- regression ------------------------------------------------------------


def mean_squared_error(s: Finalised) -> np.ndarray:
    return divide(s.moments["sse"], s.weight, np.nan)


def root_mean_squared_error(s: Finalised) -> np.ndarray:
    return np.sqrt(mean_squared_error(s))


def mean_absolute_error(s: Finalised) -> np.ndarray:
    return divide(s.moments["sae"], s.weight, np.nan)


def r2(s: Finalised) -> np.ndarray:
    """R^2 with sklearn's ``force_finite`` rule, NaN below two rows.

    A constant target gets the rule (1.0 if perfect, else 0.0) from an exact
    test (its smallest and largest value are equal), where sklearn relies on
    its mean reproducing the constant bit for bit.
    """
    m = s.moments
    numerator, denominator = m["sse"], m["m2"].copy()
    constant = np.broadcast_to(m["y_min"] == m["y_max"], denominator.shape).copy()
    if denominator.shape[0] > 1:
        # A replicate may draw only rows of one value from a varied partition;
        # its M2 is then rounding noise: relative noise eps on the sums of
        # squared deviations (at most W range^2), plus the squared rounding
        # of the means Chan's merge compares (eps |y|, squared).
        eps = np.finfo(np.float64).eps
        spread = m["y_max"] - m["y_min"]
        size = np.maximum(np.abs(m["y_min"]), np.abs(m["y_max"]))
        noise = s.weight * (64 * eps) * (spread**2 + 64 * eps * size**2)
        constant[1:] |= denominator[1:] <= noise[1:]
    denominator[constant] = 0.0
    score = np.where(numerator == 0, 1.0, 0.0)
    valid = (numerator != 0) & (denominator != 0)
    score[valid] = 1 - numerator[valid] / denominator[valid]
    score[s.n_rows < 2] = np.nan
    return score
