"""PartitionMonitor: per-partition metrics at epoch end, written into the logs.

The callback holds the Keras hooks only. Its rows are checked and prepared
in ``_monitor_rows``, the engine scores each evaluated epoch in
``_monitor_scoring`` (as for ``score_partitions``), and ``_monitor_history``
keeps each partition's values.
"""

from __future__ import annotations

from typing import Any

import keras
import pandas as pd

from .._inputs.rows import count_rows
from .._inputs.validation import check_int
from .._inputs.weights import check_weighting
from ._compat import fit_callbacks
from ._monitor_history import MonitorHistory, kept_epoch
from ._monitor_rows import check_monitor_rows, prepare_rows
from ._monitor_scoring import EpochScoring, epoch_logs


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
        Rows to monitor (usually held-out rows), as the estimator's own
        ``predict`` and ``score_partitions`` take them: through a
        :class:`~skpart.PartitionAwareClassifier` or
        :class:`~skpart.PartitionAwareRegressor`, the rows it is fitted on,
        passed through its ``feature_encoder`` (which may split them into
        the inputs of a multi-input model); rows already split into the
        model's inputs (a dict, or a list of arrays) and rows for a plain
        Keras model are fed to the model as they are. Inside a Pipeline or a
        search, where earlier steps transform X, leave X, y and groups as
        None and use ``validation_fraction``.
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
        left out of the logged aggregates, as in the report's summary. If no
        partition reaches it, the aggregates would be NaN at every epoch: a
        ValueError names the largest partition's size, here for rows given
        as X, before the first epoch for held-out rows, at the first
        evaluated epoch for batches.
    validation_fraction : float, default=None
        Instead of ``X, y, groups``: the estimator holds out this fraction of
        its own training rows (already transformed by a Pipeline), stratified
        by partition, trains on the rest and monitors them. Their partitions
        come from ``fit(X, y, groups=g)``; their positions in ``fit``'s X
        are the estimator's ``held_out_indices_``, to score the same rows
        after training.
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
        self._history = MonitorHistory()
        # Cheap checks, so that a bad argument fails here, not at epoch 7.
        for name in ("every", "min_partition_size"):
            check_int(getattr(self, name), name, minimum=1)
        if not isinstance(prefix, str):
            raise ValueError(f"prefix must be a string; got {prefix!r}.")
        check_weighting(sample_weight)
        check_monitor_rows(
            X,
            y,
            groups,
            metrics=metrics,
            sample_weight=sample_weight,
            min_partition_size=min_partition_size,
            validation_fraction=validation_fraction,
        )

    # --- Keras hooks ---------------------------------------------------------

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Prepare the monitored rows once for the run."""
        X, y, groups = self._held_out or (self.X, self.y, self.groups)
        rows = prepare_rows(
            X,
            y,
            groups,
            metrics=self.metrics,
            sample_weight=self.sample_weight,
            min_partition_size=self.min_partition_size,
            estimator=self._estimator,
            model=self.model,
            held_out=self._held_out is not None,
        )
        self._scoring = EpochScoring(
            rows,
            metrics=self.metrics,
            min_partition_size=self.min_partition_size,
            pos_label=self.pos_label,
        )
        self._last_logs: dict[str, float] = {}
        self._first_epoch: int | None = None
        # Read now: SciKeras also hands this callback to predict, which would
        # replace self.params with predict's (no "epochs") mid-training.
        epochs = (self.params or {}).get("epochs")
        self._final_epoch = None if epochs is None else epochs - 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Evaluate if due, then write the aggregates into ``logs`` in place."""
        if getattr(self, "_scoring", None) is None:  # a custom loop: no train begin
            self.on_train_begin()
        if self._is_due(epoch):
            report = self._scoring.score(self.model)
            self._history.add(epoch, report)
            self._last_logs = epoch_logs(report, self.prefix)
        if logs is not None:
            logs.update(self._last_logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Note the epoch an EarlyStopping kept; drop the per-run state."""
        self._history.kept_epoch = kept_epoch(
            fit_callbacks(self._estimator) if self._estimator is not None else []
        )
        self._scoring = None

    def _is_due(self, epoch: int) -> bool:
        if self._first_epoch is None:
            # A new run replaces the rows of the epochs it runs again.
            self._first_epoch = epoch
            self._history.drop_from(epoch)
            return True
        return (epoch - self._first_epoch) % self.every == 0 or (
            epoch == self._final_epoch
        )

    # --- history and plot ----------------------------------------------------

    @property
    def history_(self) -> pd.DataFrame:
        """Tidy per-partition values of the evaluated epochs (see class doc)."""
        return self._history.frame()

    def plot(self, metric: str | None = None, ax: Any = None) -> Any:
        """Plot each partition's values over epochs, the worst one highlighted.

        Epochs are numbered from 0, as in :attr:`history_`, the epoch logs
        and Keras's callbacks. When an ``EarlyStopping`` with
        ``restore_best_weights=True`` among the estimator's callbacks stopped
        the last fit, a dotted line marks the epoch whose weights it kept
        (its ``best_epoch``).

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
        return self._history.plot(metric, ax=ax)

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
        state.update(_model=None, _scoring=None, _estimator=None, _held_out=None)
        return state

    def __repr__(self) -> str:
        if self.X is None:
            rows = f"validation_fraction={self.validation_fraction!r}"
        elif self.y is None:  # a batch source
            rows = f"<{type(self.X).__name__}>"
        else:
            rows = f"n_samples={count_rows(self.y, 'y')}"
        return (
            f"PartitionMonitor({rows}, metrics={self.metrics!r}, "
            f"every={self.every!r}, prefix={self.prefix!r})"
        )
