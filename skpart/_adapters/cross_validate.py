"""cross_validate_partitions: out-of-fold metrics per partition, on sklearn's CV.

sklearn's ``cross_validate`` fits the folds (so ``n_jobs``, ``verbose``,
``error_score`` and ``params`` routing behave as users know) and returns the
fitted estimators and test indices; each fold then predicts its test rows
once, and the engine scores the out-of-fold predictions of every partition.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
from sklearn import get_config
from sklearn.base import is_classifier
from sklearn.model_selection import GroupKFold, check_cv, cross_validate
from sklearn.utils import indexable
from sklearn.utils.validation import column_or_1d

from .._bootstrap.docstrings import with_bootstrap_parameters
from .._compat import _num_samples, _safe_indexing
from .._engine.predictions import accumulator_for, predict_once
from .._inputs.groups import encode_groups
from .._inputs.validation import check_min_partition_size
from .._inputs.weights import check_weight_array
from .._results.report import PartitionReport


@with_bootstrap_parameters
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
    pos_label: Any = None,
    verbose: int = 0,
    error_score: Any = np.nan,
    min_partition_size: int = 1,
    n_boot: int | None = None,
    confidence_level: float = 0.95,
    random_state: Any = None,
) -> PartitionReport:
    """Cross-validate an estimator and score each partition on unseen data.

    Every test row is predicted by the model of the fold that held it out, so
    with ``GroupKFold`` on ``groups`` (the default) each partition is scored by
    a model that never saw it. Each fold predicts once (``predict_proba`` only
    when a metric needs probabilities). With ``n_boot``, the bootstrap
    resamples the out-of-fold rows (the models are not refitted: the
    intervals describe the test rows' sampling noise).

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
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    verbose : int, default=0
        Verbosity of ``cross_validate``.
    error_score : "raise" or nan, default=nan
        ``"raise"`` re-raises a failing fit; with nan the failing folds are
        left out of the report with a warning (sklearn warns as well).
    min_partition_size : int, default=1
        Partitions with fewer test rows are reported but left out of ``summary``.
    {bootstrap_parameters}

    Returns
    -------
    PartitionReport
        One row per partition, whatever the splitter: each partition is
        scored on its out-of-fold predictions (every row predicted by the
        model of the fold that held it out, as ``cross_val_predict``), pooled
        over the folds that hold its rows. With ``GroupKFold`` on the
        partitions (the default) that is one fold per partition. ``overall``
        is each metric on all out-of-fold predictions pooled.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import cross_validate_partitions
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(120, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> site = np.repeat(["a", "b", "c", "d"], 30)
    >>> report = cross_validate_partitions(
    ...     LogisticRegression(), X, y, groups=site, cv=4)
    >>> report.by_partition["n_samples"].tolist()
    [30, 30, 30, 30]
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
    accumulator, weights = accumulator_for(
        estimator,
        metrics,
        sample_weight=sample_weight,
        pos_label=pos_label,
        min_partition_size=min_partition_size,
        # A training fold may lack a class: the classes come from all of y.
        classes=np.unique(column_or_1d(y)) if classifier else None,
        n_boot=n_boot,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    if weights is not None:
        weights = check_weight_array(weights, n_samples)
    results = _cross_validate(
        estimator, X, y, cv, split_groups, n_jobs, params, verbose, error_score
    )
    report_by = (
        split_groups
        if partitions is None
        else encode_groups(partitions, n_samples=n_samples)
    )
    for rows, y_pred, y_proba in _out_of_fold_predictions(
        results, X, accumulator.needs_proba, accumulator.classes
    ):
        accumulator.update(
            _safe_indexing(y, rows),
            y_pred,
            report_by.take(rows),
            y_proba=y_proba,
            sample_weight=None if weights is None else weights[rows],
        )
    return accumulator.result()


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
    check_min_partition_size(min_partition_size)


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
    """Each fold's test rows and predictions; folds whose fit failed are left out."""
    tests = results["indices"]["test"]
    failed = np.flatnonzero(np.isnan(results["test_score"]))
    if failed.size:
        warnings.warn(
            f"The fit failed on fold(s) {failed.tolist()}; their test rows are "
            "not in the report.",
            UserWarning,
            stacklevel=3,
        )
    for fold, rows in enumerate(tests):
        if fold in set(failed):
            continue
        estimator = results["estimator"][fold]
        y_pred, y_proba = predict_once(estimator, _safe_indexing(X, rows), proba)
        if proba:
            y_proba = _align_proba(y_proba, estimator.classes_, classes)
        yield rows, y_pred, y_proba


def _align_proba(proba, fold_classes, classes) -> np.ndarray:
    """Put a fold's probability columns under all classes (0 for unseen ones).

    A training fold may lack a class, so its model has fewer columns.
    """
    proba = np.asarray(proba, dtype=np.float64)
    columns = np.searchsorted(classes, np.asarray(fold_classes))
    aligned = np.zeros((proba.shape[0], len(classes)))
    aligned[:, columns] = proba
    return aligned
