"""The one scoring engine: prepare once, accumulate statistics, finalise.

``PartitionMetrics`` (the accumulator), the finalising of its statistics into a
``PartitionReport``, user callables, the undefined-value warning, and the one
predict-and-add step every caller shares.
"""
