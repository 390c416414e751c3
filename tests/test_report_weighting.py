"""A report says which weighting its values were computed with, in every view."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skpart import (
    PartitionMetrics,
    PartitionReport,
    metrics_by_partition,
    score_partitions,
)

matplotlib.use("Agg")

X, Y = load_breast_cancer(return_X_y=True)
GROUPS = np.where(X[:, 0] > 14, "large", "small")
MODEL = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, Y)
PRED = MODEL.predict(X)


def _views(report):
    import matplotlib.pyplot as plt

    label = report.plot().get_xlabel()
    plt.close("all")
    return repr(report), report._repr_html_(), label


def test_metrics_by_partition_is_unweighted_by_default_and_says_so():
    report = metrics_by_partition(Y, PRED, GROUPS, metrics="accuracy")
    assert report.sample_weight is None
    text, html, label = _views(report)
    assert "; unweighted" in text and "; unweighted" in html
    assert label == "accuracy (higher is better)"
    mask = GROUPS == "large"
    assert report.by_partition.loc["large", "accuracy"] == pytest.approx(
        accuracy_score(Y[mask], PRED[mask]), rel=1e-12
    )


def test_score_partitions_balances_classifiers_by_default_and_says_so():
    report = score_partitions(MODEL, X, Y, GROUPS)
    assert report.sample_weight == "balanced"
    text, html, label = _views(report)
    assert "; class-balanced" in text and "; class-balanced" in html
    assert label == "accuracy, class-balanced (higher is better)"
    mask = GROUPS == "large"
    balanced = compute_sample_weight("balanced", Y[mask])
    assert report.by_partition.loc["large", "accuracy"] == pytest.approx(
        accuracy_score(Y[mask], PRED[mask], sample_weight=balanced), rel=1e-12
    )


def test_row_weights_are_recorded_as_an_array_weighting():
    weights = np.linspace(0.5, 2.0, len(Y))
    report = metrics_by_partition(
        Y, PRED, GROUPS, metrics="accuracy", sample_weight=weights
    )
    assert report.sample_weight == "array"
    text, html, label = _views(report)
    assert "; weighted by sample_weight" in text and "weighted by sample_weight" in html
    assert label == "accuracy, weighted by sample_weight (higher is better)"
    from_batches = score_partitions(
        MODEL, [(X[:300], Y[:300], GROUPS[:300], weights[:300])]
    )
    assert from_batches.sample_weight == "array"


def test_accumulator_records_weights_given_in_any_batch():
    acc = PartitionMetrics(["accuracy"]).update(Y[:100], PRED[:100], GROUPS[:100])
    assert acc.result().sample_weight is None
    acc.update(Y[100:], PRED[100:], GROUPS[100:], sample_weight=np.ones(len(Y) - 100))
    assert acc.result().sample_weight == "array"
    balanced = PartitionMetrics(["accuracy"], sample_weight="balanced")
    assert balanced.update(Y, PRED, GROUPS).result().sample_weight == "balanced"


def test_regressors_are_unweighted_by_default():
    model = Ridge().fit(X[:, :5], X[:, 5])
    report = score_partitions(model, X[:, :5], X[:, 5], GROUPS)
    assert report.sample_weight is None


def test_an_unknown_weighting_is_refused():
    report = metrics_by_partition(Y, PRED, GROUPS, metrics="accuracy")
    with pytest.raises(ValueError, match=r"sample_weight='equal' is not a weighting"):
        PartitionReport(
            report.by_partition,
            report.overall,
            greater_is_better=report.greater_is_better,
            sample_weight="equal",
        )
