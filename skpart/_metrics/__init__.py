"""Metrics as functions of statistics that add up.

The mergeable per-partition sums (``statistics``), the metric kernels on them
(``kernels``), the one registry of named metrics (``registry``), the
aggregates over partitions and the fairness disparities.
"""
