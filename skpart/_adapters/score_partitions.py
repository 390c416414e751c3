"""score_partitions: a fitted estimator and its data -> PartitionReport.

The estimator predicts once (``predict_proba`` when a metric needs
probabilities, else ``predict``); the engine does the rest.
"""

from __future__ import annotations

from typing import Any

from sklearn.utils.validation import check_is_fitted

from .._bootstrap.docstrings import with_bootstrap_parameters
from .._distributed.dask import is_dask_collection, score_dask
from .._engine.predictions import accumulator_for, add_predictions
from .._inputs.targets import check_one_output
from .._results.report import PartitionReport
from .batches import check_verbose, is_batch_source, score_batches


@with_bootstrap_parameters
def score_partitions(
    estimator: Any,
    X: Any,
    y: Any = None,
    groups: Any = None,
    *,
    metrics: Any = None,
    sample_weight: Any = "auto",
    pos_label: Any = None,
    min_partition_size: int = 1,
    n_boot: int | None = None,
    confidence_level: float = 0.95,
    random_state: Any = None,
    verbose: int = 0,
) -> PartitionReport:
    """Score a fitted estimator (or Pipeline) on each partition of the data.

    The estimator predicts once: ``predict_proba`` when a metric needs
    probabilities (labels are then ``classes_[argmax]``, which can differ from
    ``predict`` for estimators whose ``predict`` is not that argmax), else
    ``predict``.

    Parameters
    ----------
    estimator : fitted estimator
        Any sklearn-compatible classifier or regressor, or a Pipeline.
    X : array-like, DataFrame, Dask collection or source of batches
        Input data of shape (n_samples, n_features). A Dask Array or Dask
        DataFrame is scored block by block on the workers (the estimator is
        sent to each worker once, the statistics are merged in a tree), with
        y, groups (and a sample_weight array) Dask collections of the same
        blocks. With y and groups left out, a source of batches: a
        ``tf.data.Dataset``, a list or an iterator of ``(X, y, groups)`` or
        ``(X, y, groups, sample_weight)`` tuples; each batch is predicted
        once and added to one accumulator. The report is the same as for the
        rows in memory.
    y : array-like of shape (n_samples,), default=None
        True labels or values (None only for a source of batches).
    groups : array-like of shape (n_samples,), DataFrame or list of array-like, \
default=None
        Partition label of each row; several columns give intersections.
    metrics : str, callable, tuple or list of these, default=None
        As in :func:`metrics_by_partition`; None means ``accuracy`` for
        classifiers and ``r2`` for regressors.
    sample_weight : {"auto", "balanced"}, None or array-like, default="auto"
        ``"auto"`` is ``"balanced"`` for classifiers and None for regressors.
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.
    min_partition_size : int, default=1
        Partitions with fewer rows are left out of the summary.
    {bootstrap_parameters}
    verbose : int, default=0
        1 shows progress over batches (a line per batch: the rows so far) or
        Dask blocks (``distributed.progress`` with a distributed Client, else
        ``dask.diagnostics.ProgressBar``); 0 prints nothing.

    Returns
    -------
    PartitionReport

    Raises
    ------
    ValueError
        For a bad batch, naming its position; the error's ``accumulator``
        attribute holds the batches before it (``error.accumulator.result()``).

    See Also
    --------
    metrics_by_partition : the same from predictions.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import score_partitions
    >>> X, y = [[0], [1], [2], [3]], [0, 0, 1, 1]
    >>> model = LogisticRegression().fit(X, y)
    >>> report = score_partitions(model, X, y, ["a", "a", "b", "b"])
    >>> float(report.overall["accuracy"])
    1.0
    """
    check_is_fitted(estimator)
    check_verbose(verbose)
    batches = y is None and groups is None and is_batch_source(X)
    if y is None and not batches:
        raise ValueError(
            f"y is None and X is a {type(X).__name__}: score_partitions needs "
            "the true targets of X (score_partitions(estimator, X, y, groups)), "
            "or, with y and groups left out, batches: a tf.data.Dataset, a list "
            "or an iterator of (X, y, groups) or (X, y, groups, sample_weight) "
            "tuples."
        )
    if not batches and is_batch_source(X) and not isinstance(X, (list, tuple)):
        raise ValueError(
            f"X is a source of batches ({type(X).__name__}) but y or groups was "
            "given too; batches carry their own: leave y and groups out, and "
            "yield (X, y, groups) tuples."
        )
    # Before predicting: sklearn's own error names neither y nor the way out.
    check_one_output(
        y,
        "y",
        "metrics_by_partition(y[:, j], estimator.predict(X)[:, j], groups, "
        "metrics=...)",
    )
    options = dict(
        pos_label=pos_label,
        min_partition_size=min_partition_size,
        n_boot=n_boot,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    accumulator, weights = accumulator_for(
        estimator, metrics, sample_weight=sample_weight, **options
    )
    if batches:
        if weights is not None:
            raise ValueError(
                "sample_weight is an array but X is a source of batches; give "
                "each batch its weights instead: (X, y, groups, sample_weight)."
            )
        return score_batches(
            estimator,
            X,
            accumulator,
            verbose=verbose,
            # Weighted batches stand for a weight array: "auto" uses them.
            weighted=None
            if sample_weight != "auto"
            else lambda: accumulator_for(
                estimator, metrics, sample_weight=None, **options
            )[0],
        )
    if any(is_dask_collection(value) for value in (X, y, groups, weights)):
        return score_dask(
            estimator,
            X,
            y,
            groups,
            accumulator,
            weights=weights,
            verbose=verbose,
        )
    return add_predictions(
        accumulator, estimator, X, y, groups, sample_weight=weights
    ).result()
