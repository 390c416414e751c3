"""Keras, TensorFlow and SciKeras private names, quarantined.

Everything here touches a private attribute, a private module or a calling
convention of a dependency, so that a new release breaks one small module,
not the estimators. Each entry has a "Remove when" line, and
``tests/test_compat.py`` pins every one: an upgrade that moves one fails in
one named test. The SciKeras hooks that ``_estimators.py`` overrides are
listed in :data:`SCIKERAS_HOOKS` with their signatures and reasons.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import threading
from collections.abc import Iterator

import numpy as np

# --- SciKeras 0.13 ----------------------------------------------------------

#: The parameters of BaseWrapper's ``_fit`` and ``_fit_keras_model`` (the same).
_FIT_PARAMETERS = (
    "self",
    "X",
    "y",
    "sample_weight",
    "warm_start",
    "epochs",
    "initial_epoch",
    "kwargs",
)

#: SciKeras's private hooks overridden in ``_estimators.py``: name -> (the
#: parameters of BaseWrapper's method, why skpart overrides it). SciKeras has
#: no public extension points for these steps. Remove each when SciKeras
#: offers a public way to do the same (a ``model_`` check, ``compile`` and
#: ``fit`` hooks, a predict hook).
SCIKERAS_HOOKS: dict[str, tuple[tuple[str, ...], str]] = {
    "_build_keras_model": (("self",), "refuse a model function that returns None"),
    "_ensure_compiled_model": (("self",), "recompile with the loss only"),
    "_initialize_callbacks": (("self",), "run PartitionMonitors before others"),
    "_fit_keras_model": (_FIT_PARAMETERS, "expose partition_history_ after Model.fit"),
    "_fit": (_FIT_PARAMETERS, "one seeded scope around build and fit"),
    "_validate_data": (
        ("self", "X", "y", "reset", "y_numeric"),
        "sklearn's checks and messages for sparse X, feature names, 1-D X",
    ),
    "_predict_raw": (("self", "X", "kwargs"), "the batched predict path"),
}

#: SciKeras's private attributes that skpart reads or replaces: name -> what
#: SciKeras does with it. Remove each with the hook that needs it.
SCIKERAS_ATTRIBUTES: dict[str, str] = {
    # Set by _initialize from random_state, read by _build_keras_model and
    # _fit_keras_model to seed through tensorflow_random_state, which can
    # leave op determinism on; skpart makes it read None and seeds itself.
    "_random_state": "seed read by _build_keras_model and _fit_keras_model",
    "_fit_callbacks": "callbacks set by _initialize_callbacks, read by fit",
    "_predict_callbacks": "callbacks set by _initialize_callbacks, read by predict",
    "feature_encoder_": "fitted in _initialize, applied in _predict_raw",
}


def no_scikeras_seed() -> property:
    """Make ``_random_state`` a property that reads None and ignores writes.

    SciKeras seeds build and fit only when ``_random_state`` is not None, with
    a context manager that can leave TensorFlow's op determinism on (later
    unseeded fits then fail with "Random ops require a seed"). skpart seeds
    with :func:`scoped_random_state` instead.
    Remove when SciKeras's seeding restores every global it sets.
    """
    return property(lambda self: None, lambda self, value: None)


def fit_callbacks(estimator) -> list:
    """Return the callbacks SciKeras passes to ``Model.fit``.

    Remove when SciKeras exposes its initialized callbacks.
    """
    return estimator._fit_callbacks


def set_fit_callbacks(estimator, callbacks: list) -> None:
    """Replace the callbacks SciKeras passes to ``Model.fit``.

    Remove when SciKeras has a hook to order callbacks.
    """
    estimator._fit_callbacks = callbacks


def predict_callbacks(estimator) -> list:
    """Return the callbacks SciKeras passes to ``Model.predict`` ([] before fit).

    Remove when SciKeras exposes its initialized callbacks.
    """
    return getattr(estimator, "_predict_callbacks", None) or []


def encode_features(estimator, X):
    """``X`` as a fitted SciKeras estimator's predict gives it to its model.

    Checked by the estimator's ``_validate_data``, then transformed by its
    fitted feature encoder: the steps of ``BaseWrapper._predict_raw`` before
    its ``model.predict`` call (scikeras/wrappers.py, "basic input checks",
    "pre process X"), which have no hook of their own; the batched predict
    path, the held-out rows and the monitor's rows take them.
    Remove when SciKeras has a hook for the ``model.predict`` call.
    """
    X, _ = estimator._validate_data(X=X, y=None)
    return estimator.feature_encoder_.transform(X)


# --- Keras 3: compiled metrics --------------------------------------------------


def compiled_metric_names(model) -> list[str]:
    """Names of the metrics a compiled Keras model would update while training.

    Keras 3 keeps them in ``model._compile_metrics`` (None when compiled without
    metrics) and the arguments in ``model._compile_config``; there is no public
    accessor that works before the first fit.
    Remove when Keras exposes the compiled metrics before the first fit.
    """
    compile_metrics = getattr(model, "_compile_metrics", None)
    if compile_metrics is None:
        return []
    config = getattr(model, "_compile_config", None)
    names = []
    if config is not None:
        for key in ("metrics", "weighted_metrics"):
            names.extend(flat_metric_names(config.config.get(key)))
    return names or ["<compiled metrics>"]


def flat_metric_names(metrics, fallback=str) -> list[str]:
    """Names of Keras metric specs (strings, objects, functions, nested lists/dicts).

    ``fallback(metric)`` names a metric with neither ``name`` nor ``__name__``.
    It reads the compile config that :func:`compiled_metric_names` takes from
    Keras's private attributes, hence its place here.
    Remove when compiled_metric_names goes (the estimators can keep a copy).
    """
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    names = []
    for metric in metrics:
        if isinstance(metric, (list, tuple, dict)):
            names.extend(flat_metric_names(metric, fallback))
        elif isinstance(metric, str):
            names.append(metric)
        else:
            names.append(
                getattr(metric, "name", getattr(metric, "__name__", None))
                or fallback(metric)
            )
    return names


def recompile_without_metrics(model, **overrides) -> None:
    """Compile ``model`` again with its loss and optimizer but no metrics.

    ``model.compile(metrics=None)`` keeps metrics compiled earlier (Keras only
    replaces ``_compile_metrics`` when new ones are given), so they are cleared
    by hand, in the saved compile config too: a pickled and restored model
    would otherwise come back with them.
    Remove when ``compile(metrics=None)`` clears earlier metrics.
    """
    config = dict(model._compile_config.config)
    config.update(metrics=None, weighted_metrics=None, optimizer=model.optimizer)
    config.update(overrides)
    model._compile_metrics = None
    model.compile(**config)


def per_row_loss(loss, y_true, y_pred):
    """Keras's loss for ``loss`` as ``compile`` resolves it, without reduction.

    ``compile`` turns a string or a function into a ``Loss`` (and picks the
    binary or categorical cross-entropy for ``"crossentropy"`` from the
    shapes) in ``keras.src.trainers.compile_utils.get_loss``; a copy of that
    ``Loss`` with ``reduction=None`` gives one weighted value per row, computed
    as Keras computes the training loss. The user's own ``Loss`` object is
    copied, not changed.
    Remove when Keras exposes compile's loss resolution or a per-sample loss.
    """
    from keras.src.trainers.compile_utils import get_loss

    resolved = copy.copy(get_loss(loss, y_true, y_pred))
    resolved.reduction = None
    return resolved


# --- Keras 3, TensorFlow backend: the predict function ----------------------------


def trace_predict_for_any_batch_size(model, X) -> None:
    """Trace ``model``'s predict function once for inputs like ``X``, any row count.

    Keras traces its predict function for the first batch's exact shape and
    again when another shape arrives (a ragged last batch, the next call's row
    count). TensorFlow counts traces per Python function, which every Keras
    model shares, so a search that fits and predicts a new model per fold
    logs "N out of the last N calls ... triggered tf.function retracing".
    Tracing once with an unknown batch dimension (as ``Model.predict``'s
    dataset does) serves every later batch, and ``get_concrete_function`` is
    not counted as a retrace. Does nothing for eager models or inputs that are
    not NumPy arrays. It relies on the argument structure ``[(x,)]`` that the
    TensorFlow backend's ``predict_on_batch`` passes to ``predict_function``
    (keras/src/backend/tensorflow/trainer.py).
    Remove when Keras traces ``predict_on_batch`` with a relaxed batch dimension.
    """
    import keras
    import tensorflow as tf

    leaves = keras.tree.flatten(X)
    if not leaves or not all(
        isinstance(leaf, np.ndarray) and leaf.ndim >= 1 and leaf.dtype.kind in "biuf"
        for leaf in leaves
    ):
        return
    model.make_predict_function()
    function = model.predict_function
    if not hasattr(function, "get_concrete_function"):
        return  # run_eagerly: nothing is traced
    spec = keras.tree.map_structure(
        lambda leaf: tf.TensorSpec((None, *leaf.shape[1:]), tf.as_dtype(leaf.dtype)),
        X,
    )
    function.get_concrete_function([(spec,)])


def quiet_predict_retracing(model) -> None:
    """Keep TensorFlow from warning about ``model``'s predict traces.

    ``Model.predict`` traces its predict function for each new model (and
    again, relaxed, for a ragged last batch); TensorFlow counts those traces
    per Python function, which every Keras model shares, so a search that
    predicts a new model per fold logs "5 out of the last 5 calls ...
    triggered tf.function retracing" though each model traces as designed.
    ``_omit_frequent_tracing_warning`` is the flag TensorFlow's own callers
    set for such functions.
    Remove when TensorFlow counts traces per function object.
    """
    model.make_predict_function()
    if hasattr(model.predict_function, "get_concrete_function"):
        model.predict_function._omit_frequent_tracing_warning = True


# --- Keras 3 and TensorFlow: seeding ------------------------------------------------

#: Seeded blocks in one process run one at a time: what they seed is process-wide.
_SEED_LOCK = threading.RLock()


def needs_op_determinism() -> bool:
    """Whether TensorFlow's op determinism changes results here: a GPU is visible.

    On CPU the kernels of Keras layers run in a fixed order, and
    ``keras.utils.set_random_seed`` alone gives bitwise identical fits (tested
    for an MLP with Dropout). What op determinism adds on CPU is that
    ``tf.data`` runs map functions with stateful ops serially and drops
    prefetching (TensorFlow's ``enable_op_determinism`` docs), which is what
    made seeded fits 1.25x-1.45x slower. GPU kernels (matmul and convolution
    gradients, reductions, ``softmax_cross_entropy_with_logits``) use
    nondeterministic atomics unless it is on.
    """
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


@contextlib.contextmanager
def scoped_random_state(seed: int | None) -> Iterator[None]:
    """Seed Python, NumPy, TensorFlow and Keras for a block, then restore them.

    SciKeras 0.13 seeds through a context manager that can leave TensorFlow's
    op determinism on after the fit, so later unseeded fits in the same process
    fail with "Random ops require a seed". Here every global that is touched is
    saved first and put back in ``finally``. Op determinism is turned on only
    when :func:`needs_op_determinism` (a GPU is visible); if the user turned it
    on, it stays on.

    Keras draws the default seeds of initializers and seed generators from
    Python's global ``random`` (``seed_generator.python_random`` in
    ``keras.src.random`` is that module), which other threads may draw from
    meanwhile (a dask worker's event loop does, in ``dask.sizeof``, every
    heartbeat), so in the block Keras draws from a fresh
    ``random.Random(seed)`` instead: the same numbers, whatever the other
    threads do. Seeded blocks in one process hold a lock and run one
    at a time, as the seeds they set are process-wide.
    Remove when Keras can seed a block without process-wide state (then the
    ``keras.src`` and ``tensorflow.python`` imports below go too).
    """
    if seed is None:
        yield
        return
    import keras
    import tensorflow as tf
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from tensorflow.python.eager import context
    from tensorflow.python.framework import config

    with _SEED_LOCK:
        saved_python = random.getstate()
        saved_numpy = np.random.get_state()
        saved_tf_seed = context.global_seed()
        saved_keras = {
            key: global_state.get_global_attribute(key)
            for key in ("global_random_seed", "global_seed_generator")
        }
        saved_keras_random = seed_generator.python_random
        saved_env = os.environ.get("TF_DETERMINISTIC_OPS")
        determinism_was_on = config.is_op_determinism_enabled()
        deterministic = not determinism_was_on and needs_op_determinism()
        try:
            keras.utils.set_random_seed(int(seed))
            seed_generator.python_random = random.Random(int(seed))
            if deterministic:
                os.environ["TF_DETERMINISTIC_OPS"] = "1"
                config.enable_op_determinism()
            yield
        finally:
            seed_generator.python_random = saved_keras_random
            if deterministic:
                config.disable_op_determinism()
                if saved_env is None:
                    os.environ.pop("TF_DETERMINISTIC_OPS", None)
                else:
                    os.environ["TF_DETERMINISTIC_OPS"] = saved_env
            for key, value in saved_keras.items():
                global_state.set_global_attribute(key, value)
            tf.random.set_seed(saved_tf_seed)
            np.random.set_state(saved_numpy)
            random.setstate(saved_python)
