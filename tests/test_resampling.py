"""Bootstrap resampling: Poisson(1) multiplicities, intervals, p-values, FDR.

Expected values come from SciPy, ``np.nanquantile`` on the raw arrays,
hand-worked examples and simulations with a known truth, never from the
module under test.
"""

import warnings

import numpy as np
import pytest
from scipy import stats

from skpart._bootstrap.pvalues import (
    benjamini_hochberg,
    lone_rejection_rows,
    paired_p_values,
)
from skpart._bootstrap.resampling import (
    REFINE_BITS,
    bootstrap_seed,
    percentile_intervals,
    poisson1_from_bits,
    poisson_multiplicities,
)

# Absolute row positions where the internal blocks of 1024 rows meet; the
# chunkings below cut at, next to and across them.
BLOCK_EDGES = [1023, 1024, 1025, 2047, 2048, 3071, 3073]


# ---------------------------------------------------------------- multiplicities


def _chunked(seed, cuts, n_boot):
    return np.concatenate(
        [
            poisson_multiplicities(seed, a, b, n_boot)
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
        ]
    )


@pytest.mark.parametrize("chunking", range(6))
def test_multiplicities_do_not_depend_on_the_chunking(chunking):
    n, n_boot = 5000, 7
    rng = np.random.default_rng(chunking)
    inner = rng.choice(np.arange(1, n), size=rng.integers(1, 40), replace=False)
    if chunking % 2:  # half the chunkings also cut exactly at the block edges
        inner = np.concatenate([inner, BLOCK_EDGES])
    cuts = [0, *np.unique(inner).tolist(), n]
    whole = poisson_multiplicities(3, 0, n, n_boot)
    np.testing.assert_array_equal(_chunked(3, cuts, n_boot), whole)


def test_multiplicities_of_a_range_are_that_slice_of_the_whole():
    whole = poisson_multiplicities(5, 0, 6000, 4)
    np.testing.assert_array_equal(
        poisson_multiplicities(5, 1500, 4321, 4), whole[1500:4321]
    )
    np.testing.assert_array_equal(
        poisson_multiplicities(5, 1024, 1025, 4), whole[[1024]]
    )


def test_batches_of_one_row_give_the_same_multiplicities():
    whole = poisson_multiplicities(11, 1000, 1100, 3)
    singles = np.concatenate(
        [poisson_multiplicities(11, i, i + 1, 3) for i in range(1000, 1100)]
    )
    np.testing.assert_array_equal(singles, whole)


def test_first_replicates_do_not_depend_on_n_boot():
    few = poisson_multiplicities(2, 100, 3000, 5)
    many = poisson_multiplicities(2, 100, 3000, 64)
    np.testing.assert_array_equal(many[:, :5], few)


def test_same_seed_reproduces_and_different_seeds_differ():
    a = poisson_multiplicities(0, 0, 4000, 50)
    np.testing.assert_array_equal(poisson_multiplicities(0, 0, 4000, 50), a)
    b = poisson_multiplicities(1, 0, 4000, 50)
    # Independent Poisson(1) draws agree with probability sum_k pmf(k)**2;
    # related streams (e.g. a shifted copy) would agree far more often.
    agree = sum(stats.poisson(1).pmf(k) ** 2 for k in range(30))
    n = a.size
    assert abs(np.mean(a == b) - agree) < 5 * np.sqrt(agree * (1 - agree) / n)


def test_multiplicities_are_small_unsigned_integers_with_contiguous_replicates():
    m = poisson_multiplicities(0, 10, 2010, 30)
    assert m.shape == (2000, 30)
    assert m.dtype == np.uint8
    assert m[:, 0].flags.c_contiguous  # one replicate's rows are contiguous
    assert poisson_multiplicities(0, 7, 7, 30).shape == (0, 30)
    assert poisson_multiplicities(0, 0, 7, 0).shape == (7, 0)


@pytest.mark.parametrize(
    "start, stop, n_boot, match",
    [(-1, 5, 3, "start"), (5, 4, 3, "stop"), (0, 5, -1, "n_boot")],
)
def test_multiplicities_reject_bad_ranges(start, stop, n_boot, match):
    with pytest.raises(ValueError, match=match):
        poisson_multiplicities(0, start, stop, n_boot)


def test_multiplicities_reject_a_position_that_is_not_an_int():
    with pytest.raises(TypeError, match="stop"):
        poisson_multiplicities(0, 0, 10.0, 3)


@pytest.mark.parametrize(
    "seed, error",
    [
        (-1, ValueError),
        (1.5, TypeError),
        (None, TypeError),
        (np.random.RandomState(0), TypeError),
    ],
)
def test_multiplicities_reject_a_seed_that_is_not_a_non_negative_int(seed, error):
    with pytest.raises(error, match="bootstrap_seed"):
        poisson_multiplicities(seed, 0, 5, 3)


def test_multiplicities_follow_poisson_1():
    # 10 million draws: the standard errors of the mean and the variance are
    # 3e-4 and 5.5e-4; the chi-square test is at significance 0.001 (a fixed
    # seed makes it deterministic, and an exact sampler passes it for 999
    # seeds in 1000).
    m = poisson_multiplicities(2024, 0, 200_000, 50).astype(np.int64)
    n = m.size
    assert abs(m.mean() - 1) < 5 * np.sqrt(1 / n)
    # Var of the sample variance of Poisson(1): (mu_4 - 1) / n = 3 / n.
    assert abs(m.var() - 1) < 5 * np.sqrt(3 / n)
    observed = np.bincount(np.minimum(m.ravel(), 5), minlength=6)
    pmf = stats.poisson(1).pmf(np.arange(5))
    expected = n * np.append(pmf, 1 - pmf.sum())
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_multiplicities_are_uncorrelated_across_rows_replicates_and_blocks():
    m = poisson_multiplicities(7, 0, 100_000, 40).astype(float)

    def corr(a, b):
        return np.corrcoef(a.ravel(), b.ravel())[0, 1]

    # For independent pairs the correlation is ~N(0, 1 / n_pairs); 5 standard
    # errors is a 1-in-a-million false alarm.
    pairs = {
        "adjacent replicates": (m[:, :-1], m[:, 1:]),
        "adjacent rows": (m[:-1], m[1:]),
        "same place in the next block": (m[:-1024], m[1024:]),
        "replicate b and row-shifted replicate b+1": (m[:-1, :-1], m[1:, 1:]),
    }
    for name, (a, b) in pairs.items():
        assert abs(corr(a, b)) < 5 / np.sqrt(a.size), name


def test_multiplicities_are_the_documented_function_of_seed_row_and_replicate():
    # The definition, rebuilt from its description: block k of 1024 rows is
    # the Philox stream with key SeedSequence(seed) and counter (0, 0, k, 0),
    # read as little-endian bytes, replicate-major; a byte below n_pure is
    # the number of whole-byte thresholds at or under it. Pins the layout, so
    # that no refactoring changes the replicates silently.
    seed, block, n_boot = 9, 2, 6
    key = np.random.SeedSequence(seed).generate_state(2, dtype=np.uint64)
    raw = np.random.Philox(key=key, counter=[0, 0, block, 0]).random_raw(n_boot * 128)
    first = raw.astype("<u8").view(np.uint8).reshape(n_boot, 1024)
    cdf = stats.poisson(1).cdf(np.arange(13))
    patterns = np.diff(np.round(cdf * 2**32).astype(np.int64), prepend=0)
    whole_bytes = np.cumsum(patterns // 2**24)
    expected = np.searchsorted(whole_bytes[:-1], first, side="right")
    got = poisson_multiplicities(seed, block * 1024, (block + 1) * 1024, n_boot).T
    decided_by_one_byte = first < whole_bytes[-1]
    assert decided_by_one_byte.mean() == pytest.approx(253 / 256, abs=0.01)
    np.testing.assert_array_equal(
        got[decided_by_one_byte], expected[decided_by_one_byte]
    )


def test_sampler_is_exact_at_the_resolution_of_32_bits():
    # Every first byte, and every 24-bit refinement for the bytes that ask for
    # one: the number of 32-bit patterns giving each value must be the
    # Poisson(1) probability rounded to a multiple of 2**-32, cumulatively.
    patterns = np.zeros(64, dtype=np.int64)
    for byte in range(256):
        asked = []

        def record(n, asked=asked):
            asked.append(n)
            return np.zeros(n, dtype=np.uint64)

        value = poisson1_from_bits(np.array([byte], dtype=np.uint8), record)
        if not asked:
            patterns[value[0]] += 2**REFINE_BITS
            continue
        chunk = 2**22
        for offset in range(0, 2**REFINE_BITS, chunk):
            bits = np.arange(offset, offset + chunk, dtype=np.uint64)
            values = poisson1_from_bits(
                np.full(chunk, byte, dtype=np.uint8), lambda n, bits=bits: bits[:n]
            )
            patterns += np.bincount(values, minlength=64)
    cdf = stats.poisson(1).cdf(np.arange(64))
    expected = np.diff(np.round(cdf * 2**32).astype(np.int64), prepend=0)
    np.testing.assert_array_equal(patterns, expected)
    assert patterns.sum() == 2**32


# ---------------------------------------------------------------- bootstrap_seed


def test_bootstrap_seed_of_an_int_is_that_int():
    assert bootstrap_seed(0) == 0
    assert bootstrap_seed(np.int64(12345)) == 12345


@pytest.mark.parametrize(
    "make",
    [np.random.RandomState, np.random.default_rng],
    ids=["RandomState", "Generator"],
)
def test_bootstrap_seed_draws_once_from_a_random_state_instance(make):
    first, again = make(0), make(0)
    seed = bootstrap_seed(first)
    assert isinstance(seed, int) and 0 <= seed < 2**63
    assert bootstrap_seed(again) == seed
    assert bootstrap_seed(first) != seed  # the instance advanced, as sklearn's do


def test_bootstrap_seed_of_none_is_fresh_unless_numpy_is_seeded():
    assert bootstrap_seed(None) != bootstrap_seed(None)
    np.random.seed(3)
    seed = bootstrap_seed(None)
    np.random.seed(3)
    assert bootstrap_seed(None) == seed


@pytest.mark.parametrize("bad", [-3, 1.0, "0", [0]])
def test_bootstrap_seed_rejects_other_values(bad):
    with pytest.raises(ValueError, match="random_state"):
        bootstrap_seed(bad)


# ---------------------------------------------------------- percentile_intervals


def test_percentile_intervals_are_nanquantiles_of_the_defined_replicates():
    rng = np.random.default_rng(0)
    reps = rng.normal(size=(200, 3))
    reps[rng.random((200, 3)) < 0.05] = np.nan  # ~95% defined: kept
    low, high, too_few = percentile_intervals(reps, 0.9)
    np.testing.assert_array_equal(low, np.nanquantile(reps, 0.05, axis=0))
    np.testing.assert_array_equal(high, np.nanquantile(reps, 0.95, axis=0))
    np.testing.assert_array_equal(too_few, [False, False, False])


def test_percentile_intervals_on_a_hand_made_array():
    reps = [[1.0, 4.0], [2.0, np.nan], [3.0, 2.0], [4.0, 3.0], [5.0, 1.0]]
    low, high, too_few = percentile_intervals(reps, 0.5, min_defined=0.8)
    # Column 0: quantiles 0.25 / 0.75 of 1..5 by linear interpolation are 2, 4.
    # Column 1: 1..4 at positions 0.75 / 2.25 give 1.75 and 3.25.
    np.testing.assert_allclose(low, [2.0, 1.75])
    np.testing.assert_allclose(high, [4.0, 3.25])
    np.testing.assert_array_equal(too_few, [False, False])


def test_percentile_intervals_along_another_axis():
    reps = np.arange(24, dtype=float).reshape(2, 3, 4)
    low, high, too_few = percentile_intervals(reps, 0.8, axis=-1)
    assert low.shape == high.shape == too_few.shape == (2, 3)
    np.testing.assert_allclose(low, np.quantile(reps, 0.1, axis=-1))
    np.testing.assert_allclose(high, np.quantile(reps, 0.9, axis=-1))


def test_interval_is_nan_where_fewer_than_min_defined_replicates_are_defined():
    reps = np.ones((10, 3))
    reps[:1, 0] = np.nan  # 9 of 10 defined: exactly 90%, kept
    reps[:2, 1] = np.nan  # 8 of 10: NaN
    reps[:, 2] = np.nan  # none defined
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "All-NaN slice" RuntimeWarning
        low, high, too_few = percentile_intervals(reps, 0.95)
    np.testing.assert_array_equal(too_few, [False, True, True])
    np.testing.assert_array_equal(low, [1.0, np.nan, np.nan])
    np.testing.assert_array_equal(high, [1.0, np.nan, np.nan])


def test_percentile_intervals_of_one_cell_are_zero_dimensional_arrays():
    low, high, too_few = percentile_intervals(
        [1.0, 2.0, 3.0, np.nan], 0.5, min_defined=0.7
    )
    assert low.shape == high.shape == too_few.shape == ()
    assert (float(low), float(high), bool(too_few)) == (1.5, 2.5, False)
    assert percentile_intervals(np.empty((0, 2)), 0.5).too_few_defined.all()


def test_min_defined_zero_keeps_any_defined_replicate():
    reps = np.array([[np.nan, np.nan], [np.nan, np.nan], [2.0, np.nan]])
    low, high, too_few = percentile_intervals(reps, 0.9, min_defined=0.0)
    np.testing.assert_array_equal(low, [2.0, np.nan])
    np.testing.assert_array_equal(too_few, [False, True])


@pytest.mark.parametrize("level", [0, 1, 1.5, -0.1, 95, np.nan, "0.9", True])
def test_percentile_intervals_reject_a_confidence_level_outside_0_1(level):
    with pytest.raises(ValueError, match=r"confidence_level.*between 0 and 1"):
        percentile_intervals(np.ones((5, 2)), level)


# -------------------------------------------------------------- paired_p_values


def test_p_value_is_the_student_tail_of_the_studentised_difference():
    d = np.array([-0.3, -0.2, -0.2, -0.1, 0.1])
    s = np.std(d, ddof=1)
    for tolerance in (0.0, 0.15):
        expected = stats.t.cdf((-0.15 + tolerance) / s, df=4)
        p = paired_p_values(d, -0.15, tolerance=tolerance, n_rows=100)
        assert p == pytest.approx(expected, rel=1e-12)


def test_p_value_resolves_far_below_one_over_n_boot_plus_one():
    # The counting p-value could not go below 1 / 1000 here.
    rng = np.random.default_rng(0)
    d = rng.normal(-0.3, 0.05, 999)
    p = paired_p_values(d, -0.3, tolerance=0.0, n_rows=200)
    assert p == pytest.approx(stats.t.cdf(-0.3 / np.std(d, ddof=1), df=998))
    assert p < 1e-8


def test_p_value_never_falls_below_what_n_rows_can_show():
    # Every replicate regressed by the same amount (zero spread): the exact
    # one-sided McNemar p-value of n discordant rows, all against the
    # candidate, 2 ** -n; on the null side, 1.
    for n in (3, 20, 100):
        exact = stats.binomtest(n, n, 0.5, alternative="greater").pvalue
        p = paired_p_values(np.full(50, -1.0), -1.0, tolerance=0.0, n_rows=n)
        assert p == pytest.approx(exact, rel=1e-12)
    assert paired_p_values(np.full(50, -0.1), -0.1, tolerance=0.1, n_rows=9) == 1.0
    assert paired_p_values(np.zeros(50), 0.0, tolerance=0.0, n_rows=9) == 1.0
    # A huge studentised difference on 10 rows is cut at 2 ** -10.
    d = np.random.default_rng(1).normal(-1.0, 0.001, 200)
    assert paired_p_values(d, -1.0, tolerance=0.0, n_rows=10) == 2.0**-10


def test_p_values_skip_undefined_replicates_and_are_nan_with_fewer_than_two():
    d = np.array([[-1.0, np.nan, 2.0], [np.nan, np.nan, 3.0], [-2.0, -1.0, -4.0]])
    p = paired_p_values(d, [-1.5, -1.0, 1.0], tolerance=0.5, n_rows=50)
    expected_0 = stats.t.cdf((-1.5 + 0.5) / np.std([-1.0, -2.0], ddof=1), df=1)
    expected_2 = stats.t.cdf(1.5 / np.std([2.0, 3.0, -4.0], ddof=1), df=2)
    np.testing.assert_allclose(p, [expected_0, np.nan, expected_2])
    np.testing.assert_allclose(
        paired_p_values(d.T, [-1.5, -1.0, 1.0], tolerance=0.5, n_rows=50, axis=1), p
    )
    assert np.isnan(paired_p_values(np.ones(5), np.nan, tolerance=0.0, n_rows=5))


def test_p_values_are_uniform_or_smaller_under_the_null_boundary():
    # Paired accuracy differences of two equally good models on 200 rows,
    # replicated with Poisson(1) weights: P(p <= a) should not exceed a.
    rng = np.random.default_rng(3)
    n, trials, n_boot = 200, 2000, 200
    rows = rng.random((trials, n, 2)) < 0.8
    diff = rows[:, :, 1].astype(float) - rows[:, :, 0]
    weights = rng.poisson(1.0, (n_boot, n))
    replicates = (diff @ weights.T) / weights.sum(axis=1)  # (trials, n_boot)
    p = paired_p_values(replicates, diff.mean(axis=1), tolerance=0.0, n_rows=n, axis=1)
    for level in (0.01, 0.05, 0.2):
        # 3 Monte Carlo standard errors of a share over 2000 trials.
        assert np.mean(p <= level) <= level + 3 * np.sqrt(level * (1 - level) / trials)


@pytest.mark.parametrize("tolerance", [-0.1, np.inf, np.nan, "0.1"])
def test_p_values_reject_a_bad_tolerance(tolerance):
    with pytest.raises(ValueError, match="tolerance"):
        paired_p_values(np.zeros(3), 0.0, tolerance=tolerance, n_rows=3)


def test_lone_rejection_rows_is_where_two_to_minus_n_passes_alpha_over_m():
    for m, alpha in [(1, 0.05), (30, 0.05), (3000, 0.05), (3000, 0.01)]:
        n = lone_rejection_rows(m, alpha)
        assert 2.0**-n <= alpha / m < 2.0 ** -(n - 1)


# ----------------------------------------------------------- benjamini_hochberg

# Benjamini and Hochberg (1995), section 4: 15 p-values at q = 0.05; the
# procedure rejects the four smallest (0.0095 <= 4 * 0.05 / 15 = 0.0133, and
# no larger p-value is under its line).
BH_1995 = [
    0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
    0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.0000,
]  # fmt: skip


def test_benjamini_hochberg_on_the_example_of_the_1995_paper():
    order = np.random.default_rng(0).permutation(len(BH_1995))
    p = np.array(BH_1995)[order]
    np.testing.assert_array_equal(benjamini_hochberg(p, 0.05), order < 4)


def test_benjamini_hochberg_steps_up_past_a_p_value_over_its_line():
    # Lines at alpha = 0.05, m = 3: 0.0167, 0.0333, 0.05. The smallest p
    # (0.02) is over its line, but the largest under its own, so all reject.
    np.testing.assert_array_equal(
        benjamini_hochberg([0.03, 0.02, 0.026], 0.05), [True, True, True]
    )
    np.testing.assert_array_equal(
        benjamini_hochberg([0.01, 0.04, 0.03, 0.2], 0.1), [True, True, True, False]
    )


def test_benjamini_hochberg_leaves_nan_out_of_m_and_never_rejects_it():
    # m = 2 (lines 0.025, 0.05): both reject; counted in m = 4 neither would.
    p = [0.02, np.nan, 0.04, np.nan]
    np.testing.assert_array_equal(
        benjamini_hochberg(p, 0.05), [True, False, True, False]
    )
    assert not benjamini_hochberg([np.nan, np.nan], 0.05).any()


def test_benjamini_hochberg_keeps_the_shape():
    p = np.array([[0.001, 0.9], [0.5, 0.002]])
    np.testing.assert_array_equal(
        benjamini_hochberg(p, 0.05), [[True, False], [False, True]]
    )


def test_benjamini_hochberg_matches_statsmodels():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    p = np.random.default_rng(1).beta(0.3, 1.0, size=200)
    expected = multitest.multipletests(p, alpha=0.1, method="fdr_bh")[0]
    np.testing.assert_array_equal(benjamini_hochberg(p, 0.1), expected)


@pytest.mark.parametrize(
    "p, alpha, match",
    [([0.1, 1.2], 0.05, "p_values"), ([-0.1], 0.05, "p_values"), ([0.1], 0, "alpha")],
)
def test_benjamini_hochberg_rejects_bad_input(p, alpha, match):
    with pytest.raises(ValueError, match=match):
        benjamini_hochberg(p, alpha)


def test_benjamini_hochberg_rejects_at_most_alpha_when_every_null_is_true():
    # Under the complete null the FDR is the chance of any rejection, which
    # BH holds at alpha for independent p-values. 4000 trials: the Monte-Carlo
    # standard error at 0.1 is 0.0047; allow three of them.
    rng = np.random.default_rng(0)
    alpha, trials, m = 0.1, 4000, 20
    rejected = np.array(
        [benjamini_hochberg(rng.random(m), alpha) for _ in range(trials)]
    )
    se = np.sqrt(alpha * (1 - alpha) / trials)
    assert rejected.any(axis=1).mean() <= alpha + 3 * se
    assert rejected.mean(axis=0).max() <= alpha + 3 * se


def test_benjamini_hochberg_controls_the_realised_fdr_on_a_known_mix():
    # 15 true nulls (uniform p), 5 false ones (one-sided z-tests of a shift of
    # 3 sd). BH's FDR is then m0 / m * alpha = 0.075 <= alpha.
    rng = np.random.default_rng(1)
    alpha, trials, m0, m1 = 0.1, 4000, 15, 5
    is_null = np.r_[np.ones(m0, bool), np.zeros(m1, bool)]
    fdp, power = [], []
    for _ in range(trials):
        p = np.r_[rng.random(m0), stats.norm.sf(rng.normal(3.0, 1.0, m1))]
        rejected = benjamini_hochberg(p, alpha)
        fdp.append((rejected & is_null).sum() / max(rejected.sum(), 1))
        power.append(rejected[~is_null].mean())
    se = np.std(fdp) / np.sqrt(trials)
    assert np.mean(fdp) <= alpha + 3 * se
    assert np.mean(fdp) == pytest.approx(m0 / (m0 + m1) * alpha, abs=4 * se)
    assert np.mean(power) > 0.5  # not vacuous: BH does find the shifts
