"""The estimators behave as sklearn and Keras users expect."""

import logging
import os
import pickle
import random
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scikeras.wrappers import KerasClassifier, KerasRegressor
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
from sklearn.preprocessing import FunctionTransformer

from skpart import PartitionAwareClassifier, PartitionAwareRegressor, PartitionMonitor

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


def test_the_loss_only_warning_names_the_users_line_inside_a_search():
    X, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cross_val_score(_clf(model=_with_compiled_metrics, epochs=1), X, y, cv=2)
    named = {w.filename for w in caught if "loss only" in str(w.message)}
    assert named == {__file__}


def test_the_loss_only_warning_comes_once_per_estimator_not_per_fit_of_a_search():
    X, y = _data()
    clf = _clf(model=_with_compiled_metrics, epochs=1)
    search = GridSearchCV(clf, {"batch_size": [16, 32]}, cv=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y)  # 2 candidates x 3 folds, then the refit: 7 fits
    assert len(search.cv_results_["params"]) * 3 + 1 == 7
    assert len([w for w in caught if "loss only" in str(w.message)]) == 1
    # A new estimator says it again.
    with pytest.warns(UserWarning, match="loss only"):
        _clf(model=_with_compiled_metrics, epochs=1).fit(X, y)


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


# --- multi-input models ------------------------------------------------------


def _split(X, container):
    a, b = X[:, :2], X[:, 2:]
    return {"tuple": (a, b), "list": [a, b], "dict": {"a": a, "b": b}}[container]


def _two_inputs(meta, compile_kwargs=None):
    a, b = keras.Input((2,), name="a"), keras.Input((2,), name="b")
    hidden = keras.layers.Dense(4, activation="relu")(a)
    joined = keras.layers.Concatenate()([hidden, b])
    out = keras.layers.Dense(1, activation="sigmoid")(joined)
    model = keras.Model({"a": a, "b": b} if meta.get("dict") else [a, b], out)
    model.compile(loss="binary_crossentropy", optimizer="adam")
    return model


def _split_classifier(base):
    class Split(base):
        # A feature_encoder that turns X into two model inputs, as SciKeras's
        # docs show for multi-input models.
        def __init__(self, model=None, container="tuple", **kwargs):
            super().__init__(model=model, **kwargs)
            self.container = container

        @property
        def feature_encoder(self):
            return FunctionTransformer(_split, kw_args={"container": self.container})

    return Split


@pytest.mark.parametrize("container", ["tuple", "list", "dict"])
@pytest.mark.parametrize(("n", "batch"), [(300, 32), (4500, None)])
def test_multi_input_prediction_over_several_batches_matches_scikeras(
    container, n, batch
):
    X, y = _data(n=n)
    params = {"predict__batch_size": batch} if batch else {}
    ours = _split_classifier(PartitionAwareClassifier)(
        model=lambda: _two_inputs({"dict": container == "dict"}),
        container=container,
        epochs=1,
        verbose=0,
        random_state=0,
        **params,
    ).fit(X, y)
    scikeras = _split_classifier(KerasClassifier)(
        model=ours.model_, container=container, verbose=0, **params
    ).initialize(X, y)
    np.testing.assert_allclose(
        ours.predict_proba(X), scikeras.predict_proba(X), rtol=1e-6, atol=1e-7
    )
    np.testing.assert_array_equal(ours.predict(X), scikeras.predict(X))


# --- random_state seeds initialize too -----------------------------------------


def test_initialize_builds_identical_weights_with_the_same_random_state():
    X, y = _data()
    first = _clf(random_state=0).initialize(X, y).model_.get_weights()
    second = _clf(random_state=0).initialize(X, y).model_.get_weights()
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other = _clf(random_state=1).initialize(X, y).model_.get_weights()
    assert not np.array_equal(first[0], other[0])


def test_initialize_then_warm_start_is_reproducible():
    X, y = _data()

    def run():
        clf = _clf(random_state=0, warm_start=True).initialize(X, y)
        return clf.fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(run(), run())


# --- Model.predict overrides and verbose --------------------------------------


class DoublingPredict(keras.Sequential):
    def predict(self, x, *args, **kwargs):
        return 2 * super().predict(x, *args, **kwargs)


class DoublingPredictOnBatch(keras.Sequential):
    def predict_on_batch(self, x):
        return 2 * super().predict_on_batch(x)


@pytest.mark.parametrize("model_class", [DoublingPredict, DoublingPredictOnBatch])
def test_a_model_class_that_overrides_predict_is_predicted_with_model_predict(
    model_class,
):
    X, _ = _data()

    def build(meta):
        model = model_class(
            [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(1)]
        )
        model.compile(loss="mse", optimizer="adam")
        return model

    reg = _reg(model=build, random_state=0).fit(X, X[:, 0])
    # SciKeras always predicts with Model.predict, the override included.
    expected = reg.model_.predict(X, verbose=0).ravel()
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-6)


@pytest.mark.parametrize(
    ("verbose", "predict_verbose"), [(1, None), (0, None), (1, 0), (0, 1)]
)
def test_verbose_reaches_predict_as_in_scikeras(verbose, predict_verbose, capsys):
    X, _ = _data(n=100)
    params = {"verbose": verbose, "model": tiny_regressor}
    if predict_verbose is not None:
        params["predict__verbose"] = predict_verbose
    printed = []
    for cls in (KerasRegressor, PartitionAwareRegressor):
        est = cls(**params).initialize(X, X[:, 0])
        capsys.readouterr()
        est.predict(X)
        printed.append(bool(capsys.readouterr().out.strip()))
    # SciKeras passes predict__verbose, else verbose, to Model.predict.
    shown = verbose if predict_verbose is None else predict_verbose
    assert printed == [bool(shown), bool(shown)]


@pytest.mark.parametrize(
    ("verbose", "predict_verbose"), [(1, None), (0, None), (1, 0), (0, 1)]
)
def test_scoring_shows_no_progress_bar_unless_predict_verbose_asks(
    verbose, predict_verbose, capsys
):
    from skpart import make_partition_scorer, score_partitions

    X, y = _data(n=100)
    groups = np.arange(len(y)) % 2
    params = {"verbose": verbose}
    if predict_verbose is not None:
        params["predict__verbose"] = predict_verbose
    clf = _clf(**params).initialize(X, y)
    scorer = make_partition_scorer("roc_auc")
    capsys.readouterr()
    printed = []
    for score in (
        lambda: clf.score_partitions(X, y, groups),
        lambda: score_partitions(clf, X, y, groups, metrics="log_loss"),
        lambda: scorer(clf, X, y, groups=groups),
    ):
        score()
        printed.append(bool(capsys.readouterr().out.strip()))
    # The estimator's verbose is for fit; predict__verbose asks for bars.
    assert printed == [bool(predict_verbose)] * 3
    clf.predict(X)  # predict itself keeps SciKeras's rule
    shown = verbose if predict_verbose is None else predict_verbose
    assert bool(capsys.readouterr().out.strip()) == bool(shown)


# --- prediction traces once per model ------------------------------------------


@pytest.fixture
def tensorflow_warnings():
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.mark.parametrize("verbose", [0, 1], ids=["batched path", "Model.predict"])
def test_predicting_ragged_batches_with_new_models_does_not_warn_of_retracing(
    verbose, tensorflow_warnings
):
    X, y = _data(n=90)
    fitted, predicted = [], []
    for seed in range(6):  # one new model per fold, as in a search
        clf = _clf(random_state=seed, predict__batch_size=32).initialize(X, y)
        clf.set_params(verbose=verbose)
        # A last partial batch of a new size on each call.
        predicted.append([clf.predict_proba(X[:n])[:, 1] for n in (50, 90, 70)])
        fitted.append(clf)
        if verbose == 0:
            # One trace per model, whatever the batch sizes.
            assert clf.model_.predict_function.experimental_get_tracing_count() == 1
    retraces = [r for r in tensorflow_warnings if "retracing" in r.getMessage()]
    assert retraces == []
    for clf, outputs in zip(fitted, predicted, strict=True):
        for n, output in zip((50, 90, 70), outputs, strict=True):
            expected = clf.model_.predict(X[:n], batch_size=32, verbose=0).ravel()
            np.testing.assert_allclose(output, expected, rtol=1e-6)


# --- seeded fits are reproducible without op determinism on CPU ------------------


def _mlp_with_dropout(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam")
    return model


def test_seeded_fits_with_dropout_are_bitwise_equal_on_cpu_without_op_determinism():
    from tensorflow.python.framework import config

    X, y = _data()
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(
                (
                    config.is_op_determinism_enabled(),
                    "TF_DETERMINISTIC_OPS" in os.environ,
                )
            )

    def fit():
        clf = _clf(model=_mlp_with_dropout, random_state=3, callbacks=[Record()])
        return clf.fit(X, y).predict_proba(X)

    np.testing.assert_array_equal(fit(), fit())
    assert set(seen) == {(False, False)}  # no GPU visible in the tests
    unseeded = _clf(model=_mlp_with_dropout).fit(X, y)
    assert len(unseeded.history_["loss"]) == 3


# --- the loss-only warning says what the logs hold -----------------------------


def test_loss_only_warning_lists_the_keys_the_epoch_logs_hold():
    X, y = _data()
    groups = np.arange(len(X)) % 3
    monitor = PartitionMonitor(X, y, groups, metrics=["accuracy"])
    with pytest.warns(UserWarning, match="loss only") as caught:
        clf = _clf(model=_with_compiled_metrics, callbacks=[monitor]).fit(X, y)
    message = str(caught[0].message)
    for key in ("'loss'", "val_loss", "'val_partition_accuracy_worst'"):
        assert key in message
    assert "val_partition_accuracy_worst" in clf.history_


@pytest.mark.parametrize("key", ["acc", "accuracy", "val_accuracy", "val_auc"])
@pytest.mark.parametrize(
    "make_callback",
    [
        lambda key, path: keras.callbacks.EarlyStopping(monitor=key),
        lambda key, path: keras.callbacks.ReduceLROnPlateau(monitor=key),
        lambda key, path: keras.callbacks.ModelCheckpoint(path, monitor=key),
    ],
    ids=["EarlyStopping", "ReduceLROnPlateau", "ModelCheckpoint"],
)
def test_a_callback_monitoring_a_dropped_metric_fails_before_training(
    key, make_callback, tmp_path
):
    X, y = _data()
    callback = make_callback(key, str(tmp_path / "model.keras"))
    name = type(callback).__name__
    clf = _clf(model=_with_compiled_metrics, callbacks=[callback])
    with pytest.raises(ValueError, match=rf"{name}\(monitor='{key}'\)") as error:
        clf.fit(X, y)
    assert "'loss'" in str(error.value) and "val_loss" in str(error.value)
    assert "PartitionMonitor" in str(error.value)
    assert not hasattr(clf, "history_")  # no epoch ran


def test_metrics_argument_with_a_model_that_compiles_itself_warns():
    X, y = _data()
    with pytest.warns(UserWarning, match=r"metrics=\['accuracy'\] is not used"):
        clf = _clf(metrics=["accuracy"]).fit(X, y)
    assert sorted(clf.history_) == ["loss"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.partial_fit(X, y)  # the same model: said once is enough
    assert not [w for w in caught if "loss only" in str(w.message)]
    with pytest.raises(ValueError, match=r"EarlyStopping\(monitor='val_accuracy'\)"):
        _clf(
            metrics=["accuracy"],
            callbacks=[keras.callbacks.EarlyStopping(monitor="val_accuracy")],
        ).fit(X, y)
