"""The comparison gate at scale: ``gate_simulation.py``'s cases at the default n_boot.

A shorter plan of ``gate_simulation.py``'s scenarios (same simulated truth,
same stand-in estimators, same figures), at the gate's default
``n_boot=1000`` only, sized to finish in about 20-30 minutes on a shared
2-core machine, plus one figure that the run-level rates measure only
coarsely at 1,000 partitions: the calibration of the null cells' p-values in
their far tail. Pooled over every null (partition, metric) cell of the null
scenarios' runs, the share of p-values at or below ``a`` should not exceed
``a`` (a valid p-value); it is shown for ``a`` = 0.05, 0.01, 1e-3 and 1e-4
with its Monte Carlo standard error (binomial over cells; cells of one run
are dependent, so the error is a lower bound) and the number of cells.

Usage::

    .venv/bin/python benchmarks/gate_at_scale.py            # about 20-30 min
    .venv/bin/python benchmarks/gate_at_scale.py --scale 0.3  # smoke run
"""

from __future__ import annotations

import argparse
import time
import warnings
from math import sqrt
from pathlib import Path

import numpy as np
from gate_simulation import (
    METRICS,
    SEED,
    Case,
    Stored,
    checkout_commit,
    mean_with_error,
    share,
)

import skpart
from skpart import compare_partitions

TAIL_LEVELS = (0.05, 0.01, 1e-3, 1e-4)


def plan(scale: float) -> list[Case]:
    """The cases; ``scale`` multiplies every number of runs."""
    runs = [
        ("null, independent", {10: 100, 50: 60, 200: 20, 1000: 6}),
        ("null, perturbed copy", {10: 60, 50: 40, 200: 12, 1000: 4}),
        ("isolated", {10: 20, 50: 15, 51: 15, 200: 8, 1000: 4}),
        ("spread", {50: 15, 200: 10, 1000: 3}),
    ]
    return [
        Case(scenario, n_partitions, 1000, max(2, round(n * scale)))
        for scenario, sizes in runs
        for n_partitions, n in sizes.items()
    ]


def one_run(case: Case, rng, seed: int) -> dict:
    """One simulated comparison: its flags against the truth, and its null p's."""
    y, groups, baseline, candidate, regressed = case.simulate(rng)
    X = np.arange(y.size)[:, None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_partitions(
            Stored(baseline).fit(), Stored(candidate).fit(), X, y, groups,
            metrics=METRICS, n_boot=case.n_boot, random_state=seed,
        )  # fmt: skip
    table = comparison.by_partition
    truth = regressed[table.index.to_numpy().astype(int)]
    reliable = table["reliable"].to_numpy(bool)[:, None]
    flags = np.column_stack([table[(m, "regressed")].to_numpy(bool) for m in METRICS])
    flags &= reliable
    p = np.column_stack([table[(m, "p_value")].to_numpy(np.float64) for m in METRICS])
    false_flags, n_flags = int(flags[~truth].sum()), int(flags.sum())
    found = flags[truth].any(axis=1)
    null_p = p[~truth]
    return {
        "any_false": false_flags > 0,
        "fdp": false_flags / n_flags if n_flags else 0.0,
        "power": found.mean() if truth.any() else np.nan,
        "all_found": bool(found.all()) if truth.any() else False,
        "warned": bool(caught),
        "smallest_p": np.nanmin(p[truth]) if truth.any() else np.nanmin(p),
        "null_p": null_p[np.isfinite(null_p)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"skpart: {Path(skpart.__file__).parent}, commit {checkout_commit()}")
    headers = ["scenario", "partitions", "runs", "FWER", "FDR",
               "power (partitions found)", "runs finding all", "warned",
               "smallest p (median)", "time per run"]  # fmt: skip
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers), flush=True)
    null_p = {}
    for index, case in enumerate(plan(args.scale)):
        rng = np.random.default_rng([SEED, 7, index])
        tic = time.perf_counter()
        runs = [one_run(case, rng, seed=SEED % 10_000 + 1000 * index + r)
                for r in range(case.runs)]  # fmt: skip
        per_run = (time.perf_counter() - tic) / case.runs
        column = {key: [run[key] for run in runs] for key in runs[0]}
        null = case.scenario.startswith("null")
        if null:
            null_p[(case.scenario, case.n_partitions)] = np.concatenate(
                column["null_p"]
            )
        row = [
            case.scenario, f"{case.n_partitions:,}", case.runs,
            share(column["any_false"]), mean_with_error(column["fdp"]),
            "-" if null else mean_with_error(column["power"]),
            "-" if null else share(column["all_found"]),
            share(column["warned"]),
            f"{np.nanmedian(column['smallest_p']):.2g}", f"{per_run:.1f} s",
        ]  # fmt: skip
        print("| " + " | ".join(str(v) for v in row) + " |", flush=True)
    print("\nNull cells' p-values: share at or below a (Monte Carlo standard error)\n")
    print("| scenario | partitions | cells | "
          + " | ".join(f"a = {a:g}" for a in TAIL_LEVELS) + " |")  # fmt: skip
    print("|" + "---|" * (3 + len(TAIL_LEVELS)))
    for (scenario, n_partitions), p in null_p.items():
        cells = [
            f"{np.mean(p <= a):.2g} ({sqrt(a * (1 - a) / p.size):.1g})"
            for a in TAIL_LEVELS
        ]
        print(f"| {scenario} | {n_partitions:,} | {p.size:,} | " + " | ".join(cells)
              + " |")  # fmt: skip
    print(f"\n{time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
