"""Fairness rates and disparities: skpart against Fairlearn, side by side in one run.

The five rates (selection_rate, true/false positive/negative rates) and the
six disparities (demographic parity, equalized odds, equal opportunity; the
differences and the ratios) on 1,000,000 rows in 10,000 partitions, from
predicted labels, unweighted (so the numbers are Fairlearn's own):

- skpart: ``metrics_by_partition(y, y_pred, groups, metrics=RATES)`` and
  ``report.disparities``;
- Fairlearn: one ``MetricFrame`` with Fairlearn's five rate functions, then
  its ``difference()`` and ``ratio()``, combined as Fairlearn's disparity
  functions combine them. This is Fairlearn's cheapest route: each of its six
  disparity functions builds a MetricFrame of its own.

The values are checked to agree (rtol 1e-9) before anything is timed. The
candidates are timed interleaved (skpart runs before and after Fairlearn);
skpart's figure is a median. One MetricFrame call takes minutes at this size,
so it is timed once (``--metric-frame-repeats`` to change that). Peak memory
is traced separately with tracemalloc (never while timing).

Usage::

    .venv/bin/python benchmarks/bench_fairness.py          # full run, ~15 minutes
    .venv/bin/python benchmarks/bench_fairness.py --quick  # smoke run, seconds
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    machine_note,
    markdown_table,
    median,
    peak_traced_memory,
    spread,
    time_once,
)

RATES = [
    "selection_rate",
    "true_positive_rate",
    "false_positive_rate",
    "true_negative_rate",
    "false_negative_rate",
]
DISPARITIES = [
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
]
GOAL = 200.0


@dataclass(frozen=True)
class Config:
    n_rows: int
    n_partitions: int
    repeats: int


FULL = Config(1_000_000, 10_000, 5)
QUICK = Config(20_000, 200, 3)


def make_data(config: Config, seed: int = 0):
    """Labels whose prevalence and error rates differ by partition."""
    rng = np.random.default_rng(seed)
    groups = rng.permutation(np.arange(config.n_rows) % config.n_partitions)
    prevalence = rng.uniform(0.05, 0.6, config.n_partitions)[groups]
    y_true = (rng.random(config.n_rows) < prevalence).astype(np.int64)
    # Per-partition miss and false-alarm rates, so every disparity is nonzero.
    miss = rng.uniform(0.05, 0.4, config.n_partitions)[groups]
    false_alarm = rng.uniform(0.02, 0.3, config.n_partitions)[groups]
    flip = rng.random(config.n_rows) < np.where(y_true == 1, miss, false_alarm)
    y_pred = np.where(flip, 1 - y_true, y_true)
    return y_true, y_pred, groups


def skpart_fairness(y_true, y_pred, groups):
    from skpart import metrics_by_partition

    report = metrics_by_partition(y_true, y_pred, groups, metrics=RATES)
    return report, report.disparities


def fairlearn_fairness(y_true, y_pred, groups):
    """One MetricFrame of the rates; the disparities as Fairlearn's functions."""
    from fairlearn import metrics as flm

    frame = flm.MetricFrame(
        metrics={name: getattr(flm, name) for name in RATES},
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=groups,
    )
    difference, ratio = frame.difference(), frame.ratio()
    tpr, fpr = "true_positive_rate", "false_positive_rate"
    # Python's max / min over (TPR, FPR), as fairlearn.metrics.equalized_odds_*.
    disparities = {
        "demographic_parity_difference": difference["selection_rate"],
        "demographic_parity_ratio": ratio["selection_rate"],
        "equalized_odds_difference": max(difference[[tpr, fpr]]),
        "equalized_odds_ratio": min(ratio[[tpr, fpr]]),
        "equal_opportunity_difference": difference[tpr],
        "equal_opportunity_ratio": ratio[tpr],
    }
    return frame, disparities


def check_same_values(ours, theirs) -> float:
    """Assert skpart equals Fairlearn (rtol 1e-9); return the largest rel. diff."""
    report, disparities = ours
    frame, their_disparities = theirs
    pairs = [
        (
            report.by_partition[RATES].to_numpy(float),
            frame.by_group.loc[report.by_partition.index, RATES].to_numpy(float),
        ),
        (report.overall[RATES].to_numpy(float), frame.overall[RATES].to_numpy(float)),
        (
            disparities[DISPARITIES].to_numpy(float),
            np.array([their_disparities[name] for name in DISPARITIES], float),
        ),
    ]
    worst = 0.0
    for a, b in pairs:
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=0)
        nonzero = b != 0
        if nonzero.any():
            worst = max(
                worst, float(np.max(np.abs(a - b)[nonzero] / np.abs(b[nonzero])))
            )
    return worst


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run, seconds")
    parser.add_argument(
        "--metric-frame-repeats",
        type=int,
        default=1,
        help="timed MetricFrame calls (default 1: one call takes minutes)",
    )
    parser.add_argument(
        "--no-fairlearn-memory",
        action="store_true",
        help="skip tracing Fairlearn's peak memory (one more slow call)",
    )
    args = parser.parse_args(argv)
    config = QUICK if args.quick else FULL
    y_true, y_pred, groups = make_data(config)
    print(
        f"# Fairness rates and disparities: {config.n_rows:,} rows, "
        f"{config.n_partitions:,} partitions, unweighted\n"
    )
    print(machine_note(), "\n")

    def ours():
        return skpart_fairness(y_true, y_pred, groups)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fairlearn_fairness(y_true, y_pred, groups)

    # Warm-up: imports and caches (a MetricFrame call is slow enough that its
    # own first call is a fair measurement, so it is not run untimed).
    import fairlearn.metrics  # noqa: F401

    ours()
    # Interleaved rounds: skpart, then Fairlearn while it has calls left; the
    # values are checked on the first round's results before going on.
    times = {"skpart": [], "fairlearn": []}
    latest = {}

    def fairlearn_kept():
        latest["value"] = theirs()

    for round_ in range(max(config.repeats, args.metric_frame_repeats)):
        if round_ < config.repeats:
            times["skpart"].append(time_once(ours))
        if round_ < args.metric_frame_repeats:
            times["fairlearn"].append(time_once(fairlearn_kept))
        if round_ == 0:
            rel_diff = check_same_values(ours(), latest.pop("value"))
            print(
                f"values agree: largest relative difference {rel_diff:.2e} "
                "(rtol 1e-9)\n"
            )

    memory = {"skpart": peak_traced_memory(ours)}
    if not args.no_fairlearn_memory:
        memory["fairlearn"] = peak_traced_memory(theirs)

    speedup = median(times["fairlearn"]) / median(times["skpart"])
    rows = [
        [
            "skpart `metrics_by_partition` + `disparities`",
            spread(times["skpart"]),
            len(times["skpart"]),
            fmt_bytes(memory["skpart"]),
            f"{speedup:.0f}x",
        ],
        [
            "Fairlearn `MetricFrame` + `difference()` / `ratio()`",
            spread(times["fairlearn"]),
            len(times["fairlearn"]),
            fmt_bytes(memory["fairlearn"]) if "fairlearn" in memory else "not traced",
            "1x",
        ],
    ]
    print(
        markdown_table(
            ["", "time: median (min-max)", "calls", "peak memory", "speed-up"], rows
        )
    )
    ours_s, theirs_s = median(times["skpart"]), median(times["fairlearn"])
    print(
        f"\nskpart is {speedup:.0f}x faster (median {fmt_seconds(ours_s)} vs "
        f"{fmt_seconds(theirs_s)}); goal {GOAL:.0f}x: "
        f"{'met' if speedup >= GOAL else 'NOT met'}."
    )


if __name__ == "__main__":
    main()
