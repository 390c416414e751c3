"""Error rates of the comparison gate, ``compare_partitions``, against known truth.

Every run simulates the predictions of a baseline and a candidate classifier
on the same rows, whose true difference on each partition is known, and
passes them to ``compare_partitions`` through two stand-in estimators that
look their stored probabilities up by row number (X is one column of row
numbers). Only skpart's public API is used; the truth comes from the
simulation, never from skpart.

The model of a prediction (binormal, calibrated): each row's class is 0 or 1
with probability 1/2; a model of quality ``mu`` gives the row the score
``s = mu * (2 y - 1) + N(0, 1)`` and the probability ``sigmoid(2 mu s)`` of
class 1 (the exact posterior, so calibrated). Its accuracy is ``Phi(mu)``,
its AUC ``Phi(mu sqrt(2))``; a smaller ``mu`` is worse on all three metrics
(``accuracy``, ``roc_auc``, ``log_loss``). Every partition's baseline is at
accuracy 0.85; partition sizes are drawn log-uniformly between 20 and 200
rows (mean about 78), anew in every run.

Scenarios (the truth of each (partition, metric) cell in brackets):

- ``null, independent``: the candidate is a second model of the same quality,
  drawn independently (no cell regressed; the null on its boundary, a true
  difference of exactly 0, the hardest case for a one-sided test);
- ``null, perturbed copy``: the candidate is the baseline with 10% of its
  rows given a fresh score from the same law (no cell regressed; most rows
  agree, as with a retrained model, so the paired differences are sparse);
- ``isolated``: as ``null, independent``, plus one partition of 100 rows on
  which the candidate is wrong on every row (probability of the true class
  uniform on [0.05, 0.45]; its three cells regressed, all others not);
- ``spread``: as ``null, independent`` among 200 partitions, of which ten of
  100 rows have a candidate whose accuracy is 0.30 lower (0.55; their 30
  cells regressed).

Figures per case (R runs; every figure is a share or a mean over runs, with
its Monte Carlo standard error ``sqrt(p (1 - p) / R)``, or the sample
standard deviation over ``sqrt(R)`` for a mean of proportions):

- FWER: share of runs flagging at least one cell that did not regress;
- FDR: mean over runs of (false flags / flags), 0 when nothing is flagged
  (what Benjamini-Hochberg controls; under a complete null it equals the
  FWER, run by run);
- power: mean share of the regressed partitions flagged (on any metric), and
  the share of runs flagging all of them;
- warned: share of runs in which ``compare_partitions`` emitted a warning;
- smallest p: median over runs of the smallest ``p_value`` of the cells
  that regressed (power cases) or of all cells (null cases), to show the
  floor ``1 / (n_boot + 1)`` of the bootstrap p-value where there is one.

``n_boot`` is 1000 (the gate's default) and 400 (the fewest a 0.95 level
accepts since the n_boot guard; the before figures were taken at 200). The
number of runs per case is chosen for the figure it gives and kept to what a
shared 2-core machine does in about half an hour: 200 runs give a standard
error of 0.015 for an FWER near 0.05, 100 runs 0.022, 50 runs 0.031, 15 runs
0.056 (a 1,000- partition comparison at ``n_boot=1000`` takes 15-30 s
there); a power near 0 or 1 needs few runs to tell one from the other (8
runs at 1,000 partitions, 25-100 elsewhere). ``--scale`` multiplies every
number of runs.

Usage::

    .venv/bin/python benchmarks/gate_simulation.py            # full run
    .venv/bin/python benchmarks/gate_simulation.py --quick    # smoke run
    .venv/bin/python benchmarks/gate_simulation.py --scale 2  # twice the runs
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
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
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402

import skpart  # noqa: E402
from skpart import compare_partitions  # noqa: E402

METRICS = ["accuracy", "roc_auc", "log_loss"]
BASE_ACCURACY = 0.85
REGRESSED_ACCURACY = 0.55  # the spread regressions: 0.30 lower
PERTURBED_SHARE = 0.10
TARGET_ROWS = 100  # rows of each regressed partition
MIN_ROWS, MAX_ROWS = 20, 200
SEED = 20251202


class Stored(ClassifierMixin, BaseEstimator):
    """A fitted binary classifier whose probabilities are looked up by row number.

    X is one column of row numbers; ``proba`` holds each row's probability
    of class 1.
    """

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        p = self.proba[np.asarray(X)[:, 0].astype(np.intp)]
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)


def quality(accuracy: float) -> float:
    """The binormal ``mu`` whose accuracy is ``accuracy``: ``Phi^-1(accuracy)``."""
    return NormalDist().inv_cdf(accuracy)


def binormal_proba(rng, y, mu):
    """Calibrated probabilities of class 1 of a model of quality ``mu`` per row."""
    score = mu * (2 * y - 1) + rng.normal(size=y.size)
    return 1 / (1 + np.exp(-2 * mu * score))


@dataclass(frozen=True)
class Case:
    """One scenario at one number of partitions and one ``n_boot``."""

    scenario: str
    n_partitions: int
    n_boot: int
    runs: int

    def simulate(self, rng):
        """Rows of one run: ``(y, groups, baseline, candidate, regressed)``.

        ``regressed`` says, per partition, whether its cells truly regressed
        (the same for the three metrics in every scenario here).
        """
        sizes = np.exp(
            rng.uniform(np.log(MIN_ROWS), np.log(MAX_ROWS), self.n_partitions)
        ).round()
        sizes = sizes.astype(int)
        regressed = np.zeros(self.n_partitions, dtype=bool)
        if self.scenario == "isolated":
            regressed[0] = True
        elif self.scenario == "spread":
            regressed[:10] = True
        sizes[regressed] = TARGET_ROWS
        groups = np.repeat(np.arange(self.n_partitions), sizes)
        y = rng.integers(0, 2, groups.size)
        mu = quality(BASE_ACCURACY)
        baseline = binormal_proba(rng, y, mu)
        if self.scenario == "null, perturbed copy":
            candidate = baseline.copy()
            changed = rng.random(y.size) < PERTURBED_SHARE
            candidate[changed] = binormal_proba(rng, y[changed], mu)
        else:
            candidate = binormal_proba(rng, y, mu)
        rows = regressed[groups]
        if self.scenario == "isolated":
            # Wrong on every row: the true class gets a probability below 1/2.
            wrong = rng.uniform(0.05, 0.45, rows.sum())
            candidate[rows] = np.where(y[rows] == 1, wrong, 1 - wrong)
        elif self.scenario == "spread":
            candidate[rows] = binormal_proba(rng, y[rows], quality(REGRESSED_ACCURACY))
        return y, groups, baseline, candidate, regressed


def one_run(case: Case, rng, seed: int) -> dict:
    """Simulate one data set, run the gate, and compare its flags with the truth."""
    y, groups, baseline, candidate, regressed = case.simulate(rng)
    X = np.arange(y.size)[:, None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_partitions(
            Stored(baseline).fit(), Stored(candidate).fit(), X, y, groups,
            metrics=METRICS, n_boot=case.n_boot, random_state=seed,
        )  # fmt: skip
    table = comparison.by_partition
    labels = table.index.to_numpy()
    truth = regressed[labels.astype(int)]
    flags = (
        np.column_stack([table[(m, "regressed")].to_numpy(bool) for m in METRICS])
        & table["reliable"].to_numpy(bool)[:, None]
    )
    p_values = np.column_stack(
        [table[(m, "p_value")].to_numpy(np.float64) for m in METRICS]
    )
    false_flags = int(flags[~truth].sum())
    n_flags = int(flags.sum())
    targets = p_values[truth] if truth.any() else p_values
    return {
        "any_false": false_flags > 0,
        "fdp": false_flags / n_flags if n_flags else 0.0,
        "power": flags[truth].any(axis=1).mean() if truth.any() else np.nan,
        "all_found": bool(flags[truth].any(axis=1).all()) if truth.any() else False,
        "warned": bool(caught),
        "smallest_p": np.nanmin(targets) if np.isfinite(targets).any() else np.nan,
    }  # fmt: skip


def share(values) -> str:
    """Share of True with its Monte Carlo standard error, ``sqrt(p (1 - p) / R)``."""
    values = np.asarray(values, dtype=float)
    p = values.mean()
    return f"{p:.3f} ({sqrt(p * (1 - p) / values.size):.3f})"


def mean_with_error(values) -> str:
    """Mean of per-run proportions with the standard error of the mean."""
    values = np.asarray(values, dtype=float)
    error = values.std(ddof=1) / sqrt(values.size) if values.size > 1 else np.nan
    return f"{values.mean():.3f} ({error:.3f})"


def run_case(case: Case, index: int) -> list:
    rng = np.random.default_rng([SEED, index])
    start = time.perf_counter()
    runs = [one_run(case, rng, seed=SEED % 10_000 + 1000 * index + r)
            for r in range(case.runs)]  # fmt: skip
    per_run = (time.perf_counter() - start) / case.runs
    column = {key: [run[key] for run in runs] for key in runs[0]}
    null = case.scenario.startswith("null")
    return [
        case.scenario,
        f"{case.n_partitions:,}",
        case.n_boot,
        case.runs,
        share(column["any_false"]),
        mean_with_error(column["fdp"]),
        "-" if null else mean_with_error(column["power"]),
        "-" if null else share(column["all_found"]),
        share(column["warned"]),
        f"{np.nanmedian(column['smallest_p']):.2g}",
        fmt_seconds(per_run),
    ]


def cases(quick: bool, scale: float) -> list[Case]:
    """The cases of a run; ``scale`` multiplies every number of runs."""
    if quick:
        plan = [
            ("null, independent", 10, 400, 10),
            ("null, perturbed copy", 10, 400, 10),
            ("isolated", 50, 1000, 3),
            ("isolated", 51, 1000, 3),
            ("spread", 200, 400, 2),
        ]
    else:
        plan = []
        for n_boot, runs in ((1000, {10: 200, 50: 200, 200: 50, 1000: 15}),
                             (400, {10: 100, 50: 100, 200: 50, 1000: 15})):  # fmt: skip
            for n_partitions, n in runs.items():
                plan.append(("null, independent", n_partitions, n_boot, n))
        for n_partitions, n in {10: 60, 50: 60, 200: 25, 1000: 8}.items():
            plan.append(("null, perturbed copy", n_partitions, 1000, n))
        isolated = {1000: {10: 30, 50: 100, 51: 100, 200: 25, 1000: 8},
                    400: {10: 30, 11: 30, 50: 30, 200: 30}}  # fmt: skip
        for n_boot, by_size in isolated.items():
            for n_partitions, n in by_size.items():
                plan.append(("isolated", n_partitions, n_boot, n))
        plan.append(("spread", 200, 1000, 40))
        plan.append(("spread", 200, 400, 40))
    return [Case(s, p, b, max(2, round(r * scale))) for s, p, b, r in plan]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run, seconds")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply every number of runs"
    )
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"Machine: {machine_note()}")
    print(f"skpart: {Path(skpart.__file__).parent}, commit {checkout_commit()}")
    print(
        f"compare_partitions, metrics {METRICS}, default options (balanced "
        f"weights, confidence_level 0.95, tolerance 0); baseline accuracy "
        f"{BASE_ACCURACY}; partitions of {MIN_ROWS}-{MAX_ROWS} rows (log-uniform), "
        f"regressed ones of {TARGET_ROWS}; figure (Monte Carlo standard error)\n"
    )
    headers = ["scenario", "partitions", "n_boot", "runs", "FWER", "FDR",
               "power (partitions found)", "runs finding all", "warned",
               "smallest p (median)", "time per run"]  # fmt: skip
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers), flush=True)
    for index, case in enumerate(cases(args.quick, args.scale)):
        row = run_case(case, index)
        print(markdown_table(headers, [row]).splitlines()[-1], flush=True)
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
