"""cross_validate_partitions with a Keras estimator: each fold as by hand."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GroupKFold
from sklearn.utils.class_weight import compute_sample_weight

from skpart import cross_validate_partitions

from ._models import tiny_classifier

pytestmark = pytest.mark.slow


def test_cross_validated_keras_partition_scores_match_a_fold_fitted_by_hand():
    from skpart import PartitionAwareClassifier

    rng = np.random.default_rng(0)
    site = np.repeat(np.array(["a", "b", "c", "d", "e", "f"]), 30)
    X = rng.normal(size=(180, 3)).astype("float32")
    y = (X[:, 0] + 0.7 * rng.normal(size=180) > 0).astype(int)
    estimator = PartitionAwareClassifier(
        tiny_classifier, epochs=3, batch_size=32, verbose=0, random_state=0
    )

    report = cross_validate_partitions(estimator, X, y, groups=site, cv=GroupKFold(3))

    fold = 1
    train, test = list(GroupKFold(3).split(X, y, site))[fold]
    predicted = clone(estimator).fit(X[train], y[train]).predict(X[test])
    table = report.by_partition
    for partition in np.unique(site[test]):
        mask = site[test] == partition
        y_part = y[test][mask]
        expected = accuracy_score(
            y_part,
            predicted[mask],
            sample_weight=compute_sample_weight("balanced", y_part),
        )
        assert table.loc[partition, "n_samples"] == mask.sum()
        assert table.loc[partition, "accuracy"] == pytest.approx(expected, abs=1e-12)
