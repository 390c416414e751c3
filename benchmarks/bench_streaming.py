"""Data beyond memory: streamed batches and Dask blocks against in-memory scoring.

1. 10,000,000 rows in 10,000 partitions (binary: accuracy, f1, roc_auc,
   log_loss, balanced weights) fed as predictions in 1,000,000-row batches to
   one ``PartitionMetrics``, each batch generated on the fly, in a fresh
   subprocess: its peak RSS (``resource.getrusage``), the AUC record included,
   before ``result()`` and after it (finalising the AUC sorts the record and
   takes transient memory of its own); then the same with ``roc_auc_binned``
   (a fixed histogram per partition) in place of the exact ``roc_auc``.
2. The per-row cost of streaming (ten 100,000-row ``update`` calls) against
   ``metrics_by_partition`` on the same 1,000,000 rows at once: medians of
   interleaved runs and their ratio.
3. On a 2-worker ``LocalCluster`` (one thread each), ``score_partitions`` of a
   small ``PartitionAwareClassifier`` on a Dask array of 2,000,000 rows
   (persisted on the workers, 10 blocks) against the in-memory call on the
   same rows; the model is scattered to each worker once per call.

Usage::

    .venv/bin/python benchmarks/bench_streaming.py          # full run, minutes
    .venv/bin/python benchmarks/bench_streaming.py --quick  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from _common import (  # noqa: E402
    fmt_bytes,
    fmt_seconds,
    interleaved,
    machine_note,
    markdown_table,
    median,
)

METRICS = ["accuracy", "f1", "roc_auc", "log_loss"]
#: The same with the fixed-memory binned AUC in place of the exact one.
BINNED_METRICS = ["accuracy", "f1", "roc_auc_binned", "log_loss"]


def batch(seed: int, n_rows: int, n_partitions: int):
    """One batch of predictions, made on the fly from its seed."""
    rng = np.random.default_rng(seed)
    groups = rng.integers(0, n_partitions, size=n_rows)
    y = rng.integers(0, 2, size=n_rows)
    p1 = np.clip(0.3 * y + rng.uniform(0, 0.7, size=n_rows), 0, 1).astype(np.float32)
    proba = np.column_stack([1 - p1, p1])
    return y, (p1 > 0.5).astype(np.int64), groups, proba


def child_stream(n_rows: int, n_partitions: int, batch_rows: int, binned: int) -> None:
    """Run in a fresh process: stream the rows, print peak RSS and the record."""
    from skpart import PartitionMetrics

    start = time.perf_counter()
    accumulator = PartitionMetrics(
        BINNED_METRICS if binned else METRICS,
        classes=[0, 1],
        sample_weight="balanced",
    )
    for i, first in enumerate(range(0, n_rows, batch_rows)):
        y, y_pred, groups, proba = batch(
            i, min(batch_rows, n_rows - first), n_partitions
        )
        accumulator.update(y, y_pred, groups, y_proba=proba)
        del y, y_pred, groups, proba
    before_result = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = accumulator.result()
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    print(
        json.dumps(
            dict(
                peak_rss=peak,
                peak_before_result=before_result,
                record=(
                    accumulator._stats.score_histogram.nbytes
                    if binned
                    else accumulator._stats.rank.nbytes
                ),
                seconds=seconds,
                n_partitions=len(report.by_partition),
            )
        )
    )


def bench_stream(n_rows: int, n_partitions: int, batch_rows: int, binned=0) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child-stream",
        str(n_rows),
        str(n_partitions),
        str(batch_rows),
        str(binned),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_per_row(n_rows: int, n_partitions: int, repeats: int) -> dict:
    from skpart import PartitionMetrics, metrics_by_partition

    y, y_pred, groups, proba = batch(0, n_rows, n_partitions)
    step = n_rows // 10

    def in_memory():
        return metrics_by_partition(
            y,
            y_pred,
            groups,
            metrics=METRICS,
            y_proba=proba,
            classes=[0, 1],
            sample_weight="balanced",
        )

    def streamed():
        acc = PartitionMetrics(METRICS, classes=[0, 1], sample_weight="balanced")
        for first in range(0, n_rows, step):
            rows = slice(first, first + step)
            acc.update(y[rows], y_pred[rows], groups[rows], y_proba=proba[rows])
        return acc.result()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a, b = in_memory(), streamed()
        np.testing.assert_allclose(
            a.by_partition[METRICS].to_numpy(),
            b.by_partition[METRICS].to_numpy(),
            rtol=1e-10,
        )
        times = interleaved(
            {"in memory": in_memory, "streamed": streamed}, repeats=repeats
        )
    return {name: median(t) for name, t in times.items()}


def bench_dask(n_rows: int, repeats: int) -> dict:
    import dask.array as da
    import distributed

    from skpart import PartitionAwareClassifier, score_partitions

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests._models import tiny_classifier

    n_features, chunk = 8, n_rows // 10
    rng = np.random.default_rng(0)
    X_fit = rng.normal(size=(20_000, n_features)).astype(np.float32)
    y_fit = (X_fit[:, 0] + X_fit[:, 1] > 0).astype(int)
    clf = PartitionAwareClassifier(
        tiny_classifier, epochs=2, batch_size=256, verbose=0, random_state=0
    ).fit(X_fit, y_fit)
    metrics = ["accuracy", "roc_auc", "log_loss"]
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        drng = da.random.default_rng(1)
        X = drng.standard_normal((n_rows, n_features), chunks=(chunk, n_features))
        X = X.astype(np.float32)
        y = ((X[:, 0] + 0.5 * drng.standard_normal(n_rows, chunks=chunk)) > 0).astype(
            int
        )
        groups = drng.integers(0, 100, size=n_rows, chunks=chunk)
        X, y, groups = client.persist([X, y, groups])  # made on the workers
        distributed.wait([X, y, groups])
        X_np, y_np, g_np = client.compute([X, y, groups], sync=True)

        def on_dask():
            return score_partitions(clf, X, y, groups, metrics=metrics)

        def in_memory():
            return score_partitions(clf, X_np, y_np, g_np, metrics=metrics)

        first = time.perf_counter()
        dask_report = on_dask()  # the workers import TensorFlow here
        first = time.perf_counter() - first
        memory_report = in_memory()
        np.testing.assert_allclose(
            dask_report.by_partition[metrics].to_numpy(),
            memory_report.by_partition[metrics].to_numpy(),
            rtol=1e-10,
        )
        times = interleaved(
            {"in memory": in_memory, "dask": on_dask}, repeats=repeats, warmup=0
        )
    return dict(first=first, **{name: median(t) for name, t in times.items()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    parser.add_argument("--child-stream", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_stream:
        child_stream(*args.child_stream)
        return
    quick = args.quick
    n_stream, n_parts, batch_rows = (
        (1_000_000, 1_000, 100_000) if quick else (10_000_000, 10_000, 1_000_000)
    )
    n_row, n_dask, repeats = (
        (100_000, 200_000, 2) if quick else (1_000_000, 2_000_000, 5)
    )
    print(machine_note())
    stream = bench_stream(n_stream, n_parts, batch_rows)
    binned = bench_stream(n_stream, n_parts, batch_rows, binned=1)
    per_row = bench_per_row(n_row, 1_000, repeats)
    dask = bench_dask(n_dask, max(repeats - 2, 2))
    rows = [
        [
            f"stream {n_stream:,} rows, {n_parts:,} partitions, "
            f"{batch_rows:,}-row batches (fresh process)",
            f"peak RSS {fmt_bytes(stream['peak_rss'])} (streaming "
            f"{fmt_bytes(stream['peak_before_result'])}, then result()); AUC record "
            f"{fmt_bytes(stream['record'])} "
            f"({stream['record'] / n_stream:.1f} B/row); "
            f"{fmt_seconds(stream['seconds'])}",
        ],
        [
            "the same with roc_auc_binned in place of roc_auc (fresh process)",
            f"peak RSS {fmt_bytes(binned['peak_rss'])} (streaming "
            f"{fmt_bytes(binned['peak_before_result'])}, then result()); "
            f"histogram {fmt_bytes(binned['record'])} "
            f"({binned['record'] / n_parts / 1024:.1f} KiB/partition); "
            f"{fmt_seconds(binned['seconds'])}",
        ],
        [
            f"metrics_by_partition, {n_row:,} rows at once",
            f"{fmt_seconds(per_row['in memory'])} "
            f"({per_row['in memory'] / n_row * 1e9:.0f} ns/row)",
        ],
        [
            f"PartitionMetrics, 10 batches of {n_row // 10:,}",
            f"{fmt_seconds(per_row['streamed'])} "
            f"({per_row['streamed'] / n_row * 1e9:.0f} ns/row), "
            f"{per_row['streamed'] / per_row['in memory']:.2f}x in memory",
        ],
        [
            f"score_partitions in memory, {n_dask:,} rows",
            fmt_seconds(dask["in memory"]),
        ],
        [
            f"score_partitions on a Dask array, {n_dask:,} rows, 10 blocks, "
            "2 workers x 1 thread (model scattered once per worker)",
            f"{fmt_seconds(dask['dask'])} "
            f"({dask['dask'] / dask['in memory']:.2f}x in memory); first call "
            f"{fmt_seconds(dask['first'])} (workers import TensorFlow)",
        ],
    ]
    print(markdown_table(["case", "figure (medians)"], rows))


if __name__ == "__main__":
    main()
