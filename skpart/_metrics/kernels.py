"""Named metrics as functions of finalised statistics, for all partitions at once.

:func:`finalise` applies the weighting that needs whole partitions (the
``"balanced"`` rescaling, from each partition's class totals) to the summed
statistics; each kernel then turns them into one value per (replicate,
partition) with NumPy only. Each value equals the scikit-learn (or Fairlearn)
function of the same meaning on that partition's rows and weights, NaN where
that function raises or returns NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np

from .._bootstrap.resampling import poisson_multiplicities
from .axis_sums import axis_sum
from .division import divide
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
    rank: RankView | None
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
        rank=_rank_arrays(stats, factor),
        positive=positive,
        n_classes=n_classes,
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


def _rank_arrays(stats: Statistics, factor: np.ndarray | None) -> RankView | None:
    if stats.rank is None or not stats.rank.codes:
        return None
    record = stats.rank.arrays()
    return RankView(
        codes=record["codes"],  # int32 and int16: the record stays compact
        y_true=record["y_true"],
        scores=record["scores"],
        base_weight=record["weight"],
        factor=factor,
        runs=record["runs"],
        seed=stats.seed,
        n_replicates=stats.n_replicates,
        n_partitions=stats.n_partitions,
    )


class RankView:
    """The rank record with its final row weights, one column per replicate.

    The weights of all replicates at once would take rows x replicates
    floats, so they are made a chunk of replicates at a time, in the order
    the rows were sorted once for each score column.
    """

    #: Rows x replicates per chunk of weights.
    CHUNK_CELLS = 1 << 21

    def __init__(
        self,
        *,
        codes,
        y_true,
        scores,
        base_weight,
        factor,
        runs,
        seed,
        n_replicates,
        n_partitions,
        group_codes=None,
        cache=None,
    ):
        self.codes, self.y_true, self.scores = codes, y_true, scores
        self.base_weight, self.factor, self.runs = base_weight, factor, runs
        self.seed, self.n_replicates = seed, n_replicates
        self.n_partitions = n_partitions
        # Codes to rank within: the partitions, or zeros when pooled.
        self.group_codes = codes if group_codes is None else group_codes
        self._cache = {} if cache is None else cache  # draws, shared when pooled

    def pooled(self) -> RankView:
        """All rows as one partition, with the same row weights."""
        return RankView(
            codes=self.codes,
            y_true=self.y_true,
            scores=self.scores,
            base_weight=self.base_weight,
            factor=self.factor,
            runs=self.runs,
            seed=self.seed,
            n_replicates=self.n_replicates,
            n_partitions=1,
            group_codes=np.zeros_like(self.codes),
            cache=self._cache,
        )

    def _draws(self) -> np.ndarray:
        """Bootstrap multiplicities of the record's rows (uint8, B x rows)."""
        if "draws" not in self._cache:
            # Each call's result is Fortran-ordered, so its transpose is
            # contiguous: a replicate per row, as the weights are laid out.
            self._cache["draws"] = np.concatenate(
                [
                    poisson_multiplicities(
                        self.seed, start, start + n, self.n_replicates - 1
                    ).T
                    for start, n in self.runs
                ],
                axis=1,
            )
        return self._cache["draws"]

    def _weights(self, draws: dict, key: str, rows, first: int, stop: int):
        """Weights of ``rows`` in replicates ``first:stop``: (stop - first, rows).

        A replicate per row of the array, so the prefix sums and reductions
        run along contiguous memory.
        """
        weight = None
        if stop > 1:
            if key not in draws:  # the draws of these rows, in their order, once
                draws[key] = np.take(self._draws(), rows, axis=1)
            weight = np.empty((stop - first, rows.shape[0]))
            weight[0] = 1.0  # replicate 0 is the data (if in this chunk)
            lo = max(first, 1)
            weight[lo - first :] = draws[key][lo - 1 : stop - 1]
        # The balanced factor is constant within a (partition, class): an AUC
        # of two classes within partitions does not depend on it.
        if self.factor is not None and not (
            self.n_partitions > 1 and self.factor.shape[-1] == 2
        ):
            cells = self.codes[rows] * self.factor.shape[-1] + self.y_true[rows]
            flat = self.factor[first:stop].reshape(stop - first, -1)
            factor = np.take(flat, cells, axis=1)
            weight = factor if weight is None else weight * factor
        if self.base_weight is not None:
            base = self.base_weight[rows]
            weight = base[None, :] if weight is None else weight * base
        if weight is None:
            weight = np.ones((1, rows.shape[0]))
        return np.broadcast_to(weight, (stop - first, rows.shape[0]))

    def auc(self, column: int, klass: int) -> np.ndarray:
        """ROC AUC of score ``column`` for class ``klass``: shape (R, P)."""
        # Each score column is ranked for one class, once: nothing is kept.
        positive = self.y_true == klass
        ranked = _two_class_rows(self.group_codes, positive, self.n_partitions)
        if ranked is not None and not ranked.size:
            return np.full((self.n_replicates, self.n_partitions), np.nan)
        if ranked is None:
            ranks = _auc_order(
                self.group_codes, self.scores[:, column], positive, self.n_partitions
            )
        else:
            ranks = _auc_order(
                self.group_codes[ranked],
                self.scores[ranked, column],
                positive[ranked],
                self.n_partitions,
            )
            ranks = ranks._replace(
                positives=ranked[ranks.positives], negatives=ranked[ranks.negatives]
            )
        out = np.empty((self.n_replicates, self.n_partitions))
        # Replicate 0 (the data) alone, in extended precision; then chunks.
        step = max(1, self.CHUNK_CELLS // max(1, self.codes.shape[0]))
        bounds = [0, 1, *range(1 + step, self.n_replicates, step), self.n_replicates]
        draws: dict[str, np.ndarray] = {}
        for first, stop in zip(bounds[:-1], bounds[1:], strict=True):
            if stop > first:
                out[first:stop] = _auc_from_ranks(
                    ranks,
                    self._weights(draws, "pos", ranks.positives, first, stop),
                    self._weights(draws, "neg", ranks.negatives, first, stop),
                    self.n_partitions,
                    extended=first == 0,
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
    """Macro average over the classes present in the partition (sklearn's set)."""
    return divide(axis_sum(np.where(s.present, per_class, 0.0)), axis_sum(s.present))


def _precision_per_class(s: Finalised) -> np.ndarray:
    return divide(s.tp_sum, s.pred_sum)


def _recall_per_class(s: Finalised) -> np.ndarray:
    return divide(s.tp_sum, s.true_sum)


def _f1_per_class(s: Finalised) -> np.ndarray:
    # sklearn's form 2 tp / (2 tp + fn + fp), which is 0 (not NaN) when empty.
    return divide(2 * s.tp_sum, s.true_sum + s.pred_sum)


def accuracy(s: Finalised) -> np.ndarray:
    return divide(axis_sum(s.tp_sum), s.weight)


def balanced_accuracy(s: Finalised) -> np.ndarray:
    # Mean recall over the classes with weight in y_true; classes seen only in
    # y_pred (or only with weight 0) are dropped, as in sklearn.
    has_weight = s.true_sum > 0
    recall = np.where(has_weight, _recall_per_class(s), 0.0)
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
    return divide(2 * tp, axis_sum(s.true_sum) + axis_sum(s.pred_sum))


def f1_weighted(s: Finalised) -> np.ndarray:
    return divide(axis_sum(_f1_per_class(s) * s.true_sum), axis_sum(s.true_sum))


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

# Up to this many partitions, the codes fit the 16 bits of np.uint16.
_UINT16_CODES = np.iinfo(np.uint16).max + 1


class _Ranks(NamedTuple):
    """Where each positive row stands among the negatives, once per score."""

    positives: np.ndarray  # positive rows, by (partition, score)
    negatives: np.ndarray  # negative rows, by (partition, score)
    below: np.ndarray  # per positive: negatives strictly below its score
    up_to: np.ndarray  # per positive: negatives up to its score, ties included
    offset: np.ndarray  # per positive: negatives before its partition
    runs: np.ndarray  # first positive of each partition that has positives
    run_codes: np.ndarray  # those partitions
    negatives_start: np.ndarray  # per partition: negatives before it
    negatives_stop: np.ndarray  # per partition: negatives up to its end


def _two_class_rows(codes, positive, n_partitions: int) -> np.ndarray | None:
    """Rows of the partitions with both classes, or None if that is all rows.

    Elsewhere the AUC is NaN whatever the weights, so those rows need not be
    sorted: with many small partitions they are most of the record.
    """
    has_positive = np.bincount(codes[positive], minlength=n_partitions) > 0
    has_negative = np.bincount(codes[~positive], minlength=n_partitions) > 0
    both = has_positive & has_negative
    if both.all():
        return None
    return np.flatnonzero(both[codes]).astype(np.int32)


def _auc_order(codes, score, positive, n_partitions: int) -> _Ranks:
    """Sort rows by (partition, score) once: what the weights do not change.

    Tied scores form one group whatever their order, so an unstable sort of
    the scores then a stable (radix, for 16-bit codes) sort of the codes is
    enough, and twice as fast as np.lexsort.
    """
    # Row positions fit int32 (the record holds fewer than 2**31 rows), which
    # halves the memory of these row-length arrays.
    order = np.argsort(score, kind="quicksort").astype(np.int32)
    if n_partitions > 1:
        small = codes.astype(np.uint16) if n_partitions <= _UINT16_CODES else codes
        order = order[np.argsort(small[order], kind="stable")]
        del small
    codes_sorted = codes[order]
    n = order.shape[0]
    new_code = np.r_[True, codes_sorted[1:] != codes_sorted[:-1]]
    score_sorted = score[order]
    new_group = new_code | np.r_[True, score_sorted[1:] != score_sorted[:-1]]
    del score_sorted
    is_positive = positive[order]
    # negatives_before[k]: negative rows among sorted rows 0..k-1.
    negatives_before = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(~is_positive, out=negatives_before[1:])
    first = np.flatnonzero(new_code)
    stop = np.r_[first[1:], n]
    negatives_start = np.zeros(n_partitions, dtype=np.int64)
    negatives_stop = np.zeros(n_partitions, dtype=np.int64)
    negatives_start[codes_sorted[first]] = negatives_before[first]
    negatives_stop[codes_sorted[first]] = negatives_before[stop]
    # Per positive row: negatives before its tie group, and up to its end.
    group = np.cumsum(new_group, dtype=np.int32) - 1
    pos_rows = np.flatnonzero(is_positive).astype(np.int32)
    pos_group = group[pos_rows]
    del group
    group_start = np.flatnonzero(new_group).astype(np.int32)
    del new_group
    below = negatives_before[group_start[pos_group]]
    group_stop = np.empty_like(group_start)
    group_stop[:-1], group_stop[-1:] = group_start[1:], n
    del group_start
    up_to = negatives_before[group_stop[pos_group]]
    del group_stop, pos_group, negatives_before
    pos_codes = codes_sorted[pos_rows]
    del codes_sorted
    runs = np.flatnonzero(np.r_[True, pos_codes[1:] != pos_codes[:-1]])
    return _Ranks(
        positives=order[pos_rows],
        negatives=order[~is_positive],
        below=below,
        up_to=up_to,
        offset=negatives_start[pos_codes].astype(np.int32),
        runs=runs if pos_rows.size else np.zeros(0, dtype=np.int64),
        run_codes=pos_codes[runs] if pos_rows.size else np.zeros(0, dtype=np.int64),
        negatives_start=negatives_start,
        negatives_stop=negatives_stop,
    )


def _auc_from_ranks(
    ranks: _Ranks,
    positive_weight: np.ndarray,
    negative_weight: np.ndarray,
    n_partitions: int,
    *,
    extended: bool,
) -> np.ndarray:
    """Weighted ROC AUC per replicate and partition: shape (R, n_partitions).

    The area under sklearn's trapezoidal ROC curve equals the weighted
    Mann-Whitney statistic with half credit for tied scores: each positive
    row wins the negative weight below its score and half of the negative
    weight tied with it. One prefix sum of the negatives' weights (over all
    partitions, in sorted order) gives both for every positive at once, and
    for every replicate (a row of the weights), counted from the prefix at
    the positive's partition start. NaN where a partition has no positive
    or no negative weight. ``extended`` sums in extended precision, so a small
    partition after large ones loses no digits (the data's own values;
    replicates need not be exact to the last digit).
    """
    dtype = np.longdouble if extended else np.float64
    n_replicates = positive_weight.shape[0]
    prefix = np.zeros((n_replicates, negative_weight.shape[1] + 1), dtype=dtype)
    np.cumsum(negative_weight, axis=1, dtype=dtype, out=prefix[:, 1:])
    negatives = prefix[:, ranks.negatives_stop] - prefix[:, ranks.negatives_start]
    wins = np.zeros((n_replicates, n_partitions), dtype=dtype)
    positives = np.zeros((n_replicates, n_partitions), dtype=dtype)
    if ranks.runs.size:
        # Negatives below (and half those tied), counted from the positive's
        # own partition: differences of the prefix sum, exact where none are.
        # In slices of positives, each summed by partition as it goes, so the
        # extended-precision temporaries stay small.
        step = max(1, (1 << 18) // n_replicates)
        for lo in range(0, positive_weight.shape[1], step):
            rows = slice(lo, lo + step)
            below = prefix[:, ranks.below[rows]]
            credit = (below - prefix[:, ranks.offset[rows]]) + 0.5 * (
                prefix[:, ranks.up_to[rows]] - below
            )
            # The partitions starting in this slice, and the one it starts in.
            first = np.searchsorted(ranks.runs, lo, side="right") - 1
            last = np.searchsorted(ranks.runs, lo + step, side="left")
            starts = np.maximum(ranks.runs[first:last], lo) - lo
            wins[:, ranks.run_codes[first:last]] += np.add.reduceat(
                positive_weight[:, rows] * credit, starts, axis=1
            )
        positives[:, ranks.run_codes] = np.add.reduceat(
            positive_weight, ranks.runs, axis=1, dtype=dtype
        )
    return divide(
        wins.astype(np.float64), (positives * negatives).astype(np.float64), np.nan
    )


def _auc_of_column(s: Finalised, column: int, klass: int) -> np.ndarray:
    return s.rank.auc(column, klass)


def roc_auc(s: Finalised) -> np.ndarray:
    return _auc_of_column(s, 0, s.positive)


def roc_auc_ovr(s: Finalised) -> np.ndarray:
    # roc_auc_score rejects a 2-column y_score for binary targets; sklearn's
    # "roc_auc_ovr" scorer then scores the positive class, which we follow.
    if s.n_classes == 2:
        return roc_auc(s)
    per_class = [_auc_of_column(s, k, k) for k in range(s.n_classes)]
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
        # its M2 is then rounding noise around the mean.
        scale = np.maximum(np.abs(m["y_min"]), np.abs(m["y_max"]))
        noise = s.weight * (64 * np.finfo(np.float64).eps * scale) ** 2
        constant[1:] |= denominator[1:] <= noise[1:]
    denominator[constant] = 0.0
    score = np.where(numerator == 0, 1.0, 0.0)
    valid = (numerator != 0) & (denominator != 0)
    score[valid] = 1 - numerator[valid] / denominator[valid]
    score[s.n_rows < 2] = np.nan
    return score
