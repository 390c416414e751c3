"""Per-partition metrics: skpart against its baselines, side by side in one run.

Four metrics (accuracy, f1, roc_auc, log_loss) with balanced per-partition
weights on 100k rows in 1,000 partitions:

1. ``score_partitions`` on a fitted PartitionAwareClassifier (a small MLP)
   against one ``model.predict`` pass at batch 8192 (the floor);
2. the reduction alone, ``metrics_by_partition`` on precomputed predictions,
   against fairlearn's ``MetricFrame`` on the same predictions and weights
   (after checking that both give the same values to rtol 1e-9);
3. ``score_partitions`` against the loop users write today, one
   ``model.evaluate`` per partition, timed on 50 partitions and extrapolated;
4. ``metrics_by_partition`` time from 10 to 100k partitions, and the peak
   memory (tracemalloc) of the reduction.

Candidates of one comparison are timed interleaved (A, B, A, B, ...) and
reported as medians, so load from other processes hits them alike.

Usage::

    .venv/bin/python benchmarks/bench_partitions.py          # full run, a few minutes
    .venv/bin/python benchmarks/bench_partitions.py --quick  # smoke run, seconds
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from _common import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    interleaved,
    machine_note,
    markdown_table,
    median,
    paired_ratio,
    peak_traced_memory,
)

METRICS = ["accuracy", "f1", "roc_auc", "log_loss"]
FLOOR_BATCH_SIZE = 8192
# MetricFrame repeats drop to this many when one call is slower than this.
SLOW_CALL_SECONDS = 30.0
SLOW_REPEATS = 3


@dataclass(frozen=True)
class Config:
    n_rows: int
    n_partitions: int
    n_features: int
    repeats: int
    metric_frame_repeats: int
    evaluate_partitions: int
    scaling: tuple[int, ...]
    memory: tuple[int, ...]


FULL = Config(
    100_000, 1_000, 20, 5, 5, 50, (10, 100, 1_000, 10_000, 100_000), (1_000, 100_000)
)
QUICK = Config(2_000, 20, 20, 2, 2, 5, (10, 100, 1_000), (20, 2_000))


def make_data(config: Config, seed: int = 0):
    """Features, binary labels with some noise, and equal-sized partitions."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(config.n_rows, config.n_features)).astype(np.float32)
    logit = X @ rng.normal(size=config.n_features) + rng.normal(size=config.n_rows)
    y = (logit > 0).astype(np.int64)
    return X, y, partition_labels(config.n_rows, config.n_partitions, rng)


def partition_labels(n_rows: int, n_partitions: int, rng) -> np.ndarray:
    # Every partition present, sizes equal to within one row, rows shuffled.
    return rng.permutation(np.arange(n_rows) % n_partitions)


def build_mlp(meta):
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def fit_classifier(X, y):
    from skpart import PartitionAwareClassifier

    return PartitionAwareClassifier(
        build_mlp,
        loss="binary_crossentropy",
        optimizer="adam",
        epochs=1,
        batch_size=256,
        verbose=0,
        random_state=0,
    ).fit(X, y)


# --- fairlearn baseline ------------------------------------------------------
# MetricFrame passes one y_pred to every metric: the probability of class 1.
# The label metrics threshold it, which gives the argmax labels skpart gets.


def _labels(p1):
    return (p1 > 0.5).astype(np.int64)


def fl_accuracy(y_true, p1, sample_weight):
    from sklearn.metrics import accuracy_score

    return accuracy_score(y_true, _labels(p1), sample_weight=sample_weight)


def fl_f1(y_true, p1, sample_weight):
    from sklearn.metrics import f1_score

    return f1_score(y_true, _labels(p1), sample_weight=sample_weight)


def fl_roc_auc(y_true, p1, sample_weight):
    from sklearn.metrics import roc_auc_score

    return roc_auc_score(y_true, p1, sample_weight=sample_weight)


def fl_log_loss(y_true, p1, sample_weight):
    from sklearn.metrics import log_loss

    return log_loss(y_true, p1, sample_weight=sample_weight, labels=[0, 1])


FAIRLEARN_METRICS = {
    "accuracy": fl_accuracy,
    "f1": fl_f1,
    "roc_auc": fl_roc_auc,
    "log_loss": fl_log_loss,
}


def balanced_weights_by_loop(y, groups):
    """sklearn's balanced weights within each partition, computed independently."""
    from sklearn.utils.class_weight import compute_sample_weight

    weights = np.empty(len(y), dtype=np.float64)
    for index in pd.Series(groups).groupby(groups).indices.values():
        weights[index] = compute_sample_weight("balanced", y[index])
    return weights


def metric_frame(y, p1, groups, weights):
    from fairlearn.metrics import MetricFrame

    return MetricFrame(
        metrics=FAIRLEARN_METRICS,
        y_true=y,
        y_pred=p1,
        sensitive_features=groups,
        sample_params={name: {"sample_weight": weights} for name in FAIRLEARN_METRICS},
    )


def check_same_values(report, frame) -> float:
    """Assert skpart equals MetricFrame (rtol 1e-9); return the largest rel. diff."""
    by_group = frame.by_group.loc[report.by_partition.index]
    worst = 0.0
    for name in METRICS:
        ours = np.append(report.by_partition[name].to_numpy(), report.overall[name])
        theirs = np.append(by_group[name].to_numpy(dtype=float), frame.overall[name])
        assert np.allclose(ours, theirs, rtol=1e-9, atol=0, equal_nan=True), name
        worst = max(worst, float(np.nanmax(np.abs(ours - theirs) / np.abs(theirs))))
    return worst


# --- the loop users write today ----------------------------------------------


def compiled_keras_copy(model):
    """The fitted network compiled with Keras metrics, as users evaluate it."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.compile(
        loss="binary_crossentropy",
        weighted_metrics=[
            "accuracy",
            keras.metrics.F1Score(threshold=0.5, name="f1"),
            keras.metrics.AUC(name="roc_auc"),
        ],
    )
    return copy


def evaluate_loop(model, X, y, groups, partitions):
    """One model.evaluate per partition with balanced weights."""
    from sklearn.utils.class_weight import compute_sample_weight

    y_column = y.reshape(-1, 1).astype(np.float32)  # F1Score wants (n, 1) floats
    results = {}
    for label in partitions:
        mask = groups == label
        weights = compute_sample_weight("balanced", y[mask])
        results[label] = model.evaluate(
            X[mask],
            y_column[mask],
            sample_weight=weights,
            batch_size=FLOOR_BATCH_SIZE,
            verbose=0,
            return_dict=True,
        )
    return results


# --- the benchmark -----------------------------------------------------------


def bench_end_to_end(config, clf, X, y, groups):
    """score_partitions vs predict (floor) vs the evaluate loop, interleaved."""
    keras_model = compiled_keras_copy(clf.model_)
    labels = np.unique(groups)
    timed = labels[: config.evaluate_partitions]
    # Trace the evaluate graph (and its retraces on other sizes) untimed.
    evaluate_loop(keras_model, X, y, groups, labels[-config.evaluate_partitions :])
    times = interleaved(
        {
            "score_partitions": lambda: clf.score_partitions(
                X, y, groups, metrics=METRICS, sample_weight="balanced"
            ),
            "predict": lambda: clf.model_.predict(
                X, batch_size=FLOOR_BATCH_SIZE, verbose=0
            ),
            # The estimator's own prediction pass, for the breakdown table.
            "predict_proba": lambda: clf.predict_proba(X),
            "evaluate": lambda: evaluate_loop(keras_model, X, y, groups, timed),
        },
        repeats=config.repeats,
    )
    scale = len(labels) / len(timed)
    out = {name: median(t) for name, t in times.items()}
    out["evaluate_all"] = out["evaluate"] * scale
    out["ratio_floor"] = paired_ratio(times["score_partitions"], times["predict"])
    out["ratio_evaluate"] = scale * paired_ratio(
        times["evaluate"], times["score_partitions"]
    )
    return out


def bench_reduction(config, clf, X, y, groups):
    """metrics_by_partition vs MetricFrame on the same predictions, interleaved."""
    from skpart import metrics_by_partition

    p1 = clf.predict_proba(X)[:, 1].astype(np.float64)
    # Both sides get the same float64 probabilities (1 - p1 as sklearn forms it).
    y_proba = np.column_stack([1.0 - p1, p1])
    y_pred = clf.classes_[np.argmax(y_proba, axis=1)]
    assert np.array_equal(y_pred, _labels(p1))
    weights = balanced_weights_by_loop(y, groups)

    def ours():
        return metrics_by_partition(
            y,
            y_pred,
            groups,
            metrics=METRICS,
            y_proba=y_proba,
            sample_weight="balanced",
            classes=clf.classes_,
        )

    def theirs():
        return metric_frame(y, p1, groups, weights)

    # One untimed call each (warm-up) gives the values to compare, and the
    # cost of one MetricFrame call decides how many repeats it can afford.
    report = ours()
    start = time.perf_counter()
    frame = theirs()
    metric_frame_first = time.perf_counter() - start
    max_rel_diff = check_same_values(report, frame)
    repeats = config.metric_frame_repeats
    if metric_frame_first > SLOW_CALL_SECONDS:
        repeats = min(repeats, SLOW_REPEATS)
    times = interleaved(
        {"ours": ours, "MetricFrame": theirs}, repeats=repeats, warmup=0
    )
    return {
        "metrics_by_partition": median(times["ours"]),
        "MetricFrame": median(times["MetricFrame"]),
        "ratio": paired_ratio(times["MetricFrame"], times["ours"]),
        "metricframe_repeats": repeats,
        "max_rel_diff": max_rel_diff,
        "y": y,
        "y_pred": y_pred,
        "y_proba": y_proba,
    }


def bench_scaling(config, y, y_pred, y_proba, classes):
    """metrics_by_partition time and peak traced memory vs number of partitions."""
    from skpart import metrics_by_partition

    rng = np.random.default_rng(1)
    groups = {
        n: partition_labels(config.n_rows, n, rng)
        for n in sorted(set(config.scaling) | set(config.memory))
    }

    def run(n):
        return lambda: metrics_by_partition(
            y,
            y_pred,
            groups[n],
            metrics=METRICS,
            y_proba=y_proba,
            sample_weight="balanced",
            classes=classes,
        )

    times = interleaved({n: run(n) for n in config.scaling}, repeats=config.repeats)
    memory = {n: peak_traced_memory(run(n)) for n in config.memory}
    return {n: median(t) for n, t in times.items()}, memory


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL

    from skpart import PartitionMetricWarning

    # 1-row partitions have one class: roc_auc is NaN there, with a warning.
    warnings.simplefilter("ignore", PartitionMetricWarning)
    print(f"machine: {machine_note()}", flush=True)
    X, y, groups = make_data(config)
    clf = fit_classifier(X, y)
    end_to_end = bench_end_to_end(config, clf, X, y, groups)
    reduction = bench_reduction(config, clf, X, y, groups)
    scaling, memory = bench_scaling(
        config, reduction["y"], reduction["y_pred"], reduction["y_proba"], clf.classes_
    )
    results = {
        "end_to_end": end_to_end,
        "reduction": reduction,
        "scaling": scaling,
        "memory": memory,
    }
    print(report_tables(config, results))
    return results


def report_tables(config, results) -> str:
    e, r = results["end_to_end"], results["reduction"]
    rows = [
        _goal_row(
            "`score_partitions` / one `model.predict` (batch 8192)",
            e["score_partitions"],
            e["predict"],
            e["ratio_floor"],
            "<= 1.5x",
            lambda x: x <= 1.5,
        ),
        _goal_row(
            "`MetricFrame` / `metrics_by_partition` (reduction only)",
            r["metrics_by_partition"],
            r["MetricFrame"],
            r["ratio"],
            ">= 100x",
            lambda x: x >= 100,
        ),
        _goal_row(
            f"`model.evaluate` loop (extrapolated from {config.evaluate_partitions}) "
            "/ `score_partitions`",
            e["score_partitions"],
            e["evaluate_all"],
            e["ratio_evaluate"],
            ">= 100x",
            lambda x: x >= 100,
        ),
    ]
    head = (
        f"{config.n_rows:,} rows, {config.n_partitions:,} partitions, metrics "
        f"{', '.join(METRICS)}, balanced weights; medians of {config.repeats} "
        f"interleaved repeats (MetricFrame: {r['metricframe_repeats']}); a ratio "
        "is the median of the per-round ratios. skpart "
        f"equals MetricFrame to rtol 1e-9 (largest relative difference "
        f"{r['max_rel_diff']:.1e})."
    )
    if config is QUICK:
        head += " Smoke run (--quick): the ratios mean nothing at this size."
    goals = markdown_table(
        ["comparison", "skpart", "baseline", "ratio", "goal", "met"], rows
    )
    times, memory = results["scaling"], results["memory"]
    scaling = markdown_table(
        [
            "partitions",
            "rows per partition",
            "`metrics_by_partition`",
            "peak traced memory",
        ],
        [
            [
                f"{n:,}",
                f"{config.n_rows / n:,.0f}",
                fmt_seconds(times[n]) if n in times else "",
                fmt_bytes(memory[n]) if n in memory else "",
            ]
            for n in sorted(set(times) | set(memory))
        ],
    )
    breakdown = markdown_table(
        ["step of `score_partitions`", "median"],
        [
            [
                "`predict_proba` (skpart's default batch)",
                fmt_seconds(e["predict_proba"]),
            ],
            [
                "`metrics_by_partition` (the reduction)",
                fmt_seconds(r["metrics_by_partition"]),
            ],
            ["`score_partitions` (both)", fmt_seconds(e["score_partitions"])],
            [
                f"floor: `model.predict`, batch {FLOOR_BATCH_SIZE}",
                fmt_seconds(e["predict"]),
            ],
        ],
    )
    return f"{head}\n\n{goals}\n\n{breakdown}\n\n{scaling}\n"


def _goal_row(name, ours, baseline, ratio, goal, test):
    return [
        name,
        fmt_seconds(ours),
        fmt_seconds(baseline),
        f"{ratio:.3g}x",
        goal,
        "yes" if test(ratio) else "**no**",
    ]


if __name__ == "__main__":
    main()
