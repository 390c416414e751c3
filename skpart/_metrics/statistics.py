"""Per-partition statistics that add up across batches of rows.

Every named metric is a function of these sums: weighted confusion counts per
(partition, true class, predicted class), per-(partition, class) sums of
probability losses, mergeable moments of regression targets and errors, and
for the rank metrics a compact per-row record that merges by concatenation
(:class:`~skpart._metrics.ranks.RankRecord`).
Adding a batch, or merging the statistics of another batch, in any order,
gives the same sums: this is what streaming, Dask and the bootstrap share.

Every array has a leading replicate axis: replicate 0 is the data as given,
replicates 1..B (with a bootstrap) weight each row by its Poisson multiplicity.
``"balanced"`` weights are not applied here: they depend on the class totals
of a whole partition, so :mod:`skpart._metrics.kernels` applies them when finalising.
"""

from __future__ import annotations

import numpy as np

from .axis_sums import axis_sum
from .batch_sums import Batch, batch_sums
from .division import divide
from .ranks import RankRecord

#: The statistics a scoring plan can keep: those the named metrics read
#: (``Metric.statistics``), and the class totals every classification keeps.
STATISTIC_NAMES = (
    "class_rows",
    "confusion",
    "log_loss",
    "brier",
    "rank",
    "score_histogram",
    "moments",
)
#: Equal-width bins of the positive class's probability on [0, 1], for the
#: binned ROC AUC: its memory per partition is fixed, whatever the rows.
SCORE_BINS = 1000
#: The plain sums, each with the partition axis second.
_SUMMED = (
    "n_rows",
    "weight",
    "class_rows",
    "confusion",
    "confusion_rows",
    "log_loss",
    "brier",
    "score_histogram",
)


class Statistics:
    """Mergeable per-partition sums for one scoring plan.

    Parameters
    ----------
    names : set of str
        The statistics to keep, of :data:`STATISTIC_NAMES`.
    n_replicates : int
        1, or 1 + the number of bootstrap replicates.
    score_columns : ndarray of int or None
        Probability columns the rank record keeps.
    histogram_column : int or None
        Probability column the score histogram bins.
    seed : int or None
        Seed of the bootstrap multiplicities (with ``n_replicates > 1``).

    Attributes
    ----------
    n_rows : ndarray, shape (R, P)
        Rows per partition (with multiplicity).
    class_rows : ndarray, shape (R, P, K) or None
        Rows per true class, for classification: the class totals that
        ``"balanced"`` weights are computed from.
    weight : ndarray, shape (R, P)
        Sum of user weights (rows when unweighted).
    confusion : ndarray, shape (R, P, K, K) or None
        Weight of rows per (true class, predicted class).
    confusion_rows : ndarray, shape (R, P, K, K) or None
        Rows per (true, predicted) class, kept only with user weights: sklearn
        finds the classes present by occurrence, zero-weight rows included.
    log_loss : ndarray, shape (R, P, K) or None
        Weighted sum of ``-log(p_true)`` per true class.
    brier : ndarray, shape (R, P, K, K) or None
        Weighted sum of ``(1[true == k] - p_k)**2`` per true class and column k.
    score_histogram : ndarray, shape (R, P, K, SCORE_BINS) or None
        Weight of rows per true class and bin of ``histogram_column``'s
        probability (``SCORE_BINS`` equal bins of [0, 1]; 1 is in the last).
    moments : dict of str to ndarray or None
        ``mean`` and ``m2`` of the targets, ``sse`` and ``sae`` of the errors
        (each (R, P)), ``y_min`` and ``y_max`` over rows of positive weight (P).
    rank : RankRecord or None
    """

    def __init__(
        self,
        names: set[str],
        *,
        n_replicates: int = 1,
        score_columns: np.ndarray | None = None,
        histogram_column: int | None = None,
        seed: int | None = None,
    ) -> None:
        self.names = set(names)
        self.n_replicates = n_replicates
        self.seed = seed
        self.score_columns = score_columns
        self.histogram_column = histogram_column
        self.n_partitions = 0
        self.n_classes = 0
        self.weighted = False
        R = n_replicates
        self.n_rows = np.zeros((R, 0))
        self.weight = np.zeros((R, 0))
        classes = names & {
            "confusion",
            "log_loss",
            "brier",
            "rank",
            "score_histogram",
            "class_rows",
        }
        self.class_rows = np.zeros((R, 0, 0)) if classes else None
        self.confusion = np.zeros((R, 0, 0, 0)) if "confusion" in names else None
        self.confusion_rows = None
        self.log_loss = np.zeros((R, 0, 0)) if "log_loss" in names else None
        self.brier = np.zeros((R, 0, 0, 0)) if "brier" in names else None
        self.score_histogram = None
        if "score_histogram" in names:
            self.score_histogram = np.zeros((R, 0, 0, SCORE_BINS))
        self.moments = None
        if "moments" in names:
            self.moments = {k: np.zeros((R, 0)) for k in ("mean", "m2", "sse", "sae")}
            self.moments.update(y_min=np.zeros(0), y_max=np.zeros(0))
        self.rank = RankRecord() if "rank" in names else None

    # --- shape changes -------------------------------------------------------

    def grow(
        self,
        n_partitions: int,
        n_classes: int,
        class_map: np.ndarray | None = None,
    ) -> None:
        """Make room for new partitions (appended) and classes (``class_map``).

        ``class_map[i]`` is the new index of old class ``i``.
        """
        old_k = self.n_classes
        if class_map is None:
            class_map = np.arange(old_k)
        P, K = n_partitions, n_classes

        def resized(array, class_axes, bins=()):
            if array is None:
                return None
            shape = (array.shape[0], P) + (K,) * class_axes + bins
            out = np.zeros(shape)
            index = (slice(None), slice(0, array.shape[1]))
            if class_axes == 1:
                index += (class_map,)
            elif class_axes == 2:
                index += (class_map[:, None], class_map[None, :])
            out[index] = array
            return out

        self.n_rows = resized(self.n_rows, 0)
        self.weight = resized(self.weight, 0)
        self.class_rows = resized(self.class_rows, 1)
        self.confusion = resized(self.confusion, 2)
        self.confusion_rows = resized(self.confusion_rows, 2)
        self.log_loss = resized(self.log_loss, 1)
        self.brier = resized(self.brier, 2)
        self.score_histogram = resized(self.score_histogram, 1, (SCORE_BINS,))
        if self.moments is not None:
            for key in ("mean", "m2", "sse", "sae"):
                self.moments[key] = resized(self.moments[key], 0)
            extra = P - self.moments["y_min"].shape[0]
            self.moments["y_min"] = np.append(self.moments["y_min"], [np.inf] * extra)
            self.moments["y_max"] = np.append(self.moments["y_max"], [-np.inf] * extra)
        if self.rank is not None and K != old_k:
            self.rank.remap(None, class_map)
        self.n_partitions, self.n_classes = P, K

    def reorder(self, partition_order: np.ndarray) -> None:
        """Put partitions in ``partition_order`` (new position -> old code)."""
        inverse = np.empty_like(partition_order)
        inverse[partition_order] = np.arange(partition_order.shape[0])
        for name in _SUMMED:
            array = getattr(self, name)
            if array is not None:
                setattr(self, name, array[:, partition_order])
        if self.moments is not None:
            for key, array in self.moments.items():
                self.moments[key] = (
                    array[partition_order]
                    if array.ndim == 1
                    else array[:, partition_order]
                )
        if self.rank is not None:
            self.rank.remap(inverse, None)

    # --- adding rows ---------------------------------------------------------

    def add(self, batch: Batch) -> None:
        """Add the sums of one batch (codes must be < ``n_partitions``)."""
        if batch.weight is not None and not self.weighted:
            self._start_weighting()
        if self.rank is not None:
            self.rank.add(batch, self.score_columns)
        sums, shift = batch_sums(batch, self)
        self._commit(batch, sums, shift)
        if self.score_histogram is not None:
            self._add_to_histogram(batch)

    def _add_to_histogram(self, batch: Batch) -> None:
        # The engine refuses a bootstrap of the binned AUC (a histogram per
        # replicate), so this is replicate 0 alone: added in place, without a
        # temporary array of all partitions x classes x bins.
        assert self.n_replicates == 1
        score = batch.y_proba[:, self.histogram_column].astype(np.float64)
        # Probabilities are checked to lie in [0, 1]; 1.0 joins the last bin.
        bins = np.minimum((score * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
        keys = (batch.codes * self.n_classes + batch.y_true) * SCORE_BINS + bins
        weight = np.ones(batch.n_rows) if batch.weight is None else batch.weight
        self.score_histogram = np.ascontiguousarray(self.score_histogram)
        np.add.at(self.score_histogram.reshape(-1), keys, weight)

    def _commit(self, batch: Batch, sums: dict, shift: np.ndarray | None) -> None:
        """Add the reduced sums of a batch to the statistics."""
        P, K = self.n_partitions, self.n_classes
        if self.confusion is not None:
            confusion = sums["confusion"].reshape(-1, P, K, K)
            counts = confusion
            if "confusion_rows" in sums:
                counts = sums["confusion_rows"].reshape(-1, P, K, K)
                self.confusion_rows += counts
            self.confusion += confusion
            class_rows = axis_sum(counts)
            rows = axis_sum(class_rows)
            weight = rows if counts is confusion else axis_sum(axis_sum(confusion))
        else:
            rows = sums["n_rows"]
            weight = sums.get("weight", rows)
            class_rows = sums["class_rows"].reshape(-1, P, K) if K else None
        if self.moments is not None:
            self._merge_batch_moments(batch, sums, shift, weight)
        self.n_rows += rows
        self.weight += weight
        if self.class_rows is not None:
            self.class_rows += class_rows
        if self.log_loss is not None:
            self.log_loss += sums["log_loss"].reshape(-1, P, K)
        if self.brier is not None:
            for k in range(K):
                self.brier[:, :, :, k] += sums[f"brier_{k}"].reshape(-1, P, K)

    def _merge_batch_moments(self, batch, sums, shift, total) -> None:
        s1, s2 = sums["s1"], sums["s2"]
        mean = shift[None, :] + divide(s1, total)
        m2 = np.maximum(s2 - divide(s1 * s1, total), 0.0)
        moments = self.moments
        moments["sse"] += sums["sse"]
        moments["sae"] += sums["sae"]
        moments["mean"], moments["m2"] = merge_moments(
            (self.weight, moments["mean"], moments["m2"]), (total, mean, m2)
        )
        w = np.ones(batch.n_rows) if batch.weight is None else batch.weight
        positive = w > 0
        np.fmin.at(moments["y_min"], batch.codes[positive], batch.y_true[positive])
        np.fmax.at(moments["y_max"], batch.codes[positive], batch.y_true[positive])

    def _start_weighting(self) -> None:
        # Until now every row weighed 1, so the row counts equal the weights.
        self.weighted = True
        if self.confusion is not None:
            self.confusion_rows = self.confusion.copy()
        if self.rank is not None:
            self.rank.start_weighting()

    # --- merging -------------------------------------------------------------

    def merge(self, other: Statistics) -> None:
        """Add ``other``'s sums (same partitions and classes, aligned)."""
        if other.weighted and not self.weighted:
            self._start_weighting()
        if self.weighted and not other.weighted:
            other._start_weighting()
        if self.moments is not None:
            mine, theirs = self.moments, other.moments
            mine["mean"], mine["m2"] = merge_moments(
                (self.weight, mine["mean"], mine["m2"]),
                (other.weight, theirs["mean"], theirs["m2"]),
            )
            mine["sse"] += theirs["sse"]
            mine["sae"] += theirs["sae"]
            mine["y_min"] = np.fmin(mine["y_min"], theirs["y_min"])
            mine["y_max"] = np.fmax(mine["y_max"], theirs["y_max"])
        for name in _SUMMED:
            array = getattr(self, name)
            if array is not None:
                array += getattr(other, name)
        if self.rank is not None:
            self.rank.merge(other.rank)


def merge_moments(a: tuple, b: tuple) -> tuple[np.ndarray, np.ndarray]:
    """Chan et al.'s merge of (weight, mean, M2) of two sets of rows.

    Returns the merged (mean, M2); the merged weight is the sum of weights.
    """
    weight_a, mean_a, m2_a = a
    weight_b, mean_b, m2_b = b
    total = weight_a + weight_b
    delta = mean_b - mean_a
    share = divide(weight_b, total)
    mean = mean_a + delta * share
    m2 = m2_a + m2_b + delta * delta * weight_a * share
    return mean, m2
