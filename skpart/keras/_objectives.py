"""Training for the worst partition: the estimators' ``partition_objective``.

``"reweight"`` gives every partition the same total weight in the loss;
``"group_dro"`` is online Group DRO (Sagawa et al., ICLR 2020, Algorithm 1),
one weight q_g per partition updated at every training step. Both train
the user's compiled model through :class:`PartitionObjectiveModel`, a small
Keras model around it whose ``compute_loss`` is the objective; the
estimator's ``model_`` stays the user's model.

The partition codes travel with the targets (``y`` is given to Keras as
``(y, codes)``), so shuffling, batching and ``validation_split`` keep them
aligned with the rows. q and the epoch's per-partition loss sums are
non-trainable variables assigned inside ``compute_loss``: the TensorFlow
trainer runs those assignments in its train step, and the JAX trainer reads
non-trainable variables back after ``compute_loss`` ("may have been updated
in compute_loss", keras/src/trainers/trainer.py, ``stateless_compute_loss``),
so one implementation serves both backends.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pandas as pd
from keras import ops

from .._compat import _safe_indexing
from .._inputs.groups import Partitions, encode_groups
from .._inputs.validation import check_nonnegative
from ._callbacks import flatten_callbacks
from ._compat import fit_callbacks, per_row_loss, set_fit_callbacks

#: The values ``partition_objective`` takes.
OBJECTIVES = (None, "reweight", "group_dro")

#: The epoch-log key of the worst partition's training loss.
WORST_LOSS_KEY = "partition_loss_worst"


def check_objective(estimator: Any) -> str | None:
    """Validate the estimator's objective parameters; return the objective.

    Parameters
    ----------
    estimator : PartitionAwareClassifier or PartitionAwareRegressor
        Reads ``partition_objective``, ``dro_step_size`` and ``dro_adjustment``.

    Returns
    -------
    {None, "reweight", "group_dro"}
    """
    objective = estimator.partition_objective
    if objective is not None and (
        not isinstance(objective, str) or objective not in OBJECTIVES
    ):
        raise ValueError(
            f"partition_objective={objective!r} is not an objective; use one of "
            "None (the loss over rows), 'reweight' (every partition the same "
            "total weight) or 'group_dro' (online Group DRO)."
        )
    check_nonnegative(estimator.dro_step_size, "dro_step_size")
    check_nonnegative(estimator.dro_adjustment, "dro_adjustment")
    return objective


def objective_partitions(
    estimator: Any, groups: Any, *, n_rows: int, rows: Any = None
) -> Partitions | None:
    """Return the partitions of the training rows, or None without an objective.

    Parameters
    ----------
    estimator : PartitionAwareClassifier or PartitionAwareRegressor
        Its ``partition_objective`` says whether partitions are needed.
    groups : array-like, DataFrame, list of array-like, Partitions or None
        What ``fit`` got as ``groups`` (as :func:`skpart.score_partitions`
        takes it), one label per row of ``X``.
    n_rows : int
        Rows of ``X`` (the length ``groups`` must have).
    rows : array of int, default=None
        The training rows when some are held out; None is all rows.

    Returns
    -------
    Partitions or None
    """
    objective = check_objective(estimator)
    if objective is None:
        return None
    if groups is None:
        raise ValueError(
            f"partition_objective={objective!r} trains on the partitions of the "
            "rows, but fit got no groups: pass fit(X, y, groups=g) (in a "
            "Pipeline or a search, route them with set_fit_request(groups=True) "
            "under sklearn.set_config(enable_metadata_routing=True))."
        )
    partitions = encode_groups(groups, n_samples=n_rows)
    return partitions if rows is None else partitions.take(rows)


def drop_unweighted_rows(X, y, sample_weight, partitions: Partitions | None):
    """Drop rows of weight 0 from ``X``, ``y``, the weights and the partitions.

    SciKeras drops them before training; dropping them first keeps the
    partitions aligned with the rows Keras receives. Weights of another
    length (or all zero) are left for SciKeras to refuse.

    Returns
    -------
    tuple
        ``(X, y, sample_weight, partitions)``.
    """
    if partitions is None or sample_weight is None:
        return X, y, sample_weight, partitions
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != partitions.codes.shape or weights.all() or not weights.any():
        return X, y, sample_weight, partitions
    keep = np.flatnonzero(weights != 0)
    return (
        _safe_indexing(X, keep),
        _safe_indexing(y, keep),
        weights[keep],
        partitions.take(keep),
    )


class PartitionObjectiveModel(keras.Model):
    """The user's compiled model, trained on a partition objective.

    ``call`` is the user's model; ``compute_loss`` takes ``y`` as
    ``(y, codes)``. In training it adds each partition's weighted per-row
    losses to the epoch's sums and returns the objective's loss: Keras's own
    loss of the (reweighted) rows for ``"reweight"``, sum_g q_g L_g plus the
    model's regularisation losses for ``"group_dro"``, after the update
    q_g <- q_g exp(eta (L_g + C / sqrt(n_g))) / sum. In evaluation
    (``val_loss``) it is Keras's loss over the rows. ``save`` and
    ``save_weights`` save the user's model, so a ``ModelCheckpoint`` writes
    what a plain fit would.

    Parameters
    ----------
    model : keras.Model
        The user's compiled model (one output, one loss).
    objective : {"reweight", "group_dro"}
        The objective.
    sizes : ndarray of shape (n_partitions,)
        Training rows of each partition (n_g).
    weights : ndarray of shape (n_partitions,)
        The initial q (sums to 1).
    step_size : float
        eta, ``dro_step_size``.
    adjustment : float
        C, ``dro_adjustment``.
    """

    def __init__(
        self,
        model: keras.Model,
        *,
        objective: str,
        sizes: np.ndarray,
        weights: np.ndarray,
        step_size: float,
        adjustment: float,
    ):
        super().__init__(name="partition_objective")
        self.inner = model
        self.objective = objective
        self.n_partitions = len(sizes)
        self.step_size = float(step_size)
        self.adjustments = (adjustment / np.sqrt(sizes)).astype("float32")
        self.row_loss = None  # resolved at the first trace, from y and y_pred
        self.partition_weights = self._state("partition_weights")
        self.partition_weights.assign(np.asarray(weights, dtype="float32"))
        self.loss_sums = self._state("partition_loss_sums")
        self.row_counts = self._state("partition_row_counts")

    def _state(self, name: str):
        return self.add_weight(
            shape=(self.n_partitions,),
            initializer="zeros",
            dtype="float32",
            trainable=False,
            name=name,
        )

    def call(self, inputs, training=None):
        return self.inner(inputs, training=training)

    def compute_loss(
        self, x=None, y=None, y_pred=None, sample_weight=None, training=True
    ):
        (y, codes), sample_weight = _split_target(y, sample_weight)
        if not training or codes is None:
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        if self.row_loss is None:
            self.row_loss = per_row_loss(self.loss, y, y_pred)
        rows = self.row_loss(y, y_pred, sample_weight=sample_weight)
        if len(rows.shape) > 1:  # a loss per time step or pixel: its row mean
            rows = ops.mean(ops.reshape(rows, (ops.shape(rows)[0], -1)), axis=1)
        members = ops.one_hot(ops.cast(codes, "int32"), self.n_partitions)
        members = ops.cast(members, rows.dtype)
        sums = ops.sum(members * ops.expand_dims(rows, 1), axis=0)
        counts = ops.sum(members, axis=0)
        self.loss_sums.assign_add(ops.cast(ops.stop_gradient(sums), "float32"))
        self.row_counts.assign_add(ops.cast(counts, "float32"))
        if self.objective == "reweight":
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)
        means = sums / ops.maximum(counts, 1.0)
        weights = group_dro_update(
            self.partition_weights,
            ops.cast(ops.stop_gradient(means), "float32"),
            counts,
            step_size=self.step_size,
            adjustments=self.adjustments,
        )
        self.partition_weights.assign(weights)
        loss = ops.sum(ops.cast(ops.stop_gradient(weights), means.dtype) * means)
        for extra in self.losses:  # regularisers and add_loss, as Keras adds them
            loss = loss + ops.cast(ops.sum(extra), loss.dtype)
        return loss

    def save(self, *args, **kwargs):
        # A ModelCheckpoint saves the model the estimator hands back.
        return self.inner.save(*args, **kwargs)

    def save_weights(self, *args, **kwargs):
        return self.inner.save_weights(*args, **kwargs)


def group_dro_update(weights, losses, counts, *, step_size, adjustments):
    """One step of Group DRO's update of q (Sagawa et al., Algorithm 1).

    q_g <- q_g exp(eta (L_g + C / sqrt(n_g))), then q <- q / sum(q); a
    partition absent from the batch (count 0) keeps its q before the
    normalisation. The exponents are shifted by their maximum first, which
    leaves q unchanged and keeps ``exp`` from overflowing on large losses.

    Parameters
    ----------
    weights : tensor of shape (n_partitions,)
        q before the step.
    losses : tensor of shape (n_partitions,)
        L_g, each partition's mean loss in the batch.
    counts : tensor of shape (n_partitions,)
        Each partition's rows in the batch.
    step_size : float
        eta.
    adjustments : array of shape (n_partitions,)
        C / sqrt(n_g).

    Returns
    -------
    tensor of shape (n_partitions,)
        q after the step.
    """
    exponents = ops.where(counts > 0, step_size * (losses + adjustments), 0.0)
    weights = weights * ops.exp(exponents - ops.max(exponents))
    return weights / ops.sum(weights)


class _WorstPartitionLoss(keras.callbacks.Callback):
    """Writes the worst partition's training loss of the epoch into the logs."""

    def __init__(self, model: PartitionObjectiveModel, scale: np.ndarray):
        super().__init__()
        self._objective_model = model
        self._scale = scale  # reweighting's factor per partition, undone here

    def on_epoch_begin(self, epoch, logs=None):
        zeros = np.zeros(self._objective_model.n_partitions, dtype="float32")
        self._objective_model.loss_sums.assign(zeros)
        self._objective_model.row_counts.assign(zeros)

    def on_epoch_end(self, epoch, logs=None):
        sums = np.asarray(keras.ops.convert_to_numpy(self._objective_model.loss_sums))
        counts = np.asarray(
            keras.ops.convert_to_numpy(self._objective_model.row_counts)
        )
        seen = counts > 0
        if logs is not None and seen.any():
            losses = sums[seen] / counts[seen] / self._scale[seen]
            logs[WORST_LOSS_KEY] = float(np.max(losses))


@contextlib.contextmanager
def train_for_partitions(
    estimator: Any,
    partitions: Partitions | None,
    y: Any,
    sample_weight: Any,
    *,
    warm_start: bool,
) -> Iterator[tuple[Any, Any]]:
    """Make the estimator's next ``Model.fit`` train on its objective.

    Around SciKeras's ``_fit_keras_model``: ``model_`` becomes a
    :class:`PartitionObjectiveModel` around the user's model, the targets
    ``(y, codes)``, the weights reweighted for ``"reweight"``, and a callback
    that logs ``partition_loss_worst`` runs first. Afterwards ``model_`` is
    the user's model again, its callbacks point at it, and
    ``partition_weights_`` holds the partitions' weights. Without an
    objective it changes nothing (and drops an earlier ``partition_weights_``).

    Yields
    ------
    tuple
        ``(y, sample_weight)`` to give to ``Model.fit``.
    """
    objective = estimator.partition_objective
    if objective is None:
        vars(estimator).pop("partition_weights_", None)
        yield y, sample_weight
        return
    if partitions is None:
        raise ValueError(
            f"partition_objective={objective!r} trains through fit(X, y, "
            "groups=g); partial_fit does not take groups. Use fit with "
            "warm_start=True to train further."
        )
    model = estimator.model_
    loss = _single_loss(model.loss)
    labels, codes = np.unique(partitions.codes, return_inverse=True)
    labels = partitions.partition_labels[labels]
    sizes = np.bincount(codes).astype(np.float64)
    base = np.ones(len(codes)) if sample_weight is None else np.asarray(sample_weight)
    scale = np.ones(len(sizes))
    if objective == "reweight":
        weights = base / sizes[codes]
        scale = len(codes) / np.sum(weights) / sizes
        sample_weight = (weights / weights.mean()).astype(keras.backend.floatx())
        start = np.bincount(codes, weights=sample_weight) / np.sum(sample_weight)
    else:
        start = _previous_weights(estimator, labels, warm_start=warm_start)
    wrapper = PartitionObjectiveModel(
        model,
        objective=objective,
        sizes=sizes,
        weights=start,
        step_size=estimator.dro_step_size,
        adjustment=estimator.dro_adjustment,
    )
    wrapper.compile(
        optimizer=model.optimizer,
        loss=loss,
        loss_weights=model.get_compile_config().get("loss_weights"),
        run_eagerly=model.run_eagerly,
        jit_compile=model.jit_compile,
        steps_per_execution=model.steps_per_execution,
    )
    callbacks = fit_callbacks(estimator)
    set_fit_callbacks(estimator, [_WorstPartitionLoss(wrapper, scale), *callbacks])
    estimator.model_ = wrapper
    try:
        yield (y, codes.astype("int32")), sample_weight
        weights = np.asarray(
            keras.ops.convert_to_numpy(wrapper.partition_weights), dtype=np.float64
        )
        estimator.partition_weights_ = pd.Series(
            weights / weights.sum(), index=labels, name="partition_weight"
        )
    finally:
        estimator.model_ = model
        set_fit_callbacks(estimator, callbacks)
        for callback in flatten_callbacks(callbacks):
            # Keras pointed them at the wrapper; they keep the user's model.
            if getattr(callback, "_model", None) is wrapper:
                callback.set_model(model)


def _single_loss(loss: Any) -> Any:
    """Return the one loss of a one-output model, however compile got it."""
    if isinstance(loss, dict) and len(loss) == 1:
        loss = next(iter(loss.values()))
    elif isinstance(loss, (list, tuple)) and len(loss) == 1:
        loss = loss[0]
    if loss is None or isinstance(loss, (dict, list, tuple)):
        raise ValueError(
            f"partition_objective trains a model with one output and one loss; "
            f"this model is compiled with loss={loss!r}. Give the estimator a "
            "model with one output."
        )
    return loss


def _previous_weights(
    estimator: Any, labels: pd.Index, *, warm_start: bool
) -> np.ndarray:
    """Return the first q: the last fit's when warm starting on the same partitions."""
    previous = getattr(estimator, "partition_weights_", None)
    if warm_start and previous is not None and previous.index.equals(labels):
        return previous.to_numpy()
    return np.full(len(labels), 1.0 / len(labels))


def _split_target(y: Any, sample_weight: Any) -> tuple[tuple[Any, Any], Any]:
    """``((y, codes), sample_weight)`` as Keras batches them.

    Keras gives one weight array per target, so the weights come as a pair
    too. Validation data given by the user comes as plain ``y`` (codes None).
    """
    if not (isinstance(y, (tuple, list)) and len(y) == 2):
        return (y, None), sample_weight
    if isinstance(sample_weight, (tuple, list)):
        sample_weight = sample_weight[0]
    return (y[0], y[1]), sample_weight
