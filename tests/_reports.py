"""Comparing two reports of the same rows, scored by different paths."""

from __future__ import annotations

import numpy as np
import pandas as pd


def assert_same_report(actual, expected, *, metrics):
    """Same partitions, values (rtol 1e-10; rank metrics exact) and intervals."""
    pd.testing.assert_index_equal(
        actual.by_partition.index, expected.by_partition.index
    )
    np.testing.assert_allclose(
        actual.by_partition[metrics].to_numpy(),
        expected.by_partition[metrics].to_numpy(),
        rtol=1e-10,
    )
    np.testing.assert_array_equal(
        actual.by_partition["n_samples"], expected.by_partition["n_samples"]
    )
    np.testing.assert_allclose(
        actual.overall[metrics].to_numpy(float),
        expected.overall[metrics].to_numpy(float),
        rtol=1e-10,
    )
    if "roc_auc" in metrics:  # a rank metric: exact
        np.testing.assert_array_equal(
            actual.by_partition["roc_auc"], expected.by_partition["roc_auc"]
        )
    if expected.intervals is not None:
        np.testing.assert_allclose(
            actual.intervals.to_numpy(), expected.intervals.to_numpy(), rtol=1e-10
        )
        np.testing.assert_allclose(
            actual.overall_intervals.to_numpy(),
            expected.overall_intervals.to_numpy(),
            rtol=1e-10,
        )
