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


def pytest_collection_modifyitems(config, items):
    """Make the xfails a test module lists in STRICT_XFAIL_CHECKS strict."""
    for item in items:
        strict = getattr(getattr(item, "module", None), "STRICT_XFAIL_CHECKS", {})
        for check, reason in strict.items():
            if item.name.endswith(f"{check}]") or f"-{check}" in item.name:
                # Added first, so pytest evaluates it before sklearn's own mark.
                item.add_marker(pytest.mark.xfail(reason=reason, strict=True), False)
