"""Timing helpers shared by the benchmark scripts.

Small and generic on purpose: interleaved repeats (so that load from other
processes on a shared machine hits every candidate alike), medians, peak
memory, and a markdown table. No skpart or Keras imports here.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any


def time_once(func: Callable[[], Any]) -> float:
    """Wall-clock seconds of one call of ``func()``."""
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def interleaved(
    candidates: Mapping[str, Callable[[], Any]],
    *,
    repeats: int = 5,
    warmup: int = 1,
) -> dict[str, list[float]]:
    """Time each candidate ``repeats`` times, round-robin (A, B, A, B, ...).

    Each candidate first runs ``warmup`` times untimed (imports, caches,
    graph tracing). Every round then runs every candidate once, alternating
    which goes first, so a slow spell on a shared machine hits all of them.

    Returns
    -------
    dict of str to list of float
        Seconds of each timed call, per candidate.
    """
    names = list(candidates)
    for _ in range(warmup):
        for name in names:
            candidates[name]()
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_ in range(repeats):
        order = names if round_ % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(time_once(candidates[name]))
    return times


def median(times: Sequence[float]) -> float:
    """Median of ``times``."""
    return statistics.median(times)


def paired_ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Median over rounds of ``numerator[i] / denominator[i]``.

    With :func:`interleaved` times, round ``i`` of both ran back to back, so
    each ratio sees the same load; its median is steadier than a ratio of medians.
    """
    return median([a / b for a, b in zip(numerator, denominator, strict=True)])


def spread(times: Sequence[float]) -> str:
    """``"median (min-max)"`` in seconds, for tables."""
    low, high = fmt_seconds(min(times)), fmt_seconds(max(times))
    return f"{fmt_seconds(median(times))} ({low}-{high})"


def fmt_seconds(seconds: float) -> str:
    """Seconds with a unit that keeps three significant digits."""
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_bytes(n_bytes: float) -> str:
    """Bytes as MiB (or KiB below one MiB)."""
    if n_bytes < 2**20:
        return f"{n_bytes / 2**10:.3g} KiB"
    return f"{n_bytes / 2**20:.3g} MiB"


def peak_traced_memory(func: Callable[[], Any]) -> int:
    """Peak bytes allocated through Python's allocators during ``func()``.

    tracemalloc sees NumPy and pandas buffers but not memory that native
    libraries (e.g. TensorFlow) allocate themselves; it also slows the call,
    so never time under it.
    """
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    try:
        func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - base


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (all allocations)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux: KiB


def machine_note() -> str:
    """One line about the machine and its load, for the benchmark output."""
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "n/a"
    return (
        f"{platform.machine()}, {os.cpu_count()} logical CPUs, "
        f"Python {platform.python_version()}, load average {load}"
    )


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub markdown table; cells are converted with ``str``."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def checkout_commit() -> str:
    """The short commit of this checkout (with "+changes" when the tree is dirty)."""
    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "skpart"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes in skpart/" if dirty else "")  # fmt: skip
