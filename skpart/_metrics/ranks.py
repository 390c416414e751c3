"""The rank metrics' exact record, from the rows kept to the AUC of each partition.

Three stages, one type each:

- :class:`RankRecord`: what the statistics keep of each row for ``roc_auc``
  and ``roc_auc_ovr`` (partition code, true class, scores, weight), per
  batch; it adds and merges by concatenation.
- :class:`FinalisedRankRecord`: the record joined into single arrays, with
  the final row weights of every replicate (the balanced factor, the
  bootstrap multiplicities); it computes the AUC of a score column.
- :class:`RankOrder`: one score column sorted once by (partition, score):
  where each positive row stands among the negatives, whatever the weights.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .._bootstrap.resampling import poisson_multiplicities
from .batch_sums import Batch
from .division import divide

#: The record's dtypes: its size per row is theirs plus the scores (and weight).
CODE_DTYPE, CLASS_DTYPE, WEIGHT_DTYPE = np.int32, np.int16, np.float64


@dataclass
class RankRecord:
    """The per-row record of the rank metrics: merges by concatenation.

    Per row: its partition code, true class, the scores the rank metrics read
    and its user weight (only when weights were given), so 6 bytes plus 4
    (float32) or 8 (float64) per score column, plus 8 with a weight
    (:meth:`bytes_per_row`); per batch, the position of its first row (the
    bootstrap redraws the multiplicities from it).
    """

    codes: list[np.ndarray] = field(default_factory=list)
    y_true: list[np.ndarray] = field(default_factory=list)
    scores: list[np.ndarray] = field(default_factory=list)
    weight: list[np.ndarray] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)

    def add(self, batch: Batch, columns: np.ndarray) -> None:
        """Keep what the rank metrics need of ``batch``."""
        self.codes.append(batch.codes.astype(CODE_DTYPE))
        self.y_true.append(batch.y_true.astype(CLASS_DTYPE))
        self.scores.append(np.ascontiguousarray(batch.y_proba[:, columns]))
        if batch.weight is not None:
            self.weight.append(batch.weight)
        self.starts.append(int(batch.start))

    def merge(self, other: RankRecord) -> None:
        """Append another record's rows."""
        for name in ("codes", "y_true", "scores", "weight", "starts"):
            getattr(self, name).extend(getattr(other, name))

    def start_weighting(self) -> None:
        """Give the rows kept so far a weight of 1: weights arrive from now on."""
        if self.codes:
            self.weight = [np.ones(c.shape[0], WEIGHT_DTYPE) for c in self.codes]

    def remap(self, partition_map: np.ndarray | None, class_map: np.ndarray | None):
        """Renumber partitions and classes after the codebooks changed."""
        if partition_map is not None:
            self.codes = [partition_map[c].astype(CODE_DTYPE) for c in self.codes]
        if class_map is not None:
            self.y_true = [class_map[c].astype(CLASS_DTYPE) for c in self.y_true]

    def finalised(
        self,
        factor: np.ndarray | None,
        *,
        seed: int | None,
        n_replicates: int,
        n_partitions: int,
    ) -> FinalisedRankRecord:
        """Join the record into single arrays, with the final row weights.

        ``factor`` is the balanced weight per (replicate, partition, class),
        or None; ``seed`` and ``n_replicates`` redraw the replicates' weights.
        """

        def joined(parts):
            return np.concatenate(parts) if parts else None

        return FinalisedRankRecord(
            codes=joined(self.codes),  # int32 and int16: the record stays compact
            y_true=joined(self.y_true),
            scores=joined(self.scores),
            base_weight=joined(self.weight),
            factor=factor,
            runs=[(s, len(c)) for s, c in zip(self.starts, self.codes, strict=True)],
            seed=seed,
            n_replicates=n_replicates,
            n_partitions=n_partitions,
        )

    @property
    def nbytes(self) -> int:
        """Memory held by the record."""
        return sum(
            part.nbytes
            for name in ("codes", "y_true", "scores", "weight")
            for part in getattr(self, name)
        )

    @staticmethod
    def bytes_per_row(
        n_columns: int, *, score_itemsize: int = 8, weighted: bool = False
    ) -> int:
        """Bytes the record takes per row, for ``n_columns`` score columns."""
        weight = np.dtype(WEIGHT_DTYPE).itemsize if weighted else 0
        return (
            np.dtype(CODE_DTYPE).itemsize
            + np.dtype(CLASS_DTYPE).itemsize
            + n_columns * score_itemsize
            + weight
        )


class FinalisedRankRecord:
    """The rank record joined, with its final row weights per replicate.

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

    def pooled(self) -> FinalisedRankRecord:
        """All rows as one partition, with the same row weights."""
        return FinalisedRankRecord(
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
            rank_order = _rank_order(
                self.group_codes, self.scores[:, column], positive, self.n_partitions
            )
        else:
            rank_order = _rank_order(
                self.group_codes[ranked],
                self.scores[ranked, column],
                positive[ranked],
                self.n_partitions,
            )
            rank_order = rank_order._replace(
                positives=ranked[rank_order.positives],
                negatives=ranked[rank_order.negatives],
            )
        out = np.empty((self.n_replicates, self.n_partitions))
        # Replicate 0 (the data) alone, in extended precision; then chunks.
        step = max(1, self.CHUNK_CELLS // max(1, self.codes.shape[0]))
        bounds = [0, 1, *range(1 + step, self.n_replicates, step), self.n_replicates]
        draws: dict[str, np.ndarray] = {}
        for first, stop in zip(bounds[:-1], bounds[1:], strict=True):
            if stop > first:
                out[first:stop] = _auc_from_order(
                    rank_order,
                    self._weights(draws, "pos", rank_order.positives, first, stop),
                    self._weights(draws, "neg", rank_order.negatives, first, stop),
                    self.n_partitions,
                    extended=first == 0,
                )
        return out


# Up to this many partitions, the codes fit the 16 bits of np.uint16.
_UINT16_CODES = np.iinfo(np.uint16).max + 1


class RankOrder(NamedTuple):
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


def _rank_order(codes, score, positive, n_partitions: int) -> RankOrder:
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
    return RankOrder(
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


def _auc_from_order(
    order: RankOrder,
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
    negatives = prefix[:, order.negatives_stop] - prefix[:, order.negatives_start]
    wins = np.zeros((n_replicates, n_partitions), dtype=dtype)
    positives = np.zeros((n_replicates, n_partitions), dtype=dtype)
    if order.runs.size:
        # Negatives below (and half those tied), counted from the positive's
        # own partition: differences of the prefix sum, exact where none are.
        # In slices of positives, each summed by partition as it goes, so the
        # extended-precision temporaries stay small.
        step = max(1, (1 << 18) // n_replicates)
        for lo in range(0, positive_weight.shape[1], step):
            rows = slice(lo, lo + step)
            below = prefix[:, order.below[rows]]
            credit = (below - prefix[:, order.offset[rows]]) + 0.5 * (
                prefix[:, order.up_to[rows]] - below
            )
            # The partitions starting in this slice, and the one it starts in.
            first = np.searchsorted(order.runs, lo, side="right") - 1
            last = np.searchsorted(order.runs, lo + step, side="left")
            starts = np.maximum(order.runs[first:last], lo) - lo
            wins[:, order.run_codes[first:last]] += np.add.reduceat(
                positive_weight[:, rows] * credit, starts, axis=1
            )
        positives[:, order.run_codes] = np.add.reduceat(
            positive_weight, order.runs, axis=1, dtype=dtype
        )
    return divide(
        wins.astype(np.float64), (positives * negatives).astype(np.float64), np.nan
    )
