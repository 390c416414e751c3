"""Turning ``groups`` (one or several label columns) into partition codes."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd


class Partitions(NamedTuple):
    """Partition codes for each row and the label of each partition.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        Partition index of each row, in ``[0, n_partitions)``.
    partition_labels : pandas.Index or pandas.MultiIndex
        Sorted label (or combination of labels) of each partition. Only
        combinations that occur in the data are present.
    """

    codes: np.ndarray
    partition_labels: pd.Index

    @property
    def n_partitions(self) -> int:
        """Number of partitions."""
        return len(self.partition_labels)

    def take(self, rows: Any) -> Partitions:
        """Return the partitions of a subset of the rows (labels kept whole)."""
        return Partitions(self.codes[rows], self.partition_labels)


def encode_groups(groups: Any, *, n_samples: int | None = None) -> Partitions:
    """Encode ``groups`` as integer partition codes and sorted partition labels.

    Parameters
    ----------
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        One label per row (list, ndarray, Series, categorical Series), or
        several label columns (a DataFrame, a 2-D array or a list of 1-D
        arrays/Series); a partition is then one combination of labels.
    n_samples : int, default=None
        Expected number of rows (the length of ``y``); checked when given.

    Returns
    -------
    Partitions
        ``(codes, partition_labels)``: int64 codes and an Index (a MultiIndex named by
        the columns for several columns) of the observed partitions, sorted.

    Examples
    --------
    >>> from skpart._inputs.groups import encode_groups
    >>> codes, partition_labels = encode_groups(["b", "a", "b"])
    >>> codes.tolist(), partition_labels.tolist()
    ([1, 0, 1], ['a', 'b'])
    """
    if isinstance(groups, Partitions):
        n_rows = groups.codes.shape[0]
        if n_samples is not None and n_rows != n_samples:
            raise ValueError(
                f"groups has {n_rows} rows but y has {n_samples}; "
                "pass one partition label per row of y."
            )
        return groups
    if groups is None:
        raise ValueError(
            "groups is None: pass one partition label per row (an array, a "
            "Series, or a DataFrame / list of arrays for intersections)."
        )
    if isinstance(groups, str):
        raise ValueError(
            f"groups={groups!r} is a string; pass the labels themselves, one per "
            f"row (e.g. groups=X[{groups!r}] to read a column of X)."
        )
    columns, names = _as_columns(groups)
    lengths = {len(column) for column in columns}
    if len(lengths) != 1:
        raise ValueError(
            f"groups columns have different lengths {sorted(lengths)}; "
            "pass one label per row in every column."
        )
    n_rows = lengths.pop()
    if n_samples is not None and n_rows != n_samples:
        raise ValueError(
            f"groups has {n_rows} rows but y has {n_samples}; "
            "pass one partition label per row of y."
        )
    factorized = [
        _factorize(column, name) for column, name in zip(columns, names, strict=True)
    ]
    if len(factorized) == 1:
        codes, labels = factorized[0]
        return Partitions(codes, labels.rename(names[0]))
    return _intersect(factorized, names)


def _as_columns(groups: Any) -> tuple[list, list]:
    """Split ``groups`` into a list of 1-D label columns and their names."""
    if isinstance(groups, pd.DataFrame):
        return [groups[c] for c in groups.columns], list(groups.columns)
    if isinstance(groups, pd.Series):
        return [groups], [groups.name]
    if (
        isinstance(groups, (list, tuple))
        and groups
        and all(isinstance(g, (np.ndarray, pd.Series, pd.Index, list)) for g in groups)
    ):
        # A list of arrays is several columns; a list of scalars is one column.
        return list(groups), [getattr(g, "name", None) for g in groups]
    array = np.asarray(groups)
    if array.ndim == 2 and array.shape[1] > 1:
        return list(array.T), [None] * array.shape[1]
    if array.ndim not in (1, 2):
        raise ValueError(
            f"groups must be 1-D (one label per row) or several columns; "
            f"got an array of shape {array.shape}."
        )
    return [array.ravel()], [None]


def _factorize(column: Any, name: Any) -> tuple[np.ndarray, pd.Index]:
    """Sorted codes and observed labels of one column; rejects missing labels."""
    values = column if isinstance(column, pd.Series) else pd.Series(column)
    n_missing = int(values.isna().sum())
    if n_missing:
        which = "groups" if name is None else f"groups column {name!r}"
        raise ValueError(
            f"{which} has {n_missing} missing label(s) (NaN/None) out of "
            f"{len(values)} rows; every row needs a partition: fill them with "
            "an explicit label (e.g. groups.fillna('unknown')) or drop those rows."
        )
    # Categoricals sort in category order and keep only observed categories.
    codes, uniques = pd.factorize(values, sort=True)
    if isinstance(uniques, pd.CategoricalIndex):
        uniques = pd.Index(np.asarray(uniques), dtype=uniques.categories.dtype)
    if uniques.dtype == object or isinstance(uniques.dtype, pd.StringDtype):
        # Labels are never missing, so the string flavours (object, "string",
        # "string[pyarrow]", pandas 3's "str") differ only in name: give the
        # dtype pandas infers for the labels, so that a report does not depend
        # on the flavour the groups came in (Dask turns object columns into
        # "string[pyarrow]").
        uniques = pd.Index(uniques.to_numpy(dtype=object))
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def _intersect(factorized: list, names: list) -> Partitions:
    """Combine per-column codes into codes of the observed label combinations."""
    column_codes = [codes for codes, _ in factorized]
    sizes = tuple(len(labels) for _, labels in factorized)
    if np.prod(sizes, dtype=np.float64) < 2**62:
        # One int64 key per row; its order is the lexicographic label order.
        key = np.ravel_multi_index(column_codes, sizes)
        codes, observed = pd.factorize(key, sort=True)
        combined = np.unravel_index(observed, sizes)
    else:  # too many combinations for one int64 key
        combined, codes = np.unique(np.stack(column_codes), axis=1, return_inverse=True)
    arrays = [labels[combined[j]] for j, (_, labels) in enumerate(factorized)]
    labels = pd.MultiIndex.from_arrays(arrays, names=names)
    return Partitions(codes.reshape(-1).astype(np.int64), labels)


class PartitionCodebook:
    """Partition labels met so far across batches, and their global codes.

    Codes are given in order of first appearance; :meth:`sorted_order` gives
    the sorted order at the end, so that the report does not depend on the
    order in which batches arrived.
    """

    def __init__(self) -> None:
        self.partition_labels: pd.Index | None = None

    @property
    def n_partitions(self) -> int:
        """Number of partitions met so far."""
        return 0 if self.partition_labels is None else len(self.partition_labels)

    def encode(self, partitions: Partitions) -> tuple[np.ndarray, pd.Index]:
        """Global codes of a batch's rows, and the labels once the new are added.

        Nothing is stored: :meth:`commit` the returned labels once the batch
        has been validated whole.
        """
        local = partitions.partition_labels
        if (
            len(local)
            and np.bincount(partitions.codes, minlength=len(local)).min() == 0
        ):
            # Labels without rows in this batch (a subset of a larger
            # encoding) are not partitions of the data yet.
            used = np.flatnonzero(np.bincount(partitions.codes, minlength=len(local)))
            renumber = np.zeros(len(local), dtype=np.int64)
            renumber[used] = np.arange(len(used))
            partitions = Partitions(renumber[partitions.codes], local.take(used))
            local = partitions.partition_labels
        if self.partition_labels is None:
            return partitions.codes, local
        known = self.partition_labels
        if list(local.names) != list(known.names) or local.nlevels != known.nlevels:
            raise ValueError(
                f"groups has columns {list(local.names)} but earlier batches had "
                f"{list(known.names)}; pass the same group columns in every batch."
            )
        position = known.get_indexer(local)
        new = position < 0
        if new.any():
            position[new] = len(known) + np.arange(int(new.sum()))
            known = known.append(local[new])
        return position[partitions.codes], known

    def commit(self, partition_labels: pd.Index) -> None:
        """Keep the labels returned by :meth:`encode`."""
        self.partition_labels = partition_labels

    def sorted_order(self) -> np.ndarray:
        """Positions of the labels in sorted order (sorted position -> code)."""
        try:
            return np.asarray(self.partition_labels.argsort(), dtype=np.int64)
        except TypeError:
            kinds = sorted(
                {type(v).__name__ for v in self.partition_labels.to_flat_index()}
            )
            raise ValueError(
                f"groups mixes label types {kinds} across batches, which cannot "
                "be sorted; give every batch labels of one type (e.g. str)."
            ) from None


def partition_indices(codes: np.ndarray, n_partitions: int) -> list[np.ndarray]:
    """Row indices of each partition, computed with one stable sort.

    Parameters
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        Partition codes in ``[0, n_partitions)``.
    n_partitions : int
        Number of partitions.

    Returns
    -------
    list of ndarray
        ``n_partitions`` arrays of row indices, each in increasing order.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._inputs.groups import partition_indices
    >>> [i.tolist() for i in partition_indices(np.array([1, 0, 1]), 2)]
    [[1], [0, 2]]
    """
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=n_partitions))[:-1]
    return np.split(order, bounds)
