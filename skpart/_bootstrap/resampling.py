"""Resampling for the bootstrap: Poisson(1) multiplicities, intervals, tests.

The bootstrap of DESIGN.md ("Uncertainty") weights row ``i`` in replicate
``b`` by ``w_i * m_ib`` with ``m_ib ~ Poisson(1)``. The multiplicities here are
counter-based: ``m_ib`` is a function of ``(seed, i, b)`` alone, so the same
replicates come out whether the rows arrive at once, in batches of any size or
from Dask blocks, and a larger ``n_boot`` extends the replicates of a smaller
one. The rest of the module turns replicate values into percentile intervals
(the paired tests are in :mod:`skpart._bootstrap.pvalues`).

NumPy only: the engine, the report and the comparison import this module.
"""

from __future__ import annotations

import decimal
import numbers
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from .._inputs.validation import check_fraction

__all__ = [
    "BootstrapIntervals",
    "bootstrap_seed",
    "percentile_intervals",
    "poisson_multiplicities",
    "replicate_multiplicities",
]

# Rows are drawn in blocks of this many absolute positions; block k of every
# call is the same stream, so a call only slices the blocks it overlaps. It is
# part of the definition of the draws (changing it changes every replicate).
# 1024 keeps the waste of a small batch (which still draws its whole block)
# low while the per-block overhead (~50 us) stays invisible beside the draws.
_BLOCK_ROWS = 1024

# Philox counter word 3 tells the two streams of a block apart (word 2 is the
# block); word 0 is what Philox increments, far from wrapping within a block.
_FIRST_STREAM, _REFINE_STREAM = 0, 1

UNIFORM_BITS = 32  # resolution of the sampler: probabilities are k / 2**32
FIRST_BITS = 8  # one byte decides most draws...
REFINE_BITS = UNIFORM_BITS - FIRST_BITS  # ...the rare rest need 24 more bits


def _poisson1_tables() -> tuple[np.ndarray, int, np.ndarray]:
    """Tables of the exact 32-bit Poisson(1) sampler.

    The target is the Poisson(1) law with every cumulative probability
    ``F(k)`` rounded to the nearest multiple of ``2**-32`` (the resolution of
    a 32-bit uniform). Value ``k`` then owns ``P_k = C_k - C_{k-1}`` of the
    ``2**32`` equally likely 32-bit patterns, with ``C_k = round(F(k) 2**32)``.
    Split each ``P_k`` as ``n_k * 2**24 + f_k``: value ``k`` gets ``n_k`` whole
    first bytes, and the leftovers ``f_k`` (which add up to a whole number of
    bytes, 3 of the 256) are shared out by 24 further bits. Every ``k`` thus
    keeps exactly ``P_k`` patterns, while 253 of 256 draws need only one byte.

    Returns
    -------
    first_thresholds : ndarray of uint8
        Ladder on the first byte: the value is the number of thresholds at or
        below it, for bytes below ``n_pure``.
    n_pure : int
        First bytes ``>= n_pure`` take the refined ladder.
    refine_thresholds : ndarray of uint32
        Ladder on ``(byte - n_pure) * 2**24 + r`` with ``r`` the 24 more bits.
    """
    # F(k) to 40 digits, so that rounding to 2**-32 can never go the wrong way.
    ctx = decimal.Context(prec=40)
    e_inv = ctx.exp(decimal.Decimal(-1))
    total = 2**UNIFORM_BITS
    cumulative, term, k = [0], e_inv, 0
    cdf = decimal.Decimal(0)
    # Stops at k = 12, the first F(k) within half a pattern of 1: the tail
    # beyond it (6e-11) rounds to no 32-bit pattern at all.
    while cumulative[-1] < total:
        cdf = ctx.add(cdf, term)
        cumulative.append(int(ctx.multiply(cdf, total).to_integral_value()))
        k += 1
        term = ctx.divide(term, k)
    counts = np.diff(np.array(cumulative, dtype=np.int64))  # P_k, k = 0..12
    whole, leftover = np.divmod(counts, 2**REFINE_BITS)
    n_pure = int(whole.sum())
    first = np.cumsum(whole)[:-1]
    first = first[first < n_pure].astype(np.uint8)
    refine = np.cumsum(leftover)[:-1].astype(np.uint32)
    return first, n_pure, refine


_FIRST_THRESHOLDS, _N_PURE, _REFINE_THRESHOLDS = _poisson1_tables()
# The first two rungs are equally spaced (94, 188) and a third would pass 255,
# so for a byte h, h // 94 equals (h >= 94) + (h >= 188) exactly.
_FIRST_DIVISOR = _FIRST_THRESHOLDS[0]
if not (
    _FIRST_THRESHOLDS[1] == 2 * _FIRST_DIVISOR and 3 * int(_FIRST_DIVISOR) > 255
):  # pragma: no cover - the tables are constants
    raise RuntimeError("the Poisson(1) ladder no longer starts with equal rungs")


def poisson1_from_bits(
    first: np.ndarray, refine_bits, columns: slice = slice(None)
) -> np.ndarray:
    """Poisson(1) values from first bytes and, where needed, 24 more bits.

    Parameters
    ----------
    first : ndarray of uint8
        One uniform byte per value, in stream order (C order).
    refine_bits : callable
        ``refine_bits(n)`` returns ``n`` uniform 24-bit integers (uint64), one
        for each value of ``first`` whose byte is ``>= n_pure``, in stream
        order, whether or not it lies in ``columns``.
    columns : slice, default=slice(None)
        The values wanted, along the last axis of ``first``.

    Returns
    -------
    ndarray of uint8
        ``first[..., columns]``'s shape.
    """
    wanted = first[..., columns]
    # A comparison ladder on bytes beats a table lookup (no index widening)
    # and Generator.poisson (one to three doubles per draw) by far; its first
    # two rungs cost one division (a SIMD multiply-shift in NumPy). ``out`` is
    # C-contiguous by construction: the flat writes below must not hit a copy.
    out = np.floor_divide(wanted, _FIRST_DIVISOR, out=np.empty(wanted.shape, np.uint8))
    step = np.empty(wanted.shape, dtype=bool)
    for threshold in _FIRST_THRESHOLDS[2:]:
        np.greater_equal(wanted, threshold, out=step)
        out += step.view(np.uint8)
    # The refine bits go to the rare bytes by rank in the whole of ``first``,
    # so that a value never depends on which columns a call asks for.
    # (flatnonzero: np.nonzero on 2-D arrays is five times slower.)
    rare = np.flatnonzero(first >= _N_PURE)
    if rare.size:
        bits = refine_bits(rare.size)
        lo, hi, _ = columns.indices(first.shape[-1])
        before, column = np.divmod(rare, first.shape[-1])
        keep = (column >= lo) & (column < hi)
        pattern = first.reshape(-1)[rare[keep]].astype(np.uint64) - _N_PURE
        pattern = (pattern << REFINE_BITS) | bits[keep]
        at = before[keep] * (hi - lo) + (column[keep] - lo)  # flat in ``out``
        out.reshape(-1)[at] = np.searchsorted(_REFINE_THRESHOLDS, pattern, side="right")
    return out


def _philox(key: np.ndarray, block: int, stream: int) -> np.random.Philox:
    return np.random.Philox(key=key, counter=[0, 0, block, stream])


def _little_endian_bytes(words: np.ndarray) -> np.ndarray:
    # The bytes of the raw 64-bit words in one fixed order, so that the draws
    # are the same on big-endian machines (a no-op on little-endian ones).
    return words.astype("<u8", copy=False).view(np.uint8)


def _block_multiplicities(
    key: np.ndarray, block: int, n_boot: int, rows: slice
) -> np.ndarray:
    """Multiplicities of the rows ``rows`` (within the block) of one block.

    The block's stream is laid out replicate-major, ``(n_boot, _BLOCK_ROWS)``,
    so replicate ``b``'s draws are the same whatever ``n_boot`` is.
    """
    n_words = n_boot * _BLOCK_ROWS * 8 // 64
    raw = _philox(key, block, _FIRST_STREAM).random_raw(n_words)
    first = _little_endian_bytes(raw).reshape(n_boot, _BLOCK_ROWS)
    refine = _philox(key, block, _REFINE_STREAM)

    def refine_bits(n: int) -> np.ndarray:
        return refine.random_raw(n) & np.uint64(2**REFINE_BITS - 1)

    return poisson1_from_bits(first, refine_bits, rows)


def _philox_key(seed: int) -> np.ndarray:
    # Hash the seed into Philox's 128-bit key: nearby seeds (0, 1, 2...) get
    # unrelated keys, and any non-negative int is a valid seed.
    return np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)


def poisson_multiplicities(seed: int, start: int, stop: int, n_boot: int) -> np.ndarray:
    """Poisson(1) bootstrap multiplicities of the rows ``start:stop``.

    The value for row ``i`` (its absolute position in the data) and replicate
    ``b`` depends only on ``(seed, i, b)``: concatenating the results of calls
    over ``[0, a)``, ``[a, b)``, ... gives the result of one call over the
    whole range, and the first ``n_boot`` replicates are the same for any
    larger ``n_boot``.

    Each value is exactly Poisson(1) at the resolution of a 32-bit uniform:
    ``P(m <= k)`` is ``F(k)`` rounded to the nearest multiple of ``2**-32``
    (``F`` the Poisson(1) distribution function). Hence values above 12, whose
    probability is 6e-11 < 2**-33, never occur, and uint8 cannot overflow.

    Parameters
    ----------
    seed : int
        Non-negative seed, e.g. from :func:`bootstrap_seed`.
    start, stop : int
        Absolute positions of the first row and one past the last row.
    n_boot : int
        Number of replicates.

    Returns
    -------
    ndarray of uint8, shape (stop - start, n_boot)
        Fortran-ordered: each replicate's column is contiguous, as the
        per-replicate sums read it (use ``np.ascontiguousarray`` for rows).

    See Also
    --------
    bootstrap_seed : One seed from a ``random_state``.

    Notes
    -----
    Rows are drawn in blocks of 1024 absolute positions; block ``k`` is a
    Philox stream keyed by a hash of ``seed`` with counter ``k``. The first
    byte of each draw settles it in 253 cases out of 256 by a comparison
    ladder; the other draws take 24 bits more from a second stream of the
    block. A call draws the streams of every block it overlaps in full (which
    makes batches much smaller than a block slower per row) but ladders only
    its own rows. Only raw Philox words and ``SeedSequence`` state are used,
    whose streams NumPy keeps across versions (its ``Generator`` methods,
    ``poisson`` included, may change their draws between releases).

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.resampling import poisson_multiplicities
    >>> m = poisson_multiplicities(0, 0, 5000, 200)
    >>> m.shape, m.dtype
    ((5000, 200), dtype('uint8'))
    >>> whole = poisson_multiplicities(0, 0, 3000, 8)
    >>> parts = [poisson_multiplicities(0, a, b, 8) for a, b in [(0, 7), (7, 3000)]]
    >>> bool(np.array_equal(whole, np.concatenate(parts)))
    True
    """
    for name, value in (("start", start), ("stop", stop), ("n_boot", n_boot)):
        if not _is_int(value):
            raise TypeError(f"{name} must be an int, got {value!r}.")
    start, stop, n_boot = int(start), int(stop), int(n_boot)
    if not 0 <= start <= stop:
        raise ValueError(
            f"start and stop must satisfy 0 <= start <= stop, got start={start}, "
            f"stop={stop}."
        )
    if n_boot < 0:
        raise ValueError(f"n_boot must be non-negative, got n_boot={n_boot}.")
    key = _philox_key(_check_seed(seed))
    # Filled replicate-major, returned transposed: no copy, contiguous columns.
    out = np.empty((n_boot, stop - start), dtype=np.uint8)
    if n_boot == 0:
        return out.T
    for block in range(start // _BLOCK_ROWS, -(-stop // _BLOCK_ROWS)):
        origin = block * _BLOCK_ROWS
        lo, hi = max(start, origin), min(stop, origin + _BLOCK_ROWS)
        rows = slice(lo - origin, hi - origin)
        out[:, lo - start : hi - start] = _block_multiplicities(
            key, block, n_boot, rows
        )
    return out.T


def replicate_multiplicities(
    seed: int, start: int, n_rows: int, n_replicates: int
) -> np.ndarray:
    """Replicate weights of rows ``start:start + n_rows``: ones, then Poisson(1).

    Column 0 is the data itself; columns 1.. are the bootstrap replicates.
    """
    out = np.ones((n_rows, n_replicates), dtype=np.float64)
    out[:, 1:] = poisson_multiplicities(seed, start, start + n_rows, n_replicates - 1)
    return out


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_seed(seed) -> int:
    if not _is_int(seed) or seed < 0:
        error = ValueError if _is_int(seed) else TypeError
        raise error(
            f"seed must be a non-negative int, got {seed!r}; turn a random_state "
            "into one with bootstrap_seed(random_state)."
        )
    return int(seed)


def bootstrap_seed(random_state=None) -> int:
    """One int seed for :func:`poisson_multiplicities` from a ``random_state``.

    Call it once per bootstrap and pass the seed to every batch: the draws
    then agree across batches and workers.

    Parameters
    ----------
    random_state : None, int, numpy.random.RandomState or numpy.random.Generator
        As scikit-learn's ``check_random_state``: None draws from NumPy's
        global RandomState (so ``np.random.seed`` makes it repeatable), an
        int is the seed itself, an instance gives one draw (advancing it).

    Returns
    -------
    int
        A seed in ``[0, 2**63 - 1)``; for an int ``random_state``, that int.

    See Also
    --------
    poisson_multiplicities : The draws the seed keys.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.resampling import bootstrap_seed
    >>> bootstrap_seed(42)
    42
    >>> bootstrap_seed(np.random.RandomState(0)) == bootstrap_seed(
    ...     np.random.RandomState(0))
    True
    """
    high = np.iinfo(np.int64).max
    if random_state is None:
        return int(np.random.randint(0, high, dtype=np.int64))
    if _is_int(random_state):
        if random_state < 0:
            raise ValueError(
                f"random_state must be a non-negative int, got {random_state!r}."
            )
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, high, dtype=np.int64))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, high, dtype=np.int64))
    raise ValueError(
        f"random_state must be None, an int, a numpy RandomState or a numpy "
        f"Generator, got {random_state!r}."
    )


class BootstrapIntervals(NamedTuple):
    """Percentile intervals, and where they are NaN for want of replicates.

    Attributes
    ----------
    low, high : ndarray of float
        Interval bounds, NaN where ``too_few_defined``.
    too_few_defined : ndarray of bool
        Cells where fewer than ``min_defined`` of the replicates are defined,
        for the caller's warning.
    """

    low: np.ndarray
    high: np.ndarray
    too_few_defined: np.ndarray


def percentile_intervals(
    replicates: ArrayLike,
    confidence_level: float,
    *,
    axis: int = 0,
    min_defined: float = 0.9,
) -> BootstrapIntervals:
    """Percentile bootstrap intervals, skipping undefined (NaN) replicates.

    The bounds are the ``(1 - confidence_level) / 2`` and
    ``(1 + confidence_level) / 2`` quantiles of the defined replicates along
    ``axis`` (``np.nanquantile``, linear interpolation). Where fewer than a
    fraction ``min_defined`` of the replicates are defined, the quantiles of
    the rest would describe a biased subset (e.g. the replicates in which a
    small partition happened to contain both classes), so both bounds are NaN.

    Parameters
    ----------
    replicates : array-like of float
        Replicate values, NaN where the metric is undefined in a replicate.
    confidence_level : float
        Coverage of the interval, strictly between 0 and 1 (e.g. 0.95).
    axis : int, default=0
        The replicate axis.
    min_defined : float, default=0.9
        Smallest fraction of defined replicates that gives an interval.

    Returns
    -------
    BootstrapIntervals
        ``(low, high, too_few_defined)``, each of ``replicates``'s shape
        without ``axis``.

    See Also
    --------
    skpart._bootstrap.pvalues.paired_p_values : Tests from paired replicates.

    Examples
    --------
    >>> import numpy as np
    >>> from skpart._bootstrap.resampling import percentile_intervals
    >>> reps = np.array([[0.1, 0.5], [0.2, np.nan], [0.3, np.nan], [0.4, 0.6]])
    >>> low, high, too_few = percentile_intervals(reps, 0.5)
    >>> low, high, too_few
    (array([0.175,   nan]), array([0.325,   nan]), array([False,  True]))
    """
    confidence_level = check_fraction(confidence_level, "confidence_level")
    if (
        not isinstance(min_defined, numbers.Real)
        or isinstance(min_defined, bool)
        or not 0 <= min_defined <= 1
    ):
        raise ValueError(
            f"min_defined must be a number between 0 and 1, got "
            f"min_defined={min_defined!r}."
        )
    replicates = np.moveaxis(np.asarray(replicates, dtype=float), axis, 0)
    n_boot = replicates.shape[0]
    n_defined = np.count_nonzero(~np.isnan(replicates), axis=0)
    too_few = np.asarray(n_defined == 0)  # an array even for 1-D replicates
    if n_boot:
        # A fraction against a fraction: 27 / 30 and 0.9 give the same double.
        too_few |= n_defined / n_boot < min_defined
    # Cells that get NaN anyway are zeroed first, so that nanquantile never
    # meets an all-NaN slice (and never warns about one).
    values = np.where(too_few, 0.0, replicates) if too_few.any() else replicates
    # Rounded to 12 decimals so that 0.9 asks for the 0.05 quantile itself,
    # not 1 - 0.9 = 0.09999999999999998 halved (a shift of 1e-17, but an
    # interval should equal the nanquantile a user computes by hand).
    levels = [
        round((1 - confidence_level) / 2, 12),
        round((1 + confidence_level) / 2, 12),
    ]
    if n_boot:
        low, high = np.nanquantile(values, levels, axis=0)
    else:
        low = high = np.zeros(replicates.shape[1:])
    low = np.where(too_few, np.nan, low)
    high = np.where(too_few, np.nan, high)
    return BootstrapIntervals(low, high, too_few)
