"""PartitionMonitor's cost per epoch against its baselines, in one run.

Candidates, timed interleaved (A, B, C, A, ...) with medians over repeats:

- ``predict pass``: one ``model.predict(X, batch_size=4096)`` over the monitor
  rows, the unit of cost (the goal is a monitor epoch <= 2 passes);
- ``monitor predict only``: the monitor's own prediction path
  (``predict_on_batch`` on 4096-row chunks), to show what it saves;
- ``PartitionMonitor``: one full monitored epoch end (prediction, label
  decoding, every metric on every partition, aggregates into the logs);
- ``seed-style``: the callback the monitor replaces, one ``model.evaluate``
  per partition with compiled metrics (the goal is >= 20x slower).

Run::

    .venv/bin/python benchmarks/bench_monitor.py          # ~4 minutes
    .venv/bin/python benchmarks/bench_monitor.py --quick  # ~1 minute
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_seconds,
    interleaved,
    machine_note,
    markdown_table,
    median,
    spread,
)

from skpart._inputs.groups import encode_groups, partition_indices  # noqa: E402
from skpart.keras._monitor import PartitionMonitor  # noqa: E402
from skpart.keras._predict import predict_in_batches  # noqa: E402


def make_data(n_rows: int, n_partitions: int, n_features: int, seed: int = 0):
    """Binary rows whose rule shifts a little from partition to partition."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, n_features)).astype("float32")
    groups = rng.integers(n_partitions, size=n_rows)
    shift = rng.normal(scale=0.5, size=n_partitions)[groups]
    y = (X[:, 0] + shift + rng.normal(scale=0.5, size=n_rows) > 0).astype(int)
    return X, y, groups


def make_model(n_features: int, metrics=None) -> keras.Model:
    """A small MLP, briefly trained so that its predictions are not constant."""
    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=metrics)
    return model


def monitor_epoch(monitor: PartitionMonitor):
    """One monitored epoch end, called as Keras would (a fresh logs dict)."""
    epoch = [0]

    def run():
        logs = {"loss": 0.0}
        monitor.on_epoch_end(epoch[0], logs)
        epoch[0] += 1
        return logs

    return run


def seed_style_epoch(model: keras.Model, X, y, groups, n_partitions: int):
    """What the seed's callback did: ``evaluate`` on each partition's rows."""
    codes, _ = encode_groups(groups)
    indices = partition_indices(codes, n_partitions)

    def run(limit=None):
        return [
            model.evaluate(
                X[index], y[index], batch_size=4096, verbose=0, return_dict=True
            )["accuracy"]
            for index in indices[:limit]
        ]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 repeats")
    args = parser.parse_args()
    n_rows, n_partitions, repeats = (5_000, 50, 3) if args.quick else (20_000, 200, 5)
    n_features = 20
    X, y, groups = make_data(n_rows, n_partitions, n_features)
    keras.utils.set_random_seed(0)
    model = make_model(n_features)
    model.fit(X, y, epochs=1, batch_size=256, verbose=0)
    # The seed-style baseline needs compiled metrics; same weights.
    evaluating = make_model(n_features, metrics=["accuracy"])
    evaluating.set_weights(model.get_weights())

    monitors = {
        name: PartitionMonitor(X, y, groups, metrics=metrics)
        for name, metrics in [
            ("accuracy", ["accuracy"]),
            ("4 metrics", ["accuracy", "f1", "roc_auc", "log_loss"]),
        ]
    }
    setup = {}
    for name, monitor in monitors.items():
        monitor.set_model(model)
        monitor.set_params({"epochs": 10**9, "verbose": 0})
        start = time.perf_counter()
        monitor.on_train_begin()
        setup[name] = time.perf_counter() - start

    candidates = {
        "predict pass (model.predict, batch 4096)": lambda: model.predict(
            X, batch_size=4096, verbose=0
        ),
        "monitor predict only (predict_on_batch, 4096-row chunks)": lambda: (
            predict_in_batches(model, X, batch_size=4096)
        ),
        "PartitionMonitor epoch, accuracy": monitor_epoch(monitors["accuracy"]),
        "PartitionMonitor epoch, accuracy+f1+roc_auc+log_loss": monitor_epoch(
            monitors["4 metrics"]
        ),
        f"seed-style: model.evaluate x {n_partitions} partitions": seed_style_epoch(
            evaluating, X, y, groups, n_partitions
        ),
    }
    # Warm up by hand: tracing and caches; the seed-style baseline on a few
    # partitions only (a full pass takes tens of seconds and traces no more).
    for name, candidate in candidates.items():
        if name.startswith("seed"):
            candidate(5)
        else:
            candidate(), candidate()
    start = time.perf_counter()
    times = interleaved(candidates, repeats=repeats, warmup=0)
    elapsed = time.perf_counter() - start
    report(times, setup, n_rows, n_partitions, repeats, elapsed)


def report(times, setup, n_rows, n_partitions, repeats, elapsed) -> None:
    """Print the markdown table and the ratios against the goals."""
    names = list(times)
    predict, raw_pass = median(times[names[0]]), median(times[names[1]])
    seed = median(times[names[-1]])
    rows = [
        [
            name,
            spread(t),
            f"{median(t) / predict:.2f}",
            f"{median(t) / raw_pass:.2f}",
            f"{seed / median(t):.0f}x",
        ]
        for name, t in times.items()
    ]
    print(
        f"{n_rows} monitor rows, {n_partitions} partitions, MLP 20-64-64-1, "
        f"median (min-max) of {repeats} interleaved repeats; {machine_note()}\n"
    )
    headers = [
        "per epoch",
        "time",
        "/ model.predict pass",
        "/ predict_on_batch pass",
        "seed-style / this",
    ]
    print(markdown_table(headers, rows))
    setup_text = ", ".join(f"{k} {fmt_seconds(v)}" for k, v in setup.items())
    print(f"\nOnce per fit (on_train_begin): {setup_text}.")
    for name in names[2:4]:
        monitor = median(times[name])
        print(
            f"{name}: {monitor / predict:.2f} model.predict passes, "
            f"{monitor / raw_pass:.2f} predict_on_batch passes (goal <= 2); "
            f"seed-style {seed / monitor:.0f}x slower (goal >= 20x)."
        )
    print(f"Timed part took {elapsed:.0f} s.")


if __name__ == "__main__":
    main()
