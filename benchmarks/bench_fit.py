"""Time PartitionAwareClassifier.fit against raw Keras and SciKeras, in one run.

Every candidate builds the same small MLP and trains it on the same data with
the same batch size and epochs; candidates run interleaved (A, B, A, B, ...)
and the table reports medians, so load from other processes hits all alike.

Run: ``.venv/bin/python benchmarks/bench_fit.py`` (``--quick`` for a smoke run;
``--seeded`` times only the seeded fit against the unseeded one and raw Keras,
with more rounds, and prints the paired ratios).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
from _common import (
    interleaved,
    machine_note,
    markdown_table,
    median,
    paired_ratio,
    spread,
)
from scikeras.wrappers import KerasClassifier

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from skpart import PartitionAwareClassifier  # noqa: E402

FOUR_METRICS = ["accuracy", "auc", "precision", "recall"]


def make_data(n_rows: int, n_features: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype("float32")
    logits = X[:, :5].sum(axis=1) + rng.normal(scale=0.5, size=n_rows)
    return X, (logits > 0).astype("int64")


def build(n_features: int, metrics=None, steps_per_execution: int = 1):
    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        loss="binary_crossentropy",
        optimizer="adam",
        metrics=metrics,
        steps_per_execution=steps_per_execution,
    )
    return model


def candidates(X, y, epochs: int, batch: int) -> dict:
    n_features = X.shape[1]

    def raw(metrics=None, steps=1):
        return lambda: build(n_features, metrics, steps).fit(
            X, y, epochs=epochs, batch_size=batch, verbose=0
        )

    def ours(steps=1, **params):
        def builder():
            return build(n_features, steps_per_execution=steps)

        est = PartitionAwareClassifier(
            builder, epochs=epochs, batch_size=batch, verbose=0, **params
        )
        return lambda: est.fit(X, y)

    def scikeras(**params):
        est = KerasClassifier(lambda: build(n_features), verbose=0, **params)
        return lambda: est.fit(X, y)

    return {
        "skpart PartitionAwareClassifier.fit": ours(),
        "raw Keras, loss only": raw(),
        "raw Keras, 1 compiled metric": raw(["accuracy"]),
        "raw Keras, 4 compiled metrics": raw(FOUR_METRICS),
        "SciKeras KerasClassifier, same settings": scikeras(
            epochs=epochs, batch_size=batch
        ),
        "SciKeras KerasClassifier, defaults (batch 32)": scikeras(epochs=epochs),
        "skpart, random_state=0 (reproducible)": ours(random_state=0),
        "skpart, steps_per_execution=32": ours(steps=32),
        "raw Keras, loss only, steps_per_execution=32": raw(steps=32),
    }


def seeded_candidates(X, y, epochs: int, batch: int) -> dict:
    """The cost of random_state: seeded and unseeded skpart fits, raw Keras."""
    all_candidates = candidates(X, y, epochs, batch)
    names = {
        "skpart, random_state=0 (reproducible)": "skpart, random_state=0",
        "skpart PartitionAwareClassifier.fit": "skpart, random_state=None",
        "raw Keras, loss only": "raw Keras, loss only",
    }
    return {short: all_candidates[name] for name, short in names.items()}


def predict_candidates(X, y) -> dict:
    def builder():
        return build(X.shape[1])

    est = PartitionAwareClassifier(builder, epochs=1, batch_size=256, verbose=0)
    est.fit(X, y)
    model = est.model_
    candidates = {
        f"model.predict, batch {b}": (
            lambda b=b: model.predict(X, batch_size=b, verbose=0)
        )
        for b in (32, 4096)
    }
    candidates["skpart predict_proba (compiled function, batch 4096)"] = lambda: (
        est.predict_proba(X)
    )
    return candidates


def report(title, times, baseline) -> str:
    base = median(times[baseline])
    rows = [[name, spread(t), f"{median(t) / base:.2f}x"] for name, t in times.items()]
    return f"### {title}\n\n" + markdown_table(
        ["candidate", "median (min-max)", f"vs {baseline}"], rows
    )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument(
        "--seeded", action="store_true", help="only the cost of random_state"
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed rounds")
    args = parser.parse_args(argv)
    n_rows, epochs, repeats = (2_000, 1, 1) if args.quick else (20_000, 3, 5)
    if args.seeded and not args.quick:
        repeats = 9
    repeats = args.repeats or repeats
    batch = 256
    X, y = make_data(n_rows)
    print(
        f"{n_rows} rows x {X.shape[1]} features, MLP 64-64, batch {batch}, "
        f"{epochs} epochs, {repeats} interleaved repeats; {machine_note()}\n"
    )
    if args.seeded:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            times = interleaved(seeded_candidates(X, y, epochs, batch), repeats=repeats)
        print(report("fit", times, "skpart, random_state=None"), "\n")
        seeded, unseeded, raw = times.values()
        print(
            f"paired ratios (median over rounds): seeded / unseeded "
            f"{paired_ratio(seeded, unseeded):.3f}x, unseeded / raw Keras "
            f"{paired_ratio(unseeded, raw):.3f}x, seeded / raw Keras "
            f"{paired_ratio(seeded, raw):.3f}x"
        )
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fit_times = interleaved(candidates(X, y, epochs, batch), repeats=repeats)
    print(report("fit", fit_times, "raw Keras, loss only"), "\n")
    predict_times = interleaved(predict_candidates(X, y), repeats=repeats)
    print(report("predict", predict_times, "model.predict, batch 4096"))


if __name__ == "__main__":
    main()
