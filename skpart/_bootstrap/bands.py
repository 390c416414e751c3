"""Simultaneous bootstrap bands over partitions, and the bounds they give.

A percentile interval of the replicate minimum is not an interval for the
true worst partition: the minimum of noisy values is biased low, so the
interval sits too low when partitions tie and can even exclude the observed
worst. A band valid for all partitions at once bounds any function of them
that is monotone in each, the worst and the gap included.

The band is the studentised max-type bootstrap band: with ``theta_p`` the
value of partition ``p`` on the data, ``theta*_bp`` its value in replicate
``b`` and ``se_p`` the replicates' standard deviation,

``T_b = max_p |theta*_bp - theta_p| / se_p``,

``c`` the ``confidence_level`` quantile of the ``T_b`` (at least the
normal quantile of one two-sided interval) and the band
``theta_p +- c se_p``. Where all partitions lie in their band, the true
worst lies between the smallest lower and the smallest upper end (for a
score), and the true gap between ``max(0, max lower - min upper)`` and
``max upper - min lower``: bounds as conservative as the band, which always
hold the point estimate.

NumPy only, as the rest of the bootstrap layer.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import NamedTuple

import numpy as np


class Band(NamedTuple):
    """A simultaneous band: ``low[p] <= theta[p] <= high[p]`` for every ``p``."""

    low: np.ndarray
    high: np.ndarray
    critical: float  # c, in standard errors


def simultaneous_band(
    replicates: np.ndarray,
    point: np.ndarray,
    confidence_level: float,
    *,
    stuck_sizes: np.ndarray | None = None,
) -> Band:
    """Studentised max-type band over the columns of ``replicates``.

    Parameters
    ----------
    replicates : ndarray of shape (B, P)
        Replicate values, all defined (the caller drops replicates with an
        undefined value: the band is over one set of partitions).
    point : ndarray of shape (P,)
        The values on the data.
    confidence_level : float
        Simultaneous coverage of the band.
    stuck_sizes : ndarray of shape (P,), default=None
        For a proportion: the effective size of each partition whose
        replicates cannot vary (its value at 0 or 1), NaN elsewhere. Those
        partitions get Agresti and Coull's standard error as a floor and at
        least the Wilson interval at the band's per-partition level; the
        band is clipped to [0, 1]. None: not a proportion.

    Returns
    -------
    Band

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.bands import simultaneous_band
    >>> rng = np.random.default_rng(0)
    >>> band = simultaneous_band(rng.normal(size=(2000, 3)), np.zeros(3), 0.95)
    >>> round(band.critical, 1)  # about the 0.983 normal quantile, for three
    2.4
    """
    se = replicates.std(axis=0, ddof=1)
    stuck = None
    if stuck_sizes is not None:
        stuck = ~np.isnan(stuck_sizes)
        floor = proportion_se(point, stuck_sizes, confidence_level)
        se = np.where(stuck, np.fmax(se, floor), se)
    deviation = np.abs(replicates - point)
    with np.errstate(divide="ignore", invalid="ignore"):
        studentised = deviation / se
    # A partition whose replicates never move (se 0) adds nothing to the max.
    studentised[:, se == 0] = 0.0
    critical = float(np.quantile(studentised.max(axis=1), confidence_level))
    # Never narrower than one partition's normal interval: where replicates
    # cannot vary (a proportion at 0 or 1) the max statistic is 0.
    normal = NormalDist()
    critical = max(critical, normal.inv_cdf((1 + confidence_level) / 2))
    low, high = point - critical * se, point + critical * se
    if stuck is not None:
        # Each partition of the band holds at the level 2 Phi(c) - 1.
        level = 2 * normal.cdf(critical) - 1
        wilson_low, wilson_high = wilson_interval(point, stuck_sizes, level)
        low = np.where(stuck, np.fmin(low, wilson_low), low)
        high = np.where(stuck, np.fmax(high, wilson_high), high)
        low, high = np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)
    return Band(low, high, critical)


def worst_bounds(band: Band, greater_is_better: bool) -> tuple[float, float]:
    """Bounds on the true worst value from a band: ``(low, high)``.

    The worst of a score is its minimum: it lies between the smallest lower
    end and the smallest upper end; for a loss, the largest of each.
    """
    if greater_is_better:
        return float(band.low.min()), float(band.high.min())
    return float(band.low.max()), float(band.high.max())


def gap_bounds(band: Band) -> tuple[float, float]:
    """Bounds on the true gap (largest minus smallest value) from a band."""
    low = max(0.0, float(band.low.max() - band.high.min()))
    return low, float(band.high.max() - band.low.min())


def wilson_interval(
    proportion: np.ndarray, n: np.ndarray, confidence_level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion observed on ``n`` effective rows.

    Unlike a bootstrap or Wald interval it does not collapse at 0 or 1:
    ``proportion=1`` on 16 rows gives about ``[0.81, 1]`` at 95%. NaN where
    ``n`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.bands import wilson_interval
    >>> low, high = wilson_interval(np.array([1.0]), np.array([16.0]), 0.95)
    >>> round(float(low[0]), 3), float(high[0])
    (0.806, 1.0)
    """
    z = NormalDist().inv_cdf((1 + confidence_level) / 2)
    p = np.asarray(proportion, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(np.asarray(n, dtype=float) > 0, n, np.nan)
        shrink = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / shrink
        half = (
            z
            / shrink
            * np.sqrt(np.clip(p * (1 - p), 0, None) / n + z * z / (4 * n * n))
        )
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def proportion_se(
    proportion: np.ndarray, n: np.ndarray, confidence_level: float
) -> np.ndarray:
    """Return the standard error of a proportion at ``n`` rows, never 0 at 0 or 1.

    Agresti and Coull's: the binomial standard error at the Wilson centre
    ``(x + z^2 / 2) / (n + z^2)``, so that ``x = 0`` or ``x = n`` keeps a
    width; the band's floor where the replicates cannot vary.
    """
    z = NormalDist().inv_cdf((1 + confidence_level) / 2)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (np.asarray(proportion) * n + z * z / 2) / (n + z * z)
        return np.where(n > 0, np.sqrt(centre * (1 - centre) / (n + z * z)), np.nan)
