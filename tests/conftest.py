import os
import random

import numpy as np
import pytest

# Keras-heavy tests run on CPU with little logging; set before TensorFlow loads.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


@pytest.fixture(autouse=True)
def _fixed_seeds_and_clean_keras_state():
    """Fix seeds for each test and restore the global state afterwards."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    random.seed(0)
    np.random.seed(0)
    yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    if "keras" in __import__("sys").modules:
        import keras

        # Reset Keras's global state (layer names, seeds) without its
        # gc.collect(): with TensorFlow loaded, a collection per test took
        # three quarters of the suite's time; Python collects on its own.
        keras.backend.clear_session(free_memory=False)


_TF_TRACING = (
    "tf.function tracing is TensorFlow's: on this backend predict is compiled "
    "by the backend itself, with no tracing count or retracing warning to check."
)
#: Tests that cannot pass on a Keras backend, each with its reason. ``make
#: test`` runs the Keras-facing tests a second time with KERAS_BACKEND=jax.
BACKEND_XFAILS = {
    "jax": {
        "test_keras_predict_traced_once_serves_every_batch_size": _TF_TRACING,
        "test_quiet_predict_retracing_sets_the_flag_on_the_predict_function": (
            _TF_TRACING
        ),
        "test_predicting_ragged_batches_with_new_models_does_not_warn_of_"
        "retracing[batched path]": _TF_TRACING,
    },
}


def pytest_collection_modifyitems(config, items):
    """Make the xfails a test module lists in STRICT_XFAIL_CHECKS strict.

    Also declare the tests that cannot pass on this run's Keras backend.
    """
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for item in items:
        for test, reason in BACKEND_XFAILS.get(backend, {}).items():
            if test in (item.name, getattr(item, "originalname", None)):
                item.add_marker(
                    pytest.mark.xfail(reason=f"{backend}: {reason}", strict=True)
                )
        strict = getattr(getattr(item, "module", None), "STRICT_XFAIL_CHECKS", {})
        for check, reason in strict.items():
            if item.name.endswith(f"{check}]") or f"-{check}" in item.name:
                # Added first, so pytest evaluates it before sklearn's own mark.
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True), False)
