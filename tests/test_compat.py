"""Canaries: every private name of a dependency that skpart uses, pinned.

Each test names one private name (a SciKeras hook or attribute, a Keras or
TensorFlow internal, an sklearn private function) and checks that the
dependency still has it and still uses it as skpart assumes, so that an
upgrade that changes one fails here, in one named test, rather than somewhere
deep in a fit. The quarantines are ``skpart/keras/_compat.py`` and
``skpart/_compat.py``.
"""

import inspect
import logging
import random
import re

import numpy as np
import pandas as pd
import pytest

# --- scikit-learn (skpart/_compat.py) ------------------------------------------


def test_sklearn_safe_indexing_takes_rows_of_arrays_frames_and_lists():
    from skpart._compat import _safe_indexing

    rows = np.array([2, 0])
    np.testing.assert_array_equal(_safe_indexing(np.arange(5) * 10, rows), [20, 0])
    frame = pd.DataFrame({"a": [1, 2, 3]}, index=list("xyz"))
    assert _safe_indexing(frame, rows).index.tolist() == ["z", "x"]
    assert _safe_indexing([5, 6, 7], rows) == [7, 5]


def test_sklearn_num_samples_counts_rows_of_any_array_like():
    from skpart._compat import _num_samples

    assert _num_samples(np.zeros((4, 2))) == 4
    assert _num_samples(pd.DataFrame({"a": range(3)})) == 3
    assert _num_samples([[1], [2]]) == 2


def test_sklearn_metadata_requester_routes_the_request_a_scorer_declares():
    from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

    from skpart._compat import _MetadataRequester

    class Scorer(_MetadataRequester):
        # skpart's scorer declares its requests in _get_metadata_request.
        def _get_metadata_request(self):
            request = MetadataRequest(owner=type(self).__name__)
            request.score.add_request(param="groups", alias=True)
            return request

    assert hasattr(_MetadataRequester, "get_metadata_routing")
    routing = get_routing_for_object(Scorer())
    assert routing.consumes("score", ["groups", "sample_weight"]) == {"groups"}


# --- SciKeras 0.13 hooks and attributes (skpart/keras/_compat.py) ----------------

keras = pytest.importorskip("keras")
scikeras_wrappers = pytest.importorskip("scikeras.wrappers")


def _compat():
    from skpart.keras import _compat

    return _compat


def _hook_ids():
    from skpart.keras._compat import SCIKERAS_HOOKS

    return sorted(SCIKERAS_HOOKS)


@pytest.mark.parametrize("base", ["KerasClassifier", "KerasRegressor"])
@pytest.mark.parametrize("hook", _hook_ids())
def test_scikeras_hook_exists_with_the_expected_signature(hook, base):
    expected, reason = _compat().SCIKERAS_HOOKS[hook]
    method = getattr(getattr(scikeras_wrappers, base), hook)
    assert tuple(inspect.signature(method).parameters) == expected, reason


def test_estimators_override_only_listed_scikeras_hooks():
    from skpart import PartitionAwareClassifier, PartitionAwareRegressor

    listed = set(_compat().SCIKERAS_HOOKS) | set(_compat().SCIKERAS_ATTRIBUTES)
    for cls, base in [
        (PartitionAwareClassifier, scikeras_wrappers.KerasClassifier),
        (PartitionAwareRegressor, scikeras_wrappers.KerasRegressor),
    ]:
        # The names of every class skpart puts above SciKeras's (mixins too).
        own = {
            name
            for klass in cls.__mro__
            if klass.__module__.partition(".")[0] == "skpart"
            for name in vars(klass)
        }
        private = {
            name
            for name in own
            if name.startswith("_")
            and not name.startswith("__")
            and hasattr(base, name)
        }
        assert private <= listed, private - listed


def _source(name):
    return inspect.getsource(getattr(scikeras_wrappers.BaseWrapper, name))


def test_scikeras_seeds_build_and_fit_only_through_random_state_attribute():
    # skpart makes `_random_state` read None so that SciKeras never seeds
    # (its context manager can leave op determinism on); _initialize sets it.
    assert "self._random_state = " in _source("_initialize")
    for hook in ("_build_keras_model", "_fit_keras_model"):
        assert "if self._random_state is not None:" in _source(hook)
    from scikeras.utils.random_state import tensorflow_random_state

    assert "enable_op_determinism" in inspect.getsource(tensorflow_random_state)


def test_scikeras_initializes_fit_and_predict_callbacks_attributes():
    source = _source("_initialize_callbacks")
    assert "self._fit_callbacks = " in source
    assert "self._predict_callbacks = " in source
    assert 'fit_args["callbacks"] = self._fit_callbacks' in _source("_fit_keras_model")
    assert 'pred_args["callbacks"] = self._predict_callbacks' in _source("_predict_raw")


def test_scikeras_predict_raw_encodes_features_then_calls_model_predict():
    # The batched path repeats these steps of _predict_raw; a new step here
    # (another transform, new routed options) must be copied there too.
    source = _source("_predict_raw")
    steps = [
        "self._validate_data(X=X, y=None)",
        "self.feature_encoder_.transform(X)",
        'destination="predict", pass_filter=self._predict_kwargs',
        "self.model_.predict(x=X, **pred_args)",
    ]
    positions = [source.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "self.feature_encoder_ = self.feature_encoder.fit(X)" in _source(
        "_initialize"
    )
    # verbose reaches Model.predict from the estimator's own verbose.
    assert "verbose" in scikeras_wrappers.BaseWrapper._predict_kwargs


def test_scikeras_ensure_compiled_model_compiles_only_uncompiled_models():
    # skpart warns that metrics= is unused when the model compiled itself.
    assert "if not self.model_.compiled:" in _source("_ensure_compiled_model")


# --- Keras 3 internals ------------------------------------------------------------


def _tiny_model(**compile_kwargs):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd", **compile_kwargs)
    return model


def test_keras_compile_metrics_and_compile_config_hold_the_metrics():
    compat = _compat()
    with_metrics = _tiny_model(metrics=["mae", keras.metrics.RootMeanSquaredError()])
    assert with_metrics._compile_metrics is not None
    assert compat.compiled_metric_names(with_metrics) == [
        "mae",
        "root_mean_squared_error",
    ]
    assert _tiny_model()._compile_metrics is None
    assert compat.compiled_metric_names(_tiny_model()) == []


def test_keras_recompile_without_metrics_clears_them_in_the_config_too():
    compat = _compat()
    model = _tiny_model(metrics=["mae"])
    compat.recompile_without_metrics(model)
    assert model._compile_metrics is None
    assert model._compile_config.config["metrics"] is None
    assert model.get_compile_config()["metrics"] is None


def test_keras_seed_generator_draws_default_seeds_from_python_random():
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator

    assert seed_generator.python_random is random
    assert "python_random.randint" in inspect.getsource(
        seed_generator.make_default_seed
    )
    saved = seed_generator.python_random
    try:
        seed_generator.python_random = random.Random(5)
        first = seed_generator.make_default_seed()
        seed_generator.python_random = random.Random(5)
        assert seed_generator.make_default_seed() == first
    finally:
        seed_generator.python_random = saved
    keras.utils.set_random_seed(11)
    try:
        assert global_state.get_global_attribute("global_random_seed") == 11
    finally:
        global_state.set_global_attribute("global_random_seed", None)
        global_state.set_global_attribute("global_seed_generator", None)


def test_keras_predict_on_batch_passes_one_batch_as_a_list_of_a_tuple():
    # trace_predict_for_any_batch_size traces with this structure.
    from keras.src.backend.tensorflow import trainer

    source = inspect.getsource(trainer.TensorFlowTrainer.predict_on_batch)
    assert "self.predict_function([(x,)])" in source


@pytest.mark.parametrize("container", ["array", "tuple", "dict"])
def test_keras_predict_traced_once_serves_every_batch_size(container):
    a, b = keras.Input((2,), name="a"), keras.Input((1,), name="b")
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    X = np.random.default_rng(0).normal(size=(50, 3)).astype("float32")
    if container == "array":
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        data = X
    elif container == "tuple":
        model, data = keras.Model([a, b], out), (X[:, :2], X[:, 2:])
    else:
        model = keras.Model({"a": a, "b": b}, out)
        data = {"a": X[:, :2], "b": X[:, 2:]}
    _compat().trace_predict_for_any_batch_size(model, data)
    for n in (50, 7, 32):
        rows = keras.tree.map_structure(lambda v, n=n: v[:n], data)
        model.predict_on_batch(rows)
    assert model.predict_function.experimental_get_tracing_count() == 1


def test_keras_get_loss_resolves_losses_as_compile_does_and_per_row_copies():
    # per_row_loss relies on compile_utils.get_loss(identifier, y_true, y_pred)
    # and on a Loss's reduction attribute; the user's Loss is left unchanged.
    from keras.src.trainers import compile_utils

    assert tuple(inspect.signature(compile_utils.get_loss).parameters) == (
        "identifier",
        "y_true",
        "y_pred",
    )
    y_true = np.array([[1.0], [0.0], [1.0]], dtype="float32")
    y_pred = np.array([[0.9], [0.2], [0.4]], dtype="float32")
    expected = -np.log([0.9, 0.8, 0.4])
    weights = np.array([1.0, 2.0, 0.5], dtype="float32")
    own = keras.losses.BinaryCrossentropy()
    for loss in ("binary_crossentropy", "crossentropy", own):
        rows = _compat().per_row_loss(loss, y_true, y_pred)
        values = keras.ops.convert_to_numpy(rows(y_true, y_pred, sample_weight=weights))
        np.testing.assert_allclose(values, expected * weights, rtol=1e-5)
    assert own.reduction == "sum_over_batch_size"


# --- TensorFlow internals ------------------------------------------------------------


def test_tensorflow_global_seed_and_op_determinism_switches():
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    tf = pytest.importorskip("tensorflow")
    saved = context.global_seed()
    tf.random.set_seed(42)
    try:
        assert context.global_seed() == 42
    finally:
        tf.random.set_seed(saved)
    assert not config.is_op_determinism_enabled()
    config.enable_op_determinism()
    try:
        assert config.is_op_determinism_enabled()
    finally:
        config.disable_op_determinism()
    assert not config.is_op_determinism_enabled()


def test_tensorflow_omit_frequent_tracing_warning_flag_quiets_retracing():
    tf = pytest.importorskip("tensorflow")
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)

    def traced_per_shape(quiet):
        function = tf.function(lambda x: x + 1)
        function._omit_frequent_tracing_warning = quiet
        for n in range(1, 8):  # a new shape per call: a trace per call
            function(tf.zeros((n,)))

    try:
        traced_per_shape(quiet=True)
        assert not [r for r in records if "retracing" in r.getMessage()]
        traced_per_shape(quiet=False)
        assert [r for r in records if "retracing" in r.getMessage()]
    finally:
        logger.removeHandler(handler)


def test_quiet_predict_retracing_sets_the_flag_on_the_predict_function():
    model = _tiny_model()
    _compat().quiet_predict_retracing(model)
    assert model.predict_function._omit_frequent_tracing_warning is True


def test_every_compat_function_says_when_to_remove_it():
    # needs_op_determinism only decides; it touches no private name.
    source = inspect.getsource(_compat())
    functions = re.findall(r"^def ([a-z]\w*)\(", source, flags=re.MULTILINE)
    missing = [
        name
        for name in functions
        if name != "needs_op_determinism"
        and "Remove when" not in (inspect.getdoc(getattr(_compat(), name)) or "")
    ]
    assert functions and missing == []
