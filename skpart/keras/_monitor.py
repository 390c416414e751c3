"""PartitionMonitor: per-partition metrics at epoch end, written into the logs.

The monitor predicts once per evaluated epoch on its own rows, turns the raw
outputs into labels and probabilities as SciKeras's target encoder does, and
computes every metric for every partition with the vectorised core. Groups,
targets and weights are encoded once per training run, in ``on_train_begin``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Iterable
from typing import Any, NamedTuple

import keras
import numpy as np
import pandas as pd
from sklearn.base import is_classifier as _is_classifier
from sklearn.utils.validation import column_or_1d

from .._evaluate import (
    PartitionMetricWarning,
    _call,
    _is_continuous,
    _is_regression,
    _truncate,
)
from .._groups import encode_groups, partition_indices
from .._metric_specs import MetricSpec, resolve_metrics
from .._metrics import compute_named_metrics
from .._plotting import plot_partition_history
from .._report import summarize_values
from .._weights import default_sample_weight, resolve_sample_weight
from ._predict import predict_in_batches, take_rows

#: Aggregates written into the epoch logs, as ``{prefix}{metric}_{aggregate}``.
AGGREGATES = ("worst", "mean", "best", "gap")
_SAMPLE_WEIGHT_STRINGS = ("auto", "balanced")


class _Prepared(NamedTuple):
    """What ``on_train_begin`` computes once for all the epochs of a run."""

    X: Any
    specs: list[MetricSpec]
    codes: np.ndarray
    labels: pd.Index
    weights: np.ndarray
    pass_weight: bool
    y_true: np.ndarray  # class indices into sorted classes, or float64 values
    y_true_raw: np.ndarray  # original labels (for callables)
    classes: np.ndarray | None  # as the model's output columns are ordered
    order: np.ndarray | None  # output columns -> sorted classes
    rank: np.ndarray | None  # output column -> index into sorted classes
    indices: list[np.ndarray] | None  # per-partition rows, for callables


class PartitionMonitor(keras.callbacks.Callback):
    r"""Keras callback computing per-partition metrics at the end of epochs.

    Every ``every`` epochs the model predicts once on ``X``; each metric is
    computed on every partition of ``groups`` and its ``worst``, ``mean``,
    ``best`` and ``gap`` (``|best - worst|``) over partitions are written into
    the epoch logs as ``{prefix}{metric}_{aggregate}``, so stock
    ``EarlyStopping``, ``ModelCheckpoint`` and ``ReduceLROnPlateau`` can
    monitor them and the estimators' ``history_`` records them. The values of
    each partition are kept in :attr:`history_`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Rows to monitor (usually held-out rows); anything the Keras model
        accepts, sliced into batches along the first axis.
    y : array-like of shape (n_samples,) or (n_samples, n_classes)
        True targets. Through :class:`~skpart.PartitionAwareClassifier`, the
        original labels (encoded with the estimator's ``classes_``); with a
        plain Keras model, class indices ``0..n_classes-1`` (or one-hot rows),
        the classes being the model's output columns. Regression: values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        Named metrics or callables, as in :func:`skpart.metrics_by_partition`.
        None means ``accuracy`` for classification and ``r2`` for regression.
    every : int, default=1
        Evaluate on the first epoch of each ``fit``, every ``every`` epochs
        after it, and on the last epoch. Other epochs repeat the last values
        in the logs, so that monitoring callbacks always find the keys; a
        repeated value is never an improvement, so give ``EarlyStopping`` a
        ``patience`` of at least ``every``.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` (classes weigh equally within each
        partition) for classification and None for regression.
    prefix : str, default="val_partition\_"
        Prefix of the log keys. Two monitors in one fit need different
        prefixes. Keys starting with ``val_`` are kept as given by SciKeras.

    Attributes
    ----------
    history_ : DataFrame
        Tidy per-partition values: columns ``epoch`` (0-based, as Keras
        numbers them), ``partition`` (a tuple for several group columns),
        ``metric`` and ``value``; evaluated epochs only. Set after the first
        evaluated epoch; a new ``fit`` replaces the rows of the epochs it runs
        (so ``partial_fit`` appends).

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skpart import PartitionAwareClassifier
    >>> from skpart.keras._monitor import PartitionMonitor
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
    >>> list(clf.partition_history_.columns)
    ['monitor', 'epoch', 'partition', 'metric', 'value']
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        groups: Any,
        *,
        metrics: Any = None,
        every: int = 1,
        sample_weight: Any = "auto",
        prefix: str = "val_partition_",
    ) -> None:
        super().__init__()
        self.X = X
        self.y = y
        self.groups = groups
        self.metrics = metrics
        self.every = every
        self.sample_weight = sample_weight
        self.prefix = prefix
        self._target_info = None  # (is_classifier, classes) from an estimator
        self._records: list[tuple[int, pd.Index, dict]] = []
        self._greater_is_better: dict[str, bool] = {}
        self._frame = None
        self._prepared = None
        self._check_params()

    # --- validation, once at construction ----------------------------------

    def _check_params(self) -> None:
        """Cheap checks, so that a bad argument fails here, not at epoch 7."""
        if (
            not isinstance(self.every, numbers.Integral)
            or isinstance(self.every, bool)
            or self.every < 1
        ):
            raise ValueError(
                f"every must be an integer >= 1 (evaluate every `every` epochs); "
                f"got {self.every!r}."
            )
        if not isinstance(self.prefix, str):
            raise ValueError(f"prefix must be a string; got {self.prefix!r}.")
        specs = resolve_metrics(self.metrics, is_classifier=True)
        n_samples = _n_rows(self.y, "y")
        _is_regression(specs, self.y)  # refuses classification + regression mixes
        if _n_rows(self.X, "X") != n_samples:
            raise ValueError(
                f"X has {_n_rows(self.X, 'X')} rows but y has {n_samples}; "
                "pass one target per row of X."
            )
        encode_groups(self.groups, n_samples=n_samples)
        self._check_sample_weight(n_samples)

    def _check_sample_weight(self, n_samples: int) -> None:
        weight = self.sample_weight
        if weight is None:
            return
        if isinstance(weight, str):
            if weight not in _SAMPLE_WEIGHT_STRINGS:
                raise ValueError(
                    f"sample_weight={weight!r} is not understood; pass 'auto', "
                    "'balanced', None or an array of one weight per row."
                )
            return
        if len(weight) != n_samples:
            raise ValueError(
                f"sample_weight has {len(weight)} rows but y has {n_samples}; "
                "pass one weight per row."
            )

    # --- Keras hooks ---------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Encode targets, groups and weights once for the whole run."""
        self._prepared = self._prepare()
        self._last_logs: dict[str, float] = {}
        self._first_epoch: int | None = None
        # Read now: SciKeras also hands this callback to predict, which would
        # replace self.params with predict's (no "epochs") mid-training.
        epochs = (self.params or {}).get("epochs")
        self._final_epoch = None if epochs is None else epochs - 1
        self._warned = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Evaluate if due, then write the aggregates into ``logs`` in place."""
        if self._prepared is None:  # used without on_train_begin (custom loop)
            self.on_train_begin()
        if self._is_due(epoch):
            values = self._evaluate()
            self._record(epoch, values)
            self._last_logs = self._aggregate(values)
        if logs is not None:
            logs.update(self._last_logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Drop the per-run arrays (a copy of X among them)."""
        self._prepared = None

    def _is_due(self, epoch: int) -> bool:
        if self._first_epoch is None:
            # A new run replaces the rows of the epochs it runs again.
            self._first_epoch = epoch
            self._records = [r for r in self._records if r[0] < epoch]
            self._frame = None
            return True
        return (epoch - self._first_epoch) % self.every == 0 or (
            epoch == self._final_epoch
        )

    # --- preparing targets, once per run ------------------------------------

    def _prepare(self) -> _Prepared:
        is_classifier, classes = self._target_kind()
        specs = resolve_metrics(self.metrics, is_classifier=is_classifier)
        n_samples = _n_rows(self.y, "y")
        codes, labels = encode_groups(self.groups, n_samples=n_samples)
        if is_classifier:
            targets = self._classification_targets(classes)
        else:
            y = column_or_1d(self.y, dtype=np.float64, input_name="y")
            targets = (y, y, None, None, None)
        sample_weight = default_sample_weight(
            self.sample_weight, is_classifier=is_classifier
        )
        weights = resolve_sample_weight(
            sample_weight,
            targets[1],
            codes,
            len(labels),
            is_regression=not is_classifier,
        )
        has_callables = any(spec.func is not None for spec in specs)
        indices = partition_indices(codes, len(labels)) if has_callables else None
        X = _as_model_input(self.X)
        return _Prepared(
            X,
            specs,
            codes,
            labels,
            weights,
            sample_weight is not None,
            *targets,
            indices,
        )

    def _target_kind(self) -> tuple[bool, np.ndarray | None]:
        """Classification or regression, and the classes when an estimator told us."""
        if self._target_info is not None:
            return self._target_info
        if self.metrics is None:
            # The default metric follows the target, as in metrics_by_partition.
            return not _is_continuous(self.y), None
        specs = resolve_metrics(self.metrics, is_classifier=True)
        return not _is_regression(specs, self.y), None

    def _classification_targets(self, classes: np.ndarray | None) -> tuple:
        """Encode y as indices into the sorted classes; map output columns too."""
        y = np.asarray(self.y)
        if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows: the column is the class
            y = np.argmax(y, axis=1)
        y = column_or_1d(y, input_name="y")
        if classes is None:
            # A plain Keras model: the classes are its output columns.
            classes = np.arange(self._n_output_classes())
        classes = np.asarray(classes)
        order = np.argsort(classes, kind="stable")
        sorted_classes = classes[order]
        position = np.minimum(np.searchsorted(sorted_classes, y), len(classes) - 1)
        unknown = sorted_classes[position] != y
        if np.any(unknown):
            missing = np.unique(y[unknown]).tolist()
            raise ValueError(
                f"PartitionMonitor's y has labels {_truncate(missing)} "
                f"that the model was not trained on (classes "
                f"{_truncate(classes.tolist())}). Drop those rows from the "
                "monitor's data; with a plain Keras model, pass y encoded as "
                "0..n_classes-1."
            )
        rank = np.empty(len(classes), dtype=np.int64)
        rank[order] = np.arange(len(classes))
        return position.astype(np.int64), y, classes, order, rank

    def _n_output_classes(self) -> int:
        outputs = getattr(self.model, "outputs", None)
        if outputs:
            width = outputs[0].shape[-1]
        else:  # a subclassed model: ask it
            width = self._predict(take_rows(_as_model_input(self.X), 0, 1)).shape[-1]
        # One sigmoid column is a binary classifier, as SciKeras reads it.
        return 2 if width == 1 else int(width)

    # --- one evaluation ------------------------------------------------------

    def _predict(self, X: Any) -> np.ndarray:
        """Raw model outputs on ``X``, one compiled call per large batch."""
        return _single_output(predict_in_batches(self.model, X))

    def _evaluate(self) -> dict[str, np.ndarray]:
        """Per-partition values of every metric for the current weights."""
        p = self._prepared
        y_pred, y_proba = self._decode(self._predict(p.X))
        named = [spec.name for spec in p.specs if spec.func is None]
        values = {}
        if named:
            values = compute_named_metrics(
                named,
                codes=p.codes,
                n_partitions=len(p.labels),
                y_true=p.y_true,
                y_pred=y_pred,
                y_proba=y_proba,
                sample_weight=p.weights,
                n_classes=None if p.classes is None else len(p.classes),
            )
        for spec in p.specs:
            if spec.func is not None:
                values[spec.name] = self._callable_values(spec.func, y_pred)
        values = {spec.name: values[spec.name] for spec in p.specs}
        self._warn_undefined(values)
        return values

    def _decode(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Raw outputs -> (labels or values, probabilities) as SciKeras decodes."""
        p = self._prepared
        n_rows = len(p.y_true)
        if p.classes is None:
            return raw.reshape(n_rows).astype(np.float64), None
        raw = raw.reshape(n_rows, -1)
        if raw.shape[1] == 1 and len(p.classes) == 2:
            raw = np.column_stack([1 - raw, raw])  # a sigmoid: SciKeras's two columns
        if raw.shape[1] != len(p.classes):
            raise ValueError(
                f"The model outputs {raw.shape[1]} columns but there are "
                f"{len(p.classes)} classes; PartitionMonitor needs one "
                "probability column per class (or one sigmoid for two)."
            )
        y_pred = p.rank[np.argmax(raw, axis=1)]
        needs_proba = any(spec.needs == "proba" for spec in p.specs)
        return y_pred, raw[:, p.order].astype(np.float64) if needs_proba else None

    def _callable_values(self, func: Any, y_pred: np.ndarray) -> np.ndarray:
        p = self._prepared
        if p.classes is not None:  # callables see the original labels
            y_pred = np.sort(p.classes)[y_pred]
        weights = p.weights if p.pass_weight else None
        return np.array(
            [_call(func, p.y_true_raw, y_pred, weights, index) for index in p.indices],
            dtype=np.float64,
        )

    def _warn_undefined(self, values: dict[str, np.ndarray]) -> None:
        # Once per run: the same partitions would be named at every epoch.
        undefined = [name for name, v in values.items() if np.isnan(v).any()]
        if undefined and not self._warned:
            self._warned = True
            warnings.warn(
                f"PartitionMonitor: metrics {undefined} are undefined (NaN) on some "
                "partitions (e.g. a partition with one class); the aggregates "
                "skip them. Warned once per fit.",
                PartitionMetricWarning,
                stacklevel=3,
            )

    def _aggregate(self, values: dict[str, np.ndarray]) -> dict[str, float]:
        """``{prefix}{metric}_{aggregate}`` over partitions with a defined value."""
        logs = {}
        for spec in self._prepared.specs:
            stats = summarize_values(
                pd.Series(values[spec.name]), spec.greater_is_better
            )
            for aggregate in AGGREGATES:
                logs[f"{self.prefix}{spec.name}_{aggregate}"] = stats[aggregate]
        return logs

    # --- history -------------------------------------------------------------

    def _record(self, epoch: int, values: dict[str, np.ndarray]) -> None:
        self._records.append((epoch, self._prepared.labels, values))
        self._frame = None
        # Kept for plot(), which runs after the per-run state is dropped.
        self._greater_is_better.update(
            {spec.name: spec.greater_is_better for spec in self._prepared.specs}
        )

    @property
    def history_(self) -> pd.DataFrame:
        """Tidy per-partition values of the evaluated epochs (see class doc)."""
        if not self._records:
            raise AttributeError(
                "PartitionMonitor has no history_ yet: it is set after the first "
                "evaluated epoch of a fit."
            )
        if self._frame is None:
            self._frame = _tidy(self._records)
        return self._frame.copy()

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

        Examples
        --------
        >>> ax = monitor.plot("accuracy")  # doctest: +SKIP
        """
        history = self.history_
        metrics = list(dict.fromkeys(history["metric"]))
        if metric is None:
            metric = metrics[0]
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

    def _bind_estimator(self, estimator: Any) -> None:
        """Take the target kind and ``classes_`` from a SciKeras estimator."""
        classes = getattr(estimator, "classes_", None)
        is_classifier = classes is not None or _is_classifier(estimator)
        self._target_info = (is_classifier, classes)

    def __getstate__(self) -> dict:
        # The Keras model belongs to the estimator (which pickles it itself) and
        # the per-run arrays are rebuilt at train begin: keep neither. copy.deepcopy
        # (sklearn's clone of the callbacks parameter) goes through here too.
        state = self.__dict__.copy()
        state.update(_model=None, _prepared=None, _frame=None)
        return state

    def __repr__(self) -> str:
        return (
            f"PartitionMonitor(n_samples={_n_rows(self.y, 'y')}, "
            f"metrics={self.metrics!r}, every={self.every!r}, "
            f"sample_weight={_short(self.sample_weight)}, prefix={self.prefix!r})"
        )


def _tidy(records: list[tuple[int, pd.Index, dict]]) -> pd.DataFrame:
    """(epoch, labels, values) records -> the tidy long DataFrame."""
    epochs, partitions, metrics, values = [], [], [], []
    for epoch, labels, by_metric in records:
        flat = labels.to_flat_index()
        for name, column in by_metric.items():
            epochs.append(np.full(len(flat), epoch, dtype=np.int64))
            partitions.append(flat)
            metrics.append(np.full(len(flat), name, dtype=object))
            values.append(column)
    partition = partitions[0].append(partitions[1:]) if partitions else []
    return pd.DataFrame(
        {
            "epoch": np.concatenate(epochs),
            "partition": np.asarray(partition, dtype=object),
            "metric": np.concatenate(metrics),
            "value": np.concatenate(values).astype(np.float64),
        }
    )


def _n_rows(data: Any, name: str) -> int:
    """Rows of an array, DataFrame or (for multi-input models) list/dict of them."""
    if isinstance(data, dict):
        data = next(iter(data.values()))
    elif isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        data = data[0]
    if hasattr(data, "shape"):
        return int(data.shape[0])
    try:
        return len(data)
    except TypeError:
        raise ValueError(
            f"{name} must be array-like; got {type(data).__name__}."
        ) from None


def _as_model_input(X: Any) -> Any:
    """X as the model takes it: NumPy arrays, float64 cast once to floatx."""
    if isinstance(X, dict):
        return {key: _as_model_input(value) for key, value in X.items()}
    if isinstance(X, (list, tuple)) and X and hasattr(X[0], "shape"):
        return [_as_model_input(value) for value in X]
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


def _short(value: Any) -> str:
    return repr(value) if value is None or isinstance(value, str) else "<array>"


def flatten_callbacks(callbacks: Any) -> Iterable[Any]:
    """Callbacks in order, nested lists (allowed by SciKeras and Keras) flattened."""
    if callbacks is None:
        return
    if isinstance(callbacks, (list, tuple)):
        for callback in callbacks:
            yield from flatten_callbacks(callback)
    else:
        yield callbacks


def monitors_first(callbacks: Any, *, estimator: Any = None) -> list:
    """Return the callbacks flattened, every PartitionMonitor moved to the front.

    Keras calls callbacks in list order with one shared ``logs`` dict, so a
    monitor must run before ``EarlyStopping``, ``ModelCheckpoint`` or
    ``ReduceLROnPlateau`` read its keys; the order is otherwise kept.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback, nested lists of them, or None
        The fit callbacks.
    estimator : SciKeras estimator, default=None
        When given, each monitor takes the target kind and ``classes_`` from
        it, so that its ``y`` may hold the original labels.

    Returns
    -------
    list of keras.callbacks.Callback

    Raises
    ------
    ValueError
        When two monitors share a prefix (one would overwrite the other's keys).

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skpart.keras._monitor import PartitionMonitor, monitors_first
    >>> stop = keras.callbacks.EarlyStopping()
    >>> monitor = PartitionMonitor(np.zeros((2, 1)), [0, 1], ["a", "b"])
    >>> [type(c).__name__ for c in monitors_first([stop, [monitor]])]
    ['PartitionMonitor', 'EarlyStopping']
    """
    flat = list(flatten_callbacks(callbacks))
    monitors = [c for c in flat if isinstance(c, PartitionMonitor)]
    prefixes = [m.prefix for m in monitors]
    shared = sorted({p for p in prefixes if prefixes.count(p) > 1})
    if shared:
        raise ValueError(
            f"Several PartitionMonitors use the prefix {shared}; give each "
            "monitor its own prefix= so that their log keys differ."
        )
    if estimator is not None:
        for monitor in monitors:
            monitor._bind_estimator(estimator)
    return monitors + [c for c in flat if not isinstance(c, PartitionMonitor)]


def partition_history(callbacks: Any) -> pd.DataFrame | None:
    """Per-partition history of the monitors among ``callbacks``.

    Parameters
    ----------
    callbacks : list of keras.callbacks.Callback, nested lists of them, or None
        The fit callbacks.

    Returns
    -------
    DataFrame or None
        The monitors' :attr:`PartitionMonitor.history_` stacked, with a first
        column ``monitor`` holding each monitor's prefix (always present, so the
        columns are the same for one monitor or several): ``monitor``,
        ``epoch``, ``partition``, ``metric``, ``value``. None when no monitor
        has evaluated an epoch.

    Examples
    --------
    >>> from skpart.keras._monitor import partition_history
    >>> partition_history([]) is None
    True
    """
    frames = [
        callback.history_.assign(monitor=callback.prefix)
        for callback in flatten_callbacks(callbacks)
        if isinstance(callback, PartitionMonitor) and callback._records
    ]
    if not frames:
        return None
    history = pd.concat(frames, ignore_index=True)
    return history[["monitor", "epoch", "partition", "metric", "value"]]
