"""Coverage of skpart's summary and per-partition intervals, against known truth.

Every data set is simulated from a law whose true metric values are known,
scored with ``metrics_by_partition(..., n_boot=B, random_state=...)`` (the
public API only), and each interval is checked against the truth of the
simulation. Nominal level 0.95 throughout.

1. **Summary aggregates** (``worst_low/high``, ``gap_low/high``,
   ``mean_low/high`` of ``accuracy``): each row is right with probability
   ``a_g`` of its partition, unweighted. Tied: every ``a_g = 0.80`` (true
   worst 0.80, gap 0, mean 0.80). Untied: one partition at 0.70, the others
   at 0.80 (true worst 0.70, gap 0.10, mean ``0.80 - 0.10 / P``). 5, 10 and
   50 partitions of 200, 1,000 and 10,000 rows (not 50 x 10,000). Beside the
   two-sided coverages, the one-sided ``worst_low <= true worst`` and
   ``gap_high >= true gap`` (what a conservative bound must give), and the
   mean of ``worst_share`` where the summary has it.
2. **Demographic parity difference**: the ``gap`` of ``selection_rate``,
   whose interval is the summary's ``gap_low/high`` (docs/fairness.rst). Each
   row is predicted positive with probability ``s_g``: one partition at 0.40,
   the others at 0.30 (true difference 0.10), 10 partitions of 1,000 rows and
   5 of 10,000; and tied, all at 0.30 (true difference 0), 10 of 1,000.
3. **Per-partition intervals by effective size**: each simulated data set is
   one partition of one call (a row's Poisson(1) multiplicities do not depend
   on the other rows, so a partition's interval is what a call on its rows
   alone gives), so one call scores every trial of a cell:

   - ``accuracy`` with ``sample_weight="balanced"``, 1% positives (exactly
     2, 5, 10, 50 of 200, 500, 1,000, 5,000 rows), a classifier right on a
     positive with probability 0.70 and on a negative with 0.90: the
     balanced accuracy, truth 0.80; effective size = the positives;
   - ``roc_auc`` with 3, 5, 10 positives (and 100 for reference) in 200 rows,
     scores N(0, 1) for negatives and N(1, 1) for positives: truth
     ``Phi(1 / sqrt(2)) = 0.760``; effective size = the positives;
   - ``accuracy`` with row weights drawn from Gamma(0.5), right with
     probability 0.80 whatever the weight: truth 0.80; 20, 50 and 200 rows;
     effective size = Kish's ``(sum w)^2 / sum w^2`` (about a third of the
     rows);
   - ``accuracy`` 0.95, unweighted, 16, 20 and 50 rows: an all-right
     partition (0.95^20 = 36% of them at 20 rows) has a zero-width interval
     [1, 1] that misses the truth.

   The table gives the effective size computed here, the mean of the
   report's ``n_effective`` column where the report has one, the share of
   zero-width intervals and of undefined (NaN) intervals.

Monte Carlo standard error of a coverage c over R data sets:
``sqrt(c (1 - c) / R)``: 200 data sets per summary cell (0.015 at c = 0.95,
0.035 at c = 0.5), 400 per per-partition cell (0.011 at 0.95). ``n_boot=400``
(10 replicates in each 2.5% tail); more replicates make the bounds less
noisy but do not move a coverage whose shortfall is a bias.

Usage::

    .venv/bin/python benchmarks/interval_coverage.py            # full run
    .venv/bin/python benchmarks/interval_coverage.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from math import sqrt
from pathlib import Path
from statistics import NormalDist

# This checkout's skpart, not whichever one is installed (an editable install
# elsewhere would otherwise be measured), and the benchmarks' helpers.
sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parent),
]

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    checkout_commit,
    fmt_seconds,
    machine_note,
    markdown_table,
)

import skpart  # noqa: E402
from skpart import PartitionMetricWarning, metrics_by_partition  # noqa: E402

SEED = 20251202
NOMINAL = 0.95
AUC_TRUTH = NormalDist().cdf(1 / sqrt(2))


def coverage(hits) -> str:
    """Share of True with its Monte Carlo standard error ``sqrt(c (1 - c) / R)``."""
    hits = np.asarray(hits, dtype=float)
    c = hits.mean()
    return f"{c:.3f} ({sqrt(c * (1 - c) / hits.size):.3f})"


def inside(low, high, truth):
    """Whether ``[low, high]`` holds ``truth`` (False where undefined)."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    return (low <= truth) & (truth <= high)


def score(*args, **kwargs):
    """``metrics_by_partition`` with its small-partition warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PartitionMetricWarning)
        return metrics_by_partition(*args, **kwargs)


# --- 1 and 2: the summary's aggregates -------------------------------------


def summary_cell(rng, rates, n_rows, reps, n_boot, seed, metric):
    """Simulate ``reps`` data sets; return the summary rows and the truth."""
    rates = np.asarray(rates, dtype=float)
    groups = np.repeat(np.arange(rates.size), n_rows)
    rows = []
    for rep in range(reps):
        y = rng.integers(0, 2, groups.size)
        event = rng.random(groups.size) < rates[groups]
        if metric == "accuracy":
            y_pred = np.where(event, y, 1 - y)  # right with probability a_g
        else:
            y_pred = event.astype(int)  # predicted positive with probability s_g
        report = score(
            y, y_pred, groups, metrics=metric, n_boot=n_boot, random_state=seed + rep
        )
        rows.append(report.summary.loc[metric])
    truth = {"worst": rates.min(), "gap": rates.max() - rates.min()}
    truth["mean"] = rates.mean()
    return rows, truth


def print_header(headers) -> None:
    """The header lines of a markdown table, printed before its rows arrive."""
    print("\n".join(markdown_table(headers, []).splitlines()[:2]), flush=True)


def aggregate_table(rng_for, reps, n_boot, quick):
    headers = ["truth", "partitions", "rows each", "[worst_low, worst_high]",
               "worst_low <= worst", "[gap_low, gap_high]", "gap_high >= gap",
               "[mean_low, mean_high]", "worst_share (mean)",
               "time per data set"]  # fmt: skip
    print_header(headers)
    sizes = [(5, 200), (10, 1000)] if quick else [
        (p, n) for p in (5, 10, 50) for n in (200, 1000, 10_000) if p * n < 500_000
    ]  # fmt: skip
    table = []
    for index, (pattern, (n_partitions, n_rows)) in enumerate(
        (pattern, size) for pattern in ("tied", "untied") for size in sizes
    ):
        rates = np.full(n_partitions, 0.80)
        if pattern == "untied":
            rates[0] = 0.70
        start = time.perf_counter()
        rows, truth = summary_cell(
            rng_for(1, index), rates, n_rows, reps, n_boot, 10_000 * index, "accuracy"
        )
        elapsed = (time.perf_counter() - start) / reps
        get = {k: np.array([row.get(k, np.nan) for row in rows], float)
               for k in ("worst_low", "worst_high", "gap_low", "gap_high",
                         "mean_low", "mean_high", "worst_share")}  # fmt: skip
        share = get["worst_share"]
        table.append([
            f"{pattern}: worst {truth['worst']:.2f}, gap {truth['gap']:.2f}",
            n_partitions,
            f"{n_rows:,}",
            coverage(inside(get["worst_low"], get["worst_high"], truth["worst"])),
            coverage(get["worst_low"] <= truth["worst"]),
            coverage(inside(get["gap_low"], get["gap_high"], truth["gap"])),
            coverage(get["gap_high"] >= truth["gap"] - 1e-12),
            coverage(inside(get["mean_low"], get["mean_high"], truth["mean"])),
            "absent" if np.isnan(share).all() else f"{np.nanmean(share):.3f}",
            fmt_seconds(elapsed),
        ])  # fmt: skip
        print(markdown_table(headers, table[-1:]).splitlines()[-1], flush=True)
    return headers, table


def parity_table(rng_for, reps, n_boot, quick):
    headers = ["selection rates", "partitions", "rows each", "true difference",
               "[gap_low, gap_high]", "gap_low <= truth", "gap_high >= truth",
               "difference (mean)", "time per data set"]  # fmt: skip
    print_header(headers)
    cells = [
        ("one 0.40, others 0.30", 10, 1000),
        ("one 0.40, others 0.30", 5, 10_000),
        ("all 0.30", 10, 1000),
    ]
    if quick:
        cells = cells[:1]
    table = []
    for index, (name, n_partitions, n_rows) in enumerate(cells):
        rates = np.full(n_partitions, 0.30)
        if name.startswith("one"):
            rates[0] = 0.40
        start = time.perf_counter()
        rows, truth = summary_cell(
            rng_for(2, index), rates, n_rows, reps, n_boot, 20_000 + 1000 * index,
            "selection_rate",
        )  # fmt: skip
        elapsed = (time.perf_counter() - start) / reps
        low = np.array([row["gap_low"] for row in rows], float)
        high = np.array([row["gap_high"] for row in rows], float)
        gap = np.array([row["gap"] for row in rows], float)
        table.append([
            name, n_partitions, f"{n_rows:,}", f"{truth['gap']:.2f}",
            coverage(inside(low, high, truth["gap"])),
            coverage(low <= truth["gap"] + 1e-12),
            coverage(high >= truth["gap"] - 1e-12),
            f"{gap.mean():.3f}",
            fmt_seconds(elapsed),
        ])  # fmt: skip
        print(markdown_table(headers, table[-1:]).splitlines()[-1], flush=True)
    return headers, table


# --- 3: per-partition intervals by effective size ----------------------------


def balanced_rare(rng, n_rows, trials):
    """1% positives; right on positives w.p. 0.70, on negatives 0.90."""
    positives = max(1, round(n_rows / 100))
    y = np.tile((np.arange(n_rows) < positives).astype(int), trials)
    right = rng.random(y.size) < np.where(y == 1, 0.70, 0.90)
    data = {"y_pred": np.where(right, y, 1 - y), "sample_weight": "balanced"}
    return y, data, "accuracy", 0.80, np.full(trials, positives, float)


def auc_positives(positives):
    def simulate(rng, n_rows, trials):
        y = np.tile((np.arange(n_rows) < positives).astype(int), trials)
        proba = 1 / (1 + np.exp(-(rng.normal(size=y.size) + y)))
        data = {"y_pred": (proba > 0.5).astype(int), "y_proba": proba,
                "classes": [0, 1]}  # fmt: skip
        return y, data, "roc_auc", AUC_TRUTH, np.full(trials, positives, float)

    return simulate


def gamma_weights(rng, n_rows, trials):
    y = rng.integers(0, 2, n_rows * trials)
    right = rng.random(y.size) < 0.80
    weights = rng.gamma(0.5, 1.0, y.size)
    w = weights.reshape(trials, n_rows)
    kish = w.sum(axis=1) ** 2 / (w**2).sum(axis=1)
    data = {"y_pred": np.where(right, y, 1 - y), "sample_weight": weights}
    return y, data, "accuracy", 0.80, kish


def high_accuracy(rng, n_rows, trials):
    y = rng.integers(0, 2, n_rows * trials)
    right = rng.random(y.size) < 0.95
    data = {"y_pred": np.where(right, y, 1 - y)}
    return y, data, "accuracy", 0.95, np.full(trials, n_rows, float)


PARTITION_CELLS = [
    ("accuracy, balanced weights, 1% positives (0.80)", balanced_rare,
     (200, 500, 1000, 5000)),
    ("roc_auc, 3 positives in 200 rows (0.760)", auc_positives(3), (200,)),
    ("roc_auc, 5 positives in 200 rows (0.760)", auc_positives(5), (200,)),
    ("roc_auc, 10 positives in 200 rows (0.760)", auc_positives(10), (200,)),
    ("roc_auc, 100 positives in 200 rows (0.760)", auc_positives(100), (200,)),
    ("accuracy, Gamma(0.5) row weights (0.80)", gamma_weights, (20, 50, 200)),
    ("accuracy 0.95, unweighted (0.95)", high_accuracy, (16, 20, 50)),
]  # fmt: skip


def partition_table(rng_for, trials, n_boot, quick):
    headers = ["cell (truth)", "rows", "effective size (mean)",
               "n_effective in the report (mean)", "coverage", "zero width",
               "undefined", "time"]  # fmt: skip
    print_header(headers)
    table = []
    cells = PARTITION_CELLS[:2] if quick else PARTITION_CELLS
    for index, (name, simulate, sizes) in enumerate(cells):
        for size in sizes[:1] if quick else sizes:
            rng = rng_for(3, index, size)
            start = time.perf_counter()
            y, data, metric, truth, effective = simulate(rng, size, trials)
            y_pred = data.pop("y_pred")
            groups = np.repeat(np.arange(trials), size)
            report = score(
                y, y_pred, groups, metrics=metric, n_boot=n_boot,
                random_state=30_000 + 100 * index + size, **data,
            )  # fmt: skip
            bounds = report.intervals[metric]
            low, high = bounds["low"].to_numpy(float), bounds["high"].to_numpy(float)
            defined = ~np.isnan(low) & ~np.isnan(high)
            reported = report.by_partition.get("n_effective")
            table.append([
                name, size, f"{effective.mean():.1f}",
                "absent" if reported is None else f"{reported.mean():.1f}",
                coverage(inside(low, high, truth)),
                coverage(defined & (high - low <= 1e-12)),
                coverage(~defined),
                fmt_seconds(time.perf_counter() - start),
            ])  # fmt: skip
            print(markdown_table(headers, table[-1:]).splitlines()[-1], flush=True)
    return headers, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, seconds")
    parser.add_argument(
        "--reps", type=int, help="data sets per summary cell (200; 20 with --quick)"
    )
    parser.add_argument(
        "--trials", type=int, help="data sets per partition cell (400; 100 --quick)"
    )
    parser.add_argument("--n-boot", type=int, default=400)
    args = parser.parse_args()
    reps = args.reps or (20 if args.quick else 200)
    trials = args.trials or (100 if args.quick else 400)

    def rng_for(*key):
        return np.random.default_rng([SEED, *key])

    start = time.perf_counter()
    print(f"Machine: {machine_note()}")
    print(f"skpart: {Path(skpart.__file__).parent}, commit {checkout_commit()}")
    print(
        f"Nominal {NOMINAL:.0%}, n_boot={args.n_boot}; coverage (Monte Carlo "
        f"standard error); {reps} data sets per summary cell, {trials} per "
        "partition cell\n"
    )
    print("1. Summary aggregates of accuracy (worst, gap, mean)\n")
    aggregate_table(rng_for, reps, args.n_boot, args.quick)
    print("\n2. Demographic parity difference: gap of selection_rate\n")
    parity_table(rng_for, reps, args.n_boot, args.quick)
    print("\n3. Per-partition intervals by effective size\n")
    partition_table(rng_for, trials, args.n_boot, args.quick)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
