"""make_partition_scorer: an sklearn scorer on the worst (or best, mean...) partition.

The scorer predicts once per call, scores every metric on every partition with
:func:`~skpart.score_partitions`, and reduces each metric to the requested
aggregates. ``groups`` arrive through sklearn's metadata routing (the scorer
requests them, like ``GroupKFold``) or are read from columns of ``X``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from sklearn import get_config
from sklearn.utils.metadata_routing import MetadataRequest, get_routing_for_object

from .._compat import _MetadataRequester
from .._inputs.validation import check_min_partition_size
from .._inputs.weights import check_weighting
from .._metrics.aggregates import check_aggregates, signed
from .._metrics.fairness import DISPARITIES
from .._metrics.registry import Metric, is_metric_tuple, resolve_metrics
from .._results.report import PartitionReport
from .score_partitions import score_partitions


class _PartitionScorer(_MetadataRequester):
    """Scorer built by :func:`make_partition_scorer`; see its docstring.

    It requests ``groups`` by default, as ``GroupKFold`` does, so that with
    metadata routing on one groups array feeds both.
    """

    def __init__(
        self,
        metrics: Any,
        aggregates: list[str],
        groups: Any,
        sample_weight: Any,
        min_partition_size: int,
        *,
        multi: bool,
        pos_label: Any = None,
    ) -> None:
        self._metrics = metrics
        self._aggregates = aggregates
        self._groups = groups
        self._sample_weight = sample_weight
        self._min_partition_size = min_partition_size
        self._multi = multi
        self._pos_label = pos_label

    def __call__(
        self,
        estimator: Any,
        X: Any,
        y_true: Any,
        *,
        groups: Any = None,
        sample_weight: Any = None,
    ) -> float | dict[str, float]:
        """Score ``estimator`` on ``(X, y_true)`` per partition and aggregate.

        Parameters
        ----------
        estimator : fitted estimator
            Classifier, regressor or Pipeline.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Test data (a DataFrame when groups are read from its columns).
        y_true : array-like of shape (n_samples,)
            True labels or values.
        groups : array-like of shape (n_samples,) or DataFrame, default=None
            Partition labels of the rows; routed by sklearn when metadata
            routing is on. Required unless the scorer reads them from ``X``.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights passed by sklearn (routing, or the ``sample_weight``
            given to a search's ``fit``); they replace the scorer's own
            ``sample_weight`` setting.

        Returns
        -------
        float or dict of str to float
            Greater is better; a dict keyed ``"{metric}_{aggregate}"`` when
            the scorer was made with lists.
        """
        report = score_partitions(
            estimator,
            X,
            y_true,
            self._resolve_groups(X, groups),
            metrics=self._metrics,
            sample_weight=self._sample_weight
            if sample_weight is None
            else sample_weight,
            min_partition_size=self._min_partition_size,
            pos_label=self._pos_label,
        )
        names, fairness = _requested(self._metrics, report)
        scores = {
            f"{metric}_{aggregate}": _signed_aggregate(report, metric, aggregate)
            for metric in names
            for aggregate in self._aggregates
        }
        disparities = report.disparities
        for name in fairness:  # negated differences, ratios as they are
            scores[name] = signed(disparities[name], DISPARITIES[name][0], True)
        return scores if self._multi else next(iter(scores.values()))

    def _resolve_groups(self, X: Any, groups: Any) -> Any:
        if self._groups is None:
            if groups is None:
                raise ValueError(_missing_groups_message(self))
            return groups
        if groups is not None:
            raise ValueError(
                f"{self!r} reads groups from X but was also passed groups; "
                "either drop groups= from the scorer or stop routing groups to it "
                "(scorer.set_score_request(groups=False))."
            )
        return groups_from_X(self._groups, X)

    def set_score_request(self, **requests: Any) -> _PartitionScorer:
        """Set which metadata the scorer requests (metadata routing only).

        Parameters
        ----------
        **requests : {True, False, None} or str
            ``groups=`` and ``sample_weight=``, as sklearn's ``set_score_request``.
            By default ``groups`` is requested (unless read from ``X``) and
            ``sample_weight`` is not.

        Returns
        -------
        self
        """
        if not get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "set_score_request needs metadata routing: "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        unknown = sorted(set(requests) - {"groups", "sample_weight"})
        if unknown:
            raise TypeError(
                f"set_score_request got {unknown}; a partition scorer can request "
                "groups and sample_weight only."
            )
        metadata_request = self._get_metadata_request()
        for param, alias in requests.items():
            metadata_request.score.add_request(param=param, alias=alias)
        self._metadata_request = metadata_request
        return self

    def _get_metadata_request(self) -> MetadataRequest:
        # sklearn infers default requests from a `score` method's signature;
        # a scorer has none, so state them (as sklearn's _BaseScorer does).
        if hasattr(self, "_metadata_request"):
            return get_routing_for_object(self._metadata_request)
        requests = MetadataRequest(owner=self)
        # Groups read from X are not requested from the routing as well.
        requests.score.add_request(param="groups", alias=self._groups is None)
        requests.score.add_request(param="sample_weight", alias=None)
        return requests

    def _accept_sample_weight(self) -> bool:
        # Read by sklearn (without routing) to forward fit's sample_weight.
        return True

    def __repr__(self) -> str:
        metrics = _metrics_repr(self._metrics)
        aggregates = self._aggregates if self._multi else self._aggregates[0]
        parts = [f"{metrics}", f"aggregate={aggregates!r}"]
        if self._groups is not None:
            groups = getattr(self._groups, "__name__", None) or repr(self._groups)
            parts.append(f"groups={groups}")
        if not (isinstance(self._sample_weight, str) and self._sample_weight == "auto"):
            parts.append(f"sample_weight={self._sample_weight!r}")
        if self._min_partition_size != 1:
            parts.append(f"min_partition_size={self._min_partition_size}")
        if self._pos_label is not None:
            parts.append(f"pos_label={self._pos_label!r}")
        return f"make_partition_scorer({', '.join(parts)})"

    _routing_repr = __repr__


def make_partition_scorer(
    metrics: Any = "accuracy",
    *,
    aggregate: str | Sequence[str] = "worst",
    groups: str | Sequence[str] | Callable | None = None,
    sample_weight: str | None = "auto",
    min_partition_size: int = 1,
    pos_label: Any = None,
) -> _PartitionScorer:
    """Make an sklearn scorer of per-partition metrics, for ``scoring=``.

    The scorer predicts once per call (``predict_proba`` only when a metric
    needs probabilities), computes every metric on every partition of the
    test rows, and reduces each metric to the requested aggregates.

    Greater is better for every value it returns: losses and errors are
    negated, as sklearn's ``neg_*`` scorers, and so are the spreads ``std``
    and ``gap`` of every metric (a smaller spread is better, so
    ``accuracy_gap`` is ``-|best - worst|``, at most 0).

    Parameters
    ----------
    metrics : str, callable, tuple or list of these, default="accuracy"
        Named metrics or callables as in :func:`~skpart.score_partitions`;
        None means ``accuracy`` for classifiers and ``r2`` for regressors.
        Fairness disparities (``"demographic_parity_difference"``,
        ``"equalized_odds_ratio"`` and the like) are scored under their own
        key, without an aggregate; the ``_difference`` ones are negated.
    aggregate : {"worst", "best", "mean", "std", "gap", "ratio", "overall"} or \
list, default="worst"
        How per-partition values become one number (see
        :class:`~skpart.PartitionReport`); ``overall`` is the metric on all
        test rows pooled.
    groups : str, list of str, callable or None, default=None
        Where the partition labels come from. None: sklearn passes them, which
        needs ``sklearn.set_config(enable_metadata_routing=True)``; then
        ``GridSearchCV.fit(X, y, groups=g)`` or
        ``cross_validate(..., params={"groups": g})`` routes the test fold's
        slice of ``g`` to the scorer. A column name (or list of names, for
        intersections) of the DataFrame ``X``, or a callable ``groups(X)``:
        read from ``X``, with or without routing (drop the column before the
        model, e.g. with a ``ColumnTransformer``).
    sample_weight : {"auto", "balanced"} or None, default="auto"
        Weights of the rows in each metric; ``"auto"`` is ``"balanced"``
        (classes weigh equally within each partition) for classifiers and
        None for regressors. Row weights that sklearn passes to the scorer
        replace it (with routing: ``scorer.set_score_request(sample_weight=True)``).
    min_partition_size : int, default=1
        Partitions with fewer test rows do not count in ``worst``, ``best``,
        ``mean``, ``std`` and ``gap``.
    pos_label : int, float, bool or str, default=None
        The positive class of the binary metrics; None is the larger class.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y_true, *, groups=None, sample_weight=None)``.
        One metric and one aggregate (given as scalars) give a float; a list
        of metrics or of aggregates gives a dict with the fixed keys
        ``"{metric}_{aggregate}"`` (e.g. for ``GridSearchCV(refit="accuracy_worst")``).
        It raises a ValueError when it receives no groups, and when a
        requested aggregate is undefined on a fold (e.g. no partition with
        ``min_partition_size`` rows), rather than returning NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpart import make_partition_scorer
    >>> X = pd.DataFrame({"x": [0, 1, 2, 3, 4, 5], "site": list("aabbab")})
    >>> y = [0, 0, 1, 1, 1, 0]
    >>> model = LogisticRegression().fit(X[["x"]], y)
    >>> scorer = make_partition_scorer(["accuracy"], aggregate=["worst", "gap"])
    >>> scorer(model, X[["x"]], y, groups=X["site"])
    {'accuracy_worst': 0.25, 'accuracy_gap': -0.75}
    >>> make_partition_scorer("log_loss", groups="site")
    make_partition_scorer('log_loss', aggregate='worst', groups='site')
    """
    if metrics is not None:
        resolve_metrics(metrics)  # validate names now
    aggregates = check_aggregates(aggregate)
    _check_groups_spec(groups)
    _check_sample_weight(sample_weight)
    check_min_partition_size(min_partition_size)
    multi = not (_is_single_metric(metrics) and isinstance(aggregate, str))
    return _PartitionScorer(
        metrics,
        aggregates,
        groups,
        sample_weight,
        min_partition_size,
        multi=multi,
        pos_label=pos_label,
    )


def groups_from_X(groups: Any, X: Any) -> Any:
    """Read partition labels from ``X``: column name(s) or a callable of ``X``.

    Parameters
    ----------
    groups : str, list of str or callable
        Column name(s) of the DataFrame ``X``, or ``groups(X) -> labels``.
    X : DataFrame or array-like
        The data the scorer is called with.

    Returns
    -------
    Series, DataFrame or array-like
        One label per row (several columns for intersections).
    """
    if callable(groups):
        return groups(X)
    columns = [groups] if isinstance(groups, str) else list(groups)
    if not isinstance(X, pd.DataFrame):
        raise ValueError(
            f"groups={groups!r} names column(s) of X, but X is a "
            f"{type(X).__name__}, not a pandas DataFrame. Pass X as a DataFrame "
            "holding those columns, or pass groups through metadata routing."
        )
    missing = [column for column in columns if column not in X.columns]
    if missing:
        raise ValueError(
            f"groups names columns {missing} that X does not have; X has "
            f"columns {list(X.columns)[:20]}."
        )
    return X[groups] if isinstance(groups, str) else X[columns]


def _signed_aggregate(report: PartitionReport, metric: str, aggregate: str) -> float:
    """One aggregate of one metric, signed so that greater is better."""
    if aggregate == "overall":
        value = float(report.overall[metric])
    else:
        value = float(report.summary.loc[metric, aggregate])
    if value != value:  # NaN
        raise ValueError(_undefined_message(report, metric, aggregate))
    return signed(value, aggregate, report.greater_is_better[metric])


def _undefined_message(report: PartitionReport, metric: str, aggregate: str) -> str:
    table = report.by_partition
    if aggregate == "overall":
        where = "on all rows pooled"
    else:
        n_reliable = int(table["reliable"].sum())
        n_defined = int(table.loc[table["reliable"], metric].notna().sum())
        where = (
            f"over partitions: of {len(table)} partitions in this fold, "
            f"{n_reliable} have >= {report.min_partition_size} rows "
            f"(min_partition_size) and {n_defined} of those have a defined value"
        )
    return (
        f"The partition scorer cannot compute {metric}_{aggregate}: {metric!r} "
        f"is undefined (NaN) {where}. Use folds with more rows per partition "
        "(fewer splits, or GroupKFold on coarser groups), a lower "
        "min_partition_size, or a metric defined there."
    )


def _missing_groups_message(scorer: _PartitionScorer) -> str:
    return (
        f"{scorer!r} received no groups, so it cannot score per partition "
        "(without metadata routing sklearn never passes groups to a scorer). "
        "Either (1) turn routing on with "
        "sklearn.set_config(enable_metadata_routing=True) and pass the groups "
        "to the search or cross-validation: GridSearchCV(...).fit(X, y, "
        "groups=g) or cross_validate(..., params={'groups': g}); or (2) read "
        "them from a column of the DataFrame X with "
        "make_partition_scorer(..., groups='column') and drop that column "
        "before the model (e.g. a ColumnTransformer with remainder "
        "'passthrough' and the column sent to 'drop')."
    )


def _requested(metrics: Any, report: PartitionReport) -> tuple[list, list]:
    """Return the metric names and the fairness disparities the user asked for.

    Rates scored only because a disparity needs them get no keys of their own.
    """
    if metrics is None:
        return report.metrics, []
    given = [metrics] if _is_single_metric(metrics) else list(metrics)
    fairness = [m for m in given if isinstance(m, str) and m in DISPARITIES]
    others = [m for m in given if not (isinstance(m, str) and m in DISPARITIES)]
    names = [m.name for m in resolve_metrics(others)] if others else []
    return names, fairness


def _is_single_metric(metrics: Any) -> bool:
    return (
        metrics is None
        or isinstance(metrics, (str, Metric))
        or is_metric_tuple(metrics)
        or callable(metrics)
    )


def _check_groups_spec(groups: Any) -> None:
    if groups is None or callable(groups) or isinstance(groups, str):
        return
    if (
        isinstance(groups, (list, tuple))
        and groups
        and all(isinstance(column, str) for column in groups)
    ):
        return
    raise ValueError(
        f"groups must be None (routed by sklearn), a column name of X, a list of "
        f"column names or a callable of X; got {type(groups).__name__} "
        f"{groups!r:.80}. A scorer sees many test folds, so it cannot hold one "
        "label array: route it with sklearn.set_config(enable_metadata_routing=True)."
    )


def _check_sample_weight(sample_weight: Any) -> None:
    check_weighting(sample_weight)
    if sample_weight is None or isinstance(sample_weight, str):
        return
    raise ValueError(
        f"sample_weight must be 'auto', 'balanced' or None; got "
        f"{type(sample_weight).__name__} {sample_weight!r:.80}. Row weights "
        "reach a scorer fold by fold: with metadata routing call "
        "scorer.set_score_request(sample_weight=True) and pass them to fit."
    )


def _metrics_repr(metrics: Any) -> str:
    def one(metric: Any) -> str:
        if isinstance(metric, Metric):
            return repr(metric.name)
        if is_metric_tuple(metric):
            return repr(metric[0])
        return getattr(metric, "__name__", repr(metric))

    if _is_single_metric(metrics):
        return one(metrics)
    return f"[{', '.join(one(metric) for metric in metrics)}]"
