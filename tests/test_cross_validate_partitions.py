"""cross_validate_partitions: out-of-fold per-partition metrics on sklearn's CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionReport, cross_validate_partitions

SITES = np.array(["a", "b", "c", "d", "e", "f"])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    site = np.repeat(SITES, 30)
    noise = np.repeat(np.linspace(0.2, 1.5, len(SITES)), 30)
    X = rng.normal(size=(len(site), 2))
    y = (X[:, 0] + noise * rng.normal(size=len(site)) > 0).astype(int)
    return X, y, site


def balanced_accuracy_on(model, X, y, mask):
    """Independent value: sklearn on a boolean mask, classes balanced there."""
    weight = compute_sample_weight("balanced", y[mask])
    return accuracy_score(y[mask], model.predict(X[mask]), sample_weight=weight)


def manual_folds(X, y, groups, cv):
    """(fitted model, test mask) per split, fitted by hand."""
    out = []
    split_groups = groups if isinstance(cv, GroupKFold) else None
    for train, test in cv.split(X, y, split_groups):
        mask = np.zeros(len(y), dtype=bool)
        mask[test] = True
        out.append((LogisticRegression().fit(X[train], y[train]), mask))
    return out


def out_of_fold_predictions(X, y, groups, cv):
    """Each row predicted by the model fitted by hand without its fold."""
    pred = np.empty(len(y), dtype=y.dtype)
    for model, test in manual_folds(X, y, groups, cv):
        pred[test] = model.predict(X[test])
    return pred


def balanced_accuracy_of(pred, y, mask):
    weight = compute_sample_weight("balanced", y[mask])
    return accuracy_score(y[mask], pred[mask], sample_weight=weight)


def test_group_k_fold_scores_each_partition_with_the_model_that_held_it_out(data):
    X, y, site = data
    report = cross_validate_partitions(LogisticRegression(), X, y, groups=site)
    assert isinstance(report, PartitionReport)
    assert report.by_partition.index.tolist() == SITES.tolist()
    for model, test in manual_folds(X, y, site, GroupKFold(5)):
        for label in np.unique(site[test]):
            row = report.by_partition.loc[label]
            expected = balanced_accuracy_on(model, X, y, test & (site == label))
            assert row["accuracy"] == pytest.approx(expected, rel=1e-9)
    summary = report.summary.loc["accuracy"]
    assert summary["worst"] == report.by_partition["accuracy"].min()
    assert report.metrics == ["accuracy"]


def test_overall_is_the_metric_on_all_out_of_fold_predictions(data):
    X, y, site = data
    report = cross_validate_partitions(
        LogisticRegression(), X, y, groups=site, cv=3, metrics=["accuracy", "log_loss"]
    )
    pred = np.empty(len(y), dtype=int)
    proba = np.empty((len(y), 2))
    for model, test in manual_folds(X, y, site, GroupKFold(3)):
        proba[test] = model.predict_proba(X[test])
        pred[test] = model.classes_[proba[test].argmax(axis=1)]
    weight = np.empty(len(y))
    for label in SITES:  # balanced within each partition, as the core
        weight[site == label] = compute_sample_weight("balanced", y[site == label])
    assert report.overall["accuracy"] == pytest.approx(
        accuracy_score(y, pred, sample_weight=weight), rel=1e-9
    )
    assert report.overall["log_loss"] == pytest.approx(
        log_loss(y, proba, sample_weight=weight), rel=1e-9
    )


def test_partition_in_several_test_folds_is_scored_on_its_pooled_predictions(data):
    X, y, site = data
    cv = KFold(3, shuffle=True, random_state=0)
    report = cross_validate_partitions(LogisticRegression(), X, y, groups=site, cv=cv)
    table = report.by_partition
    # The same shape whatever the splitter: one row per partition.
    assert table.index.tolist() == SITES.tolist()
    assert table["n_samples"].sum() == len(y)
    pred = out_of_fold_predictions(X, y, site, cv)
    for label in SITES:
        expected = balanced_accuracy_of(pred, y, site == label)
        assert table.loc[label, "accuracy"] == pytest.approx(expected, rel=1e-9)
    assert report.summary.loc["accuracy", "worst_partition"] in SITES


def test_partitions_report_by_hospital_while_splitting_by_patient(data):
    X, y, _ = data
    patient = np.arange(len(y)) // 10  # 18 patients of 10 rows
    hospital = np.array(["north", "south"])[patient % 2]
    report = cross_validate_partitions(
        LogisticRegression(), X, y, groups=patient, partitions=hospital, cv=3
    )
    assert report.by_partition.index.tolist() == ["north", "south"]
    pred = out_of_fold_predictions(X, y, patient, GroupKFold(3))
    for label in ("north", "south"):
        expected = balanced_accuracy_of(pred, y, hospital == label)
        cell = report.by_partition.loc[label, "accuracy"]
        assert cell == pytest.approx(expected, rel=1e-9)


def test_probabilities_of_a_class_missing_from_a_training_fold_are_aligned():
    rng = np.random.default_rng(3)
    site = np.repeat(["a", "b", "c"], 40)
    X = rng.normal(size=(120, 2))
    y = np.where(X[:, 0] > 0, 1, 0)
    y[(site == "c") & (X[:, 1] > 0.5)] = 2  # class 2 only at site c
    report = cross_validate_partitions(
        LogisticRegression(),
        X,
        y,
        groups=site,
        cv=3,
        metrics="log_loss",
        sample_weight=None,
    )
    train, test = next(
        (tr, te) for tr, te in GroupKFold(3).split(X, y, site) if "c" in site[te]
    )
    model = LogisticRegression().fit(X[train], y[train])  # never sees class 2
    proba = np.zeros((len(test), 3))
    proba[:, :2] = model.predict_proba(X[test])
    expected = log_loss(y[test], proba, labels=[0, 1, 2])
    assert report.by_partition.loc["c", "log_loss"] == pytest.approx(expected, rel=1e-9)


def test_same_report_with_routing_on_and_off_and_with_two_jobs(data):
    X, y, site = data
    reference = cross_validate_partitions(LogisticRegression(), X, y, groups=site)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = cross_validate_partitions(
            LogisticRegression().set_fit_request(sample_weight=True),
            X,
            y,
            groups=site,
            params={"sample_weight": np.ones(len(y))},
        )
    parallel = cross_validate_partitions(
        LogisticRegression(), X, y, groups=site, n_jobs=2
    )
    pd.testing.assert_frame_equal(routed.by_partition, reference.by_partition)
    pd.testing.assert_frame_equal(parallel.by_partition, reference.by_partition)


def test_fit_params_reach_the_estimator(data):
    X, y, site = data
    weight = np.where(y == 1, 5.0, 1.0)
    report = cross_validate_partitions(
        LogisticRegression(), X, y, groups=site, cv=3, params={"sample_weight": weight}
    )
    model, test = manual_folds(X, y, site, GroupKFold(3))[0]
    train = ~test
    model = LogisticRegression().fit(X[train], y[train], sample_weight=weight[train])
    label = np.unique(site[test])[0]
    expected = balanced_accuracy_on(model, X, y, test & (site == label))
    assert report.by_partition.loc[label, "accuracy"] == pytest.approx(expected)


def test_regressor_defaults_to_unweighted_r2(data):
    X, _, site = data
    target = 2 * X[:, 0] + np.random.default_rng(1).normal(size=len(X))
    report = cross_validate_partitions(Ridge(), X, target, groups=site, cv=3)
    train, test = next(GroupKFold(3).split(X, target, site))
    model = clone(Ridge()).fit(X[train], target[train])
    label = np.unique(site[test])[0]
    mask = site == label
    expected = r2_score(target[mask], model.predict(X[mask]))
    assert report.by_partition.loc[label, "r2"] == pytest.approx(expected, rel=1e-9)


class FailsOnSmallTrainingSets(ClassifierMixin, BaseEstimator):
    """LogisticRegression that refuses to fit on fewer than 130 rows."""

    def fit(self, X, y):
        if len(X) < 130:
            raise RuntimeError("too few rows")
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_failed_folds_are_left_out_with_a_warning_or_raised(data):
    X, y, site = data  # GroupKFold(5) on 6 sites: one fold trains on 120 rows
    with (
        pytest.warns(FitFailedWarning),
        pytest.warns(UserWarning, match=r"fit failed on fold\(s\) \[0\]"),
    ):
        report = cross_validate_partitions(
            FailsOnSmallTrainingSets(), X, y, groups=site
        )
    assert len(report.by_partition) == 4
    with pytest.raises(RuntimeError, match="too few rows"):
        cross_validate_partitions(
            FailsOnSmallTrainingSets(), X, y, groups=site, error_score="raise"
        )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"groups": None}, "groups is None and so is partitions"),
        ({"params": {"groups": SITES}}, "not in params"),
        ({"error_score": 0.0}, "error_score must be"),
        ({"min_partition_size": 0}, "min_partition_size"),
    ],
)
def test_invalid_options_are_rejected(data, kwargs, match):
    X, y, site = data
    kwargs = {"groups": site, **kwargs}
    with pytest.raises(ValueError, match=match):
        cross_validate_partitions(LogisticRegression(), X, y, **kwargs)
