"""cross_validate_partitions: out-of-fold metrics per partition, on sklearn's CV.

sklearn's ``cross_validate`` fits the folds (so ``n_jobs``, ``verbose``,
``error_score`` and ``params`` routing behave as users know) and returns the
fitted estimators and test indices; each fold then predicts its test rows
once, and one call to :func:`metrics_by_partition` scores every
(fold, partition) cell.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn import get_config
from sklearn.base import is_classifier
from sklearn.model_selection import GroupKFold, check_cv, cross_validate
from sklearn.utils import indexable
from sklearn.utils.validation import column_or_1d

from ._compat import _num_samples, _safe_indexing
from ._evaluate import _check_min_partition_size, _predict_once, metrics_by_partition
from ._groups import encode_groups
from ._metric_specs import needs_proba, resolve_metrics
from ._report import PartitionReport
from ._weights import default_sample_weight


class _CrossValidationReport(PartitionReport):
    """A PartitionReport whose ``by_partition`` also has a ``fold`` column."""

    @property
    def metrics(self) -> list[str]:
        """Metric names, in column order (``fold`` is not a metric)."""
        return [name for name in super().metrics if name != "fold"]


def cross_validate_partitions(
    estimator: Any,
    X: Any,
    y: Any,
    *,
    groups: Any,
    cv: Any = None,
    metrics: Any = None,
    sample_weight: Any = "auto",
    n_jobs: int | None = None,
    params: dict | None = None,
    partitions: Any = None,
    verbose: int = 0,
    error_score: Any = np.nan,
    min_partition_size: int = 1,
) -> PartitionReport:
    """Cross-validate an estimator and score each partition on unseen data.

    Every test row is predicted by the model of the fold that held it out, so
    with ``GroupKFold`` on ``groups`` (the default) each partition is scored by
    a model that never saw it. Each fold predicts once (``predict_proba`` only
    when a metric needs probabilities).

    Parameters
    ----------
    estimator : estimator object
        Unfitted classifier, regressor or Pipeline; cloned for each fold.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Input data.
    y : array-like of shape (n_samples,)
        Labels or values.
    groups : array-like of shape (n_samples,), DataFrame or list of array-like
        Group label of each row, for the splitter (several columns are
        split by their combination) and, unless ``partitions`` is given,
        for the report. May be None when ``partitions`` is given.
    cv : int, cross-validation generator or iterable, default=None
        None or an int ``k``: ``GroupKFold(k)`` on ``groups`` (k=5 for None).
        Any sklearn splitter otherwise, given ``groups`` as usual.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`~skpart.score_partitions`; None means ``accuracy`` for
        classifiers and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        Weights in the metrics (not in fitting: pass fit weights in
        ``params``). ``"auto"``: ``"balanced"`` for classifiers, None for
        regressors; ``"balanced"`` balances classes within each cell.
    n_jobs : int, default=None
        Folds fitted in parallel, as in ``cross_validate``.
    params : dict, default=None
        Parameters for ``fit`` (routed by sklearn when metadata routing is
        on), as in ``cross_validate``. Pass ``groups`` as ``groups=``.
    partitions : array-like, DataFrame or list of array-like, default=None
        Labels to report by when they differ from the CV groups, e.g. split
        by patient and report by hospital. Default: ``groups``.
    verbose : int, default=0
        Verbosity of ``cross_validate``.
    error_score : "raise" or nan, default=nan
        ``"raise"`` re-raises a failing fit; with nan the failing folds are
        left out of the report with a warning (sklearn warns as well).
    min_partition_size : int, default=1
        Cells with fewer test rows are reported but left out of ``summary``.

    Returns
    -------
    PartitionReport
        ``by_partition`` has one row per partition and a ``fold`` column (the
        fold that held it out) when each partition falls in one test fold,
        as with ``GroupKFold``. When a partition falls in several test folds
        (e.g. ``KFold``, or ``partitions`` coarser than ``groups``) the index
        is a MultiIndex ``(fold, partition)``, one row per cell, and ``fold``
        is still a column. ``summary`` aggregates over these rows (so
        ``worst_partition`` may be a ``(fold, partition)`` tuple);
        ``overall`` is each metric on all out-of-fold predictions pooled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart._cross_validate import cross_validate_partitions
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> site = np.repeat(["a", "b", "c", "d"], 30)
    >>> report = cross_validate_partitions(
    ...     LogisticRegression(), X, y, groups=site, cv=4)
    >>> report.by_partition[["fold", "n_samples"]].shape
    (4, 2)
    >>> bool(report.summary.loc["accuracy", "worst"] > 0.8)
    True
    """
    X, y = indexable(X, y)
    n_samples = _num_samples(y)
    _check_options(groups, partitions, params, error_score, min_partition_size)
    split_groups = (
        None if groups is None else encode_groups(groups, n_samples=n_samples)
    )
    classifier = is_classifier(estimator)
    cv = _default_cv(cv, y, split_groups, classifier)
    results = _cross_validate(
        estimator, X, y, cv, split_groups, n_jobs, params, verbose, error_score
    )
    specs = resolve_metrics(metrics, is_classifier=classifier)
    if "fold" in [spec.name for spec in specs]:
        raise ValueError("metric name 'fold' is reserved here (the fold column).")
    classes = np.unique(column_or_1d(y)) if classifier else None
    rows, folds, y_pred, y_proba = _out_of_fold_predictions(
        results, X, needs_proba(specs), classes
    )
    labels = (
        split_groups
        if partitions is None
        else encode_groups(partitions, n_samples=n_samples)
    )
    weight = default_sample_weight(sample_weight, is_classifier=classifier)
    report = metrics_by_partition(
        _safe_indexing(y, rows),
        y_pred,
        _cell_columns(folds, labels, rows),
        metrics=specs,
        y_proba=y_proba,
        sample_weight=_take_weights(weight, rows, n_samples),
        classes=classes,
        min_partition_size=min_partition_size,
    )
    return _with_fold_column(report)


def _check_options(groups, partitions, params, error_score, min_partition_size):
    if groups is None and partitions is None:
        raise ValueError(
            "groups is None and so is partitions: pass groups= (the partition "
            "of each row, also used by GroupKFold) or partitions=."
        )
    if params and "groups" in params:
        raise ValueError(
            "pass the groups as cross_validate_partitions(..., groups=g), not in "
            "params; they are routed to the splitter (and, with metadata routing, "
            "to the estimator) from there."
        )
    nan = isinstance(error_score, numbers.Real) and np.isnan(error_score)
    if not (nan or (isinstance(error_score, str) and error_score == "raise")):
        raise ValueError(
            f"error_score must be 'raise' or np.nan; got {error_score!r}. A "
            "report has no per-partition value for a fold whose fit failed."
        )
    _check_min_partition_size(min_partition_size)


def _default_cv(cv, y, split_groups, classifier):
    # GroupKFold keeps each group in one test fold: scored by a model that
    # never saw it. sklearn's int default would be (Stratified)KFold.
    if (cv is None or isinstance(cv, numbers.Integral)) and split_groups is not None:
        return GroupKFold(n_splits=5 if cv is None else int(cv))
    return check_cv(cv, y, classifier=classifier)


def _no_score(estimator: Any, X: Any, y: Any = None, **kwargs: Any) -> float:
    """Score nothing, without predicting: folds are scored per partition later.

    It returns 0.0, so that a NaN ``test_score`` marks a fold whose fit failed.
    """
    return 0.0


def _cross_validate(
    estimator, X, y, cv, split_groups, n_jobs, params, verbose, error_score
):
    """Sklearn's cross_validate, keeping each fold's estimator and test rows."""
    params = {} if params is None else dict(params)
    codes = None if split_groups is None else split_groups.codes
    routing = get_config().get("enable_metadata_routing", False)
    # With routing on, cross_validate takes groups only inside params.
    group_kwargs = {"groups": codes} if not routing else {}
    if routing and codes is not None:
        params["groups"] = codes
    with warnings.catch_warnings():
        # Groups are always passed, for the report; a KFold need not use them.
        warnings.filterwarnings("ignore", "The groups parameter is ignored by")
        return cross_validate(
            estimator,
            X,
            y,
            cv=cv,
            scoring=_no_score,
            n_jobs=n_jobs,
            verbose=verbose,
            params=params,
            error_score=error_score,
            return_estimator=True,
            return_indices=True,
            **group_kwargs,
        )


def _out_of_fold_predictions(results, X, proba: bool, classes):
    """Predict each fold's test rows once; leave out folds whose fit failed."""
    tests = results["indices"]["test"]
    failed = np.flatnonzero(np.isnan(results["test_score"]))
    if failed.size:
        warnings.warn(
            f"The fit failed on fold(s) {failed.tolist()}; their test rows are "
            "not in the report.",
            UserWarning,
            stacklevel=3,
        )
    kept = [i for i in range(len(tests)) if i not in set(failed)]
    preds = [
        _predict_once(results["estimator"][i], _safe_indexing(X, tests[i]), proba)
        for i in kept
    ]
    rows = np.concatenate([tests[i] for i in kept])
    folds = np.concatenate([np.full(len(tests[i]), i) for i in kept])
    y_pred = np.concatenate([np.asarray(pred) for pred, _ in preds])
    y_proba = None
    if proba:
        y_proba = np.vstack(
            [
                _align_proba(p, results["estimator"][i].classes_, classes)
                for i, (_, p) in zip(kept, preds, strict=True)
            ]
        )
    return rows, folds, y_pred, y_proba


def _align_proba(proba, fold_classes, classes) -> np.ndarray:
    """Put a fold's probability columns under all classes (0 for unseen ones).

    A training fold may lack a class, so its model has fewer columns.
    """
    proba = np.asarray(proba, dtype=np.float64)
    columns = np.searchsorted(classes, np.asarray(fold_classes))
    aligned = np.zeros((proba.shape[0], len(classes)))
    aligned[:, columns] = proba
    return aligned


def _cell_columns(folds, labels, rows) -> list[pd.Index]:
    """Group columns of the test rows: the fold, then the partition level(s)."""
    partition = labels.labels.take(labels.codes[rows])
    levels = [partition.get_level_values(i) for i in range(partition.nlevels)]
    return [pd.Index(folds, name="fold"), *levels]


def _take_weights(weight, rows, n_samples):
    if weight is None or isinstance(weight, str):
        return weight
    weight = column_or_1d(weight, dtype=np.float64, input_name="sample_weight")
    if len(weight) != n_samples:
        raise ValueError(
            f"sample_weight has {len(weight)} rows but y has {n_samples}; "
            "pass one weight per row."
        )
    return weight[rows]


def _with_fold_column(report: PartitionReport) -> PartitionReport:
    """Move the fold level to a column; keep it in the index only if needed."""
    table = report.by_partition.copy()
    table["fold"] = table.index.get_level_values("fold")
    partitions = table.index.droplevel("fold")
    if partitions.is_unique:
        table.index = partitions
        table = table.sort_index()
    return _CrossValidationReport(
        table,
        report.overall,
        greater_is_better=report.greater_is_better,
        min_partition_size=report.min_partition_size,
    )
