"""The one scoring engine: prepare once, accumulate statistics, finalise.

The scoring plan (``plan``: metrics, task, weighting, bootstrap, resolved
once) and each batch's targets checked against it (``batch_targets``);
``PartitionMetrics`` (``accumulator``), which holds a plan and its state
(``state``: codebooks, statistics, rows kept for callables);
``metrics_by_partition``; the finalising of plan and state into a
``PartitionReport``, user callables, the undefined-value warning, the rank
record's memory guard, and the one predict-and-add step every caller shares.
"""
