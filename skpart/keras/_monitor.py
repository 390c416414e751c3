"""PartitionMonitor: per-partition metrics at epoch end, written into the logs.

The monitor only turns the model's outputs into the engine's inputs (labels
and probabilities, as SciKeras's target encoder decodes them); the engine of
:mod:`skpart._engine.accumulator` computes everything, as for ``score_partitions``.
"""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from .._adapters.batches import check_batch_source, is_batch_source, iter_batches
from .._engine.accumulator import PartitionMetrics
from .._inputs.groups import encode_groups
from .._inputs.targets import labels_1d, target_type
from .._inputs.validation import check_fraction, check_int
from .._inputs.weights import check_weight_array, check_weighting, resolve_weighting
from .._messages import PartitionMetricWarning, truncate, warn
from .._metrics.registry import resolve_metrics, task_of
from .._results.charts import plot_partition_history
from ._predict import n_samples, predict_in_batches

#: Aggregates written into the epoch logs, as ``{prefix}{metric}_{aggregate}``.
LOGGED_AGGREGATES = ("worst", "mean", "best", "gap", "ratio")


class PartitionMonitor(keras.callbacks.Callback):
    r"""Keras callback computing per-partition metrics at the end of epochs.

    Every ``every`` epochs the model predicts once on the monitored rows;
    each metric is computed on every partition and its ``worst``, ``mean``,
    ``best``, ``gap`` (``|best - worst|``) and ``ratio`` (smallest / largest)
    over the reliable partitions are written into the epoch logs as
    ``{prefix}{metric}_{aggregate}`` (and the fairness disparities of the
    monitored rates as ``{prefix}{disparity}``, e.g.
    ``val_partition_demographic_parity_difference``), so stock ``EarlyStopping``,
    ``ModelCheckpoint`` and ``ReduceLROnPlateau`` can monitor them and the
    estimators' ``history_`` records them. Each partition's values are kept
    in :attr:`history_`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), default=None
        Rows to monitor (usually held-out rows), in the Keras model's input
        space: the monitor feeds them to the model as they are. Inside a
        Pipeline or a search, leave X, y and groups as None and use
        ``validation_fraction``.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        True targets. Through :class:`~skpart.PartitionAwareClassifier`, the
        original labels; with a plain Keras model, class indices
        ``0..n_classes-1`` (or one-hot rows). Regression: values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`skpart.metrics_by_partition`; None means ``accuracy``
        for classification and ``r2`` for regression.
    every : int, default=1
        Evaluate on the first epoch of each ``fit``, every ``every`` epochs
        after it, and on the last epoch. Other epochs repeat the last values,
        so that monitoring callbacks always find the keys; give
        ``EarlyStopping`` a ``patience`` of at least ``every``.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classification, None for regression.
    min_partition_size : int, default=1
        Partitions with fewer monitored rows are kept in :attr:`history_` but
        left out of the logged aggregates, as in the report's summary.
    validation_fraction : float, default=None
        Instead of ``X, y, groups``: the estimator holds out this fraction of
        its own training rows (already transformed by a Pipeline), stratified
        by partition, trains on the rest and monitors them. Their partitions
        come from ``fit(X, y, groups=g)``.
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    prefix : str, default="val_partition\_"
        Prefix of the log keys. Two monitors in one fit need different ones.

    Attributes
    ----------
    history_ : DataFrame
        Tidy per-partition values: columns ``epoch`` (0-based, as Keras's
        callbacks number them), ``partition`` (a tuple for several group
        columns), ``metric`` and ``value``; evaluated epochs only. A new
        ``fit`` replaces the rows of the epochs it runs (``partial_fit``
        appends).

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skpart import PartitionAwareClassifier, PartitionMonitor
    >>> def build(meta):
    ...     return keras.Sequential([keras.Input((meta["n_features_in_"],)),
    ...                              keras.layers.Dense(1, activation="sigmoid")])
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y, groups = (X[:, 0] > 0).astype(int), np.repeat(["a", "b"], 100)
    >>> monitor = PartitionMonitor(X, y, groups)
    >>> stop = keras.callbacks.EarlyStopping(
    ...     monitor="val_partition_accuracy_worst", mode="max", patience=2)
    >>> clf = PartitionAwareClassifier(
    ...     build, loss="binary_crossentropy", epochs=3, verbose=0,
    ...     random_state=0, callbacks=[monitor, stop]).fit(X, y)
    >>> "val_partition_accuracy_worst" in clf.history_
    True
    """

    def __init__(
        self,
        X: Any = None,
        y: Any = None,
        groups: Any = None,
        *,
        metrics: Any = None,
        every: int = 1,
        sample_weight: Any = "auto",
        min_partition_size: int = 1,
        validation_fraction: float | None = None,
        pos_label: Any = None,
        prefix: str = "val_partition_",
    ) -> None:
        super().__init__()
        self.X = X
        self.y = y
        self.groups = groups
        self.metrics = metrics
        self.every = every
        self.sample_weight = sample_weight
        self.min_partition_size = min_partition_size
        self.validation_fraction = validation_fraction
        self.pos_label = pos_label
        self.prefix = prefix
        self._estimator = None
        self._held_out = None  # rows the estimator held out for us
        self._records: list[tuple[int, pd.DataFrame]] = []
        self._greater_is_better: dict[str, bool] = {}
        self._check_params()

    def _check_params(self) -> None:
        """Cheap checks, so that a bad argument fails here, not at epoch 7."""
        for name in ("every", "min_partition_size"):
            check_int(getattr(self, name), name, minimum=1)
        if not isinstance(self.prefix, str):
            raise ValueError(f"prefix must be a string; got {self.prefix!r}.")
        check_weighting(self.sample_weight)
        given = [a for a in ("X", "y", "groups") if getattr(self, a) is not None]
        fraction = self.validation_fraction
        if fraction is not None:
            if given:
                raise ValueError(
                    f"PartitionMonitor got validation_fraction={fraction!r} and "
                    f"{', '.join(given)}: pass either the rows to monitor or the "
                    "fraction of the training rows to hold out, not both."
                )
            check_fraction(fraction, "validation_fraction", example="0.2")
            return
        if given == ["X"] and is_batch_source(self.X):
            # Batches carry their own y, groups and weights; read every epoch.
            check_batch_source(self.X, "PartitionMonitor's X", reiterable=True)
            if self.sample_weight is not None and not isinstance(
                self.sample_weight, str
            ):
                raise ValueError(
                    "PartitionMonitor got batches as X and a sample_weight "
                    "array; give each batch its weights instead: "
                    "(X, y, groups, sample_weight)."
                )
            return
        if len(given) != 3:
            raise ValueError(
                "PartitionMonitor needs the rows to monitor, X, y and groups "
                f"(got only {given or 'none'}), or validation_fraction=f to hold "
                "out a fraction of the training rows (in a Pipeline or a search)."
            )
        n_rows = n_samples(self.y)
        if n_samples(self.X) != n_rows:
            raise ValueError(
                f"X has {n_samples(self.X)} rows but y has {n_rows}; pass one "
                "target per row of X."
            )
        encode_groups(self.groups, n_samples=n_rows)
        task_of(resolve_metrics(self.metrics, task="classification"))  # no mixes
        if self.sample_weight is not None and not isinstance(self.sample_weight, str):
            check_weight_array(self.sample_weight, n_rows)

    # --- Keras hooks ---------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Encode the monitored rows' groups and targets once for the run."""
        self._run = self._prepare()
        self._last_logs: dict[str, float] = {}
        self._first_epoch: int | None = None
        # Read now: SciKeras also hands this callback to predict, which would
        # replace self.params with predict's (no "epochs") mid-training.
        epochs = (self.params or {}).get("epochs")
        self._final_epoch = None if epochs is None else epochs - 1
        self._warned = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Evaluate if due, then write the aggregates into ``logs`` in place."""
        if getattr(self, "_run", None) is None:  # a custom loop without train begin
            self.on_train_begin()
        if self._is_due(epoch):
            report = self._evaluate()
            self._records.append((epoch, report.by_partition[report.metrics]))
            self._greater_is_better.update(report.greater_is_better)
            self._last_logs = {
                f"{self.prefix}{metric}_{aggregate}": float(row[aggregate])
                for metric, row in report.summary.iterrows()
                for aggregate in LOGGED_AGGREGATES
            }
            # Fairness disparities of the monitored rates, e.g.
            # val_partition_demographic_parity_difference.
            for name, value in report.disparities.items():
                self._last_logs[f"{self.prefix}{name}"] = float(value)
        if logs is not None:
            logs.update(self._last_logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Drop the per-run state (a copy of the rows among it)."""
        self._run = None

    def _is_due(self, epoch: int) -> bool:
        if self._first_epoch is None:
            # A new run replaces the rows of the epochs it runs again.
            self._first_epoch = epoch
            self._records = [r for r in self._records if r[0] < epoch]
            return True
        return (epoch - self._first_epoch) % self.every == 0 or (
            epoch == self._final_epoch
        )

    # --- the engine's inputs -------------------------------------------------

    def _prepare(self) -> dict:
        X, y, groups = self._held_out or (self.X, self.y, self.groups)
        if X is None:
            raise ValueError(
                "PartitionMonitor(validation_fraction=...) monitors rows that a "
                "PartitionAwareClassifier/Regressor holds out in fit; with a plain "
                "Keras model pass X, y and groups."
            )
        source, batch_weight = None, None
        if self._held_out is None and y is None and is_batch_source(X):
            # A source of batches, read each evaluated epoch; its first batch
            # stands for the rows in the checks below.
            source = X
            _, _, (X, y, groups, batch_weight) = next(
                iter_batches(source, "PartitionMonitor's X")
            )
        estimator = self._estimator
        self._check_input_space(X, estimator)
        classes = getattr(estimator, "classes_", None)
        if estimator is not None:
            task = "classification" if is_classifier(estimator) else "regression"
        else:
            named = task_of(resolve_metrics(self.metrics, task="classification"))
            kind = target_type(np.asarray(y), "y")
            task = named or (
                "regression" if kind.startswith("continuous") else "classification"
            )
        if task == "classification" and classes is None:
            # A plain Keras model: its output columns.
            classes = np.arange(self._n_output_classes(X))

        def targets(y: Any) -> Any:
            if task != "classification":
                return y
            y = np.asarray(y)
            if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows: the column is the class
                y = np.argmax(y, axis=1)
            y = labels_1d(y, "y")
            unknown = ~np.isin(y, classes)
            if unknown.any():
                raise ValueError(
                    f"PartitionMonitor's y has labels "
                    f"{truncate(pd.unique(y[unknown]).tolist())} that the model was "
                    f"not trained on (classes {truncate(list(classes))}). Drop "
                    "those rows from the monitor's data; with a plain Keras model, "
                    "pass y encoded as 0..n_classes-1."
                )
            return y

        weighting, weights = resolve_weighting(self.sample_weight, task)
        if batch_weight is not None and self.sample_weight == "auto":
            weighting = None  # weighted batches stand for a weight array
        run = dict(
            classes=None if classes is None else np.asarray(classes),
            task=task,
            weighting=weighting,
            targets=targets,
        )
        if source is not None:
            run.update(source=source)
            return run
        y = targets(y)
        run.update(
            X=_as_model_input(X),
            y=y,
            partitions=encode_groups(groups, n_samples=n_samples(y)),
            weights=weights,
        )
        return run

    def _check_input_space(self, X: Any, estimator: Any) -> None:
        """Refuse rows that are not in the space the estimator's model sees."""
        if estimator is None or self._held_out is not None:
            return
        expected = getattr(estimator, "n_features_in_", None)
        names = getattr(estimator, "feature_names_in_", None)
        columns = getattr(X, "columns", None)
        width = X.shape[1] if getattr(X, "ndim", 0) == 2 else None
        mismatch = expected is not None and width is not None and width != expected
        if columns is not None and (names is None or list(columns) != list(names)):
            mismatch = True
        if mismatch:
            raise ValueError(
                f"PartitionMonitor's X has {width} columns"
                f"{'' if columns is None else f' {list(columns)[:5]}...'} but the "
                f"estimator's model was fitted on {expected} features"
                f"{'' if names is None else f' {list(names)[:5]}...'}. The monitor "
                "feeds its rows to the Keras model as they are, so inside a "
                "Pipeline (where earlier steps transform X) use "
                "PartitionMonitor(validation_fraction=0.2) and "
                "fit(X, y, groups=g) instead of raw rows."
            )

    def _n_output_classes(self, X: Any) -> int:
        outputs = getattr(self.model, "outputs", None)
        width = outputs[0].shape[-1] if outputs else None
        if width is None:  # a subclassed model: ask it
            width = _single_output(predict_in_batches(self.model, X, 1)).shape[-1]
        # One sigmoid column is a binary classifier, as SciKeras reads it.
        return 2 if width == 1 else int(width)

    def _evaluate(self):
        """One prediction pass per batch, then the engine's report for these weights."""
        run = self._run
        if "source" in run:
            batches = (
                (_as_model_input(X), run["targets"](y), groups, weight)
                for _, _, (X, y, groups, weight) in iter_batches(
                    run["source"], "PartitionMonitor's X"
                )
            )
        else:
            batches = [(run["X"], run["y"], run["partitions"], run["weights"])]
        accumulator = PartitionMetrics(
            self.metrics,
            classes=run["classes"],
            sample_weight=run["weighting"],
            min_partition_size=self.min_partition_size,
            pos_label=self.pos_label,
            task=run["task"],
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PartitionMetricWarning)
            for X, y, partitions, weights in batches:
                raw = _single_output(predict_in_batches(self.model, X))
                y_pred, y_proba = raw, None
                if run["task"] == "classification":
                    raw = raw.reshape(len(y), -1)
                    if raw.shape[1] == 1:  # a sigmoid: SciKeras's two columns
                        raw = np.column_stack([1 - raw, raw])
                    y_pred, y_proba = run["classes"][np.argmax(raw, axis=1)], raw
                else:
                    y_pred = raw.reshape(len(y))
                accumulator.update(
                    y, y_pred, partitions, y_proba=y_proba, sample_weight=weights
                )
            report = accumulator.result()
        for warning in caught[:1]:
            if not self._warned:  # the same partitions would be named every epoch
                self._warned = True
                warn(f"PartitionMonitor (warned once per fit): {warning.message}")
        return report

    # --- history and plot ----------------------------------------------------

    @property
    def history_(self) -> pd.DataFrame:
        """Tidy per-partition values of the evaluated epochs (see class doc)."""
        if not self._records:
            raise AttributeError(
                "PartitionMonitor has no history_ yet: it is set after the first "
                "evaluated epoch of a fit."
            )
        frames = []
        for epoch, table in self._records:
            long = table.set_axis(table.index.to_flat_index(), axis=0).melt(
                ignore_index=False, var_name="metric", value_name="value"
            )
            frames.append(
                long.rename_axis("partition").reset_index().assign(epoch=epoch)
            )
        history = pd.concat(frames, ignore_index=True)
        history["value"] = history["value"].astype(np.float64)
        return history[["epoch", "partition", "metric", "value"]]

    def plot(self, metric: str | None = None, ax: Any = None) -> Any:
        """Plot each partition's values over epochs, the worst one highlighted.

        Parameters
        ----------
        metric : str, default=None
            Metric to plot; the first metric when None.
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        history = self.history_
        metrics = list(dict.fromkeys(history["metric"]))
        metric = metrics[0] if metric is None else metric
        if metric not in metrics:
            raise ValueError(
                f"metric={metric!r} was not monitored; choose one of {metrics}."
            )
        return plot_partition_history(
            history[history["metric"] == metric],
            metric=metric,
            greater_is_better=self._greater_is_better[metric],
            ax=ax,
        )

    # --- estimators, copies and pickles --------------------------------------

    def bind_estimator(self, estimator: Any) -> None:
        """Read the task, ``classes_`` and input space from a SciKeras estimator.

        Called by the estimators before training (see ``monitors_first``).

        Parameters
        ----------
        estimator : PartitionAwareClassifier or PartitionAwareRegressor
            The estimator whose fit runs this monitor.
        """
        self._estimator = estimator

    def set_held_out_rows(self, X: Any, y: Any, groups: Any) -> None:
        """Monitor rows the estimator held out of its training rows.

        Called by the estimators for ``validation_fraction``.

        Parameters
        ----------
        X : array-like
            The held-out rows, as the Keras model takes them.
        y : array-like
            Their targets, as given to ``fit``.
        groups : Partitions
            Their encoded partitions.
        """
        self._held_out = (X, y, groups)

    def __getstate__(self) -> dict:
        # The Keras model and the estimator pickle themselves; the per-run
        # state is rebuilt at train begin. sklearn's clone deep-copies here too.
        state = self.__dict__.copy()
        state.update(_model=None, _run=None, _estimator=None, _held_out=None)
        return state

    def __repr__(self) -> str:
        if self.X is None:
            rows = f"validation_fraction={self.validation_fraction!r}"
        elif self.y is None:  # a batch source
            rows = f"<{type(self.X).__name__}>"
        else:
            rows = f"n_samples={n_samples(self.y)}"
        return (
            f"PartitionMonitor({rows}, metrics={self.metrics!r}, "
            f"every={self.every!r}, prefix={self.prefix!r})"
        )


def _as_model_input(X: Any) -> Any:
    """X as the model takes it: NumPy arrays, float64 cast once to floatx."""
    if isinstance(X, dict):
        return {key: _as_model_input(value) for key, value in X.items()}
    if isinstance(X, (list, tuple)) and X and hasattr(X[0], "shape"):
        return type(X)(_as_model_input(value) for value in X)
    X = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    if X.dtype.kind == "f":
        # Keras casts every batch to the float type anyway; do it once per run.
        X = X.astype(keras.backend.floatx(), copy=False)
    return X


def _single_output(outputs: Any) -> np.ndarray:
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        if len(outputs) != 1:
            raise ValueError(
                f"PartitionMonitor supports single-output models; this model has "
                f"{len(outputs)} outputs."
            )
        outputs = outputs[0]
    return np.asarray(outputs)
