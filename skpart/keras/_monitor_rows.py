"""The rows a PartitionMonitor scores: checked when it is built, prepared per fit.

The checks run at construction, so that a bad argument fails there, not at
epoch 7. At train begin the rows become the engine's inputs once for the run:
the task and the classes (from the estimator, or from a plain Keras model's
outputs), the targets as labels, the encoded partitions, the resolved
weights, and the features as the model takes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import pandas as pd
from sklearn.base import is_classifier

from .._adapters.batches import check_batch_source, is_batch_source, iter_batches
from .._inputs.groups import Partitions, encode_groups
from .._inputs.rows import count_rows
from .._inputs.targets import Task, labels_1d, target_type
from .._inputs.validation import check_fraction
from .._inputs.weights import check_weight_array, resolve_weighting
from .._messages import truncate
from .._metrics.registry import resolve_metrics, task_of
from ._compat import encode_features
from ._predict import predict_in_batches

#: How the monitor's messages name a source of batches given as X.
_SOURCE = "PartitionMonitor's X"


def check_monitor_rows(
    X: Any,
    y: Any,
    groups: Any,
    *,
    metrics: Any,
    sample_weight: Any,
    min_partition_size: int,
    validation_fraction: float | None,
) -> None:
    """Check the rows given to a PartitionMonitor, or its ``validation_fraction``.

    Parameters
    ----------
    X, y, groups : array-like or None
        The monitor's rows (``X`` alone may be a source of batches).
    metrics : str, callable or list
        The monitor's metrics (a mix of classification and regression fails).
    sample_weight : {"auto", "balanced"}, None or array-like
        The monitor's weighting (an array must match the rows).
    min_partition_size : int
        The monitor's smallest reliable partition (one partition must reach it).
    validation_fraction : float or None
        The fraction of the training rows to hold out, instead of rows.
    """
    rows = {"X": X, "y": y, "groups": groups}
    given = [name for name, value in rows.items() if value is not None]
    if validation_fraction is not None:
        if given:
            raise ValueError(
                f"PartitionMonitor got validation_fraction={validation_fraction!r} "
                f"and {', '.join(given)}: pass either the rows to monitor or the "
                "fraction of the training rows to hold out, not both."
            )
        check_fraction(validation_fraction, "validation_fraction", example="0.2")
        return
    if given == ["X"] and is_batch_source(X):
        # Batches carry their own y, groups and weights; read every epoch.
        check_batch_source(X, _SOURCE, reiterable=True)
        if sample_weight is not None and not isinstance(sample_weight, str):
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
    n_rows = count_rows(y, "y")
    if count_rows(X) != n_rows:
        raise ValueError(
            f"X has {count_rows(X)} rows but y has {n_rows}; pass one "
            "target per row of X."
        )
    check_largest_partition(
        encode_groups(groups, n_samples=n_rows), min_partition_size, held_out=False
    )
    task_of(resolve_metrics(metrics, task="classification"))  # no mixes
    if sample_weight is not None and not isinstance(sample_weight, str):
        check_weight_array(sample_weight, n_rows)


def check_largest_partition(
    partitions: Partitions | pd.Series, min_partition_size: int, *, held_out: bool
) -> None:
    """Refuse monitored rows whose partitions are all below ``min_partition_size``.

    Every partition would be left out of the logged aggregates, so they would
    be NaN at every epoch (and ``EarlyStopping`` would stop training on them),
    as the partition scorer refuses the same case.

    Parameters
    ----------
    partitions : Partitions or Series
        The rows' partitions, or their row counts indexed by partition label.
    min_partition_size : int
        The monitor's ``min_partition_size``.
    held_out : bool
        Whether the rows are those ``validation_fraction`` held out.
    """
    sizes = partitions
    if isinstance(partitions, Partitions):
        sizes = pd.Series(
            np.bincount(partitions.codes, minlength=partitions.n_partitions),
            index=partitions.partition_labels,
        )
    if sizes.empty or sizes.max() >= min_partition_size:
        return
    label, largest = sizes.idxmax(), int(sizes.max())
    rows = "held-out rows" if held_out else "monitored rows"
    more = "monitor more rows per partition"
    if held_out:
        more = "hold out more rows (a larger validation_fraction)"
    raise ValueError(
        f"PartitionMonitor(min_partition_size={min_partition_size}) would log "
        f"NaN at every epoch: the largest partition of its {rows}, {label!r}, "
        f"has {largest} rows, so every partition is left out of the logged "
        "aggregates (and an EarlyStopping on them would stop training after "
        f"`patience` epochs). Lower min_partition_size to at most {largest}, "
        f"or {more}."
    )


@dataclasses.dataclass(frozen=True, eq=False)  # arrays: no field-wise ==
class MonitoredRows:
    """The monitored rows of one fit, as the engine takes them.

    Rows in memory (``X``, ``y``, ``partitions``, ``weights``), or a
    ``source`` of batches read at each evaluated epoch.
    """

    task: Task
    classes: np.ndarray | None
    weighting: Any
    X: Any = None
    y: Any = None
    partitions: Partitions | None = None
    weights: Any = None
    source: Any = None
    estimator: Any = None  # encodes each batch of a source, as its predict does

    def targets(self, y: Any) -> Any:
        """``y`` as the engine takes it: class labels the model was trained on."""
        if self.task != "classification":
            return y
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:  # one-hot rows: the column is the class
            y = np.argmax(y, axis=1)
        y = labels_1d(y, "y")
        unknown = ~np.isin(y, self.classes)
        if unknown.any():
            raise ValueError(
                f"PartitionMonitor's y has labels "
                f"{truncate(pd.unique(y[unknown]).tolist())} that the model was "
                f"not trained on (classes {truncate(list(self.classes))}). Drop "
                "those rows from the monitor's data; with a plain Keras model, "
                "pass y encoded as 0..n_classes-1."
            )
        return y

    def batches(self) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Yield ``(X, y, partitions, weights)``: one batch for rows in memory."""
        if self.source is None:
            yield self.X, self.y, self.partitions, self.weights
            return
        for _, _, (X, y, groups, weight) in iter_batches(self.source, _SOURCE):
            yield model_input(X, self.estimator), self.targets(y), groups, weight


def prepare_rows(
    X: Any,
    y: Any,
    groups: Any,
    *,
    metrics: Any,
    sample_weight: Any,
    min_partition_size: int,
    estimator: Any,
    model: Any,
    held_out: bool,
) -> MonitoredRows:
    """Prepare the monitored rows once for a fit.

    Parameters
    ----------
    X, y, groups : array-like
        The rows (``X`` alone may be a source of batches).
    metrics : str, callable or list
        The monitor's metrics (they tell the task without an estimator).
    sample_weight : {"auto", "balanced"}, None or array-like
        The monitor's weighting.
    min_partition_size : int
        The monitor's smallest reliable partition (one partition must reach it).
    estimator : SciKeras estimator or None
        The estimator that runs the fit: its task, ``classes_`` and input space.
    model : keras.Model
        The model being trained (its outputs give a plain model's classes).
    held_out : bool
        Whether the estimator held these rows out of its training rows
        (already in the model's input space).

    Returns
    -------
    MonitoredRows
    """
    if X is None:
        raise ValueError(
            "PartitionMonitor(validation_fraction=...) monitors rows that a "
            "PartitionAwareClassifier/Regressor holds out in fit; with a plain "
            "Keras model pass X, y and groups."
        )
    source, batch_weight = None, None
    if not held_out and y is None and is_batch_source(X):
        # A source of batches, read each evaluated epoch; its first batch
        # stands for the rows in the checks below.
        source = X
        _, _, (X, y, groups, batch_weight) = next(iter_batches(source, _SOURCE))
    if not held_out:
        check_input_space(X, estimator)
    classes = getattr(estimator, "classes_", None)
    if estimator is not None:
        task = "classification" if is_classifier(estimator) else "regression"
    else:
        named = task_of(resolve_metrics(metrics, task="classification"))
        kind = target_type(np.asarray(y), "y")
        task = named or (
            "regression" if kind.startswith("continuous") else "classification"
        )
    if task == "classification" and classes is None:
        # A plain Keras model: its output columns.
        classes = np.arange(n_output_classes(model, X))
    weighting, weights = resolve_weighting(sample_weight, task)
    if batch_weight is not None and sample_weight == "auto":
        weighting = None  # weighted batches stand for a weight array
    rows = MonitoredRows(
        task=task,
        classes=None if classes is None else np.asarray(classes),
        weighting=weighting,
        source=source,
        estimator=None if held_out else estimator,
    )
    if source is not None:
        return rows
    y = rows.targets(y)
    partitions = encode_groups(groups, n_samples=count_rows(y, "y"))
    # Before the first epoch: for held-out rows, the first time sizes are known.
    check_largest_partition(partitions, min_partition_size, held_out=held_out)
    return dataclasses.replace(
        rows,
        X=model_input(X, rows.estimator),
        y=y,
        partitions=partitions,
        weights=weights,
    )


def check_input_space(X: Any, estimator: Any) -> None:
    """Refuse rows that are not in the space the estimator's model sees."""
    if estimator is None:
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


def n_output_classes(model: Any, X: Any) -> int:
    """Count the classes a plain Keras classifier's output columns stand for."""
    outputs = getattr(model, "outputs", None)
    width = outputs[0].shape[-1] if outputs else None
    if width is None:  # a subclassed model: ask it
        width = single_output(predict_in_batches(model, X, 1)).shape[-1]
    # One sigmoid column is a binary classifier, as SciKeras reads it.
    return 2 if width == 1 else int(width)


def model_input(X: Any, estimator: Any) -> Any:
    """X as the model takes it, through the estimator's feature encoder if any.

    Rows in the estimator's input space go through its own checks and
    feature encoder, as its ``predict`` and ``score_partitions`` take them
    (a multi-input model's encoder splits them into its inputs); rows
    already split into the model's inputs (a dict, or a list or tuple of
    arrays) are fed as they are.
    """
    if estimator is not None and not is_split_input(X):
        X = encode_features(estimator, X)
    return as_model_input(X)


def is_split_input(X: Any) -> bool:
    """Whether X is already several model inputs: a dict, list or tuple of arrays."""
    return isinstance(X, dict) or (
        isinstance(X, (list, tuple)) and bool(X) and hasattr(X[0], "shape")
    )


def as_model_input(X: Any) -> Any:
    """X as the model takes it: NumPy arrays, float64 cast once to floatx."""
    if isinstance(X, dict):
        return {key: as_model_input(value) for key, value in X.items()}
    if is_split_input(X):
        return type(X)(as_model_input(value) for value in X)
    X = X.to_numpy() if hasattr(X, "to_numpy") else np.asarray(X)
    if X.dtype.kind == "f":
        # Keras casts every batch to the float type anyway; do it once per run.
        X = X.astype(keras.backend.floatx(), copy=False)
    return X


def single_output(outputs: Any) -> np.ndarray:
    """Return the one output of a model's prediction as an array."""
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
