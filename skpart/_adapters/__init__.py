"""scikit-learn adapters, all built on the engine.

``score_partitions``, ``compare_partitions``, the scorers,
cross-validation and the batch sources.
"""
