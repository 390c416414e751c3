"""Metrics as functions of statistics that add up.

The mergeable per-partition sums (``statistics``), the rank metrics' exact
per-row record and its AUCs (``ranks``), the metric kernels on them
(``kernels``, with ``axis_sums`` and ``division``), the one registry of named
metrics (``registry``), the aggregates over partitions and the fairness
disparities.
"""
