"""The estimators behave as sklearn and Keras users expect."""

import pickle
import random
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import spearmanr
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import StackingRegressor, VotingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    check_cv,
    cross_val_score,
)

from skpart import PartitionAwareClassifier, PartitionAwareRegressor

from ._models import tiny_classifier, tiny_regressor

pytestmark = pytest.mark.slow


def _data(n=240, n_features=4, n_classes=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features)).astype("float32")
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    if n_classes == 3:
        y = np.digitize(X[:, 0], [-0.4, 0.4])
    return X, y


def _clf(**params):
    params = {"model": tiny_classifier, "epochs": 3, "verbose": 0, **params}
    return PartitionAwareClassifier(**params)


def _reg(**params):
    params = {"model": tiny_regressor, "epochs": 3, "verbose": 0, **params}
    return PartitionAwareRegressor(**params)


def _with_compiled_metrics(meta, compile_kwargs):
    model = tiny_classifier(meta)
    model.compile(
        loss="binary_crossentropy", optimizer="adam", metrics=["accuracy", "auc"]
    )
    return model


# --- training compiled without metrics ---------------------------------------


def test_plain_fit_history_holds_the_loss_only():
    X, y = _data()
    clf = _clf(validation_split=0.2).fit(X, y)
    assert sorted(clf.history_) == ["loss", "val_loss"]
    assert [m.name for m in clf.model_.metrics] == ["loss"]


def test_model_compiled_with_metrics_trains_without_them_and_warns_once():
    X, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _clf(model=_with_compiled_metrics).fit(X, y)
    messages = [str(w.message) for w in caught if "loss only" in str(w.message)]
    assert len(messages) == 1
    assert "score_partitions" in messages[0] and "PartitionMonitor" in messages[0]
    assert sorted(clf.history_) == ["loss"]
    assert clf.model_.metrics_names == ["loss"]
    # The warning names the line that called fit, not a line inside SciKeras.
    assert [w.filename for w in caught if "loss only" in str(w.message)] == [__file__]


def test_metrics_argument_is_not_used_for_training():
    X, y = _data()

    def uncompiled(meta):
        model = tiny_classifier(meta)
        model.compiled = False
        return model

    with pytest.warns(UserWarning, match="loss only"):
        clf = _clf(
            model=uncompiled, loss="binary_crossentropy", metrics=["accuracy"]
        ).fit(X, y)
    assert sorted(clf.history_) == ["loss"]


def test_pickled_model_comes_back_without_metrics():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        clf = _clf(model=_with_compiled_metrics).fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    assert restored.model_.metrics_names == ["loss"]
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


# --- sklearn sees what they are ----------------------------------------------


def test_sklearn_sees_a_classifier_and_a_regressor():
    assert is_classifier(_clf()) and not is_regressor(_clf())
    assert is_regressor(_reg()) and not is_classifier(_reg())
    X, y = _data()
    assert isinstance(check_cv(5, y, classifier=is_classifier(_clf())), StratifiedKFold)


@pytest.mark.parametrize("scoring", ["roc_auc", "neg_log_loss", "accuracy"])
def test_probability_scorers_work_in_cross_validation(scoring):
    X, y = _data()
    scores = cross_val_score(_clf(random_state=0), X, y, cv=3, scoring=scoring)
    assert np.isfinite(scores).all()


def test_calibration_over_a_frozen_model_keeps_the_probability_order():
    X, y = _data(n=400)
    clf = _clf(random_state=0, epochs=10).fit(X[:200], y[:200])
    calibrated = CalibratedClassifierCV(FrozenEstimator(clf)).fit(X[200:], y[200:])
    raw = clf.predict_proba(X)[:, 1]
    cal = calibrated.predict_proba(X)[:, 1]
    assert spearmanr(raw, cal).statistic > 0.9


def test_ensembles_accept_the_estimators():
    X, y = _data()
    vote = VotingClassifier(
        [("keras", _clf(random_state=0)), ("lr", LogisticRegression())], voting="soft"
    ).fit(X, y)
    assert vote.predict_proba(X).shape == (len(X), 2)
    stack = StackingRegressor(
        [("keras", _reg(random_state=0))], LinearRegression(), cv=2
    )
    assert stack.fit(X, X[:, 0]).predict(X).shape == (len(X),)


# --- random_state is scoped to the fit ------------------------------------------


def test_seeded_fit_is_reproducible():
    X, y = _data()
    first = _clf(random_state=7).fit(X, y).predict_proba(X)
    second = _clf(random_state=7).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_seeded_fit_leaves_no_global_state_behind():
    from keras.src.utils.rng_utils import get_random_seed
    from tensorflow.python.framework import config

    X, y = _data()
    random.seed(123)
    np.random.seed(123)
    expected = (random.random(), np.random.rand())
    random.seed(123)
    np.random.seed(123)
    _clf(random_state=0).fit(X, y)
    assert (random.random(), np.random.rand()) == expected
    assert not config.is_op_determinism_enabled()
    assert get_random_seed() is None


def test_unseeded_fit_with_dropout_runs_after_a_seeded_fit():
    X, y = _data()

    def with_dropout(meta):
        model = keras.Sequential(
            [
                keras.Input((meta["n_features_in_"],)),
                keras.layers.Dense(8, activation="relu"),
                keras.layers.Dropout(0.3),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(loss="binary_crossentropy", optimizer="adam")
        return model

    _clf(model=with_dropout, random_state=0).fit(X, y)
    unseeded = _clf(model=with_dropout).fit(X, y)
    assert len(unseeded.history_["loss"]) == 3


def test_successive_partial_fits_do_not_replay_the_same_epoch():
    X, y = _data()
    clf = _clf(random_state=0, epochs=1)
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.history_["loss"]) == 2
    assert clf.current_epoch == 2


# --- SciKeras parameters and routing keep working --------------------------------


def test_scikeras_routing_reaches_the_optimizer_and_fit():
    X, y = _data()

    def uncompiled(meta):
        model = tiny_classifier(meta)
        model.compiled = False
        return model

    clf = _clf(
        model=uncompiled,
        loss="binary_crossentropy",
        optimizer="sgd",
        optimizer__learning_rate=0.05,
        fit__batch_size=16,
    ).fit(X, y)
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(0.05)


def test_warm_start_and_class_weight_train():
    X, y = _data()
    clf = _clf(warm_start=True, class_weight="balanced", random_state=0).fit(X, y)
    weights = [w.copy() for w in clf.model_.get_weights()]
    clf.fit(X, y)
    after = clf.model_.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(weights, after, strict=True))


def test_prediction_uses_a_large_batch_unless_told_otherwise(monkeypatch):
    X, y = _data(n=5000)
    clf = _clf(random_state=0).fit(X, y)
    seen = []
    original = clf.model_.predict_on_batch
    monkeypatch.setattr(
        clf.model_,
        "predict_on_batch",
        lambda x: seen.append(len(x)) or original(x),
    )
    clf.predict(X)
    assert seen == [4096, 904]
    seen.clear()
    clf.set_params(predict__batch_size=2000).predict(X)
    assert seen == [2000, 2000, 1000]


def test_batched_prediction_equals_keras_predict():
    X, y = _data(n=5000, n_classes=3)
    clf = _clf(random_state=0).fit(X, y)
    expected = clf.model_.predict(X, batch_size=4096, verbose=0)
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    np.testing.assert_array_equal(
        clf.predict(X), clf.classes_[np.argmax(expected, axis=1)]
    )


def test_predict_callbacks_still_go_through_keras_predict():
    X, y = _data()
    seen = []

    class CountBatches(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append(batch)

    clf = _clf(predict__callbacks=[CountBatches()], random_state=0).fit(X, y)
    clf.predict(X)
    assert seen == [0]


def test_training_callbacks_do_not_slow_prediction_down(monkeypatch):
    X, y = _data()
    stop = keras.callbacks.EarlyStopping(monitor="loss", patience=1)
    clf = _clf(callbacks=[stop], random_state=0).fit(X, y)
    monkeypatch.setattr(
        clf.model_, "predict", lambda *a, **k: pytest.fail("used Model.predict")
    )
    assert clf.predict(X).shape == (len(X),)


def test_string_labels_and_multiclass_round_trip():
    X, y = _data(n_classes=3)
    labels = np.array(["low", "mid", "high"])[y]
    clf = _clf(random_state=0).fit(X, labels)
    assert set(clf.predict(X)) <= set(labels)
    assert clf.predict_proba(X).shape == (len(X), 3)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))


def test_clone_and_pickle_round_trip():
    X, y = _data()
    clf = _clf(random_state=0).fit(X, y)
    assert clone(clf).get_params()["random_state"] == 0
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_grid_search_gives_the_same_results_with_two_jobs():
    X, y = _data()
    grid = {"epochs": [1, 2]}
    one = GridSearchCV(_clf(random_state=0), grid, cv=2, n_jobs=1).fit(X, y)
    two = GridSearchCV(_clf(random_state=0), grid, cv=2, n_jobs=2).fit(X, y)
    np.testing.assert_allclose(
        one.cv_results_["mean_test_score"], two.cv_results_["mean_test_score"]
    )


# --- bad input gets a clear error --------------------------------------------


@pytest.mark.parametrize("where", ["X", "y"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_the_data_names_the_argument(where, bad):
    X, y = _data()
    X, y = X.copy(), y.astype(float)
    (X if where == "X" else y)[3] = bad
    with pytest.raises(ValueError, match=f"Input {where} contains"):
        _reg().fit(X, y)


def test_wrong_number_of_features_at_predict():
    X, y = _data()
    clf = _clf().fit(X, y)
    with pytest.raises(
        ValueError,
        match="X has 3 features, but PartitionAwareClassifier is expecting 4",
    ):
        clf.predict(X[:, :3])


def test_feature_names_are_checked_like_sklearn():
    X, y = _data()
    frame = pd.DataFrame(X, columns=list("abcd"))
    clf = _clf().fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, list("abcd"))
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(frame.rename(columns={"a": "z"}).to_numpy())
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"a": "z"}))


@pytest.mark.parametrize("make_sparse", [sp.csr_matrix, sp.csr_array])
def test_sparse_input_is_refused_with_a_message_that_says_so(make_sparse):
    X, y = _data()
    with pytest.raises(TypeError, match="sparse input X.*toarray"):
        _clf().fit(make_sparse(X), y)
    clf = _clf().fit(X, y)
    with pytest.raises(TypeError, match="sparse input X"):
        clf.predict(make_sparse(X))


def test_use_before_fit_raises_not_fitted():
    X, _ = _data()
    with pytest.raises(NotFittedError):
        _clf().predict(X)
    with pytest.raises(NotFittedError):
        _reg().score_partitions(X, X[:, 0], np.zeros(len(X)))


def test_model_function_that_returns_no_model():
    X, y = _data()

    def forgot_return(meta):
        tiny_classifier(meta)

    with pytest.raises(
        TypeError, match=r"model= must build and return a keras.Model.*NoneType"
    ):
        _clf(model=forgot_return).fit(X, y)


def test_regression_target_given_to_the_classifier():
    X, _ = _data()
    with pytest.raises(ValueError, match="continuous.*use PartitionAwareRegressor"):
        _clf().fit(X, X[:, 0])
