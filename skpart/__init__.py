"""skpart: scikit-learn compatible Keras estimators, scored per data partition.

The Keras-aware names are imported on first use, so ``import skpart`` and the
metrics core stay free of TensorFlow.
"""

from __future__ import annotations

import importlib

from ._adapters.compare_partitions import compare_partitions
from ._adapters.cross_validate import cross_validate_partitions
from ._adapters.score_partitions import score_partitions
from ._adapters.scorer import make_partition_scorer
from ._engine.accumulator import PartitionMetrics
from ._engine.metrics_by_partition import metrics_by_partition
from ._messages import PartitionMetricWarning
from ._results.comparison import PartitionComparison
from ._results.report import PartitionReport

__version__ = "0.1.0.dev0"

_LAZY = {
    "PartitionAwareClassifier": ".keras",
    "PartitionAwareRegressor": ".keras",
    "PartitionMonitor": ".keras",
}

__all__ = [
    "PartitionComparison",
    "PartitionMetricWarning",
    "PartitionMetrics",
    "PartitionReport",
    "compare_partitions",
    "cross_validate_partitions",
    "make_partition_scorer",
    "metrics_by_partition",
    "score_partitions",
    *_LAZY,
]


def __getattr__(name: str):
    # PEP 562: import the estimators (and TensorFlow) only when asked for.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'skpart' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
