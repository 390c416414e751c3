"""Targets at the boundary: the task, class labels, values and probabilities.

Validation happens here once per batch; the statistics trust what comes out:
class indices into the sorted classes, float64 values, probabilities with one
column per sorted class in the dtype they came in (sklearn clips at that
dtype's precision).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn.utils import assert_all_finite
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, column_or_1d

from .._messages import truncate

Task = Literal["classification", "regression"]


def target_type(y: Any, name: str = "y_true") -> str:
    """Sklearn's ``type_of_target``, with the argument's name in its errors."""
    return type_of_target(y, input_name=name)


def check_classification_target(y: Any, name: str, metric_names: list[str]) -> None:
    """Refuse a continuous target for classification metrics, as sklearn does."""
    kind = target_type(y, name)
    if kind.startswith("continuous"):
        raise ValueError(
            f"{name} is a {kind!r} target (real values such as "
            f"{truncate(np.unique(np.asarray(y).ravel()[:50]).tolist()[:3])}), "
            f"but the metrics {metric_names} are classification metrics: "
            "sklearn refuses them ('continuous is not supported'). Use "
            "regression metrics (r2, mean_squared_error, ...) or pass class labels."
        )


def check_one_output(y: Any, name: str, fix: str | None = None) -> None:
    """Refuse a multi-output target (several columns), saying what to do instead.

    Parameters
    ----------
    y : array-like
        Targets or predictions.
    name : str
        The argument's name, for the message.
    fix : str, default=None
        The call to suggest per output; default: ``metrics_by_partition`` on
        column ``j`` of ``name``.
    """
    shape = getattr(y, "shape", None)
    if shape is None and isinstance(y, (list, tuple)):
        shape = np.shape(y)
    if shape is None or len(shape) != 2 or shape[1] == 1:
        return
    if fix is None:
        fix = f"metrics_by_partition({name}[:, j], ...[:, j], groups)"
    raise ValueError(
        f"{name} has shape {tuple(shape)}: multi-output targets (one column per "
        "output) are not supported, each metric gives one value per partition. "
        f"Score each output on its own: {fix} for each output j."
    )


def labels_1d(y: Any, name: str) -> np.ndarray:
    """Validate one column of class labels (no NaN or missing label)."""
    check_one_output(y, name)
    y = column_or_1d(y, input_name=name)
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name=name)
    elif y.dtype.kind == "O" and pd.isna(y).any():
        raise ValueError(
            f"{name} has {int(pd.isna(y).sum())} missing label(s) (NaN/None); "
            "drop those rows or give them a label."
        )
    return y


def values_1d(y: Any, name: str) -> np.ndarray:
    """Validate one column of finite regression values, as float64."""
    check_one_output(y, name)
    y = column_or_1d(y, dtype=np.float64, input_name=name)
    assert_all_finite(y, input_name=name)
    return y


def check_classes(classes: Any) -> np.ndarray:
    """Validate ``classes``: 1-D, no duplicates, one type."""
    classes = column_or_1d(classes, input_name="classes")
    _sort_labels(classes, "classes")
    if len(pd.unique(classes)) != len(classes):
        raise ValueError(f"classes has duplicate labels: {classes.tolist()!r}.")
    return classes


def _sort_labels(labels: np.ndarray, name: str) -> np.ndarray:
    try:
        return np.sort(labels, kind="stable")
    except TypeError:
        kinds = sorted({type(label).__name__ for label in labels.tolist()})
        raise ValueError(
            f"{name} mixes label types {kinds} ({truncate(labels.tolist())}); "
            "class labels must all be numbers or all be strings: convert them "
            "(e.g. y.astype(str))."
        ) from None


class ClassCodebook:
    """The sorted classes seen so far, and the encoding of labels as indices.

    Parameters
    ----------
    classes : array-like or None
        Fixed classes (an estimator's ``classes_``, in its probability column
        order); None learns them from the labels as they come.
    """

    def __init__(self, classes: Any = None) -> None:
        self.fixed = classes is not None
        if self.fixed:
            given = check_classes(classes)
            #: Sorted class i is the caller's probability column column_order[i].
            self.column_order = np.argsort(given, kind="stable")
            self.sorted = given[self.column_order]
        else:
            self.sorted = None
            self.column_order = None

    @property
    def n_classes(self) -> int:
        """Number of classes known so far."""
        return 0 if self.sorted is None else len(self.sorted)

    def learn(self, *label_arrays: np.ndarray) -> np.ndarray | None:
        """Add new classes from ``label_arrays``; return the old -> new index map.

        Returns None when no class is new (or the classes are fixed).
        """
        if self.fixed:
            return None
        seen = [pd.unique(labels) for labels in label_arrays]
        candidates = np.concatenate(
            [np.asarray(s, dtype=None) for s in seen]
            + ([] if self.sorted is None else [self.sorted])
        )
        union = _sort_labels(np.asarray(pd.unique(candidates)), "the labels")
        if self.sorted is not None and len(union) == len(self.sorted):
            return None
        old = self.sorted
        self.sorted = union
        if old is None:
            return np.empty(0, dtype=np.int64)
        return np.searchsorted(union, old)

    def fix(self) -> None:
        """Freeze the classes learnt so far (probability columns follow them)."""
        if not self.fixed:
            self.fixed = True
            self.column_order = np.arange(self.n_classes)

    def encode(self, y: np.ndarray, name: str) -> np.ndarray:
        """Class indices of the labels ``y``; unknown labels raise a clear error."""
        classes = self.sorted
        try:
            if _label_kind(y) != _label_kind(classes):
                raise TypeError  # NumPy would compare 0 with "0" as strings
            index = np.searchsorted(classes, y)
        except TypeError:
            raise ValueError(
                f"{name} has labels of type {type(y.tolist()[0]).__name__} "
                f"({truncate(pd.unique(y).tolist())}) but the classes are of type "
                f"{type(classes.tolist()[0]).__name__} ({truncate(classes.tolist())}):"
                " the labels must be the ones the model was fitted on "
                "(estimator.classes_)."
            ) from None
        index = np.minimum(index, len(classes) - 1)
        unknown = classes[index] != y
        if np.any(unknown):
            missing = pd.unique(y[unknown])
            raise ValueError(
                f"{name} has labels {truncate(missing.tolist())} that are not in "
                f"classes {truncate(classes.tolist())}; pass classes= with every "
                "label (e.g. classes=estimator.classes_)."
            )
        return index.astype(np.int64, copy=False)

    def position(self, label: Any, name: str) -> int:
        """Index of one class label among the sorted classes."""
        matches = np.flatnonzero(self.sorted == label)
        if matches.size == 0:
            raise ValueError(
                f"{name}={label!r} is not one of the classes "
                f"{truncate(self.sorted.tolist())}; pass one of them."
            )
        return int(matches[0])


def _label_kind(labels: np.ndarray) -> str:
    """Say what kind of values the labels are: ``"number"`` or ``"string"``."""
    first = labels.ravel()[:1].tolist()
    return "string" if first and isinstance(first[0], str) else "number"


def check_lengths(n_rows: int, **arrays: Any) -> None:
    """Every array has ``n_rows`` rows, the first one's count; say which does not."""
    for name, array in arrays.items():
        if array is not None and len(array) != n_rows:
            raise ValueError(
                f"{name} has {len(array)} rows but y_true has {n_rows}; pass one "
                f"{name} value per row of y_true."
            )


def check_proba(y_proba: Any, codebook: ClassCodebook, n_rows: int) -> np.ndarray:
    """Probabilities as (n_rows, n_classes), columns in sorted class order.

    float32 stays float32 (Keras's outputs): sklearn clips ``log_loss`` at the
    input dtype's precision, so converting first would change the value.
    """
    y_proba = check_array(
        y_proba,
        ensure_2d=False,
        dtype=[np.float64, np.float32],
        input_name="y_proba",
    )
    classes = codebook.sorted
    if y_proba.ndim == 1 and len(classes) == 2:
        # A 1-D array is the probability of the larger class, as in sklearn.
        y_proba = np.column_stack([1 - y_proba, y_proba])
    elif y_proba.ndim == 2 and y_proba.shape[1] == len(classes):
        y_proba = y_proba[:, codebook.column_order]
    if y_proba.ndim != 2 or y_proba.shape[1] != len(classes):
        raise ValueError(
            f"y_proba has shape {y_proba.shape} but there are {len(classes)} "
            f"classes {truncate(classes.tolist())}: it needs one column per "
            "class, in the order of classes (pass classes=estimator.classes_)."
        )
    if y_proba.shape[0] != n_rows:
        raise ValueError(
            f"y_proba has {y_proba.shape[0]} rows but y_true has {n_rows}; pass "
            "one row of probabilities per row of y_true."
        )
    return y_proba
