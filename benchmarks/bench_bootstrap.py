"""Bootstrap intervals: skpart against Fairlearn, and the cost of a comparison.

100,000 rows in 1,000 partitions, balanced weights, ``accuracy``,
``roc_auc`` and ``log_loss``, ``n_boot=1000``:

- skpart: ``metrics_by_partition(..., sample_weight="balanced", n_boot=1000)``
  (Poisson(1) replicates, every statistic kept per replicate, balanced
  weights recomputed on each replicate);
- Fairlearn: ``MetricFrame(..., n_boot=k, ci_quantiles=[0.025, 0.975])``
  with sklearn's three functions, the balanced weights passed as
  ``sample_params`` (computed once: Fairlearn resamples them with the rows
  and cannot recompute them). Fairlearn redoes the whole MetricFrame on each
  resample (``_bootstrap.py``: ``data.sample(replace=True)`` then
  ``DisaggregatedResult.create``), so it is timed with a few resamples and
  extrapolated linearly: ``t(1000) = t(0) + 1000 * (t(k) - t(0)) / k``;
- ``compare_partitions(baseline, candidate, ..., n_boot=1000)`` on the same
  rows against one ``score_partitions(..., n_boot=1000)`` report (two stored
  predictors, so prediction costs nothing).

Times are medians of interleaved repeats; peak memory is traced separately
with tracemalloc (never while timing), and the process's peak RSS is read
after skpart's runs, before Fairlearn's.

Usage::

    .venv/bin/python benchmarks/bench_bootstrap.py            # full run
    .venv/bin/python benchmarks/bench_bootstrap.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    interleaved,
    machine_note,
    markdown_table,
    max_rss_bytes,
    median,
    peak_traced_memory,
    spread,
)
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.utils.class_weight import compute_sample_weight  # noqa: E402

from skpart import compare_partitions, metrics_by_partition, score_partitions  # noqa: E402

METRICS = ["accuracy", "roc_auc", "log_loss"]


class Stored(ClassifierMixin, BaseEstimator):
    """Probabilities looked up by row number (X is one column of row numbers)."""

    def __init__(self, proba):
        self.proba = proba

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = self.proba[np.asarray(X)[:, 0]]
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def make_data(n_rows, n_partitions, seed=0):
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_partitions, n_rows)
    y = rng.integers(0, 2, n_rows)
    score = rng.normal(size=n_rows) + y
    proba = 1 / (1 + np.exp(-score))
    other = 1 / (1 + np.exp(-(score + 0.3 * rng.normal(size=n_rows))))
    return groups, y, proba, other


def fairlearn_frame(groups, y, proba, weights, n_boot, seed):
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    def accuracy(y_true, y_score, sample_weight):
        return accuracy_score(y_true, y_score >= 0.5, sample_weight=sample_weight)

    def auc(y_true, y_score, sample_weight):
        return roc_auc_score(y_true, y_score, sample_weight=sample_weight)

    def loss(y_true, y_score, sample_weight):
        return log_loss(y_true, y_score, sample_weight=sample_weight, labels=[0, 1])

    functions = {"accuracy": accuracy, "roc_auc": auc, "log_loss": loss}
    params = {name: {"sample_weight": weights} for name in functions}
    bootstrap = {} if n_boot == 0 else dict(
        n_boot=n_boot, ci_quantiles=[0.025, 0.975], random_state=seed
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics=functions, y_true=y, y_pred=proba, sensitive_features=groups,
            sample_params=params, **bootstrap,
        )  # fmt: skip


def balanced_weights(groups, y):
    weights = np.empty(len(y))
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for rows in np.split(order, bounds):
        weights[rows] = compute_sample_weight("balanced", y[rows])
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fairlearn-resamples", type=int, default=3)
    args = parser.parse_args()
    n_rows, n_partitions, n_boot = (
        (5_000, 50, 100) if args.quick else (100_000, 1_000, 1_000)
    )
    groups, y, proba, other = make_data(n_rows, n_partitions)
    X = np.arange(n_rows)[:, None]
    baseline, candidate = Stored(proba).fit(), Stored(other).fit()
    proba2 = np.column_stack([1 - proba, proba])

    def skpart_report():
        return metrics_by_partition(
            y, (proba >= 0.5).astype(int), groups, metrics=METRICS,
            y_proba=proba2, classes=[0, 1], sample_weight="balanced",
            n_boot=n_boot, random_state=0,
        )  # fmt: skip

    def one_report():
        return score_partitions(
            baseline, X, y, groups, metrics=METRICS, n_boot=n_boot, random_state=0
        )

    def comparison():
        return compare_partitions(
            baseline, candidate, X, y, groups, metrics=METRICS, n_boot=n_boot,
            random_state=0,
        )  # fmt: skip

    print(
        f"{n_rows:,} rows, {n_partitions:,} partitions, {', '.join(METRICS)}, "
        f"balanced weights, n_boot={n_boot:,}; {machine_note()}",
        flush=True,
    )
    times = interleaved(
        {"skpart": skpart_report, "report": one_report, "compare": comparison},
        repeats=args.repeats,
        warmup=0,
    )
    rss = max_rss_bytes()
    peak = peak_traced_memory(skpart_report)
    peak_compare = peak_traced_memory(comparison)

    weights = balanced_weights(groups, y)
    k = args.fairlearn_resamples
    fair_times = interleaved(
        {
            "no bootstrap": lambda: fairlearn_frame(groups, y, proba, weights, 0, 0),
            f"n_boot={k}": lambda: fairlearn_frame(groups, y, proba, weights, k, 0),
        },
        repeats=max(1, args.repeats - 1),
        warmup=0,
    )
    base_time = median(fair_times["no bootstrap"])
    per_resample = max(median(fair_times[f"n_boot={k}"]) - base_time, 0.0) / k
    fairlearn_total = base_time + n_boot * per_resample
    # Sanity: the point values agree (Fairlearn's by_group against skpart's).
    frame = fairlearn_frame(groups, y, proba, weights, 0, 0)
    report = skpart_report()
    for metric in METRICS:
        np.testing.assert_allclose(
            report.by_partition[metric].to_numpy(),
            frame.by_group[metric].to_numpy(float),
            rtol=1e-9,
        )
    skpart_time = median(times["skpart"])
    rows = [
        [
            f"skpart metrics_by_partition, n_boot={n_boot}",
            fmt_seconds(skpart_time),
            spread(times["skpart"]),
            fmt_bytes(peak),
            "goal <= 6 s, <= 1 GB",
        ],
        [
            f"Fairlearn MetricFrame, n_boot={n_boot} (extrapolated)",
            fmt_seconds(fairlearn_total),
            f"t(0) {fmt_seconds(base_time)}, {fmt_seconds(per_resample)}/resample",
            "",
            f"skpart {fairlearn_total / skpart_time:.0f}x faster (goal >= 300x)",
        ],
        [
            f"score_partitions, one report, n_boot={n_boot}",
            fmt_seconds(median(times["report"])),
            spread(times["report"]),
            "",
            "",
        ],
        [
            f"compare_partitions, n_boot={n_boot}",
            fmt_seconds(median(times["compare"])),
            spread(times["compare"]),
            fmt_bytes(peak_compare),
            f"{median(times['compare']) / median(times['report']):.2f}x one report "
            "(goal <= 2.5x)",
        ],
    ]
    print()
    print(markdown_table(["what", "median", "runs", "tracemalloc peak", "note"], rows))
    print(f"\npeak RSS of the process after skpart's runs: {fmt_bytes(rss)}")


if __name__ == "__main__":
    main()
