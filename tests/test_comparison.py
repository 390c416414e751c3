"""compare_partitions: paired replicates, the regression gate and its error rate."""

import html
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpart import PartitionComparison, compare_partitions, score_partitions

matplotlib.use("Agg")

ALPHA = 0.05
SITES = np.array(["north", "south", "east", "west", "<centre & co>"])


class OneSiteWorse(ClassifierMixin, BaseEstimator):
    """Wraps a fitted classifier (features = all columns but the last, the site
    code) and flips the label of every second row of site ``site``."""

    def __init__(self, estimator, site=None):
        self.estimator = estimator
        self.site = site

    def fit(self, X, y):
        self.estimator_ = clone(self.estimator).fit(X[:, :-1], y)
        self.classes_ = self.estimator_.classes_
        return self

    def _flip(self, X):
        if self.site is None:
            return np.zeros(len(X), dtype=bool)
        at_site = np.flatnonzero(X[:, -1] == self.site)
        flip = np.zeros(len(X), dtype=bool)
        flip[at_site[::2]] = True
        return flip

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba(self, X):
        proba = self.estimator_.predict_proba(X[:, :-1])
        flip = self._flip(X)
        proba[flip] = proba[flip][:, ::-1]
        return proba


class StoredPredictions(ClassifierMixin, BaseEstimator):
    """Predicts ``labels[row]`` for X = a column of row numbers (known truth)."""

    def __init__(self, labels):
        self.labels = labels

    def fit(self, X=None, y=None):
        self.classes_ = np.array([0, 1])
        return self

    def predict(self, X):
        return np.asarray(self.labels)[np.asarray(X)[:, 0].astype(int)]


@pytest.fixture(scope="module")
def sites_data():
    rng = np.random.default_rng(0)
    n = 3000
    features = rng.normal(size=(n, 3))
    y = (features[:, 0] + 0.7 * rng.normal(size=n) > 0).astype(int)
    site = rng.integers(0, len(SITES), n)
    X = np.column_stack([features, site])
    return X, y, SITES[site]


def test_paired_replicates_are_differences_of_independent_reports(sites_data):
    X, y, groups = sites_data
    baseline = LogisticRegression(C=0.01).fit(X, y)
    candidate = LogisticRegression().fit(X, y)
    metrics = ["accuracy", "roc_auc", "log_loss"]
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, metrics=metrics, n_boot=400,
        random_state=7,
    )  # fmt: skip
    reports = [
        score_partitions(
            model, X, y, groups, metrics=metrics, n_boot=400, random_state=7
        )
        for model in (baseline, candidate)
    ]
    for metric, sign in [("accuracy", 1), ("roc_auc", 1), ("log_loss", -1)]:
        base, cand = (r.replicates(metric).to_numpy() for r in reports)
        expected = sign * (cand - base)
        np.testing.assert_array_equal(
            comparison.replicates(metric).to_numpy(), expected
        )
        cells = comparison.by_partition[metric]
        np.testing.assert_array_equal(
            cells["baseline"], reports[0].by_partition[metric]
        )
        np.testing.assert_array_equal(
            cells["candidate"], reports[1].by_partition[metric]
        )
        np.testing.assert_allclose(
            cells["difference"],
            sign * (reports[1].by_partition[metric] - reports[0].by_partition[metric]),
        )
        # Intervals and p-values from the replicates, by hand.
        low, high = np.quantile(expected, [0.025, 0.975], axis=0)
        np.testing.assert_allclose(cells["low"], low)
        np.testing.assert_allclose(cells["high"], high)
        # The studentised tail (Student's t, n_boot - 1 degrees of freedom),
        # floored at 2 ** -n for a partition of n rows.
        studentised = stats.t.cdf(
            cells["difference"] / np.std(expected, axis=0, ddof=1), df=399
        )
        floor = 2.0 ** -comparison.by_partition["n_samples"].to_numpy(float)
        np.testing.assert_allclose(cells["p_value"], np.maximum(studentised, floor))
        np.testing.assert_allclose(
            comparison.overall.loc[metric, "difference"],
            sign * (reports[1].overall[metric] - reports[0].overall[metric]),
        )


def test_same_seed_int_and_random_state_instance_pair_both_models(sites_data):
    X, y, groups = sites_data
    model = LogisticRegression().fit(X, y)
    comparison = compare_partitions(
        model, model, X, y, groups, n_boot=400, random_state=np.random.RandomState(3)
    )
    assert (comparison.replicates("accuracy").to_numpy() == 0).all()


def test_candidate_equal_to_baseline_differs_by_exactly_zero(sites_data):
    X, y, groups = sites_data
    model = LogisticRegression().fit(X, y)
    comparison = compare_partitions(
        model, clone(model).fit(X, y), X, y, groups,
        metrics=["accuracy", "log_loss", "f1"], n_boot=400, random_state=0,
    )  # fmt: skip
    assert isinstance(comparison, PartitionComparison)
    for metric in comparison.metrics:
        cells = comparison.by_partition[metric]
        assert (cells[["difference", "low", "high"]].to_numpy() == 0).all()
        assert (cells["p_value"] == 1).all()
        assert (comparison.replicates(metric).to_numpy() == 0).all()
    assert comparison.passed
    assert comparison.regressions.empty
    assert list(comparison.regressions.columns) == [
        "partition", "metric", "baseline", "candidate", "difference", "low",
        "high", "p_value", "n_samples",
    ]  # fmt: skip


def test_candidate_worse_on_one_site_is_caught_there_only(sites_data):
    X, y, groups = sites_data
    baseline = OneSiteWorse(LogisticRegression()).fit(X, y)
    candidate = OneSiteWorse(LogisticRegression(), site=2).fit(X, y)  # "east"
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, metrics=["accuracy", "log_loss"],
        n_boot=400, random_state=0,
    )  # fmt: skip
    assert not comparison.passed
    regressed = comparison.by_partition.xs("regressed", axis=1, level="field")
    assert regressed.index[regressed.any(axis=1)].tolist() == ["east"]
    assert set(comparison.regressions["partition"]) == {"east"}
    assert set(comparison.regressions["metric"]) == {"accuracy", "log_loss"}
    assert (comparison.regressions["high"] < 0).all()
    # A tolerance larger than the drop lets it through.
    drop = -comparison.by_partition.loc["east", ("accuracy", "difference")]
    lenient = compare_partitions(
        baseline, candidate, X, y, groups, n_boot=400, tolerance=drop + 0.1,
        random_state=0,
    )  # fmt: skip
    assert lenient.passed


def test_partitions_below_min_size_are_not_tested(sites_data):
    X, y, groups = sites_data
    baseline = OneSiteWorse(LogisticRegression()).fit(X, y)
    candidate = OneSiteWorse(LogisticRegression(), site=2).fit(X, y)
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, n_boot=400, random_state=0,
        min_partition_size=10_000,
    )  # fmt: skip
    assert comparison.passed
    assert not comparison.by_partition["reliable"].any()
    assert comparison.by_partition[("accuracy", "p_value")].notna().all()


def _simulated_trial(rng, accuracy, drop, n_rows, n_boot, seed):
    """Baseline and candidate correct with known probabilities, independently."""
    n_partitions = len(accuracy)
    groups = np.repeat(np.arange(n_partitions), n_rows)
    y = rng.integers(0, 2, groups.size)
    correct_base = rng.random(groups.size) < accuracy[groups]
    correct_cand = rng.random(groups.size) < (accuracy - drop)[groups]
    baseline = StoredPredictions(np.where(correct_base, y, 1 - y)).fit()
    candidate = StoredPredictions(np.where(correct_cand, y, 1 - y)).fit()
    X = np.arange(groups.size)[:, None]
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, sample_weight=None, n_boot=n_boot,
        random_state=seed,
    )  # fmt: skip
    return comparison.by_partition[("accuracy", "regressed")].to_numpy()


def test_false_discoveries_are_controlled_when_models_are_equally_good():
    # 200 trials of 10 partitions x 100 rows, 200 paired replicates each; the
    # null is on its boundary (equal true accuracy), the hardest case.
    # Measured (these seeds): a flag in 4.0% of the all-null trials, a mean
    # false discovery proportion of 2.7% and a power of 0.86 when 2 of 10
    # partitions truly lose 0.25; 3 Monte-Carlo standard errors allowed.
    rng = np.random.default_rng(2024)
    n_trials, accuracy = 200, np.linspace(0.6, 0.9, 10)
    monte_carlo = 3 * np.sqrt(ALPHA * (1 - ALPHA) / n_trials)
    any_flag = [
        _simulated_trial(rng, accuracy, np.zeros(10), 100, 400, seed).any()
        for seed in range(n_trials)
    ]
    assert np.mean(any_flag) <= ALPHA + monte_carlo
    drop = np.where(np.arange(10) < 2, 0.25, 0.0)  # partitions 0, 1 truly worse
    proportions, found = [], []
    for seed in range(n_trials):
        flagged = _simulated_trial(rng, accuracy, drop, 100, 400, seed)
        proportions.append(flagged[2:].sum() / max(flagged.sum(), 1))
        found.append(flagged[:2].mean())
    assert np.mean(proportions) <= ALPHA + monte_carlo
    assert np.mean(found) > 0.5  # and the test has power


@pytest.mark.parametrize("as_frame", [False, True])
def test_any_fitted_sklearn_estimator_works(sites_data, as_frame):
    X, y, groups = sites_data
    if as_frame:
        X = pd.DataFrame(X, columns=["a", "b", "c", "site"])
        groups = pd.Series(groups, name="site")
    pipeline = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    dummy = DummyClassifier(strategy="stratified", random_state=0).fit(X, y)
    comparison = compare_partitions(
        dummy, pipeline, X, y, groups, metrics=["accuracy", "roc_auc"],
        n_boot=400, random_state=1,
    )  # fmt: skip
    expected = score_partitions(pipeline, X, y, groups, metrics=["accuracy"])
    np.testing.assert_array_equal(
        comparison.by_partition[("accuracy", "candidate")],
        expected.by_partition["accuracy"],
    )
    assert comparison.passed
    assert (comparison.by_partition[("accuracy", "difference")] > 0).all()


def test_regressors_compare_on_losses_with_positive_is_better(sites_data):
    X, _, groups = sites_data
    target = X[:, 0] * 2 + X[:, 1]
    good = LinearRegression().fit(X[:, :3], target)
    poor = Ridge(alpha=1e4).fit(X[:, :3], target)  # shrunk: worse everywhere
    comparison = compare_partitions(
        good, poor, X[:, :3], target, groups, metrics="mean_squared_error",
        n_boot=400, random_state=0,
    )  # fmt: skip
    cells = comparison.by_partition["mean_squared_error"]
    assert (cells["difference"] < 0).all()
    assert cells["regressed"].all()
    assert len(comparison.regressions) == len(SITES)
    assert comparison.overall.loc["mean_squared_error", "regressed"]


def test_plot_shows_differences_worst_first_with_regressions(sites_data, tmp_path):
    X, y, groups = sites_data
    baseline = OneSiteWorse(LogisticRegression()).fit(X, y)
    candidate = OneSiteWorse(LogisticRegression(), site=2).fit(X, y)
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, n_boot=400, random_state=0,
        tolerance=0.01,
    )  # fmt: skip
    ax = comparison.plot("accuracy")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("east (n=")
    assert [c.get_gid() for c in ax.collections].count("regressed") == 1
    assert any(line.get_xdata()[0] == 0 for line in ax.lines)
    ax.figure.savefig(tmp_path / "comparison.png")
    with pytest.raises(ValueError, match="choose one of"):
        comparison.plot("roc_auc")


def test_html_and_repr_escape_labels_and_say_the_verdict(sites_data):
    X, y, groups = sites_data
    baseline = OneSiteWorse(LogisticRegression()).fit(X, y)
    candidate = OneSiteWorse(LogisticRegression(), site=4).fit(X, y)
    comparison = compare_partitions(
        baseline, candidate, X, y, groups, n_boot=400, random_state=0
    )
    text = comparison._repr_html_()
    assert "FAILED" in text.split("</p>")[0]
    assert html.escape("<centre & co>") in text and "<centre" not in text
    assert "background-color" in text
    assert repr(comparison).startswith("PartitionComparison FAILED: 1 regression")


def test_errors_name_the_argument_and_what_to_do(sites_data):
    X, y, groups = sites_data
    clf = LogisticRegression().fit(X, y)
    three = LogisticRegression().fit(X, np.minimum(y + (X[:, 1] > 1), 2))
    reg = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match=r"classes_ is \[0, 1\].*\[0, 1, 2\]"):
        compare_partitions(clf, three, X, y, groups)
    with pytest.raises(ValueError, match="classifier .*LogisticRegression.* regressor"):
        compare_partitions(clf, reg, X, y, groups)
    for n_boot in (None, 0):
        with pytest.raises(ValueError, match="needs bootstrap replicates"):
            compare_partitions(clf, clf, X, y, groups, n_boot=n_boot)
    with pytest.raises(ValueError, match="tolerance=-0.1"):
        compare_partitions(clf, clf, X, y, groups, tolerance=-0.1)
    with pytest.raises(ValueError, match="confidence_level"):
        compare_partitions(clf, clf, X, y, groups, confidence_level=95)
    with pytest.raises(ValueError, match="y is None"):
        compare_partitions(clf, clf, X, None, groups)


# ------------------------------------------------------- the gate at scale


def _labels(y, correct):
    """Predictions that are right exactly where ``correct`` is True."""
    return np.where(correct, y, 1 - y)


def _many_partitions(rng, n_partitions, n_rows, accuracy=0.85):
    groups = np.repeat(np.arange(n_partitions), n_rows)
    y = rng.integers(0, 2, groups.size)
    base = rng.random(groups.size) < accuracy
    cand = rng.random(groups.size) < accuracy
    return groups, y, base, cand


def _compare(y, groups, base_correct, cand_correct, **options):
    X = np.arange(y.size)[:, None]
    defaults = {"metrics": "accuracy", "sample_weight": None, "random_state": 0}
    return compare_partitions(
        StoredPredictions(_labels(y, base_correct)).fit(),
        StoredPredictions(_labels(y, cand_correct)).fit(),
        X, y, groups, **(defaults | options),
    )  # fmt: skip


@pytest.mark.parametrize("baseline_accuracy", [1.0, 0.85])
def test_one_catastrophic_regression_among_200_partitions_is_flagged(
    baseline_accuracy,
):
    # 199 partitions of 50 rows with equally good models, and one of 100
    # rows on which the candidate is wrong on every row. A p-value floored
    # at 1 / (n_boot + 1) = 1 / 1001 could not pass BH's line 0.05 / 200.
    rng = np.random.default_rng(5)
    groups, y, base, cand = _many_partitions(rng, 200, 50)
    target = rng.integers(0, 2, 100)
    groups = np.concatenate([groups, np.full(100, 200)])
    y = np.concatenate([y, target])
    base = np.concatenate([base, rng.random(100) < baseline_accuracy])
    cand = np.concatenate([cand, np.zeros(100, dtype=bool)])
    comparison = _compare(y, groups, base, cand)
    cells = comparison.by_partition["accuracy"]
    assert comparison.n_boot == 1000
    assert comparison.regressions["partition"].tolist() == [200]
    p = cells.loc[200, "p_value"]
    assert p <= ALPHA / len(cells)
    # McNemar's exact test on the discordant rows: every one is the
    # baseline's. With no spread (baseline right on every row) the p-value
    # is that test's; otherwise both are far below the BH line.
    discordant = int((base & ~cand)[groups == 200].sum())
    exact = stats.binomtest(discordant, discordant, 0.5, alternative="greater")
    if baseline_accuracy == 1.0:
        assert p == pytest.approx(exact.pvalue, rel=1e-9)
    else:
        assert exact.pvalue < 1e-20 and p < 1e-20


def test_a_moderate_regression_has_the_p_value_of_the_exact_mcnemar_test():
    # 100 partitions of 50 rows, equally good models, and one of 400 rows
    # where 40 rows are right only for the baseline and 10 only for the
    # candidate (accuracy 0.075 lower).
    rng = np.random.default_rng(11)
    groups, y, base, cand = _many_partitions(rng, 100, 50)
    target_base = np.zeros(400, dtype=bool)
    target_cand = np.zeros(400, dtype=bool)
    target_base[:40] = True  # baseline right, candidate wrong
    target_cand[40:50] = True  # candidate right, baseline wrong
    target_base[50:300] = target_cand[50:300] = True  # both right
    groups = np.concatenate([groups, np.full(400, 100)])
    y = np.concatenate([y, rng.integers(0, 2, 400)])
    base = np.concatenate([base, target_base])
    cand = np.concatenate([cand, target_cand])
    comparison = _compare(y, groups, base, cand)
    p = comparison.by_partition.loc[100, ("accuracy", "p_value")]
    exact = stats.binomtest(40, 50, 0.5, alternative="greater").pvalue
    assert exact / 10 < p < exact * 10  # measured: 9.1e-6 against 1.2e-5
    assert comparison.regressions["partition"].tolist() == [100]


def test_false_flags_stay_under_the_level_and_a_lone_regression_is_found():
    # 40 trials of 100 partitions of 40 rows at n_boot=400 (a p-value
    # floored at 1 / 401 could never pass BH's line 0.05 / 100 alone).
    # The null: a perturbed copy (10% of rows re-drawn), sparse paired
    # differences, the hard case for a studentised tail. Measured: a false
    # flag in 0 of 40 trials; allowed: the level 0.05 plus 3 Monte Carlo
    # standard errors at the level (0.034 each over 40 trials), i.e. at most
    # 6 of 40. The alternative: one partition of 40 rows where the candidate
    # is right on 20% of rows (0.65 lower): found in 40 of 40 trials.
    rng = np.random.default_rng(2026)
    n_trials, n_partitions, n_rows = 40, 100, 40
    allowed = ALPHA + 3 * np.sqrt(ALPHA * (1 - ALPHA) / n_trials)
    false_flags, found = [], []
    for seed in range(n_trials):
        groups, y, base, _ = _many_partitions(rng, n_partitions, n_rows)
        redrawn = rng.random(y.size) < 0.1
        cand = np.where(redrawn, rng.random(y.size) < 0.85, base)
        null = _compare(y, groups, base, cand, n_boot=400, random_state=seed)
        false_flags.append(not null.passed)
        cand[groups == 0] = rng.random(n_rows) < 0.2
        regressed = _compare(y, groups, base, cand, n_boot=400, random_state=seed)
        found.append(regressed.by_partition.loc[0, ("accuracy", "regressed")])
    assert np.mean(false_flags) <= allowed
    assert np.mean(found) >= 0.9


def test_a_warning_names_partitions_too_small_to_be_flagged_alone():
    # 300 tests at FDR 0.05 need p <= 1.7e-4, out of reach of 2 ** -n for
    # n < 13 rows: the five partitions of 8 rows are named.
    rng = np.random.default_rng(1)
    groups, y, base, cand = _many_partitions(rng, 300, 20)
    small = np.isin(groups, np.arange(5))
    groups, y, base, cand = (
        np.concatenate([a[~small], a[small][::2] + (300 if a is groups else 0)])
        for a in (groups, y, base, cand)
    )
    with pytest.warns(UserWarning, match=r"5 of the 300 .*\[300, 301, 302, 303, 304\]"
                      r".*fewer than 13 rows.*min_partition_size=13"):  # fmt: skip
        _compare(y, groups, base, cand, n_boot=400)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # The report's own note on small effective sizes is not the gate's.
        warnings.filterwarnings("ignore", message=".*effective size below")
        _compare(y, groups, base, cand, n_boot=400, min_partition_size=13)
    # Too few replicates for any interval (or test) at the level: refused
    # before anything is predicted, naming both settings.
    with pytest.raises(ValueError, match=r"n_boot=1.*confidence_level"):
        _compare(y, groups, base, cand, n_boot=1)


def test_tolerance_per_metric_from_a_dict(sites_data):
    X, _, groups = sites_data
    target = X[:, 0] * 2 + X[:, 1]
    good = LinearRegression().fit(X[:, :3], target)
    poor = Ridge(alpha=1e4).fit(X[:, :3], target)  # worse everywhere
    metrics = ["mean_absolute_error", "r2"]
    comparison = compare_partitions(
        good, poor, X[:, :3], target, groups, metrics=metrics, n_boot=400,
        tolerance={"mean_absolute_error": 10.0}, random_state=0,
    )  # fmt: skip
    assert comparison.tolerance == {"mean_absolute_error": 10.0, "r2": 0.0}
    assert not comparison.by_partition[("mean_absolute_error", "regressed")].any()
    assert comparison.by_partition[("r2", "regressed")].all()
    assert "tolerance mean_absolute_error 10, r2 0" in repr(comparison)
    with pytest.raises(ValueError, match=r"\['mae'\].*not metrics.*'r2'"):
        compare_partitions(good, poor, X[:, :3], target, groups, metrics=metrics,
                           tolerance={"mae": 1.0})  # fmt: skip
    with pytest.raises(ValueError, match=r"tolerance\['r2'\]=-0.1"):
        compare_partitions(good, poor, X[:, :3], target, groups, metrics=metrics,
                           tolerance={"r2": -0.1})  # fmt: skip
