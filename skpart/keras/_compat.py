"""The one place that knows about Keras, SciKeras and scikit-learn quirks.

Everything here touches a private attribute or works around a known bug of a
dependency, so that a new release breaks one small module, not the estimators.
Keras is imported inside functions: the TensorFlow-free core may import this
module too.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
from collections.abc import Iterator

import numpy as np


def compiled_metric_names(model) -> list[str]:
    """Names of the metrics a compiled Keras model would update while training.

    Keras 3 keeps them in ``model._compile_metrics`` (None when compiled without
    metrics); there is no public accessor that works before the first fit.
    """
    compile_metrics = getattr(model, "_compile_metrics", None)
    if compile_metrics is None:
        return []
    config = getattr(model, "_compile_config", None)
    names = []
    if config is not None:
        for key in ("metrics", "weighted_metrics"):
            names.extend(_flat_names(config.config.get(key)))
    return names or ["<compiled metrics>"]


def _flat_names(metrics) -> list[str]:
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    names = []
    for metric in metrics:
        if isinstance(metric, (list, tuple, dict)):
            names.extend(_flat_names(metric))
        else:
            names.append(
                getattr(metric, "name", getattr(metric, "__name__", str(metric)))
            )
    return names


def recompile_without_metrics(model, **overrides) -> None:
    """Compile ``model`` again with its loss and optimizer but no metrics.

    ``model.compile(metrics=None)`` keeps metrics compiled earlier (Keras only
    replaces ``_compile_metrics`` when new ones are given), so they are cleared
    by hand, in the saved compile config too: a pickled and restored model
    would otherwise come back with them.
    """
    config = dict(model._compile_config.config)
    config.update(metrics=None, weighted_metrics=None, optimizer=model.optimizer)
    config.update(overrides)
    model._compile_metrics = None
    model.compile(**config)


#: Seeded blocks in one process run one at a time: what they seed is process-wide.
_SEED_LOCK = threading.RLock()


@contextlib.contextmanager
def scoped_random_state(seed: int | None) -> Iterator[None]:
    """Seed Python, NumPy, TensorFlow and Keras for a block, then restore them.

    SciKeras 0.13 seeds through a context manager that can leave TensorFlow's
    op determinism on after the fit, so later unseeded fits in the same process
    fail with "Random ops require a seed". Here every global that is touched is
    saved first and put back in ``finally``, op determinism included.

    Keras draws the default seeds of initializers and seed generators from
    Python's global ``random``, which other threads may draw from meanwhile (a
    dask worker's event loop does, in ``dask.sizeof``, every heartbeat), so in
    the block Keras draws from its own ``random.Random(seed)`` instead: the same
    numbers, whatever the other threads do. Seeded blocks in one process hold a
    lock and run one at a time, as the seeds they set are process-wide; seeded
    fits in threads of one process (threading backend, dask workers with
    several threads) therefore do not overlap.
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
        try:
            keras.utils.set_random_seed(int(seed))
            seed_generator.python_random = random.Random(int(seed))
            # Multi-threaded CPU kernels may reduce in any order without this.
            os.environ["TF_DETERMINISTIC_OPS"] = "1"
            config.enable_op_determinism()
            yield
        finally:
            seed_generator.python_random = saved_keras_random
            if not determinism_was_on:
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
