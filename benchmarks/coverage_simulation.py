"""Coverage of skpart's bootstrap intervals, measured against known truth.

Each cell simulates data sets whose true metric value is known, scores them
with ``metrics_by_partition(..., n_boot=B, random_state=...)`` and counts how
often the 95% percentile interval contains the truth:

- accuracy of a classifier that is right with probability 0.8 on each row
  (true accuracy 0.8), unweighted;
- roc_auc of a binormal score, N(0, 1) for negatives and N(1, 1) for
  positives, half of each (true AUC = Phi(1 / sqrt(2)) = 0.760);
- mean_squared_error of ``y_pred = y + N(0, 1)`` (true MSE = 1);
- the summary's ``worst`` accuracy over 10 partitions (``worst_low``,
  ``worst_high``), all at 0.8 (ties, the hardest case) or spread from 0.70 to
  0.88 by 0.02 (true worst 0.70).

The per-partition cells put every simulated data set in one call as its own
partition: a row's Poisson(1) multiplicities are independent of every other
row's, so a partition's interval is exactly what a call on that data set
alone would give, and one call scores all the trials. The worst cells need
one call per data set (the summary aggregates over the call's partitions).

Run: ``.venv/bin/python benchmarks/coverage_simulation.py [--trials 400]
[--n-boot 400]``. Prints a markdown table; the Monte-Carlo standard error of
a coverage c over T trials is sqrt(c (1 - c) / T).
"""

from __future__ import annotations

import argparse
import time
from math import erf, sqrt

import numpy as np

from skpart import metrics_by_partition

SIZES = (20, 50, 200, 1000)
NOMINAL = 0.95
AUC_SHIFT = 1.0


def _phi(x: float) -> float:
    return 0.5 * (1 + erf(x / sqrt(2)))


def _covered(low, high, truth):
    """Whether each interval holds the truth, and whether it is defined."""
    low, high = np.asarray(low, float), np.asarray(high, float)
    defined = ~np.isnan(low) & ~np.isnan(high)
    hit = defined & (low <= truth) & (truth <= high)
    return hit, defined


def accuracy_cell(rng, n_rows, n_trials, n_boot, seed):
    groups = np.repeat(np.arange(n_trials), n_rows)
    y = rng.integers(0, 2, groups.size)
    correct = rng.random(groups.size) < 0.8
    report = metrics_by_partition(
        y, np.where(correct, y, 1 - y), groups, metrics="accuracy",
        n_boot=n_boot, random_state=seed,
    )  # fmt: skip
    bounds = report.intervals["accuracy"]
    return {"": _covered(bounds["low"], bounds["high"], 0.8)}


def auc_cell(rng, n_rows, n_trials, n_boot, seed):
    groups = np.repeat(np.arange(n_trials), n_rows)
    y = np.tile(np.arange(n_rows) % 2, n_trials)  # half of each class
    score = rng.normal(size=groups.size) + AUC_SHIFT * y
    proba = 1 / (1 + np.exp(-score))  # monotone: the same AUC as the score
    report = metrics_by_partition(
        y, (proba > 0.5).astype(int), groups, metrics="roc_auc", y_proba=proba,
        classes=[0, 1], n_boot=n_boot, random_state=seed,
    )  # fmt: skip
    bounds = report.intervals["roc_auc"]
    return {"": _covered(bounds["low"], bounds["high"], _phi(AUC_SHIFT / sqrt(2)))}


def mse_cell(rng, n_rows, n_trials, n_boot, seed):
    groups = np.repeat(np.arange(n_trials), n_rows)
    y = rng.normal(size=groups.size)
    report = metrics_by_partition(
        y, y + rng.normal(size=groups.size), groups, metrics="mean_squared_error",
        n_boot=n_boot, random_state=seed,
    )  # fmt: skip
    bounds = report.intervals["mean_squared_error"]
    return {"": _covered(bounds["low"], bounds["high"], 1.0)}


def worst_cell(accuracies):
    accuracies = np.asarray(accuracies)

    def cell(rng, n_rows, n_trials, n_boot, seed):
        hits = []
        groups = np.repeat(np.arange(len(accuracies)), n_rows)
        for trial in range(n_trials):
            y = rng.integers(0, 2, groups.size)
            correct = rng.random(groups.size) < accuracies[groups]
            report = metrics_by_partition(
                y, np.where(correct, y, 1 - y), groups, metrics="accuracy",
                n_boot=n_boot, random_state=seed + trial,
            )  # fmt: skip
            row = report.summary.loc["accuracy"]
            hits.append((row["worst_low"], row["worst_high"]))
        low, high = np.array(hits).T
        truth = accuracies.min()
        hit, defined = _covered(low, high, truth)
        lower, _ = _covered(low, np.full_like(high, np.inf), truth)
        return {
            "[worst_low, worst_high]": (hit, defined),
            "worst_low <= truth": (lower, defined),
        }

    return cell


CELLS = {
    "accuracy (p = 0.8)": accuracy_cell,
    "roc_auc (binormal, 0.760)": auc_cell,
    "mean_squared_error (1.0)": mse_cell,
    "worst accuracy, 10 tied at 0.8": worst_cell(np.full(10, 0.8)),
    "worst accuracy, 0.70 ... 0.88": worst_cell(np.arange(10) * 0.02 + 0.70),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=400)
    parser.add_argument("--worst-trials", type=int, default=200)
    parser.add_argument("--n-boot", type=int, default=400)
    args = parser.parse_args()
    start = time.perf_counter()
    header = "| quantity (truth) | " + " | ".join(f"n = {n}" for n in SIZES) + " |"
    print(
        f"Coverage of the {NOMINAL:.0%} percentile intervals, n_boot={args.n_boot}, "
        f"{args.trials} data sets per cell ({args.worst_trials} for the worst); "
        "n = rows per partition; coverage (Monte-Carlo standard error)\n"
    )
    print(header)
    print("|" + "---|" * (len(SIZES) + 1))
    for index, (name, cell) in enumerate(CELLS.items()):
        trials = args.worst_trials if name.startswith("worst") else args.trials
        rows: dict[str, list[str]] = {}
        for size in SIZES:
            rng = np.random.default_rng([index, size])
            results = cell(rng, size, trials, args.n_boot, 1000 * index + size)
            for label, (hit, defined) in results.items():
                coverage = hit.mean()
                error = sqrt(coverage * (1 - coverage) / trials)
                text = f"{coverage:.3f} ({error:.3f})"
                if not defined.all():
                    text += f", {1 - defined.mean():.0%} undefined"
                rows.setdefault(label, []).append(text)
        for label, texts in rows.items():
            title = f"{name}: {label}" if label else name
            print(f"| {title} | " + " | ".join(texts) + " |", flush=True)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
