"""One batch of rows and the sums it adds to the statistics, for every replicate.

:class:`~skpart._metrics.statistics.Statistics` keeps the sums; here one
validated batch is listed as (cell keys, number of cells, values) per sum it
keeps, and each is reduced with one ``np.bincount`` (the data alone) or, with
a bootstrap, one sparse product per chunk of rows against their Poisson
multiplicities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._bootstrap.resampling import replicate_multiplicities
from .division import divide


@dataclass
class Batch:
    """One validated, encoded batch, as the statistics take it.

    Attributes
    ----------
    codes : ndarray of int64
        Global partition code of each row.
    y_true, y_pred : ndarray
        Class indices (int64) or values (float64); y_pred may be None when only
        probability metrics are scored.
    y_proba : ndarray of shape (n_rows, n_classes) or None
        Probabilities, columns in sorted class order, float32 or float64.
    weight : ndarray of float64 or None
        User row weights (None: every row weighs 1).
    start : int
        Absolute position of the first row in the data: a row's bootstrap
        multiplicities are drawn from its position.
    """

    codes: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray | None
    y_proba: np.ndarray | None
    weight: np.ndarray | None
    start: int = 0

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.codes.shape[0]


def batch_sums(batch: Batch, stats) -> tuple[dict, np.ndarray | None]:
    """Every sum of ``batch`` that ``stats`` keeps, and the moments' shift.

    Parameters
    ----------
    batch : Batch
    stats : Statistics
        The statistics the sums are for: which sums they keep, their
        partitions, classes and replicates (not imported here, since the
        statistics import this module).

    Returns
    -------
    sums : dict of str to ndarray
        Per sum, shape (n_replicates, n_cells): the cells of the confusion
        matrix (or the row counts, weights and class rows without one), of
        the probability losses and of the moments.
    shift : ndarray of shape (n_partitions,) or None
        The batch's weighted mean per partition, which the moment sums are
        centred on (None without moments).
    """
    requests, shift = _requests(batch, stats)
    return _reduce(requests, batch, stats.n_replicates, stats.seed), shift


def _requests(batch: Batch, stats) -> tuple[dict, np.ndarray | None]:
    """List what to sum for this batch: name -> (cell keys, n_cells, values)."""
    P, K = stats.n_partitions, stats.n_classes
    w, codes = batch.weight, batch.codes
    requests = {}
    if stats.confusion is not None:
        # The counts per partition and class are sums of the confusion
        # cells: one reduction over the rows serves them all.
        keys = (codes * K + batch.y_true) * K + batch.y_pred
        requests["confusion"] = (keys, P * K * K, w)
        if w is not None:
            requests["confusion_rows"] = (keys, P * K * K, None)
    else:
        requests["n_rows"] = (codes, P, None)
        if w is not None:
            requests["weight"] = (codes, P, w)
        if stats.class_rows is not None:
            requests["class_rows"] = (codes * K + batch.y_true, P * K, None)
    if stats.log_loss is not None or stats.brier is not None:
        requests.update(_proba_requests(batch, stats))

    shift = None
    if stats.moments is not None:
        moment_requests, shift = _moment_requests(batch, stats.n_partitions)
        requests.update(moment_requests)
    return requests, shift


def _proba_requests(batch: Batch, stats) -> dict:
    P, K = stats.n_partitions, stats.n_classes
    w = batch.weight
    rows = np.arange(batch.n_rows)
    keys = batch.codes * K + batch.y_true
    proba = batch.y_proba
    requests = {}
    if stats.log_loss is not None:
        # sklearn clips at the precision of the input dtype (float32 for
        # Keras outputs), before taking the log.
        eps = np.finfo(proba.dtype).eps
        p_true = np.clip(proba[rows, batch.y_true], eps, 1 - eps)
        loss = -np.log(p_true.astype(np.float64))
        requests["log_loss"] = (keys, P * K, loss if w is None else w * loss)
    if stats.brier is not None:
        onehot = np.zeros((batch.n_rows, K))
        onehot[rows, batch.y_true] = 1.0
        squared = (onehot - proba.astype(np.float64)) ** 2
        for k in range(K):
            values = squared[:, k] if w is None else w * squared[:, k]
            requests[f"brier_{k}"] = (keys, P * K, values)
    return requests


def _moment_requests(batch: Batch, n_partitions: int) -> tuple[dict, np.ndarray]:
    P, codes, y = n_partitions, batch.codes, batch.y_true
    w = np.ones(batch.n_rows) if batch.weight is None else batch.weight
    # Shift by this batch's mean so that the sums of squares do not cancel
    # (and are exact two-pass sums for the data itself).
    base = np.bincount(codes, weights=w, minlength=P)
    shift = divide(np.bincount(codes, weights=w * y, minlength=P), base)
    deviation = y - shift[codes]
    error = y - batch.y_pred
    requests = {
        "s1": (codes, P, w * deviation),
        "s2": (codes, P, w * deviation**2),
        "sse": (codes, P, w * error**2),
        "sae": (codes, P, w * np.abs(error)),
    }
    return requests, shift


def _reduce(requests: dict, batch: Batch, n_replicates: int, seed: int | None) -> dict:
    """Every requested sum, shape (n_replicates, n_cells)."""
    if n_replicates == 1:
        return {
            name: np.bincount(keys, weights=values, minlength=n)[None, :]
            for name, (keys, n, values) in requests.items()
        }
    # With a bootstrap, the rows go through in chunks whose multiplicities
    # (rows x replicates, drawn from the rows' positions) stay near 4M
    # cells; each chunk serves every statistic.
    R = n_replicates
    out = {name: np.zeros((n, R)) for name, (_, n, _) in requests.items()}
    step = max(1, (1 << 22) // R)
    for first in range(0, batch.n_rows, step):
        stop = min(first + step, batch.n_rows)
        weights = replicate_multiplicities(seed, batch.start + first, stop - first, R)
        columns = np.arange(stop - first)
        for name, (keys, n, values) in requests.items():
            values = np.ones(stop - first) if values is None else values[first:stop]
            indicator = sp.csr_matrix(
                (values, (keys[first:stop], columns)), shape=(n, stop - first)
            )
            out[name] += indicator @ weights
    return {name: np.ascontiguousarray(total.T) for name, total in out.items()}
