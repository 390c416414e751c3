"""make_partition_scorer: values, signs, keys, routing, searches, errors."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    HalvingGridSearchCV,
    RandomizedSearchCV,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.utils.class_weight import compute_sample_weight

from skpart import make_partition_scorer

SITES = np.array(["a", "b", "c", "d", "e", "f"])


@pytest.fixture
def data():
    """Features plus a ``site`` column; sites differ in noise."""
    rng = np.random.default_rng(0)
    site = np.repeat(SITES, 30)
    noise = np.repeat(np.linspace(0.2, 1.5, len(SITES)), 30)
    X = pd.DataFrame(rng.normal(size=(len(site), 2)), columns=["x0", "x1"])
    y = (X["x0"] + noise * rng.normal(size=len(site)) > 0).astype(int).to_numpy()
    return X, y, site


def per_site(y, pred, groups, metric, balanced=True):
    """An independent per-partition computation: sklearn on boolean masks."""
    values = []
    for label in np.unique(groups):
        mask = np.asarray(groups) == label
        weight = compute_sample_weight("balanced", y[mask]) if balanced else None
        values.append(metric(y[mask], pred[mask], sample_weight=weight))
    return np.array(values)


def worst_accuracy(model, X, y, groups):
    return per_site(y, model.predict(X), groups, accuracy_score).min()


def drop_site():
    return ColumnTransformer([("site", "drop", ["site"])], remainder="passthrough")


def test_one_metric_one_aggregate_is_the_worst_partition_as_a_float(data):
    X, y, site = data
    model = LogisticRegression().fit(X, y)
    score = make_partition_scorer()(model, X, y, groups=site)
    assert isinstance(score, float)
    assert score == pytest.approx(worst_accuracy(model, X, y, site), rel=1e-9)


def test_losses_and_spreads_are_negated_so_greater_is_better(data):
    X, y, site = data
    model = LogisticRegression().fit(X, y)
    scorer = make_partition_scorer(
        ["accuracy", "log_loss"], aggregate=["worst", "best", "mean", "std", "gap"]
    )
    scores = scorer(model, X, y, groups=site)
    acc = per_site(y, model.predict(X), site, accuracy_score)
    proba = model.predict_proba(X)
    loss = per_site(
        y,
        proba,
        site,
        lambda t, p, sample_weight: log_loss(
            t, p, sample_weight=sample_weight, labels=[0, 1]
        ),
    )
    expected = {
        "accuracy_worst": acc.min(),
        "accuracy_best": acc.max(),
        "accuracy_mean": acc.mean(),
        "accuracy_std": -acc.std(),
        "accuracy_gap": -(acc.max() - acc.min()),
        "log_loss_worst": -loss.max(),
        "log_loss_best": -loss.min(),
        "log_loss_mean": -loss.mean(),
        "log_loss_std": -loss.std(),
        "log_loss_gap": -(loss.max() - loss.min()),
    }
    assert list(scores) == list(expected)
    assert scores == pytest.approx(expected, rel=1e-9)


def test_overall_aggregate_is_the_metric_on_all_rows_with_the_same_weights(data):
    X, y, site = data
    model = LogisticRegression().fit(X, y)
    scores = make_partition_scorer("roc_auc", aggregate=["overall"])(
        model, X, y, groups=site
    )
    weight = np.empty(len(y))
    for label in SITES:  # balanced within each partition, as the core
        weight[site == label] = compute_sample_weight("balanced", y[site == label])
    expected = roc_auc_score(y, model.predict_proba(X)[:, 1], sample_weight=weight)
    assert scores == {"roc_auc_overall": pytest.approx(expected, rel=1e-9)}


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """LogisticRegression that counts predict and predict_proba calls."""

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.calls_ = {"predict": 0, "predict_proba": 0}
        return self

    def predict(self, X):
        self.calls_["predict"] += 1
        return self.model_.predict(X)

    def predict_proba(self, X):
        self.calls_["predict_proba"] += 1
        return self.model_.predict_proba(X)


@pytest.mark.parametrize(
    ("metrics", "expected"),
    [
        (["accuracy", "f1", "recall"], {"predict": 1, "predict_proba": 0}),
        (["accuracy", "roc_auc", "log_loss"], {"predict": 0, "predict_proba": 1}),
    ],
)
def test_predicts_once_per_call_whatever_the_number_of_metrics(data, metrics, expected):
    X, y, site = data
    model = CountingClassifier().fit(X, y)
    make_partition_scorer(metrics, aggregate=["worst", "mean"])(
        model, X, y, groups=site
    )
    assert model.calls_ == expected


def test_scorer_without_groups_raises_naming_both_ways(data):
    X, y, _ = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="received no groups") as info:
        make_partition_scorer()(model, X, y)
    message = str(info.value)
    assert "enable_metadata_routing=True" in message
    assert "groups='column'" in message


def test_missing_groups_is_an_error_not_a_silent_nan_in_cross_validate(data):
    X, y, site = data
    scorer = make_partition_scorer()
    with pytest.raises(ValueError, match="received no groups"):
        cross_validate(
            LogisticRegression(),
            X,
            y,
            groups=site,
            cv=GroupKFold(3),
            scoring=scorer,
            error_score="raise",
        )
    # With sklearn's default error_score=nan the NaN comes with our message.
    with pytest.warns(UserWarning, match="received no groups"):
        cross_validate(
            LogisticRegression(), X, y, groups=site, cv=GroupKFold(3), scoring=scorer
        )


def manual_split_score(estimator, X, y, site, split, n_splits=3):
    """Fit on one GroupKFold split ourselves; worst accuracy on the test fold."""
    train, test = list(GroupKFold(n_splits).split(X, y, site))[split]
    model = clone(estimator).fit(X.iloc[train], y[train])
    return worst_accuracy(model, X.iloc[test], y[test], site[test])


def test_grid_search_with_routing_scores_each_fold_on_its_groups(data):
    X, y, site = data
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [0.01, 1.0]},
            cv=GroupKFold(3),
            scoring=make_partition_scorer(),
            error_score="raise",
        ).fit(X, y, groups=site)
    for split in range(3):
        expected = manual_split_score(LogisticRegression(C=0.01), X, y, site, split)
        assert search.cv_results_[f"split{split}_test_score"][0] == pytest.approx(
            expected, rel=1e-9
        )


def test_cross_validate_with_routing_takes_groups_from_params(data):
    X, y, site = data
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=GroupKFold(3),
            params={"groups": site},
            scoring=make_partition_scorer(),
            error_score="raise",
        )
    expected = [
        manual_split_score(LogisticRegression(), X, y, site, i) for i in range(3)
    ]
    np.testing.assert_allclose(result["test_score"], expected, rtol=1e-9)


def test_routed_sample_weight_replaces_the_balanced_default(data):
    X, y, site = data
    weight = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scorer = make_partition_scorer().set_score_request(sample_weight=True)
        model = LogisticRegression().set_fit_request(sample_weight=False)
        result = cross_validate(
            model,
            X,
            y,
            cv=GroupKFold(3),
            scoring=scorer,
            error_score="raise",
            params={"groups": site, "sample_weight": weight},
        )
    train, test = next(GroupKFold(3).split(X, y, site))
    fitted = LogisticRegression().fit(X.iloc[train], y[train])
    pred, y_test, w_test = fitted.predict(X.iloc[test]), y[test], weight[test]
    expected = min(
        accuracy_score(y_test[m], pred[m], sample_weight=w_test[m])
        for m in (site[test][:, None] == np.unique(site[test])).T
    )
    assert result["test_score"][0] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("routing", [False, True])
def test_group_column_dropped_by_a_column_transformer_with_routing_on_or_off(
    data, routing
):
    X, y, site = data
    X = X.assign(site=site)
    pipe = make_pipeline(drop_site(), LogisticRegression())
    with sklearn.config_context(enable_metadata_routing=routing):
        search = GridSearchCV(
            pipe,
            {"logisticregression__C": [0.01, 1.0]},
            cv=GroupKFold(3),
            scoring=make_partition_scorer(groups="site"),
            error_score="raise",
        ).fit(X, y, groups=site)
    expected = manual_split_score(
        make_pipeline(drop_site(), LogisticRegression(C=1.0)), X, y, site, 1
    )
    assert search.cv_results_["split1_test_score"][1] == pytest.approx(expected)


def test_groups_from_a_callable_or_several_columns(data):
    X, y, site = data
    X = X.assign(site=site, half=np.where(X["x1"] > 0, "hi", "lo"))
    model = make_pipeline(
        ColumnTransformer([("g", "drop", ["site", "half"])], remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    from_callable = make_partition_scorer(groups=lambda frame: frame["site"])
    assert from_callable(model, X, y) == pytest.approx(
        worst_accuracy(model, X, y, site)
    )
    cells = np.char.add(site.astype(str), X["half"].to_numpy().astype(str))
    several = make_partition_scorer(groups=["site", "half"])
    assert several(model, X, y) == pytest.approx(worst_accuracy(model, X, y, cells))


def test_dict_keys_are_the_same_on_every_fold_whatever_partitions_it_holds(data):
    X, y, site = data
    scorer = make_partition_scorer(["accuracy", "log_loss"], aggregate=["worst", "gap"])
    # Folds of 1, 2 and 3 sites: keys depend on metrics and aggregates only.
    cv = [
        (np.flatnonzero(~np.isin(site, test)), np.flatnonzero(np.isin(site, test)))
        for test in (["a"], ["b", "c"], ["d", "e", "f"])
    ]
    with sklearn.config_context(enable_metadata_routing=True):
        result = cross_validate(
            LogisticRegression(),
            X,
            y,
            cv=cv,
            params={"groups": site},
            scoring=scorer,
            error_score="raise",
        )
    keys = sorted(k for k in result if k.startswith("test_"))
    assert keys == [
        "test_accuracy_gap",
        "test_accuracy_worst",
        "test_log_loss_gap",
        "test_log_loss_worst",
    ]
    assert np.all(np.isfinite([result[k] for k in keys]))
    assert result["test_accuracy_gap"][0] == 0.0  # one partition: no spread


def test_grid_search_refits_on_the_worst_partition_key(data):
    X, y, site = data
    scorer = make_partition_scorer(["accuracy"], aggregate=["worst", "mean"])
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            LogisticRegression(),
            {"C": [1e-4, 1e-2, 1.0]},
            cv=GroupKFold(3),
            scoring=scorer,
            refit="accuracy_worst",
            error_score="raise",
        ).fit(X, y, groups=site)
    means = search.cv_results_["mean_test_accuracy_worst"]
    assert search.best_index_ == int(np.argmax(means))
    assert search.best_estimator_.C == [1e-4, 1e-2, 1.0][int(np.argmax(means))]
    assert "mean_test_accuracy_mean" in search.cv_results_


@pytest.mark.parametrize("search_cls", [RandomizedSearchCV, HalvingGridSearchCV])
def test_randomized_and_halving_searches_use_the_partition_scorer(data, search_cls):
    X, y, site = data
    X = X.assign(site=site)
    pipe = make_pipeline(drop_site(), LogisticRegression())
    grid = {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]}
    kwargs = (
        {"n_iter": 3, "random_state": 0}
        if search_cls is RandomizedSearchCV
        else {"min_resources": 60, "factor": 2}
    )
    search = search_cls(
        pipe,
        grid,
        cv=GroupKFold(3),
        scoring=make_partition_scorer(groups="site"),
        error_score="raise",
        **kwargs,
    ).fit(X, y, groups=site)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    refit_score = make_partition_scorer(groups="site")(search.best_estimator_, X, y)
    assert refit_score == pytest.approx(
        worst_accuracy(search.best_estimator_, X, y, site)
    )


def test_undefined_aggregate_raises_instead_of_returning_nan(data):
    X, y, site = data
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="accuracy_worst.*min_partition_size"):
        make_partition_scorer(min_partition_size=100)(model, X, y, groups=site)
    one_class = y[site == "a"] * 0
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="roc_auc_overall"):
        make_partition_scorer("roc_auc", aggregate="overall")(
            model, X[site == "a"], one_class, groups=site[site == "a"]
        )


def test_min_partition_size_leaves_small_partitions_out_of_worst(data):
    X, y, site = data
    model = LogisticRegression().fit(X, y)
    keep = (site != "f") | (np.arange(len(y)) % 30 < 5)  # site f keeps 5 rows
    X, y, site = X[keep], y[keep], site[keep]
    score = make_partition_scorer(min_partition_size=10)(model, X, y, groups=site)
    big = site != "f"
    assert score == pytest.approx(worst_accuracy(model, X[big], y[big], site[big]))


def test_scorer_pickles_and_has_a_readable_repr():
    scorer = make_partition_scorer(
        ["accuracy", "log_loss"],
        aggregate=["worst", "gap"],
        groups="site",
        sample_weight=None,
        min_partition_size=5,
    )
    expected = (
        "make_partition_scorer(['accuracy', 'log_loss'], aggregate=['worst', 'gap'], "
        "groups='site', sample_weight=None, min_partition_size=5)"
    )
    assert repr(scorer) == expected
    assert repr(pickle.loads(pickle.dumps(scorer))) == expected


def test_regressor_errors_are_negated(data):
    from sklearn.linear_model import Ridge
    from sklearn.metrics import mean_squared_error

    X, _, site = data
    target = X["x0"].to_numpy() * 2 + np.random.default_rng(2).normal(size=len(X))
    model = Ridge().fit(X, target)
    score = make_partition_scorer("mean_squared_error")(model, X, target, groups=site)
    per = per_site(target, model.predict(X), site, mean_squared_error, balanced=False)
    assert score == pytest.approx(-per.max(), rel=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"aggregate": "median"}, "aggregate must be one of"),
        ({"aggregate": []}, "aggregate must be one of"),
        ({"metrics": "accuracyy"}, "Unknown metric"),
        ({"groups": np.array(["a", "b"])}, "cannot hold one label array"),
        ({"sample_weight": np.ones(3)}, "set_score_request"),
        ({"min_partition_size": 0}, "min_partition_size"),
    ],
)
def test_invalid_options_are_rejected_when_the_scorer_is_made(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_partition_scorer(**kwargs)


def test_group_column_needs_a_dataframe_with_that_column(data):
    X, y, _ = data
    model = LogisticRegression().fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="not a pandas DataFrame"):
        make_partition_scorer(groups="site")(model, X.to_numpy(), y)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"does not have.*'x0'"):
        make_partition_scorer(groups="site")(model, X, y)
