"""score_partitions on fitted sklearn estimators and Pipelines (no Keras here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.class_weight import compute_sample_weight

from skpart import metrics_by_partition, score_partitions
from skpart._engine.predictions import predict_once

X_CLF, Y_CLF = make_classification(n_samples=150, n_features=5, random_state=0)
LABELS = np.array(["neg", "pos"])[Y_CLF]
GROUPS = np.random.default_rng(0).choice(["h1", "h2", "h3"], size=150)


class CountingLogisticRegression(LogisticRegression):
    """Counts prediction calls, to check that scoring predicts once."""

    def predict(self, X):
        self.n_predict_ = getattr(self, "n_predict_", 0) + 1
        return super().predict(X)

    def predict_proba(self, X):
        self.n_predict_proba_ = getattr(self, "n_predict_proba_", 0) + 1
        return super().predict_proba(X)


@pytest.fixture(scope="module")
def classifier():
    return LogisticRegression().fit(X_CLF, LABELS)


def test_classifier_defaults_to_balanced_accuracy_per_partition(classifier):
    report = score_partitions(classifier, X_CLF, LABELS, GROUPS)
    y_pred = classifier.predict(X_CLF)
    assert report.metrics == ["accuracy"]
    for group in ["h1", "h2", "h3"]:
        m = GROUPS == group
        weights = compute_sample_weight("balanced", LABELS[m])
        expected = skm.accuracy_score(LABELS[m], y_pred[m], sample_weight=weights)
        assert report.by_partition.loc[group, "accuracy"] == pytest.approx(expected)


def test_unweighted_scores_equal_sklearn_on_each_partition(classifier):
    report = score_partitions(
        classifier,
        X_CLF,
        LABELS,
        GROUPS,
        metrics=["f1", "roc_auc", "log_loss"],
        sample_weight=None,
    )
    proba = classifier.predict_proba(X_CLF)
    y_pred = classifier.predict(X_CLF)
    for group in ["h1", "h2", "h3"]:
        m = GROUPS == group
        row = report.by_partition.loc[group]
        assert row["f1"] == pytest.approx(
            skm.f1_score(LABELS[m], y_pred[m], pos_label="pos")
        )
        assert row["roc_auc"] == pytest.approx(
            skm.roc_auc_score(LABELS[m], proba[m, 1])
        )
        assert row["log_loss"] == pytest.approx(skm.log_loss(LABELS[m], proba[m]))


def test_probability_metrics_predict_once_with_predict_proba():
    model = CountingLogisticRegression().fit(X_CLF, LABELS)
    score_partitions(
        model, X_CLF, LABELS, GROUPS, metrics=["accuracy", "roc_auc", "f1"]
    )
    assert model.n_predict_proba_ == 1
    assert not hasattr(model, "n_predict_")


def test_label_metrics_predict_once_with_predict():
    model = CountingLogisticRegression().fit(X_CLF, LABELS)
    score_partitions(model, X_CLF, LABELS, GROUPS, metrics=["accuracy", "f1_macro"])
    assert model.n_predict_ == 1
    assert not hasattr(model, "n_predict_proba_")


def test_pipeline_is_scored_like_its_final_classifier():
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_CLF, LABELS)
    groups = pd.DataFrame({"site": GROUPS, "big": X_CLF[:, 0] > 0})
    report = score_partitions(
        pipe, X_CLF, LABELS, groups, metrics=["accuracy", "log_loss"]
    )
    assert list(report.by_partition.index.names) == ["site", "big"]
    proba = pipe.predict_proba(X_CLF)
    overall_weights = np.asarray(report.by_partition["weight"]).sum()
    assert overall_weights == pytest.approx(
        150.0
    )  # balanced weights sum to n per partition
    m = (GROUPS == "h1") & (X_CLF[:, 0] > 0)
    weights = compute_sample_weight("balanced", LABELS[m])
    expected = skm.log_loss(
        LABELS[m], proba[m], sample_weight=weights, labels=pipe.classes_
    )
    assert report.by_partition.loc[("h1", True), "log_loss"] == pytest.approx(expected)


def test_regressor_defaults_to_unweighted_r2():
    X, y = make_regression(n_samples=120, n_features=4, noise=10.0, random_state=0)
    groups = np.repeat(["a", "b", "c"], 40)
    model = Ridge().fit(X, y)
    report = score_partitions(model, X, y, groups)
    y_pred = model.predict(X)
    assert report.metrics == ["r2"]
    for group in ["a", "b", "c"]:
        m = groups == group
        assert report.by_partition.loc[group, "r2"] == pytest.approx(
            skm.r2_score(y[m], y_pred[m])
        )
    assert report.overall["r2"] == pytest.approx(model.score(X, y))


def test_regressor_with_balanced_weights_is_refused():
    X, y = make_regression(n_samples=30, n_features=2, random_state=0)
    model = Ridge().fit(X, y)
    with pytest.raises(
        ValueError, match=r"sample_weight='balanced' needs class labels"
    ):
        score_partitions(model, X, y, np.zeros(30), sample_weight="balanced")


def test_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        score_partitions(LogisticRegression(), X_CLF, LABELS, GROUPS)


def test_probability_metric_without_predict_proba_is_refused():
    # roc_auc reads SVC's decision_function (below); log_loss needs probabilities.
    model = SVC().fit(X_CLF[:60], LABELS[:60])
    with pytest.raises(ValueError, match=r"SVC has no predict_proba"):
        score_partitions(
            model, X_CLF[:60], LABELS[:60], GROUPS[:60], metrics="log_loss"
        )


def test_roc_auc_reads_the_decision_function_without_predict_proba_as_sklearn():
    from sklearn.datasets import load_breast_cancer
    from sklearn.metrics import get_scorer

    X, y = load_breast_cancer(return_X_y=True)
    groups = np.where(X[:, 0] > 14, "large", "small")
    model = make_pipeline(StandardScaler(), SVC()).fit(X, y)
    assert not hasattr(model, "predict_proba")
    report = score_partitions(
        model, X, y, groups, metrics=["roc_auc", "accuracy"], sample_weight=None
    )
    for label in ["large", "small"]:
        mask = groups == label
        row = report.by_partition.loc[label]
        # sklearn's "roc_auc" scorer calls decision_function here.
        assert row["roc_auc"] == pytest.approx(
            get_scorer("roc_auc")(model, X[mask], y[mask]), rel=1e-12
        )
        assert row["accuracy"] == skm.accuracy_score(y[mask], model.predict(X[mask]))


@pytest.mark.parametrize("metrics", ["log_loss", ["roc_auc", "brier_score"]])
def test_probability_losses_on_a_decision_function_are_refused_saying_why(metrics):
    model = SVC().fit(X_CLF, Y_CLF)
    with pytest.raises(ValueError) as error:
        score_partitions(model, X_CLF, Y_CLF, GROUPS, metrics=metrics)
    message = str(error.value)
    loss = "log_loss" if metrics == "log_loss" else "brier_score"
    assert message.startswith(f"the metrics ['{loss}'] need probabilities but SVC")
    assert "decision_function gives scores, not probabilities" in message
    assert "CalibratedClassifierCV" in message and "probability=True" in message


def test_predict_once_derives_labels_from_the_probability_argmax(classifier):
    y_pred, y_proba = predict_once(classifier, X_CLF, needs_proba=True)
    np.testing.assert_array_equal(y_pred, classifier.classes_[y_proba.argmax(axis=1)])
    labels_only, none = predict_once(classifier, X_CLF, needs_proba=False)
    assert none is None
    np.testing.assert_array_equal(labels_only, classifier.predict(X_CLF))


def test_regression_metrics_on_a_classifier_say_so():
    from sklearn.linear_model import LogisticRegression

    X, y = [[0], [1], [2], [3]], ["low", "low", "high", "high"]
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"\['r2'\] are regression metrics, but"):
        score_partitions(model, X, y, ["a", "a", "b", "b"], metrics=["r2"])


def test_multi_output_regression_is_refused_naming_y_its_shape_and_the_way_out():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    Y2 = np.column_stack([y, X[:, 2] * 100])
    groups = np.where(X[:, 1] > 0, "m", "f")
    model = Ridge().fit(X, Y2)
    with pytest.raises(ValueError) as error:
        score_partitions(model, X, Y2, groups)
    message = str(error.value)
    assert message.startswith("y has shape (442, 2): multi-output targets")
    assert "metrics_by_partition(y[:, j], estimator.predict(X)[:, j], groups" in message
    # The way out it names gives sklearn's value per partition and output.
    pred = model.predict(X)
    for j in range(2):
        report = metrics_by_partition(Y2[:, j], pred[:, j], groups, metrics="r2")
        for label in ["f", "m"]:
            mask = groups == label
            assert report.by_partition.loc[label, "r2"] == pytest.approx(
                skm.r2_score(Y2[mask, j], pred[mask, j]), rel=1e-9
            )


@pytest.mark.parametrize("argument", ["y_true", "y_pred"])
def test_multi_output_predictions_are_refused_by_metrics_by_partition(argument):
    one, two = np.arange(4.0), np.arange(8.0).reshape(4, 2)
    arrays = {"y_true": one, "y_pred": one, argument: two}
    with pytest.raises(ValueError, match=rf"{argument} has shape \(4, 2\): multi-out"):
        metrics_by_partition(**arrays, groups=[0, 0, 1, 1], metrics="r2")
