"""Dask collections scored where they live.

Each block (a chunk of rows of a Dask Array, a partition of a Dask DataFrame)
is predicted on a worker and added to a copy of the driver's
:class:`~skpart.PartitionMetrics` (pickled once, so every block draws the same
bootstrap replicates) at the block's global row offset; the partial
accumulators are merged in a tree and the driver finalises the report, which
equals the in-memory one.

The estimator travels once per worker: with a distributed ``Client`` it is
scattered with ``broadcast=True`` and every block task reads the worker's
copy; with dask's local schedulers it is one key of the graph, which the
threaded scheduler shares without copying. Dask is imported only here, and
only when a Dask collection is scored.
"""

from __future__ import annotations

import contextlib
import copy
import uuid
from typing import Any

import numpy as np

from .._engine.accumulator import PartitionMetrics
from .._engine.memory import RankMemoryGuard
from .._engine.predictions import add_predictions, warnings_once
from .._inputs.rows import count_rows
from .._results.report import PartitionReport

#: How many partial accumulators one merge task combines.
SPLIT_EVERY = 8


def is_dask_collection(value: Any) -> bool:
    """Whether ``value`` is a Dask collection (duck-typed, no dask import)."""
    return callable(getattr(type(value), "__dask_graph__", None))


def score_dask(
    estimator: Any,
    X: Any,
    y: Any,
    groups: Any,
    accumulator: PartitionMetrics,
    *,
    weights: Any,
    verbose: int = 0,
) -> PartitionReport:
    """Score ``estimator`` on Dask collections block by block; see module doc."""
    import dask

    blocks, offsets, n_rows = _blocks(X, y, groups, weights)
    _check_rank_memory(accumulator, n_rows, weighted=weights is not None)
    client = _client()
    # One key each, so that a worker receives them once, whatever the blocks.
    token = uuid.uuid4().hex
    template = dask.delayed(
        copy.deepcopy(accumulator), name=f"skpart-accumulator-{token}"
    )
    if client is not None:
        shipped = client.scatter(estimator, broadcast=True, hash=False)
    else:
        shipped = dask.delayed(estimator, name=f"skpart-estimator-{token}")
    partials = [
        dask.delayed(_score_block)(shipped, template, *block, offset, position)
        for position, (block, offset) in enumerate(zip(blocks, offsets, strict=True))
    ]
    merged = _tree_merge(partials, template)
    if client is not None:
        future = client.compute(merged)
        if verbose:
            from distributed import progress

            progress(future)
        final = future.result()
    else:
        progress_bar = contextlib.nullcontext()
        if verbose:
            from dask.diagnostics import ProgressBar

            progress_bar = ProgressBar()
        # The blocks run on this process's threads: one warning of each kind
        # per call, not one per block (a Client's workers warn in their logs).
        with progress_bar, warnings_once():
            (final,) = dask.compute(merged)
    return final.result()


def _client():
    """Return the default distributed Client, or None (dask's default scheduler)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client
        return None


def _score_block(estimator, template, X, y, groups, weight, offset, position):
    """One block: predict once, add it to a copy of the template."""
    accumulator = copy.deepcopy(template)  # never mutate an input: retries rerun
    n_rows = count_rows(X)
    if n_rows == 0:
        return accumulator  # an empty partition (after a filter, say)
    where = f"Dask block {position} (rows from {offset} on)"
    lengths = {
        "X": n_rows,
        "y": count_rows(y, "y"),
        "groups": count_rows(groups, "groups"),
    }
    if weight is not None:
        lengths["sample_weight"] = count_rows(weight, "sample_weight")
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{key} {n}" for key, n in lengths.items())
        raise ValueError(
            f"{where}: the blocks are not aligned ({described} rows). Give y, "
            "groups and sample_weight the same chunks (rows per block) as X: "
            "columns of one Dask DataFrame, or arrays rechunked to X.chunks[0]."
        )
    try:
        add_predictions(
            accumulator,
            estimator,
            X,
            y,
            groups,
            sample_weight=weight,
            row_offset=int(offset),
        )
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
    return accumulator


def _merge(template, *partials):
    """Merge partial accumulators into a fresh copy: the inputs stay as they are."""
    merged = copy.deepcopy(template)
    return merged.merge(*partials)


def _tree_merge(partials: list, template: Any):
    """Merge in a tree of fan-in :data:`SPLIT_EVERY`: depth log(blocks)."""
    import dask

    level = partials
    while len(level) > 1:
        level = [
            dask.delayed(_merge)(template, *level[start : start + SPLIT_EVERY])
            for start in range(0, len(level), SPLIT_EVERY)
        ]
    return level[0]


def _kind(value: Any) -> str:
    module = type(value).__module__
    if module.startswith("dask.array") or hasattr(value, "chunks"):
        return "array"
    if hasattr(value, "npartitions"):
        return "frame"
    return "other"


def _blocks(X: Any, y: Any, groups: Any, weights: Any):
    """Delayed blocks ``(X, y, groups, weight)``, their row offsets, the row count.

    Offsets are integers when the chunk sizes are known (Dask Arrays), else
    delayed running sums of the block lengths (Dask DataFrames).
    """
    import dask

    if not is_dask_collection(X):
        raise ValueError(
            f"X is a {type(X).__name__} in memory but y, groups or sample_weight "
            "is a Dask collection; pass X as a Dask Array or DataFrame too "
            "(dask.array.from_array(X, chunks=...)), with the same chunks."
        )
    kind = _kind(X)
    if kind == "other":
        raise ValueError(
            f"X is a Dask {type(X).__name__}; score_partitions takes a Dask "
            "Array or a Dask DataFrame. Convert it (dask.array.from_delayed, "
            "dask.dataframe.from_delayed) or compute it."
        )
    if kind == "array":
        if X.ndim == 2 and len(X.chunks[1]) > 1:
            X = X.rechunk({1: -1})  # a block holds whole rows
        row_chunks = X.chunks[0]
        x_blocks = X.to_delayed().reshape(len(row_chunks), -1)[:, 0].tolist()
    else:
        row_chunks = None
        x_blocks = X.to_delayed()
    n_blocks = len(x_blocks)
    known = row_chunks is not None and not any(np.isnan(row_chunks))
    parts = {
        name: _column_blocks(value, name, row_chunks if known else None, n_blocks)
        for name, value in (("y", y), ("groups", groups), ("sample_weight", weights))
    }
    if known:
        offsets = np.concatenate([[0], np.cumsum(row_chunks)[:-1]]).astype(int)
        offsets, n_rows = offsets.tolist(), int(sum(row_chunks))
    else:
        lengths = [dask.delayed(len, pure=True)(block) for block in x_blocks]
        offsets = [0]
        for length in lengths[:-1]:
            offsets.append(dask.delayed(_add, pure=True)(offsets[-1], length))
        n_rows = None
    blocks = list(
        zip(
            x_blocks,
            parts["y"],
            parts["groups"],
            parts["sample_weight"],
            strict=True,
        )
    )
    return blocks, offsets, n_rows


def _add(a: int, b: int) -> int:
    return a + b


def _column_blocks(value: Any, name: str, row_chunks, n_blocks: int) -> list:
    """One block of ``value`` per block of X (in-memory values are sliced)."""
    if value is None:
        if name == "sample_weight":
            return [None] * n_blocks
        raise ValueError(
            f"{name} is None: with Dask collections score_partitions needs X, y "
            "and groups, each a Dask collection with the same blocks (or, for a "
            "Dask Array X, in-memory arrays, sliced to its chunks)."
        )
    if is_dask_collection(value):
        kind = _kind(value)
        if kind == "array":
            if row_chunks is not None and value.chunks[0] != tuple(row_chunks):
                value = value.rechunk({0: tuple(row_chunks)})
            if value.ndim == 2 and len(value.chunks[1]) > 1:
                value = value.rechunk({1: -1})
            blocks = value.to_delayed()
            blocks = blocks.reshape(blocks.shape[0], -1)[:, 0].tolist()
        elif kind == "frame":
            blocks = value.to_delayed()
        else:
            raise ValueError(
                f"{name} is a Dask {type(value).__name__}; pass a Dask Array, "
                "Series or DataFrame with the same blocks as X."
            )
        if len(blocks) != n_blocks:
            raise ValueError(
                f"{name} has {len(blocks)} Dask blocks but X has {n_blocks}; give "
                f"them the same chunks (rows per block): columns of one Dask "
                f"DataFrame, or {name}.rechunk(X.chunks[0]) for arrays."
            )
        return blocks
    if row_chunks is None:
        raise ValueError(
            f"{name} is in memory ({type(value).__name__}) but X is a Dask "
            "DataFrame whose partition lengths are unknown; pass it as a Dask "
            "Series of the same frame (ddf['column']) so the blocks line up."
        )
    n_rows = count_rows(value, name)
    if n_rows != sum(row_chunks):
        raise ValueError(
            f"{name} has {n_rows} rows but X has {int(sum(row_chunks))}; "
            "pass one value per row of X."
        )
    stops = np.cumsum(row_chunks).astype(int)
    starts = np.concatenate([[0], stops[:-1]]).astype(int)
    return [_rows(value, a, b) for a, b in zip(starts, stops, strict=True)]


def _rows(value: Any, start: int, stop: int) -> Any:
    if hasattr(value, "iloc"):
        return value.iloc[start:stop]
    if isinstance(value, (list, tuple)) and value and hasattr(value[0], "shape"):
        return [_rows(column, start, stop) for column in value]  # group columns
    return np.asarray(value)[start:stop]


def _check_rank_memory(accumulator, n_rows, *, weighted: bool) -> None:
    """Warn on the driver when the merged rank record would be too large."""
    if n_rows is not None:
        nbytes = accumulator.projected_rank_bytes(n_rows, weighted=weighted)
        RankMemoryGuard().check_projected(nbytes, n_rows)
