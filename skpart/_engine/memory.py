"""The memory guard of the rank metrics' exact per-row record.

Every path that adds rows to an accumulator (batches, Dask blocks) checks the
projected size of the record here, before it outgrows its share of memory.
"""

from __future__ import annotations

from .._messages import warn
from .accumulator import PartitionMetrics
from .machine import total_memory

#: Share of the machine's memory the rank metrics' record may take before a
#: warning says so (the record is exact, so it grows with the rows).
RANK_MEMORY_SHARE = 0.25


class RankMemoryGuard:
    """Warn, once, before the rank metrics' record outgrows its memory share.

    The record of ``roc_auc`` / ``roc_auc_ovr`` is exact, so it grows by a few
    bytes per row (see :class:`~skpart.PartitionMetrics`); this warns when the
    next batch (or, when known, all the rows) would take it past
    :data:`RANK_MEMORY_SHARE` of the machine's memory.
    """

    def __init__(self) -> None:
        memory = total_memory()
        self.limit = None if memory is None else RANK_MEMORY_SHARE * memory
        self.warned = False

    def check_projected(self, nbytes: float, n_rows: int | None = None) -> None:
        """Warn if a record of ``nbytes`` would pass the limit."""
        if self.warned or self.limit is None or nbytes <= self.limit:
            return
        self.warned = True
        rows = "" if n_rows is None else f" for {n_rows:,} rows"
        warn(
            f"The exact record of the rank metrics (roc_auc, roc_auc_ovr) "
            f"would take about {nbytes / 2**30:.2f} GiB{rows}, more than "
            f"{RANK_MEMORY_SHARE:.0%} of this machine's memory "
            f"({self.limit / RANK_MEMORY_SHARE / 2**30:.1f} GiB). Use "
            "'roc_auc_binned' (fixed memory per partition, within a bound it "
            "checks of the exact AUC), score the rank metrics on a sample of "
            "the rows, or merge the accumulators on a machine with more memory."
        )

    def check(
        self,
        accumulator: PartitionMetrics,
        next_rows: int,
        total_rows: int | None = None,
    ) -> None:
        """After a batch: project the record to the next batch (or the total)."""
        if self.warned or not accumulator.n_rows:
            return
        rows = total_rows if total_rows is not None else accumulator.n_rows + next_rows
        self.check_projected(accumulator.projected_rank_bytes(rows), rows)
