"""The Keras layer of skpart: SciKeras estimators and the PartitionMonitor callback.

This subpackage is the only part of skpart that imports TensorFlow, Keras or
SciKeras; ``skpart`` re-exports its names lazily.
"""

from ._estimators import PartitionAwareClassifier, PartitionAwareRegressor
from ._monitor import PartitionMonitor

__all__ = ["PartitionAwareClassifier", "PartitionAwareRegressor", "PartitionMonitor"]
