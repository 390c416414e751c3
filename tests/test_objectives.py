"""Training for the worst partition: partition_objective in the estimators."""

from __future__ import annotations

import pickle
import re

import keras
import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight

from skpart import (
    PartitionAwareClassifier,
    PartitionAwareRegressor,
    PartitionMonitor,
    make_partition_scorer,
    score_partitions,
)

from ._models import tiny_classifier

pytestmark = pytest.mark.slow

KEY = "partition_loss_worst"


def linear_classifier(meta, compile_kwargs=None):
    """Logistic regression: the smallest model that can lean on a feature."""
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.05))
    return model


def linear_regressor(meta, compile_kwargs=None, learning_rate=0.05):
    """Linear regression trained by plain SGD."""
    model = keras.Sequential(
        [keras.Input((meta["n_features_in_"],)), keras.layers.Dense(1)]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate))
    return model


def simulate(sites, *, seed):
    """Rows of known truth: ``sites`` maps a label to (rows, direction).

    A core feature predicts y weakly in every site (alone: about 79% accuracy);
    a spurious feature predicts it strongly, in the site's direction (+1: as
    in the large sites, -1: reversed).
    """
    rng = np.random.default_rng(seed)
    labels = np.repeat(list(sites), [rows for rows, _ in sites.values()])
    direction = np.repeat(
        [d for _, d in sites.values()], [r for r, _ in sites.values()]
    )
    y = rng.integers(0, 2, size=len(labels))
    sign = 2 * y - 1
    core = 0.8 * sign + rng.normal(size=len(labels))
    spurious = sign * direction + rng.normal(scale=0.5, size=len(labels))
    return np.column_stack([core, spurious]).astype("float32"), y, labels


SITES = {"a": (180, 1), "b": (180, 1), "c": (40, -1)}


def _classifier(objective, **params):
    params = {
        "model": linear_classifier,
        "epochs": 5,
        "batch_size": 32,
        "verbose": 0,
        "random_state": 0,
        "partition_objective": objective,
        **params,
    }
    return PartitionAwareClassifier(**params)


@pytest.fixture(scope="module")
def simulation():
    """One fit per objective on the simulation, and fresh rows to score them."""
    X, y, site = simulate(SITES, seed=0)
    fitted = {
        objective: _classifier(objective).fit(X, y, groups=site)
        for objective in (None, "reweight", "group_dro")
    }
    return (
        fitted,
        (X, y, site),
        simulate({k: (1000, d) for k, (_, d) in SITES.items()}, seed=1),
    )


# --- the worst partition is lifted ---------------------------------------------


def test_group_dro_and_reweight_lift_the_worst_partition_of_a_simulation(simulation):
    fitted, _, (X, y, site) = simulation
    scores = {
        objective: score_partitions(
            est, X, y, site, metrics="balanced_accuracy"
        ).by_partition["balanced_accuracy"]
        for objective, est in fitted.items()
    }
    # Loss-only training follows the spurious feature: the reversed site
    # is worse than chance (0.43 when written; 0.37 on the JAX backend).
    assert scores[None]["c"] < 0.5
    assert scores[None].idxmin() == "c"
    # Each objective lifts it by more than 0.2 (to 0.72 with reweight and
    # 0.75 with group_dro when written) and raises the worst partition's
    # balanced accuracy above 0.65.
    for objective in ("reweight", "group_dro"):
        assert scores[objective]["c"] > scores[None]["c"] + 0.2
        assert scores[objective].min() > 0.65


def test_partition_weights_are_a_series_over_the_partitions_summing_to_one(
    simulation,
):
    fitted, _, _ = simulation
    reweight = fitted["reweight"].partition_weights_
    dro = fitted["group_dro"].partition_weights_
    for weights in (reweight, dro):
        assert isinstance(weights, pd.Series)
        assert weights.index.tolist() == ["a", "b", "c"]
        assert weights.sum() == pytest.approx(1.0, abs=1e-12)
    # Reweighting: every partition the same share of the total weight.
    np.testing.assert_allclose(reweight.to_numpy(), 1 / 3, rtol=1e-6)
    # Group DRO moves weight to the partition the model does worst on.
    assert dro.idxmax() == "c"
    assert not hasattr(fitted[None], "partition_weights_")


def test_history_holds_the_worst_partitions_training_loss(simulation):
    fitted, _, _ = simulation
    for objective in ("reweight", "group_dro"):
        history = fitted[objective].history_
        assert sorted(history) == ["loss", KEY]
        assert len(history[KEY]) == 5
        assert all(np.isfinite(history[KEY]))
    assert sorted(fitted[None].history_) == ["loss"]


def test_fitted_estimator_pickles_and_hands_back_the_users_model(simulation, tmp_path):
    fitted, (X, _, _), _ = simulation
    est = fitted["group_dro"]
    assert type(est.model_) is keras.Sequential
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict_proba(X), est.predict_proba(X))
    pd.testing.assert_series_equal(restored.partition_weights_, est.partition_weights_)
    est.model_.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(
        loaded.predict(X, verbose=0), est.model_.predict(X, verbose=0)
    )


def test_seeded_group_dro_fits_are_bitwise_equal(simulation):
    fitted, (X, y, site), _ = simulation
    first = fitted["group_dro"]
    again = clone(first).fit(X, y, groups=site)
    for a, b in zip(
        first.model_.get_weights(), again.model_.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_series_equal(first.partition_weights_, again.partition_weights_)
    assert first.history_[KEY] == again.history_[KEY]


# --- the objectives equal their definitions -------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_reweight_equals_a_keras_fit_with_inverse_partition_size_weights(weighted):
    X, y, site = simulate(SITES, seed=2)
    params = dict(
        model=tiny_classifier, epochs=3, batch_size=32, shuffle=False, verbose=0
    )
    fit_params = {}
    base = np.ones(len(y))
    if weighted:
        params["class_weight"] = "balanced"
        fit_params["sample_weight"] = np.random.default_rng(3).uniform(0.5, 2, len(y))
        base = fit_params["sample_weight"] * compute_sample_weight("balanced", y)
    est = PartitionAwareClassifier(
        **params, random_state=0, partition_objective="reweight"
    )
    # The initial weights of the same seeded build, for the plain Keras model.
    initial = clone(est).initialize(X, y).model_.get_weights()
    est.fit(X, y, groups=site, **fit_params)

    _, codes, sizes = np.unique(site, return_inverse=True, return_counts=True)
    weights = base / sizes[codes]
    weights = weights / weights.mean()
    plain = tiny_classifier({"n_features_in_": 2, "n_classes_": 2})
    plain.set_weights(initial)
    plain.fit(
        X, y, sample_weight=weights, epochs=3, batch_size=32, shuffle=False, verbose=0
    )
    for got, expected in zip(
        est.model_.get_weights(), plain.get_weights(), strict=True
    ):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


class _BatchLosses(keras.callbacks.Callback):
    """Records each batch's weighted squared errors before its step."""

    def __init__(self, X, y, weights, batch_size):
        super().__init__()
        self.data, self.batch_size, self.losses = (X, y, weights), batch_size, []

    def on_train_batch_begin(self, batch, logs=None):
        rows = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
        X, y, weights = (part[rows] for part in self.data)
        pred = keras.ops.convert_to_numpy(self.model(X, training=False)).ravel()
        self.losses.append(weights * (y - pred.astype(np.float64)) ** 2)


def _algorithm_1(batch_losses, batch_codes, sizes, *, step_size, adjustment):
    """Sagawa et al. (2020), Algorithm 1, in NumPy: q and each step's loss."""
    q = np.full(len(sizes), 1 / len(sizes))
    step_losses = []
    for losses, codes in zip(batch_losses, batch_codes, strict=True):
        counts = np.bincount(codes, minlength=len(sizes))
        sums = np.bincount(codes, weights=losses, minlength=len(sizes))
        present = counts > 0
        group_loss = np.where(present, sums / np.maximum(counts, 1), 0.0)
        adjusted = group_loss + adjustment / np.sqrt(sizes)
        # A partition absent from the batch keeps its q before normalising.
        q = q * np.where(present, np.exp(step_size * adjusted), 1.0)
        q = q / q.sum()
        step_losses.append(q @ group_loss)
    return q, np.array(step_losses)


def test_group_dro_updates_equal_algorithm_1_on_the_same_batch_losses():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 2)).astype("float32")
    site = np.repeat(["a", "b", "c"], [50, 30, 20])  # "c" only in the last batch
    y = X @ [1.0, -2.0] + np.where(site == "b", 2.0, 0.0) + rng.normal(size=100)
    weights = rng.uniform(0.5, 2.0, size=100)
    recorder = _BatchLosses(X, y, weights, batch_size=25)
    est = PartitionAwareRegressor(
        linear_regressor,
        epochs=1,
        batch_size=25,
        shuffle=False,
        verbose=0,
        random_state=0,
        callbacks=[recorder],
        partition_objective="group_dro",
        dro_step_size=0.5,
        dro_adjustment=1.0,
    ).fit(X, y, sample_weight=weights, groups=site)

    codes = np.unique(site, return_inverse=True)[1]
    batch_codes = [codes[start : start + 25] for start in range(0, 100, 25)]
    q, step_losses = _algorithm_1(
        recorder.losses,
        batch_codes,
        np.bincount(codes),
        step_size=0.5,
        adjustment=1.0,
    )
    np.testing.assert_allclose(est.partition_weights_.to_numpy(), q, rtol=1e-5)
    # The epoch's loss is the mean of the steps' sum_g q_g L_g (equal batches).
    assert est.history_["loss"][0] == pytest.approx(step_losses.mean(), rel=1e-5)


def test_worst_partition_loss_is_each_partitions_mean_loss_without_the_reweighting():
    # With a learning rate of 0 the model does not move during the epoch, so
    # the logged value is the worst partition's weighted mean loss.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(90, 2)).astype("float32")
    site = np.repeat(["a", "b"], [60, 30])
    y = X[:, 0] + np.where(site == "b", 3.0, 0.0)
    weights = rng.uniform(0.5, 2.0, size=90)
    est = PartitionAwareRegressor(
        linear_regressor,
        model__learning_rate=0.0,
        epochs=1,
        batch_size=16,
        verbose=0,
        random_state=0,
        partition_objective="reweight",
    ).fit(X, y, sample_weight=weights, groups=site)
    pred = est.model_.predict(X, verbose=0).ravel().astype(np.float64)
    losses = pd.Series(weights * (y - pred) ** 2).groupby(site).mean()
    assert est.history_[KEY][0] == pytest.approx(losses.max(), rel=1e-5)


# --- both estimators, callbacks, warm start ----------------------------------------


def _noisy_regression(seed=6):
    rng = np.random.default_rng(seed)
    site = np.repeat(["calm", "noisy", "usual"], [60, 60, 80])
    X = rng.normal(size=(200, 2)).astype("float32")
    noise = np.select([site == "noisy", site == "calm"], [3.0, 0.1], 0.5)
    y = X @ [1.0, 0.5] + noise * rng.normal(size=200)
    return X, y, site


def test_regressor_with_group_dro_weights_the_noisy_partition_most():
    X, y, site = _noisy_regression()
    monitor = PartitionMonitor(validation_fraction=0.25, metrics="r2")
    est = PartitionAwareRegressor(
        linear_regressor,
        epochs=3,
        batch_size=20,
        verbose=0,
        random_state=0,
        validation_split=0.2,
        callbacks=[monitor],
        partition_objective="group_dro",
        dro_step_size=0.1,
    ).fit(X, y, groups=site)
    assert est.partition_weights_.idxmax() == "noisy"
    assert est.partition_weights_.index.tolist() == ["calm", "noisy", "usual"]
    assert {"loss", "val_loss", KEY, "val_partition_r2_worst"} <= set(est.history_)
    assert type(est.model_) is keras.Sequential


def test_callbacks_monitor_the_worst_partition_loss_and_save_the_users_model(
    tmp_path,
):
    X, y, site = _noisy_regression()
    # No epoch improves by 100, so training stops after the second epoch;
    # without the key in the logs EarlyStopping would never stop.
    stop = keras.callbacks.EarlyStopping(KEY, mode="min", min_delta=100, patience=0)
    path = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(path, monitor=KEY, mode="min")
    est = PartitionAwareRegressor(
        linear_regressor,
        epochs=5,
        verbose=0,
        random_state=0,
        callbacks=[stop, checkpoint],
        partition_objective="group_dro",
    ).fit(X, y, groups=site)
    assert len(est.history_[KEY]) == 2
    assert stop.model is est.model_  # handed back the user's model
    saved = keras.saving.load_model(path)
    assert type(saved) is keras.Sequential
    for a, b in zip(saved.get_weights(), est.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_warm_start_continues_from_the_last_fits_partition_weights():
    X, y, site = _noisy_regression()
    params = dict(
        model=linear_regressor,
        batch_size=20,
        shuffle=False,
        verbose=0,
        random_state=0,
        partition_objective="group_dro",
        dro_step_size=0.2,
    )
    once = PartitionAwareRegressor(epochs=4, **params).fit(X, y, groups=site)
    warm = PartitionAwareRegressor(epochs=2, warm_start=True, **params)
    warm.fit(X, y, groups=site)
    after_two = warm.partition_weights_
    warm.fit(X, y, groups=site)
    np.testing.assert_allclose(
        warm.partition_weights_.to_numpy(),
        once.partition_weights_.to_numpy(),
        rtol=1e-5,
    )
    for a, b in zip(warm.model_.get_weights(), once.model_.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # A cold refit starts from equal weights again.
    cold = clone(warm).set_params(warm_start=False).fit(X, y, groups=site)
    pd.testing.assert_series_equal(cold.partition_weights_, after_two)


# --- searches -----------------------------------------------------------------------


def test_grid_search_routes_groups_and_picks_the_objective_by_the_worst_partition():
    # Six sites, two reversed; GroupKFold(2) puts two aligned sites and one
    # reversed site in each fold, so each training fold has the same mix.
    # The worst test partition is a reversed site: its balanced accuracy
    # averages 0.42 over the folds without an objective, 0.68 with group_dro
    # when written (0.37 and 0.68 on the JAX backend).
    sites = {**{s: (90, 1) for s in "abcd"}, "e": (30, -1), "f": (30, -1)}
    X, y, site = simulate(sites, seed=7)
    with sklearn.config_context(enable_metadata_routing=True):
        clf = _classifier(None, epochs=8, dro_step_size=0.3)
        clf.set_fit_request(groups=True)
        search = GridSearchCV(
            make_pipeline(StandardScaler(), clf),
            {"partitionawareclassifier__partition_objective": [None, "group_dro"]},
            cv=GroupKFold(2),
            scoring=make_partition_scorer("balanced_accuracy", aggregate="worst"),
            error_score="raise",
        )
        search.fit(X, y, groups=site)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_ == {
        "partitionawareclassifier__partition_objective": "group_dro"
    }
    assert scores[1] > scores[0] + 0.15
    assert search.best_estimator_[-1].partition_weights_.index.tolist() == list(sites)


# --- errors -------------------------------------------------------------------------


def _small():
    X, y, site = simulate({"a": (20, 1), "b": (10, -1)}, seed=8)
    return X, y, site


def test_an_objective_without_groups_is_refused_naming_both():
    X, y, _ = _small()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "partition_objective='group_dro' trains on the partitions of the rows, "
            "but fit got no groups: pass fit(X, y, groups=g)"
        ),
    ):
        _classifier("group_dro").fit(X, y)


def test_an_unknown_objective_is_refused_listing_the_options():
    X, y, site = _small()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "partition_objective='dro' is not an objective; use one of None (the "
            "loss over rows), 'reweight' (every partition the same total weight) "
            "or 'group_dro' (online Group DRO)."
        ),
    ):
        _classifier("dro").fit(X, y, groups=site)


@pytest.mark.parametrize(
    ("name", "value"), [("dro_step_size", -0.1), ("dro_adjustment", np.inf)]
)
def test_bad_dro_parameters_are_refused(name, value):
    X, y, site = _small()
    with pytest.raises(
        ValueError, match=re.escape(f"{name} must be a finite number >= 0; got")
    ):
        _classifier("group_dro", **{name: value}).fit(X, y, groups=site)


@pytest.mark.parametrize("bad", ["short", "missing"])
def test_bad_groups_get_the_errors_score_partitions_gives(simulation, bad):
    fitted, _, _ = simulation
    X, y, site = _small()
    site = site.astype(object)
    if bad == "short":
        site = site[:-3]
    else:
        site[4] = None
    with pytest.raises(ValueError) as expected:
        score_partitions(fitted[None], X, y, site)
    with pytest.raises(ValueError, match=re.escape(str(expected.value))):
        _classifier("reweight").fit(X, y, groups=site)


def test_partial_fit_with_an_objective_points_to_fit():
    X, y, _ = _small()
    with pytest.raises(ValueError, match=r"partial_fit does not take groups"):
        _classifier("group_dro").partial_fit(X, y)


def test_groups_without_an_objective_or_monitor_are_accepted():
    # A search over partition_objective routes groups to every candidate.
    X, y, site = _small()
    est = _classifier(None, epochs=1).fit(X, y, groups=site)
    assert sorted(est.history_) == ["loss"]
