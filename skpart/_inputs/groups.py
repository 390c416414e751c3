"""Turning ``groups`` (one or several label columns) into partition codes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._messages import truncate


@dataclass(frozen=True, eq=False)
class Partitions:
    """Partition codes for each row and the label of each partition.

    Unpacks as ``codes, partition_labels``.

    Attributes
    ----------
    codes : ndarray of shape (n_samples,), dtype int64
        Partition index of each row, in ``[0, n_partitions)``.
    partition_labels : pandas.Index or pandas.MultiIndex
        Sorted label (or combination of labels) of each partition. Only
        combinations that occur in the data are present.
    categories : tuple or None
        Per group column, the categories of a categorical column (their order
        is the partitions' order, as in pandas' groupby) or None; None when
        no column is categorical.
    """

    codes: np.ndarray
    partition_labels: pd.Index
    categories: tuple | None = None

    def __iter__(self):
        return iter((self.codes, self.partition_labels))

    @property
    def n_partitions(self) -> int:
        """Number of partitions."""
        return len(self.partition_labels)

    def take(self, rows: Any) -> Partitions:
        """Return the partitions of a subset of the rows (labels kept whole)."""
        return Partitions(self.codes[rows], self.partition_labels, self.categories)


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
        _factorize(column, name, several=len(columns) > 1)
        for column, name in zip(columns, names, strict=True)
    ]
    categories = tuple(c for _, _, c in factorized)
    if all(c is None for c in categories):
        categories = None
    if len(factorized) == 1:
        codes, labels, _ = factorized[0]
        return Partitions(codes, labels.rename(names[0]), categories)
    codes, labels = _intersect([f[:2] for f in factorized], names)
    return Partitions(codes, labels, categories)


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


def _factorize(column: Any, name: Any, *, several: bool = False):
    """Sorted codes, observed labels and categories (or None) of one column.

    Rejects missing labels, and (for one column) labels of several types
    that cannot be sorted.
    """
    values = column if isinstance(column, pd.Series) else pd.Series(column)
    n_missing = int(values.isna().sum())
    which = "groups" if name is None else f"groups column {name!r}"
    if n_missing:
        raise ValueError(
            f"{which} has {n_missing} missing label(s) (NaN/None) out of "
            f"{len(values)} rows; every row needs a partition: fill them with "
            "an explicit label (e.g. groups.fillna('unknown')) or drop those rows."
        )
    # Categoricals sort in category order and keep only observed categories.
    codes, uniques = pd.factorize(values, sort=True)
    categories = None
    if isinstance(uniques, pd.CategoricalIndex):
        categories = _plain_strings(uniques.categories)
        uniques = pd.Index(np.asarray(uniques), dtype=uniques.categories.dtype)
    uniques = _plain_strings(uniques)
    if uniques.dtype == object and not several:
        # (Several columns sort as a MultiIndex, which orders mixed types.)
        _check_sortable(uniques, which)
    return codes.astype(np.int64, copy=False), pd.Index(uniques), categories


def _plain_strings(labels: pd.Index) -> pd.Index:
    """Give string labels as an object Index, whatever their string flavour.

    Labels are never missing, so the string flavours (object, "string",
    "string[pyarrow]", pandas 3's "str") differ only in name: give the dtype
    pandas infers for the labels, so that a report does not depend on the
    flavour the groups came in (Dask turns object columns into
    "string[pyarrow]").
    """
    if labels.dtype == object or isinstance(labels.dtype, pd.StringDtype):
        return pd.Index(labels.to_numpy(dtype=object))
    return labels


def _check_sortable(labels: pd.Index, which: str) -> None:
    """Refuse labels of several types that do not sort (1 and "unknown")."""
    try:
        labels.argsort()
    except TypeError:
        kinds = sorted({type(v).__name__ for v in labels})
        examples = [
            next(v for v in labels if type(v).__name__ == kind) for kind in kinds
        ]
        raise ValueError(
            f"{which} mixes label types {kinds} (e.g. {truncate(examples)}), "
            "which cannot be sorted into partitions; give every label one type "
            "(e.g. groups.astype(str))."
        ) from None


def _intersect(factorized: list, names: list) -> tuple[np.ndarray, pd.MultiIndex]:
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
    return codes.reshape(-1).astype(np.int64), labels


class PartitionCodebook:
    """Partition labels met so far across batches, and their global codes.

    Codes are given in order of first appearance; :meth:`sorted_order` gives
    the sorted order at the end, so that the report does not depend on the
    order in which batches arrived. A categorical group column sorts in its
    categories' order (pandas' groupby order) when every batch that is
    categorical there has the same categories and every label is one of them;
    otherwise its labels sort by value.
    """

    def __init__(self) -> None:
        self.partition_labels: pd.Index | None = None
        #: Per group column, its categories (None: none met; empty: conflicting).
        self.categories: tuple | None = None
        self._proposed: tuple | None = None  # (labels, categories) until commit

    @property
    def n_partitions(self) -> int:
        """Number of partitions met so far."""
        return 0 if self.partition_labels is None else len(self.partition_labels)

    def encode(self, partitions: Partitions) -> tuple[np.ndarray, pd.Index]:
        """Global codes of a batch's rows, and the labels once the new are added.

        Nothing is kept: :meth:`commit` the returned labels once the batch
        has been validated whole.
        """
        codes, labels = self._encode(partitions)
        self._proposed = (labels, _merge_categories(self.categories, partitions))
        return codes, labels

    def _encode(self, partitions: Partitions) -> tuple[np.ndarray, pd.Index]:
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
        """Keep the labels returned by :meth:`encode` (and the batch's categories)."""
        if self._proposed is not None and self._proposed[0] is partition_labels:
            self.categories = self._proposed[1]
        self._proposed = None
        self.partition_labels = partition_labels

    def sorted_order(self) -> np.ndarray:
        """Positions of the labels in sorted order (sorted position -> code)."""
        try:
            return np.asarray(self._sort_keys().argsort(), dtype=np.int64)
        except TypeError:
            kinds = sorted(
                {type(v).__name__ for v in self.partition_labels.to_flat_index()}
            )
            raise ValueError(
                f"groups mixes label types {kinds} across batches, which cannot "
                "be sorted; give every batch labels of one type (e.g. str)."
            ) from None

    def _sort_keys(self) -> pd.Index:
        """Return the labels, a categorical column's as category positions."""
        labels = self.partition_labels
        if self.categories is None:
            return labels
        levels = [labels.get_level_values(i) for i in range(labels.nlevels)]
        for i, categories in enumerate(self.categories):
            if categories is not None and len(categories):
                position = categories.get_indexer(levels[i])
                if (position >= 0).all():
                    levels[i] = pd.Index(position)
        if labels.nlevels == 1:
            return levels[0]
        return pd.MultiIndex.from_arrays(levels)


def _merge_categories(known: tuple | None, partitions: Partitions) -> tuple | None:
    """Combine the categories met so far with a batch's, column by column.

    A column without categories leaves them as they are; different categories
    conflict (an empty Index: sort by value). Commutative, so the order of
    batches and merges does not matter.
    """
    new = partitions.categories
    if new is None:
        return known
    if known is None:
        return new
    merged = []
    for mine, theirs in zip(known, new, strict=True):
        if mine is None or theirs is None:
            merged.append(theirs if mine is None else mine)
        elif mine.equals(theirs) and mine.dtype == theirs.dtype:
            merged.append(mine)
        else:
            merged.append(pd.Index([]))
    return tuple(merged)


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
