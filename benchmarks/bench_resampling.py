"""Poisson(1) bootstrap multiplicities: skpart's sampler against the alternatives.

All candidates draw 100,000 rows x 1,000 replicates (uint8). The counter-based
ones share skpart's layout (blocks of 1024 rows, one Philox stream per block,
replicate-major), so only the Poisson(1) step differs:

- ``skpart``: ``poisson_multiplicities``, a ladder on one byte per draw (a
  division and two comparisons), 24 bits more for the 3/256 of draws that
  need them; exact at 2**-32;
- ``ladder32``: a uint32 per draw, compared with all 12 cumulative thresholds;
  exact at 2**-32 (the textbook inverse CDF);
- ``ladder32+tail``: the same, three comparisons for everyone and a
  ``searchsorted`` for the 2% of draws beyond 3;
- ``float32 ladder``: float32 uniforms (24 bits) against float32 thresholds,
  exact only at 2**-24 (values above 9 never occur);
- ``Generator.poisson``: NumPy's sampler on each block's Philox stream;
- ``baseline``: ``Generator(PCG64).poisson(1.0, size=(n, B))`` in one call,
  not counter-based (its draws depend on the chunking), then cast to uint8.

Also times ``poisson_multiplicities`` when the rows arrive in batches (each
batch draws the blocks it overlaps in full). Candidates are timed interleaved
and reported as medians of 5 runs (min-max), so load from other processes on
a shared machine hits them alike; the process CPU time is given beside.

Usage::

    .venv/bin/python benchmarks/bench_resampling.py          # ~3 minutes
    .venv/bin/python benchmarks/bench_resampling.py --quick  # smoke run, seconds
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_seconds,
    interleaved,
    machine_note,
    markdown_table,
    median,
    spread,
)

from skpart._bootstrap.resampling import (  # noqa: E402
    _BLOCK_ROWS,
    _philox,
    _philox_key,
    poisson_multiplicities,
)

SEED = 0


# Poisson(1) tail probabilities P(m > k), then the cumulative thresholds on
# 32-bit integers (exact to 2**-32) and on float32 uniforms (exact to 2**-24).
_SF = [
    math.exp(-1) * sum(1 / math.factorial(j) for j in range(k + 1, k + 40))
    for k in range(40)
]
_C32 = np.array(
    [2**32 - round(s * 2**32) for s in _SF if round(s * 2**32) > 0], dtype=np.uint32
)
_CF32 = np.unique(np.array([1 - s for s in _SF], dtype=np.float32))
_CF32 = _CF32[_CF32 < 1]


def _ladder32(bitgen, n_boot):
    u = np.random.Generator(bitgen).integers(
        0, 2**32, (n_boot, _BLOCK_ROWS), dtype=np.uint32
    )
    out = np.greater_equal(u, _C32[0]).view(np.uint8)
    for c in _C32[1:]:
        out += np.greater_equal(u, c).view(np.uint8)
    return out


def _ladder32_tail(bitgen, n_boot):
    u = np.random.Generator(bitgen).integers(
        0, 2**32, (n_boot, _BLOCK_ROWS), dtype=np.uint32
    )
    out = np.greater_equal(u, _C32[0]).view(np.uint8)
    out += np.greater_equal(u, _C32[1]).view(np.uint8)
    out += np.greater_equal(u, _C32[2]).view(np.uint8)
    flat = u.reshape(-1)
    tail = np.flatnonzero(flat >= _C32[3])
    extra = np.searchsorted(_C32[3:], flat[tail], side="right")
    out.reshape(-1)[tail] += extra.astype(np.uint8)
    return out


def _float32_ladder(bitgen, n_boot):
    u = np.random.Generator(bitgen).random((n_boot, _BLOCK_ROWS), dtype=np.float32)
    out = np.greater_equal(u, _CF32[0]).view(np.uint8)
    for c in _CF32[1:]:
        out += np.greater_equal(u, c).view(np.uint8)
    return out


def _generator_poisson(bitgen, n_boot):
    draws = np.random.Generator(bitgen).poisson(1.0, (n_boot, _BLOCK_ROWS))
    return draws.astype(np.uint8)


def blocked(sampler, n_rows, n_boot):
    """Counter-based draws in skpart's block layout with another sampler."""
    key = _philox_key(SEED)
    out = np.empty((n_boot, n_rows), dtype=np.uint8)
    for block in range(-(-n_rows // _BLOCK_ROWS)):
        lo, hi = block * _BLOCK_ROWS, min(n_rows, (block + 1) * _BLOCK_ROWS)
        out[:, lo:hi] = sampler(_philox(key, block, 0), n_boot)[:, : hi - lo]
    return out.T


def in_batches(n_rows, n_boot, batch):
    return [
        poisson_multiplicities(SEED, a, min(a + batch, n_rows), n_boot)
        for a in range(0, n_rows, batch)
    ]


def with_cpu_time(func, record):
    """``func`` that also appends its process CPU time to ``record``.

    On a shared machine the CPU time of this process moves less with the
    load of others than the wall time does.
    """

    def timed():
        start = time.process_time()
        func()
        record.append(time.process_time() - start)

    return timed


def check(candidates, n_rows, n_boot):
    """Every candidate draws Poisson(1): mean and variance within 5 se of 1."""
    for name, make in candidates.items():
        m = make()
        m = np.concatenate(m) if isinstance(m, list) else m
        assert m.shape == (n_rows, n_boot) and m.dtype == np.uint8, name
        n = m.size
        mean = m.mean()
        var = m.var(dtype=np.float64)
        assert abs(mean - 1) < 5 / np.sqrt(n), (name, mean)
        assert abs(var - 1) < 5 * np.sqrt(3 / n), (name, var)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 rows, 2 runs")
    args = parser.parse_args(argv)
    n_rows, n_boot = (10_000, 1_000) if args.quick else (100_000, 1_000)
    repeats = 2 if args.quick else 5

    def baseline():
        gen = np.random.Generator(np.random.PCG64(SEED))
        return gen.poisson(1.0, (n_rows, n_boot)).astype(np.uint8)

    samplers = {
        "skpart poisson_multiplicities": lambda: poisson_multiplicities(
            SEED, 0, n_rows, n_boot
        ),
        "ladder32 (exact 2**-32)": lambda: blocked(_ladder32, n_rows, n_boot),
        "ladder32+tail (exact 2**-32)": lambda: blocked(_ladder32_tail, n_rows, n_boot),
        "float32 ladder (exact 2**-24)": lambda: blocked(
            _float32_ladder, n_rows, n_boot
        ),
        "Generator.poisson per block": lambda: blocked(
            _generator_poisson, n_rows, n_boot
        ),
        "baseline Generator.poisson, one call": baseline,
    }
    batches = {
        "skpart, one call": samplers["skpart poisson_multiplicities"],
        **{
            f"skpart, batches of {b}": (lambda b=b: in_batches(n_rows, n_boot, b))
            for b in (8192, 1000, 256)
        },
    }
    check({**samplers, **batches}, n_rows, n_boot)

    print(f"# Poisson(1) multiplicities, {n_rows:,} rows x {n_boot:,} replicates\n")
    print(machine_note(), "\n")
    for title, candidates in (("Samplers", samplers), ("Batched rows", batches)):
        cpu = {name: [] for name in candidates}
        times = interleaved(
            {name: with_cpu_time(f, cpu[name]) for name, f in candidates.items()},
            repeats=repeats,
        )
        reference = median(next(iter(times.values())))
        rows = [
            [
                name,
                spread(ts),
                fmt_seconds(median(cpu[name][-repeats:])),
                f"{median(ts) / reference:.2f}x",
            ]
            for name, ts in times.items()
        ]
        print(f"## {title}\n")
        headers = [
            "candidate",
            f"wall, median of {repeats} (min-max)",
            "CPU, median",
            "wall vs first row",
        ]
        print(markdown_table(headers, rows))
        print()


if __name__ == "__main__":
    main()
