"""Tests of a paired comparison: one-sided p-values and Benjamini-Hochberg.

A comparison of two models on the same bootstrap replicates gives, per
(partition, metric) cell, replicate values of the difference. The p-value of
"worse by more than the tolerance" is a studentised tail of those replicates
(DESIGN.md, "Uncertainty"): unlike the share of replicates on the null side,
which can never fall below ``1 / (n_boot + 1)``, it keeps resolving as far as
the evidence goes, so the Benjamini-Hochberg correction over thousands of
cells can still flag one of them.

NumPy and SciPy (a dependency of scikit-learn) only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import stdtr

from .._inputs.validation import check_fraction, check_nonnegative

__all__ = ["benjamini_hochberg", "lone_rejection_rows", "paired_p_values"]

# Relative size of a spread or margin that is rounding, not data (64 ulps).
_ROUNDING = 64 * np.finfo(np.float64).eps


def paired_p_values(
    differences: ArrayLike,
    observed: ArrayLike,
    *,
    tolerance: float,
    n_rows: ArrayLike,
    axis: int = 0,
) -> np.ndarray:
    """One-sided p-values for "worse by more than tolerance", from paired replicates.

    ``differences`` are bootstrap replicate values of ``delta = candidate -
    baseline`` in the direction "positive is better", computed on the same
    replicates for both models, and ``observed`` is ``delta`` on the data.
    The null hypothesis is ``delta >= -tolerance`` (not a regression), the
    alternative ``delta < -tolerance``. With ``B`` defined replicates of
    standard deviation ``s`` (the bootstrap standard error of ``delta``),

    ``t = (observed + tolerance) / s``,  ``p = max(T_{B-1}(t), 2 ** -n)``

    where ``T_{B-1}`` is Student's t distribution function with ``B - 1``
    degrees of freedom (the normal tail, widened for the Monte Carlo error of
    ``s``) and ``n`` the number of rows of the cell. The floor ``2 ** -n`` is
    the smallest p-value an exact paired test of ``n`` rows can give (the
    sign test, or McNemar's, when every row favours the baseline): a
    studentised tail is not trusted beyond what ``n`` rows can show, and a
    partition of a few rows never looks like a certain regression.

    Degenerate cells: where every defined replicate is the same (``s = 0``,
    e.g. a candidate wrong on every row where the baseline is right on every
    row), ``p`` is 1 when ``observed >= -tolerance`` and ``2 ** -n`` (exactly
    the one-sided McNemar p-value of ``n`` discordant rows, all against the
    candidate) otherwise. With fewer than two defined replicates, or an
    undefined ``observed``, ``p`` is NaN: a test that could not be run.

    Parameters
    ----------
    differences : array-like of float
        Replicate differences, NaN where undefined (skipped).
    observed : array-like of float
        The difference on the data, of ``differences``'s shape without
        ``axis`` (or broadcastable to it).
    tolerance : float
        Non-negative margin: a drop of at most this much is not a regression.
    n_rows : array-like of int
        Rows behind each cell (broadcastable like ``observed``), for the floor.
    axis : int, default=0
        The replicate axis.

    Returns
    -------
    ndarray of float
        Of ``differences``'s shape without ``axis``.

    See Also
    --------
    benjamini_hochberg : Which of many p-values are discoveries.
    lone_rejection_rows : The rows a cell needs to be flagged on its own.

    Notes
    -----
    Validated by simulation against known truth (``benchmarks/
    gate_simulation.py``, figures in the documentation's benchmarks page):
    the false discovery rate of the comparison stays at or below its level
    at 10 to 1,000 partitions x 3 metrics, and one partition on which the
    candidate is wrong on every row is flagged among 1,000.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.pvalues import paired_p_values
    >>> d = np.array([-0.3, -0.2, -0.2, -0.1, 0.1])
    >>> round(float(paired_p_values(d, -0.15, tolerance=0.0, n_rows=50)), 4)
    0.1893
    >>> float(paired_p_values(np.full(5, -1.0), -1.0, tolerance=0.0, n_rows=3))
    0.125
    """
    tolerance = check_nonnegative(tolerance, "tolerance")
    differences = np.moveaxis(np.asarray(differences, dtype=float), axis, 0)
    shape = differences.shape[1:]
    observed = np.broadcast_to(np.asarray(observed, dtype=float), shape)
    n_rows = np.broadcast_to(np.asarray(n_rows, dtype=float), shape)
    n_defined = np.count_nonzero(~np.isnan(differences), axis=0)
    testable = (n_defined >= 2) & ~np.isnan(observed)
    # Cells that get NaN anyway are zeroed first: no warning of an empty slice.
    values = np.where(testable, differences, 0.0)
    spread = np.nanstd(values, axis=0, ddof=1) if len(values) > 1 else 0 * observed
    margin = observed + tolerance
    # Rounding is no evidence: equal replicates summed in another order, or
    # a difference exactly at -tolerance, differ from 0 by a few ulps only.
    scale = np.maximum(np.nanmax(np.abs(values), axis=0, initial=0.0), tolerance)
    scale = _ROUNDING * np.maximum(scale, np.abs(observed))
    spread = np.where(spread <= scale, 0.0, spread)
    margin = np.where(np.abs(margin) <= scale, 0.0, margin)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(spread > 0, margin / spread, np.where(margin < 0, -np.inf, 0.0))
        p = stdtr(np.maximum(n_defined - 1, 1), t)
    # Zero spread on the null side: every replicate is compatible with it.
    p = np.where((spread == 0) & (margin >= 0), 1.0, p)
    p = np.maximum(p, np.exp2(-np.maximum(n_rows, 0)))
    return np.where(testable, p, np.nan)


def lone_rejection_rows(n_tests: int, alpha: float) -> int:
    """Fewest rows a cell needs for its smallest p-value to be rejected alone.

    A cell of ``n`` rows has p-values of at least ``2 ** -n`` (see
    :func:`paired_p_values`), and Benjamini-Hochberg over ``n_tests``
    hypotheses rejects a lone small p-value when it is at most ``alpha /
    n_tests``. So a regression confined to one cell can be flagged only if
    ``2 ** -n <= alpha / n_tests``.

    Parameters
    ----------
    n_tests : int
        Number of hypotheses in the family (BH's ``m``).
    alpha : float
        False discovery rate.

    Returns
    -------
    int
        ``ceil(log2(n_tests / alpha))``.

    Examples
    --------
    >>> from skpart._bootstrap.pvalues import lone_rejection_rows
    >>> lone_rejection_rows(3000, 0.05)
    16
    """
    return int(np.ceil(np.log2(max(n_tests, 1) / alpha) - 1e-12))


def benjamini_hochberg(p_values: ArrayLike, alpha: float) -> np.ndarray:
    """Which hypotheses the Benjamini-Hochberg procedure rejects at FDR ``alpha``.

    With the ``m`` defined p-values sorted, ``p_(1) <= ... <= p_(m)``, the
    hypotheses of ``p_(1), ..., p_(k)`` are rejected for the largest ``k``
    with ``p_(k) <= k alpha / m`` (step-up). This controls the false discovery
    rate at ``alpha`` for independent or positively dependent tests.

    A NaN p-value (a hypothesis with no defined replicate) is never rejected
    and is left out of ``m``: it is a test that could not be run, not a test
    that failed; counting it as ``p = 1`` would only make every other
    partition harder to flag, and the caller reports it separately.

    Parameters
    ----------
    p_values : array-like of float
        P-values in ``[0, 1]``, any shape, NaN where not defined.
    alpha : float
        False discovery rate, strictly between 0 and 1.

    Returns
    -------
    ndarray of bool
        Of ``p_values``'s shape: True where the hypothesis is rejected.

    See Also
    --------
    paired_p_values : The p-values of a paired comparison.

    Examples
    --------
    >>> from skpart._bootstrap.pvalues import benjamini_hochberg
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.2, float("nan")], alpha=0.1)
    array([ True,  True,  True, False, False])
    """
    alpha = check_fraction(alpha, "alpha", example="0.05")
    p_values = np.asarray(p_values, dtype=float)
    defined = ~np.isnan(p_values)
    flat = p_values[defined]
    if np.any((flat < 0) | (flat > 1)):
        raise ValueError(
            f"p_values must lie in [0, 1] (or be NaN), got values from "
            f"{flat.min()!r} to {flat.max()!r}."
        )
    rejected = np.zeros(p_values.shape, dtype=bool)
    m = flat.size
    if m == 0:
        return rejected
    order = np.argsort(flat, kind="stable")
    passes = flat[order] <= alpha * np.arange(1, m + 1) / m
    if passes.any():
        # Step-up: everything up to the last sorted p under its line rejects.
        k = np.flatnonzero(passes)[-1] + 1
        decided = np.zeros(m, dtype=bool)
        decided[order[:k]] = True
        rejected[defined] = decided
    return rejected
