"""The scoring plan: what an accumulator computes, resolved once.

A :class:`ScoringPlan` holds the metrics, the task, the weighting, the
positive class and the bootstrap (its replicates and their seed), and decides
from them which statistics to keep. It is immutable: the copies of an
accumulator sent to workers, and the accumulators merged into one, share it,
and an accumulator whose task is learnt from its first batch replaces its plan
with the prepared one. Each batch's targets are checked against it
(:mod:`skpart._engine.batch_targets`), and the accumulator
(:mod:`skpart._engine.accumulator`) keeps beside it only state
(:mod:`skpart._engine.state`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._bootstrap.resampling import bootstrap_seed
from .._inputs.targets import ClassCodebook, Task, target_type
from .._inputs.weights import check_weight_array
from .._metrics.ranks import RankRecord
from .._metrics.registry import Metric, resolve_metrics, task_of
from .._metrics.statistics import SCORE_BINS, Statistics


@dataclasses.dataclass(frozen=True, eq=False)
class ScoringPlan:
    """What to compute and how, for one accumulator and its copies.

    Attributes
    ----------
    metrics : list of Metric or None
        The resolved metrics (None until the task is known, for the default).
    task : {"classification", "regression"} or None
        None until learnt from the first batch (callables only).
    classes : array-like or None
        The ``classes`` given (None: learnt from the batches).
    weighting : {"balanced"} or None
    pos_label : object or None
        The positive class; None is the larger class.
    n_boot : int or None
        Bootstrap replicates.
    seed : int or None
        Seed of the replicates, drawn once so that every batch and every copy
        draws the same replicates.
    statistics : frozenset of str
        The statistics to keep (of
        :data:`skpart._metrics.statistics.STATISTIC_NAMES`), once the task is
        known.
    """

    metrics: list[Metric] | None
    task: Task | None
    classes: Any
    weighting: str | None
    pos_label: Any
    n_boot: int | None
    seed: int | None
    statistics: frozenset = frozenset()

    @classmethod
    def resolve(
        cls,
        metrics: Any,
        *,
        classes: Any,
        weighting: str | None,
        pos_label: Any,
        n_boot: int | None,
        random_state: Any,
        task: Task | None,
    ) -> ScoringPlan:
        """Resolve the accumulator's parameters into a plan.

        The plan is prepared (:meth:`for_task`) when the task is given or the
        named metrics imply it.
        """
        if weighting is not None and not isinstance(weighting, str):
            raise ValueError(
                "PartitionMetrics(sample_weight=...) takes 'balanced' or None; "
                "pass row weights with each batch: update(..., sample_weight=w)."
            )
        if task not in (None, "classification", "regression"):
            raise ValueError(
                f"task={task!r} is not understood; pass 'classification', "
                "'regression' or None."
            )
        seed = None if n_boot is None else bootstrap_seed(random_state)
        resolved = None if metrics is None else resolve_metrics(metrics, task=task)
        named_task = None if resolved is None else task_of(resolved)
        if task is not None and named_task is not None and task != named_task:
            raise ValueError(
                f"task={task!r} but the metrics "
                f"{[m.name for m in resolved if m.task]} are {named_task} "
                "metrics."
            )
        plan = cls(resolved, None, classes, weighting, pos_label, n_boot, seed)
        task = task or named_task
        return plan if task is None else plan.for_task(task)

    def for_task(self, task: Task) -> ScoringPlan:
        """Return this plan prepared for ``task``: metrics, checks, statistics."""
        metrics = self.metrics or resolve_metrics(None, task=task)
        if task == "regression":
            if self.classes is not None:
                raise ValueError(
                    "classes is for classification metrics; the metrics here are "
                    f"regression metrics {[m.name for m in metrics]}, so "
                    "leave classes as None."
                )
            if self.weighting == "balanced":
                raise ValueError(
                    "sample_weight='balanced' needs class labels, but the metrics "
                    "are regression metrics: there are no classes to balance. Pass "
                    "sample_weight=None or an array of one weight per row."
                )
        statistics = set().union(*(m.statistics for m in metrics))
        if "score_histogram" in statistics and self.n_boot is not None:
            raise ValueError(
                "roc_auc_binned has no bootstrap intervals: its histogram "
                f"(partitions x 2 classes x {SCORE_BINS} bins) would be kept for "
                f"each of the n_boot={self.n_boot} replicates. Use the exact "
                "'roc_auc' with n_boot, or n_boot=None."
            )
        statistics |= {"class_rows"} if task == "classification" else {"moments"}
        weighted = self.weighting is not None or self.n_boot is not None
        for metric in metrics:
            if (
                metric.func is not None
                and weighted
                and not metric.accepts_sample_weight
            ):
                raise ValueError(
                    f"the callable {metric.name!r} does not accept sample_weight, "
                    f"but the weighting is sample_weight={self.weighting!r} "
                    "(the default for classifiers is 'balanced'), or a bootstrap "
                    "(n_boot) weighs rows by their multiplicity. Pass "
                    "sample_weight=None (and no n_boot) to score it unweighted, "
                    "or give it a sample_weight parameter."
                )
        return dataclasses.replace(
            self, metrics=metrics, task=task, statistics=frozenset(statistics)
        )

    # --- what the plan implies ---------------------------------------------

    @property
    def metric_names(self) -> list[str]:
        """Names of the metrics, in report order ([] before they are known)."""
        return [m.name for m in self.metrics] if self.metrics else []

    @property
    def callables(self) -> list[Metric]:
        """The user callables, whose rows the accumulator keeps."""
        return [m for m in self.metrics or () if m.func is not None]

    @property
    def needs_proba(self) -> bool:
        """Whether a metric reads probabilities."""
        return any(m.needs == "proba" for m in self.metrics or ())

    def check_mergeable(self, other: ScoringPlan) -> None:
        """Refuse to merge accumulators of different metrics, weighting or draws."""
        mine, theirs = self._merge_key(), other._merge_key()
        if mine != theirs:
            raise ValueError(
                "merge needs accumulators of the same metrics, weighting and "
                f"bootstrap (n_boot and seed); got {mine} and {theirs}. Make "
                "them copies of one accumulator (copy.deepcopy or pickle), or "
                "pass the same random_state."
            )

    def _merge_key(self) -> tuple:
        return (
            self.metric_names,
            self.weighting,
            self.pos_label,
            self.n_boot,
            self.seed,
        )

    def row_weights(self, sample_weight: Any, n_rows: int) -> np.ndarray | None:
        """Check one batch's row weights (None: the batch has none)."""
        if sample_weight is None:
            return None
        if self.weighting == "balanced":
            raise ValueError(
                "sample_weight was given to update(), but the accumulator "
                "balances classes (sample_weight='balanced'); construct it "
                "with sample_weight=None to use row weights."
            )
        return check_weight_array(sample_weight, n_rows)

    def positive_class(self, classes: ClassCodebook) -> int:
        """Return the positive class's index among ``classes`` (0 for regression)."""
        if self.task != "classification":
            return 0
        if self.pos_label is None:
            return classes.n_classes - 1
        return classes.position(self.pos_label, "pos_label")

    def new_statistics(self, classes: ClassCodebook) -> Statistics:
        """Return empty statistics of this plan, for the ``classes`` known now."""
        columns = None
        if "rank" in self.statistics:
            columns = (
                np.arange(classes.n_classes)
                if self._ranks_every_class(classes.n_classes)
                else np.array([self.positive_class(classes)])
            )
        histogram = None
        if "score_histogram" in self.statistics:
            histogram = self.positive_class(classes)
        return Statistics(
            self.statistics,
            score_columns=columns,
            histogram_column=histogram,
            n_replicates=1 + (self.n_boot or 0),
            seed=self.seed,
        )

    def rank_bytes_per_row(self, n_classes: int, *, weighted: bool) -> int:
        """Return the rank record's bytes per row, float64 scores (0 if none)."""
        if "rank" not in self.statistics:
            return 0
        n_columns = n_classes if self._ranks_every_class(n_classes) else 1
        return RankRecord.bytes_per_row(n_columns, weighted=weighted)

    def _ranks_every_class(self, n_classes: int) -> bool:
        # roc_auc_ovr of 3+ classes ranks each class's column; else only the
        # positive class's column is ranked.
        return n_classes > 2 and any(m.name == "roc_auc_ovr" for m in self.metrics)


def infer_task(y_true: Any) -> Task:
    """Callables only: real-valued targets are regression, others classes."""
    kind = target_type(y_true, "y_true")
    return "regression" if kind.startswith("continuous") else "classification"
