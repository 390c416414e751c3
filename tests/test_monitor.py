"""PartitionMonitor: per-partition metrics in the epoch logs, early stopping on them."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionMetricWarning, PartitionMonitor
from skpart.keras._callbacks import monitors_first, partition_history

from ._models import tiny_classifier, tiny_regressor

AGGREGATES = ("worst", "mean", "best", "gap", "ratio")


def _binary_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(int), np.repeat(["a", "b"], n // 2)


# --- construction: cheap validation, no Keras training --------------------


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(groups=["a", "b", "a"]), "groups has 3 rows but y has 4"),
        (dict(metrics="acuracy"), "Unknown metric 'acuracy'"),
        (dict(metrics=["accuracy", "r2"]), "mixes classification metrics"),
        (dict(every=0), "every must be an integer >= 1"),
        (dict(every=1.5), "every must be an integer >= 1"),
        (dict(sample_weight="weighted"), "sample_weight='weighted' is not"),
        (dict(sample_weight=[1.0, 2.0]), "sample_weight has 2 rows but y has 4"),
        (dict(X=np.zeros((3, 2))), "X has 3 rows but y has 4"),
        (dict(prefix=3), "prefix must be a string"),
    ],
)
def test_bad_arguments_raise_at_construction(kwargs, match):
    args = dict(X=np.zeros((4, 2)), y=[0, 1, 0, 1], groups=["a", "a", "b", "b"])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        PartitionMonitor(args.pop("X"), args.pop("y"), args.pop("groups"), **args)


def test_monitors_first_moves_monitors_to_the_front_and_keeps_the_order():
    import keras

    stop, log = keras.callbacks.EarlyStopping(), keras.callbacks.CSVLogger("x.csv")
    X, y, groups = np.zeros((2, 1)), [0, 1], ["a", "b"]
    first = PartitionMonitor(X, y, groups, prefix="p1_")
    second = PartitionMonitor(X, y, groups, prefix="p2_")
    ordered = monitors_first([stop, [first, log], second])
    assert ordered == [first, second, stop, log]
    assert monitors_first(None) == []


def test_two_monitors_with_one_prefix_are_refused():
    X, y, groups = np.zeros((2, 1)), [0, 1], ["a", "b"]
    monitors = [PartitionMonitor(X, y, groups) for _ in range(2)]
    with pytest.raises(ValueError, match="own prefix="):
        monitors_first(monitors)


def test_partition_history_is_none_without_an_evaluated_monitor():
    monitor = PartitionMonitor(np.zeros((2, 1)), [0, 1], ["a", "b"])
    assert partition_history([monitor]) is None
    assert not hasattr(monitor, "history_")


# --- training through the estimators --------------------------------------


def _classifier(**kwargs):
    from skpart import PartitionAwareClassifier

    params = dict(epochs=3, batch_size=32, verbose=0, random_state=0)
    params.update(kwargs)
    return PartitionAwareClassifier(tiny_classifier, **params)


class _WeightsRecorder:
    """Keeps the model weights at the end of every epoch."""

    @staticmethod
    def make():
        import keras

        class Recorder(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.weights = []

            def on_epoch_end(self, epoch, logs=None):
                self.weights.append(self.model.get_weights())

        return Recorder()


def _stopped_epochs(values, patience):
    """Number of epochs Keras's EarlyStopping(mode="max") lets run."""
    best, wait = -np.inf, 0
    for epoch, value in enumerate(values):
        wait += 1
        if value > best:
            best, wait = value, 0
        elif wait >= patience and epoch > 0:
            return epoch + 1
    return len(values)


def _conflicting_partitions(seed=0):
    """Partition "b" has the opposite rule of "a" and is rare in training.

    The better the model learns "a", the worse it does on "b", so the worst
    partition gets worse from the first epochs on and training must stop early.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(1000, 2))
    in_b = np.arange(1000) >= 950
    y = np.where(in_b, X[:, 0] < 0, X[:, 0] > 0).astype(int)
    X_mon = rng.normal(size=(400, 2))
    g_mon = np.repeat(["a", "b"], 200)
    y_mon = np.where(g_mon == "b", X_mon[:, 0] < 0, X_mon[:, 0] > 0).astype(int)
    return X, y, X_mon, y_mon, g_mon


@pytest.mark.slow
@pytest.mark.parametrize("monitor_first", [True, False])
def test_early_stopping_on_the_worst_partition_stops_training(monitor_first):
    import keras

    X, y, X_mon, y_mon, g_mon = _conflicting_partitions()
    monitor = PartitionMonitor(X_mon, y_mon, g_mon)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_partition_accuracy_worst", mode="max", patience=1
    )
    # Listed after EarlyStopping, the monitor is moved first by the estimator.
    callbacks = [monitor, stop] if monitor_first else [stop, monitor]
    clf = _classifier(epochs=30, callbacks=callbacks).fit(X, y)

    # The training step still updates the loss only; the monitor adds its keys.
    keys = {f"val_partition_accuracy_{aggregate}" for aggregate in AGGREGATES}
    assert set(clf.history_) == {"loss", *keys}
    worst = clf.history_["val_partition_accuracy_worst"]
    n_epochs = len(clf.history_["loss"])
    assert len(worst) == n_epochs
    assert n_epochs == _stopped_epochs(worst, patience=1) < 30
    # The logged worst is the minimum over partitions of the tidy history.
    history = clf.partition_history_
    per_epoch = history[history["metric"] == "accuracy"].groupby("epoch")["value"]
    np.testing.assert_allclose(per_epoch.min().to_numpy(), worst, rtol=1e-12)
    assert history.groupby("epoch")["value"].idxmin().size == n_epochs
    worst_partition = history.loc[per_epoch.idxmin(), "partition"]
    assert worst_partition.iloc[-1] == "b"


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_logged_values_equal_score_partitions_with_that_epochs_weights():
    from skpart import PartitionAwareClassifier

    class BoundClassifier(PartitionAwareClassifier):
        # What the estimators do once they pass themselves to monitors_first:
        # the monitor then encodes string labels with classes_.
        def _initialize_callbacks(self):
            super()._initialize_callbacks()
            self._fit_callbacks = monitors_first(self._fit_callbacks, estimator=self)

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    labels = np.array(["cat", "dog", "emu"])
    y = labels[np.argmax(X + rng.normal(scale=0.5, size=X.shape), axis=1)]
    groups = pd.Series(np.tile(["x", "y", "z"], 100), name="site")
    metrics = ["accuracy", "f1_macro", "log_loss", "roc_auc_ovr"]
    monitor = PartitionMonitor(X[:150], y[:150], groups[:150], metrics=metrics)
    recorder = _WeightsRecorder.make()
    clf = BoundClassifier(
        tiny_classifier,
        epochs=3,
        verbose=0,
        random_state=0,
        callbacks=[recorder, monitor],
    ).fit(X, y)

    history = clf.partition_history_
    for epoch, weights in enumerate(recorder.weights):
        clf.model_.set_weights(weights)
        report = clf.score_partitions(X[:150], y[:150], groups[:150], metrics=metrics)
        rows = history[history["epoch"] == epoch]
        for metric in metrics:
            logged = rows[rows["metric"] == metric].set_index("partition")["value"]
            expected = report.by_partition[metric]
            np.testing.assert_allclose(logged[expected.index], expected, rtol=1e-9)
            for aggregate in AGGREGATES:
                key = f"val_partition_{metric}_{aggregate}"
                np.testing.assert_allclose(
                    clf.history_[key][epoch],
                    report.summary.loc[metric, aggregate],
                    rtol=1e-9,
                )
    # An independent check on the last epoch: sklearn on boolean masks.
    # float64, as the core computes (sklearn would keep float32 probabilities).
    proba = clf.predict_proba(X[:150]).astype(np.float64)
    y_pred = clf.predict(X[:150])
    for partition in ["x", "y", "z"]:
        mask = (groups[:150] == partition).to_numpy()
        weight = compute_sample_weight("balanced", y[:150][mask])
        rows = history[(history["epoch"] == 2) & (history["partition"] == partition)]
        value = rows.set_index("metric")["value"]
        assert value["accuracy"] == pytest.approx(
            accuracy_score(y[:150][mask], y_pred[mask], sample_weight=weight), rel=1e-9
        )
        assert value["log_loss"] == pytest.approx(
            log_loss(
                y[:150][mask], proba[mask], sample_weight=weight, labels=clf.classes_
            ),
            rel=1e-9,
        )


@pytest.mark.slow
def test_every_2_evaluates_first_every_second_and_last_epoch():
    import keras

    X, y, groups = _binary_data()
    monitor = PartitionMonitor(X, y, groups, every=2)
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="val_partition_accuracy_worst", mode="max", patience=10
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = _classifier(epochs=6, callbacks=[plateau, monitor]).fit(X, y)
    # Stock callbacks find the key on every epoch (they warn when it is missing).
    assert not [w for w in caught if "not available" in str(w.message)]

    assert sorted(set(monitor.history_["epoch"])) == [0, 2, 4, 5]
    worst = clf.history_["val_partition_accuracy_worst"]
    # Skipped epochs repeat the last values, so monitoring callbacks find the key.
    assert len(worst) == 6
    assert worst[1] == worst[0] and worst[3] == worst[2]


@pytest.mark.slow
def test_regressor_logs_error_aggregates_and_plots(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from skpart import PartitionAwareRegressor

    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] + 0.1 * rng.normal(size=300)
    groups = rng.choice(["n", "s", "e"], size=300)
    monitor = PartitionMonitor(X, y, groups, metrics=["r2", "mean_absolute_error"])
    reg = PartitionAwareRegressor(
        tiny_regressor, epochs=3, verbose=0, random_state=0, callbacks=[monitor]
    ).fit(X, y)

    y_pred = reg.predict(X)
    last = monitor.history_[monitor.history_["epoch"] == 2]
    r2 = last[last["metric"] == "r2"].set_index("partition")["value"]
    for partition in ["e", "n", "s"]:
        mask = groups == partition
        assert r2[partition] == pytest.approx(r2_score(y[mask], y_pred[mask]), rel=1e-9)
    maes = last[last["metric"] == "mean_absolute_error"]["value"]
    # An error's worst partition is its maximum.
    assert reg.history_["val_partition_mean_absolute_error_worst"][2] == maes.max()
    assert reg.history_["val_partition_r2_worst"][2] == r2.min()

    ax = monitor.plot("mean_absolute_error")
    assert len(ax.lines) == 3 + 1  # one line per partition, then the worst curve
    with pytest.raises(ValueError, match="was not monitored"):
        monitor.plot("accuracy")


@pytest.mark.slow
def test_monitor_survives_clone_and_pickle():
    import matplotlib

    matplotlib.use("Agg")
    X, y, groups = _binary_data()
    monitor = PartitionMonitor(X, y, groups)
    clf = _classifier(epochs=2, callbacks=[monitor], validation_split=0.2)
    fitted = clone(clf).fit(X, y)

    # The clone trained its own copy; the user's monitor is untouched.
    assert not hasattr(monitor, "history_")
    copy = fitted.callbacks[0]
    assert copy is not monitor and copy.history_["epoch"].max() == 1
    assert {"val_loss", "val_partition_accuracy_worst"} <= set(fitted.history_)

    restored = pickle.loads(pickle.dumps(copy))
    assert restored.model is None
    pd.testing.assert_frame_equal(restored.history_, copy.history_)
    assert restored.plot().get_ylabel() == "accuracy (higher is better)"
    restored_clf = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored_clf.predict(X), fitted.predict(X))
    clone(restored_clf).fit(X, y)  # a restored monitor trains again


@pytest.mark.slow
def test_monitor_data_with_an_unseen_class_raises_at_train_begin():
    X, y, groups = _binary_data()
    y_mon = y.copy()
    y_mon[:3] = 2
    monitor = PartitionMonitor(X, y_mon, groups)
    with pytest.raises(ValueError, match=r"labels \[2\] that the model was not"):
        _classifier(epochs=5, callbacks=[monitor]).fit(X, y)
    assert not hasattr(monitor, "history_")  # no epoch ran


@pytest.mark.slow
def test_plain_keras_model_with_encoded_targets_and_validation_split():
    import keras

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 3)).astype("float32")
    y = np.argmax(X, axis=1)
    groups = [np.tile(["u", "v"], 150), np.repeat(["old", "new"], 150)]
    model = tiny_classifier({"n_classes_": 3, "n_features_in_": 3})
    monitor = PartitionMonitor(X, y, groups, metrics=["accuracy", "log_loss"])
    stop = keras.callbacks.EarlyStopping(
        monitor="val_partition_log_loss_worst", mode="min", patience=3
    )
    history = model.fit(
        X, y, epochs=2, verbose=0, validation_split=0.2, callbacks=[monitor, stop]
    )
    assert {"val_loss", "val_partition_log_loss_worst"} <= set(history.history)
    # Several group columns: a partition is a combination, named by a tuple.
    assert set(monitor.history_["partition"]) == {
        ("u", "new"),
        ("u", "old"),
        ("v", "new"),
        ("v", "old"),
    }
    proba = model.predict(X, verbose=0)
    last = monitor.history_[monitor.history_["epoch"] == 1]
    row = last[(last["metric"] == "accuracy") & (last["partition"] == ("u", "old"))]
    mask = (groups[0] == "u") & (groups[1] == "old")
    expected = accuracy_score(
        y[mask],
        proba[mask].argmax(1),
        sample_weight=compute_sample_weight("balanced", y[mask]),
    )
    assert row["value"].item() == pytest.approx(expected, rel=1e-9)


@pytest.mark.slow
def test_partial_fit_appends_to_the_partition_history():
    X, y, groups = _binary_data()
    monitor = PartitionMonitor(X, y, groups, every=3)
    clf = _classifier(epochs=1, callbacks=[monitor])
    for _ in range(3):
        clf.partial_fit(X, y)
    # Each partial_fit is a run of one epoch, hence evaluated (its first epoch).
    assert monitor.history_["epoch"].tolist() == [0, 0, 1, 1, 2, 2]
    assert len(clf.history_["val_partition_accuracy_worst"]) == 3
    assert clf.partition_history_["epoch"].max() == 2
    clf.fit(X, y)  # a new fit starts the history again
    assert monitor.history_["epoch"].tolist() == [0, 0]


@pytest.mark.slow
def test_small_partitions_stay_out_of_the_logged_aggregates_and_warnings():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    # A 9-row site with one positive: its AUC is noise, and undefined once
    # a partition holds one class.
    groups = np.r_[np.repeat(["big_a", "big_b"], 140), ["tiny"] * 9, ["one"] * 11]
    y[-11:] = 1  # the "one" partition holds a single class
    monitor = PartitionMonitor(X, y, groups, metrics="roc_auc", min_partition_size=20)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PartitionMetricWarning)
        clf = _classifier(epochs=2, callbacks=[monitor]).fit(X, y)
    proba = clf.predict_proba(X)[:, 1]
    expected = min(
        roc_auc_score(y[groups == g], proba[groups == g]) for g in ("big_a", "big_b")
    )
    assert clf.history_["val_partition_roc_auc_worst"][-1] == pytest.approx(expected)
    # Kept in the history all the same.
    assert set(monitor.history_["partition"]) == {"big_a", "big_b", "tiny", "one"}


@pytest.mark.slow
def test_the_monitors_undefined_warning_names_the_users_line():
    X, y = np.zeros((40, 2)), np.r_[np.zeros(20, int), np.ones(20, int)]
    X[:, 0] = y + np.random.default_rng(0).normal(size=40)
    groups = np.repeat(["mixed", "ones"], 20)
    groups[:10] = "zeros"
    monitor = PartitionMonitor(X, y, groups, metrics="roc_auc")
    with pytest.warns(PartitionMetricWarning, match="once per fit") as record:
        _classifier(epochs=2, callbacks=[monitor]).fit(X, y)
    assert len(record) == 1 and record[0].filename == __file__


# --- no partition reaches min_partition_size: refused, never NaN logs -------


def _breast_cancer_in_partitions(n_partitions):
    """sklearn's bundled breast cancer rows, in partitions by mean radius."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    order = np.argsort(np.argsort(X[:, 0], kind="stable"), kind="stable")
    groups = np.array([f"radius_{i}" for i in order * n_partitions // len(y)])
    return X, y, groups


def test_monitored_rows_below_min_partition_size_are_refused_at_construction():
    X, y, groups = _breast_cancer_in_partitions(12)
    labels, sizes = np.unique(groups, return_counts=True)
    assert sizes.max() < 100  # about 47 rows each
    message = (
        rf"min_partition_size=100\) would log NaN at every epoch: the largest "
        rf"partition of its monitored rows, '{labels[sizes.argmax()]}', has "
        rf"{sizes.max()} rows"
    )
    with pytest.raises(ValueError, match=message):
        PartitionMonitor(X, y, groups, min_partition_size=100)
    # One partition reaching the size is enough: the others are left out.
    PartitionMonitor(X, y, groups, min_partition_size=int(sizes.max()))


@pytest.mark.slow
def test_held_out_rows_below_min_partition_size_are_refused_before_any_epoch():
    X, y, groups = _breast_cancer_in_partitions(3)
    recorder = _WeightsRecorder.make()
    monitor = PartitionMonitor(validation_fraction=0.25, min_partition_size=100)
    clf = _classifier(epochs=3, callbacks=[monitor, recorder])
    assert np.unique(groups, return_counts=True)[1].tolist() == [190, 190, 189]
    # A quarter of each partition is held out: 47 or 48 rows.
    with pytest.raises(ValueError, match=r"held-out rows, 'radius_\d', has 4[78] rows"):
        clf.fit(X, y, groups=groups)
    assert recorder.weights == [] and not hasattr(monitor, "history_")


@pytest.mark.slow
def test_batches_below_min_partition_size_are_refused_at_the_first_epoch():
    X, y, groups = _breast_cancer_in_partitions(12)
    batches = [(X[i : i + 200], y[i : i + 200], groups[i : i + 200]) for i in (0, 200)]
    n_read = pd.Series(np.concatenate([b[2] for b in batches])).value_counts()
    monitor = PartitionMonitor(batches, min_partition_size=100)
    recorder = _WeightsRecorder.make()
    clf = _classifier(epochs=5, callbacks=[monitor, recorder])
    with pytest.raises(ValueError, match=rf"has {n_read.max()} rows"):
        clf.fit(X, y)
    assert len(recorder.weights) == 0  # the monitor runs first: no epoch ended


# --- an estimator's own feature encoder: X as its predict takes it ----------


def _two_inputs(X):
    return [X[:, :2], X[:, 2:]]


def _two_input_classifier(meta, compile_kwargs=None):
    import keras

    left, right = keras.Input((2,)), keras.Input((meta["n_features_in_"] - 2,))
    hidden = keras.layers.Dense(8, activation="relu")(
        keras.layers.Concatenate()([left, right])
    )
    output = keras.layers.Dense(1, activation="sigmoid")(hidden)
    model = keras.Model([left, right], output)
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01))
    return model


def _split_classifier(**kwargs):
    from sklearn.preprocessing import FunctionTransformer

    from skpart import PartitionAwareClassifier

    class SplitClassifier(PartitionAwareClassifier):
        @property
        def feature_encoder(self):
            return FunctionTransformer(_two_inputs)

    params = dict(epochs=3, batch_size=32, verbose=0, random_state=0)
    return SplitClassifier(_two_input_classifier, **{**params, **kwargs})


@pytest.mark.slow
def test_a_multi_input_estimator_monitors_rows_through_its_feature_encoder():
    X, y, groups = _breast_cancer_in_partitions(3)
    X_val, y_val, g_val = X[::3], y[::3], groups[::3]
    monitor = PartitionMonitor(X_val, y_val, g_val, sample_weight=None)
    clf = _split_classifier(callbacks=[monitor]).fit(X, y)

    # Expected: the Keras model on the two inputs, sklearn on each partition.
    proba = clf.model_.predict(_two_inputs(X_val), verbose=0)[:, 0]
    accuracy = {
        g: accuracy_score(y_val[g_val == g], proba[g_val == g] > 0.5)
        for g in np.unique(g_val)
    }
    logged = clf.history_["val_partition_accuracy_worst"][-1]
    assert logged == pytest.approx(min(accuracy.values()), rel=1e-9)
    # The same rows as score_partitions takes them from this estimator.
    report = clf.score_partitions(X_val, y_val, g_val, sample_weight=None)
    assert logged == pytest.approx(report.summary.loc["accuracy", "worst"])
    # Rows already split into the model's inputs are fed as they are.
    split = PartitionMonitor(_two_inputs(X_val), y_val, g_val, sample_weight=None)
    _split_classifier(callbacks=[split]).fit(X, y)
    pd.testing.assert_frame_equal(split.history_, monitor.history_)


@pytest.mark.slow
def test_plot_counts_epochs_from_zero_and_marks_the_epoch_early_stopping_kept():
    import keras
    import matplotlib

    matplotlib.use("Agg")
    X, y, X_mon, y_mon, g_mon = _conflicting_partitions()
    monitor = PartitionMonitor(X_mon, y_mon, g_mon)
    stop = keras.callbacks.EarlyStopping(
        monitor="val_partition_accuracy_worst",
        mode="max",
        patience=2,
        restore_best_weights=True,
    )
    clf = _classifier(epochs=30, callbacks=[stop, monitor]).fit(X, y)
    worst = clf.history_["val_partition_accuracy_worst"]
    assert 0 < stop.stopped_epoch == len(worst) - 1 < 29
    # Keras keeps the first epoch with the best logged value (epochs from 0).
    best = int(np.argmax(worst))
    assert stop.best_epoch == best

    ax = monitor.plot()
    partitions = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    for line in partitions:
        assert list(line.get_xdata()) == list(range(len(worst)))
    (kept,) = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert list(kept.get_xdata()) == [best, best]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert f"weights kept by EarlyStopping (epoch {best})" in texts
    # The kept weights are that epoch's: the model scores as logged there.
    report = clf.score_partitions(X_mon, y_mon, g_mon)
    assert report.summary.loc["accuracy", "worst"] == pytest.approx(worst[best])


@pytest.mark.slow
def test_plot_marks_no_epoch_without_an_early_stop():
    import matplotlib

    matplotlib.use("Agg")
    X, y, groups = _binary_data()
    monitor = PartitionMonitor(X, y, groups)
    _classifier(epochs=2, callbacks=[monitor]).fit(X, y)
    ax = monitor.plot()
    assert not [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1]
