"""The scoring engine: the code before the rewrite against the work tree, in one run.

1. Time: ``metrics_by_partition`` (accuracy, f1, roc_auc, log_loss, balanced
   weights, binary labels, 1,000 partitions) on 100k rows (the reduction of
   ``bench_partitions.py``), on 1M rows, and on 100k rows in 100,000 one-row
   partitions (every roc_auc undefined). The code before the rewrite (commit
   ``f2be4f6``, ``skpart._evaluate.metrics_by_partition``, extracted outside the
   repository) and the work tree each run in a subprocess of their own on the
   same data; the parent asks them for one timed call in turn, A, B, B, A, ...,
   so both see the same load. Before timing, both give the same values
   (rtol 1e-9).
2. Memory per row: 5M rows scored in memory, with the count/sum metrics
   (accuracy, f1, log_loss) and with roc_auc added, unweighted and balanced.
   skpart's working memory per row is the tracemalloc peak during the call
   divided by the rows, the inputs allocated before tracemalloc starts; the
   process peak RSS is measured in another fresh subprocess without tracemalloc
   (the kernel's high-water mark reset just before the call).

Usage::

    .venv/bin/python benchmarks/bench_engine.py              # full run, 3-5 minutes
    .venv/bin/python benchmarks/bench_engine.py --time-only  # timings only, 2 minutes
    .venv/bin/python benchmarks/bench_engine.py --quick      # smoke run
    .venv/bin/python benchmarks/bench_engine.py --before /tmp/skpart_before

``--before`` is a directory holding the old ``skpart`` package; when it has
none, the script extracts it there with ``git archive f2be4f6 skpart | tar -x``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    machine_note,
    markdown_table,
    paired_ratio,
    spread,
)

REPO = Path(__file__).resolve().parent.parent
BEFORE_COMMIT = "f2be4f6"
TIME_METRICS = ["accuracy", "f1", "roc_auc", "log_loss"]
COUNT_METRICS = ["accuracy", "f1", "log_loss"]
RANK_METRICS = [*COUNT_METRICS, "roc_auc"]
N_PARTITIONS = 1_000
VARIANTS = ("before", "after")


# --- data ----------------------------------------------------------------------


def make_case(n_rows: int, n_partitions: int, seed: int = 0):
    """Binary labels, float64 probabilities, argmax labels, shuffled partitions."""
    rng = np.random.default_rng(seed)
    groups = rng.permutation(np.arange(n_rows) % n_partitions)
    y = rng.integers(0, 2, size=n_rows)
    p1 = 1.0 / (1.0 + np.exp(-(2.0 * y - 1.0 + rng.normal(size=n_rows))))
    y_proba = np.column_stack([1.0 - p1, p1])
    y_pred = (p1 > 0.5).astype(np.int64)
    del p1
    return y, y_pred, y_proba, groups


def scorer(variant: str):
    if variant == "before":
        from skpart._evaluate import metrics_by_partition
    else:
        from skpart import metrics_by_partition
    import skpart

    return metrics_by_partition, skpart.__file__


def call(func, case, metrics, weighting):
    y, y_pred, y_proba, groups = case
    return func(
        y,
        y_pred,
        groups,
        metrics=metrics,
        y_proba=y_proba,
        sample_weight=weighting,
        classes=np.array([0, 1]),
    )


# --- workers (one fresh process per variant) -----------------------------------


def timing_worker(args) -> None:
    """Answer ``run`` with the seconds of one call, ``dump PATH`` with the values."""
    func, location = scorer(args.variant)
    case = make_case(args.rows, args.partitions)
    report = call(func, case, TIME_METRICS, "balanced")  # warm-up, untimed
    print(json.dumps({"ready": location}), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "run":
            start = time.perf_counter()
            call(func, case, TIME_METRICS, "balanced")
            print(json.dumps({"seconds": time.perf_counter() - start}), flush=True)
        elif command == "dump":
            values = {
                "by_partition": report.by_partition[TIME_METRICS],
                "overall": report.overall[TIME_METRICS],
            }
            Path(argument).write_bytes(pickle.dumps(values))
            print(json.dumps({"dumped": argument}), flush=True)
        elif command == "quit":
            return


def memory_worker(args) -> None:
    """One call on ``args.rows`` rows: tracemalloc peak, or the process peak RSS."""
    func, location = scorer(args.variant)
    metrics = args.metrics.split(",")
    weighting = None if args.weighting == "none" else args.weighting
    call(func, make_case(1_000, 10), metrics, weighting)  # imports and caches
    case = make_case(args.rows, N_PARTITIONS)
    gc.collect()
    out = {"location": location}
    if args.measure == "traced":
        tracemalloc.start()
        call(func, case, metrics, weighting)
        out["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        out["rss_before"] = _status_bytes("VmRSS")
        reset = _reset_peak_rss()
        start = time.perf_counter()
        call(func, case, metrics, weighting)
        out["seconds"] = time.perf_counter() - start
        out["peak_rss"] = _status_bytes("VmHWM")
        out["peak_reset"] = reset
    print(json.dumps(out), flush=True)


def _status_bytes(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak RSS of this process (Linux), so VmHWM is the call's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


# --- the parent ------------------------------------------------------------------


def fmt_memory(n_bytes: float) -> str:
    """Bytes as MiB, or GiB from one GiB on."""
    return f"{n_bytes / 2**30:.3g} GiB" if n_bytes >= 2**30 else fmt_bytes(n_bytes)


def ensure_before(path: Path) -> Path:
    if not (path / "skpart" / "_evaluate.py").exists():
        path.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", BEFORE_COMMIT, "skpart"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(path)], input=archive, check=True)
    return path


def worker_env(variant: str, before: Path) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    root = before if variant == "before" else REPO
    env["PYTHONPATH"] = os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    return env


def worker_command(*options: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", *options]


class Worker:
    def __init__(self, variant, before, rows, partitions):
        self.variant = variant
        self.process = subprocess.Popen(
            worker_command(
                "time",
                "--variant",
                variant,
                "--rows",
                str(rows),
                "--partitions",
                str(partitions),
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=worker_env(variant, before),
            cwd=tempfile.gettempdir(),  # keep the work tree off sys.path[0]
        )
        self.location = self.ask(None)["ready"]

    def ask(self, command):
        if command is not None:
            self.process.stdin.write(command + "\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.variant} worker died")
        return json.loads(line)

    def close(self):
        self.process.stdin.write("quit\n")
        self.process.stdin.close()
        self.process.wait()


def check_same_values(workers, directory) -> float:
    """Assert both variants give the same values (rtol 1e-9); largest rel. diff."""
    values = {}
    for worker in workers:
        path = Path(directory) / f"{worker.variant}.pkl"
        worker.ask(f"dump {path}")
        values[worker.variant] = pickle.loads(path.read_bytes())
    worst = 0.0
    for name in TIME_METRICS:
        a, b = (
            np.append(v["by_partition"][name].to_numpy(float), v["overall"][name])
            for v in (values["before"], values["after"])
        )
        assert np.allclose(a, b, rtol=1e-9, atol=0, equal_nan=True), name
        with np.errstate(invalid="ignore", divide="ignore"):
            rel = np.abs(a - b) / np.abs(a)
        worst = max(worst, float(np.nanmax(np.where(a == b, 0.0, rel))))
    return worst


def bench_time(rows, partitions, repeats, before):
    """Interleaved calls of both variants, each in its own resident process."""
    workers = [Worker(variant, before, rows, partitions) for variant in VARIANTS]
    try:
        with tempfile.TemporaryDirectory() as directory:
            max_rel_diff = check_same_values(workers, directory)
        times = {w.variant: [] for w in workers}
        for round_ in range(repeats):
            order = workers if round_ % 2 == 0 else workers[::-1]
            for worker in order:
                times[worker.variant].append(worker.ask("run")["seconds"])
        locations = {w.variant: w.location for w in workers}
    finally:
        for worker in workers:
            worker.close()
    return {
        "rows": rows,
        "partitions": partitions,
        "times": times,
        "ratio": paired_ratio(times["after"], times["before"]),
        "max_rel_diff": max_rel_diff,
        "locations": locations,
    }


def bench_memory(rows, before):
    """Fresh processes: traced peak and peak RSS, per variant, metrics, weighting."""
    results = []
    for metrics in (COUNT_METRICS, RANK_METRICS):
        for weighting in ("none", "balanced"):
            for variant in VARIANTS:
                row = {"variant": variant, "metrics": metrics, "weighting": weighting}
                for measure in ("traced", "rss"):
                    out = subprocess.run(
                        worker_command(
                            "memory",
                            "--variant",
                            variant,
                            "--rows",
                            str(rows),
                            "--metrics",
                            ",".join(metrics),
                            "--weighting",
                            weighting,
                            "--measure",
                            measure,
                        ),
                        env=worker_env(variant, before),
                        cwd=tempfile.gettempdir(),
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    row.update(json.loads(out.strip().splitlines()[-1]))
                print(f"  memory {variant} {','.join(metrics)} {weighting}", flush=True)
                results.append(row)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--repeats", type=int, default=11, help="timed rounds")
    parser.add_argument(
        "--before",
        type=Path,
        default=Path(tempfile.gettempdir()) / "skpart_before",
        help="directory with the old skpart package (extracted if absent)",
    )
    parser.add_argument("--worker", choices=["time", "memory"], help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--partitions", type=int, default=N_PARTITIONS, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--time-only", action="store_true", help="skip the memory measurements"
    )
    parser.add_argument("--metrics", help=argparse.SUPPRESS)
    parser.add_argument("--weighting", help=argparse.SUPPRESS)
    parser.add_argument("--measure", choices=["traced", "rss"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        import warnings

        warnings.simplefilter("ignore")  # undefined-value warnings, not timed output
        (timing_worker if args.worker == "time" else memory_worker)(args)
        return

    before = ensure_before(args.before.resolve())
    # (rows, partitions); the last case is bench_partitions.py's extreme: one
    # row per partition, every roc_auc undefined (the warning path).
    time_cases = (
        ((2_000, 20), (20_000, 20), (2_000, 2_000))
        if args.quick
        else ((100_000, N_PARTITIONS), (1_000_000, N_PARTITIONS), (100_000, 100_000))
    )
    memory_rows = 50_000 if args.quick else 5_000_000
    repeats = 3 if args.quick else args.repeats
    head = _git(["rev-parse", "--short", "HEAD"])
    dirty = _git(["status", "--porcelain", "--", "skpart"])
    print(f"machine at start: {machine_note()}", flush=True)
    print(
        f"before: {BEFORE_COMMIT} from {before}; after: the work tree at {head}"
        + (f" with uncommitted changes: {dirty!r}" if dirty else " (clean skpart/)"),
        flush=True,
    )
    timing = []
    for rows, partitions in time_cases:
        timing.append(bench_time(rows, partitions, repeats, before))
        print(
            f"  timed {rows:,} rows, {partitions:,} partitions; "
            f"load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    memory = [] if args.time_only else bench_memory(memory_rows, before)
    print(f"machine at end: {machine_note()}\n", flush=True)
    print(report_tables(timing, memory, repeats, memory_rows, args.quick))


def _git(command):
    return subprocess.run(
        ["git", "-C", str(REPO), *command], capture_output=True, text=True
    ).stdout.strip()


def report_tables(timing, memory, repeats, memory_rows, quick) -> str:
    time_rows = []
    for t in timing:
        b, a = t["times"]["before"], t["times"]["after"]
        time_rows.append(
            [
                f"{t['rows']:,}",
                f"{t['partitions']:,}",
                spread(b),
                spread(a),
                f"{t['ratio']:.3f}x",
                f"{t['max_rel_diff']:.1e}",
                "<= 1.10x",
                "yes" if t["ratio"] <= 1.10 else "**no**",
            ]
        )
    time_table = markdown_table(
        [
            "rows",
            "partitions",
            f"before ({BEFORE_COMMIT})",
            "after (work tree)",
            "after / before (paired)",
            "largest rel. diff",
            "goal",
            "met",
        ],
        time_rows,
    )
    head = (
        f"Time: metrics {', '.join(TIME_METRICS)}, balanced weights; medians "
        f"(min-max) of {repeats} interleaved rounds, each variant in its own "
        "process; the ratio is the median of per-round ratios."
    )
    if quick:
        head += " Smoke run (--quick): the figures mean nothing at this size."
    if not memory:
        return f"{head}\n\n{time_table}\n"
    memory_rows_ = []
    by_key = {}
    for m in memory:
        per_row = m["traced_peak"] / memory_rows
        rank = "roc_auc" in m["metrics"]
        by_key[(m["variant"], rank, m["weighting"])] = per_row
        goal = "" if rank else "<= 48 B/row"
        met = (
            ""
            if rank or m["variant"] == "before"
            else ("yes" if per_row <= 48 else "**no**")
        )
        memory_rows_.append(
            [
                m["variant"],
                ", ".join(m["metrics"]),
                m["weighting"],
                fmt_memory(m["traced_peak"]),
                f"{per_row:.1f}",
                fmt_memory(m["peak_rss"]) + ("" if m["peak_reset"] else " (ru_maxrss)"),
                fmt_memory(m["peak_rss"] - m["rss_before"]),
                fmt_seconds(m["seconds"]),
                goal if m["variant"] == "after" else "",
                met,
            ]
        )
    memory_table = markdown_table(
        [
            "code",
            "metrics",
            "weights",
            "traced peak",
            "B/row",
            "process peak RSS",
            "RSS above inputs",
            "one call",
            "goal",
            "met",
        ],
        memory_rows_,
    )
    rank_rows = [
        [
            variant,
            w,
            f"{by_key[variant, True, w] - by_key[variant, False, w]:.1f}",
        ]
        for variant in VARIANTS
        for w in ("none", "balanced")
    ]
    rank_table = markdown_table(["code", "weights", "roc_auc adds (B/row)"], rank_rows)
    mem_head = (
        f"Memory: {memory_rows:,} rows in memory, {N_PARTITIONS:,} partitions, "
        "inputs (int64 labels and groups, float64 two-column y_proba: 40 B/row) "
        "allocated before measuring; one fresh process per cell and measure."
    )
    return f"{head}\n\n{time_table}\n\n{mem_head}\n\n{memory_table}\n\n{rank_table}\n"


if __name__ == "__main__":
    main()
