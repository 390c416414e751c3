"""SciKeras-based estimators that train with the loss only.

Each private override below is one of SciKeras's smallest hooks, listed with
its signature and reason in ``_compat.SCIKERAS_HOOKS`` (pinned by
tests/test_compat.py); the comment on it says why it is there. Per-partition
metrics are computed outside the training step, by :meth:`score_partitions`
and :class:`~skpart.PartitionMonitor`.
"""

from __future__ import annotations

import keras
import numpy as np
import scipy.sparse as sp
from scikeras.wrappers import KerasClassifier, KerasRegressor
from sklearn.exceptions import NotFittedError
from sklearn.utils import ClassifierTags, RegressorTags
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from .._adapters.score_partitions import score_partitions
from .._bootstrap.docstrings import with_bootstrap_parameters
from .._compat import _num_samples
from ._callbacks import monitors_first, partition_history
from ._compat import (
    compiled_metric_names,
    encode_features,
    fit_callbacks,
    no_scikeras_seed,
    quiet_predict_retracing,
    recompile_without_metrics,
    scoped_random_state,
    set_fit_callbacks,
)
from ._held_out import held_out_fraction, monitor_held_out_rows, split_training_rows
from ._loss_only import said_by, warn_unused_metrics
from ._objectives import (
    drop_unweighted_rows,
    objective_partitions,
    train_for_partitions,
)
from ._predict import predict_in_batches
from ._predict_path import predict_batch_size, predict_verbose, uses_model_predict


class _PartitionAwareMixin:
    """What both estimators change in SciKeras: compile, seed, validate, predict."""

    # fit takes groups for held-out monitoring only: not requested unless
    # set_fit_request(groups=True), so a search that routes groups to its
    # splitter does not have to say groups=False here.
    __metadata_request__fit = {"groups": False}

    def __init__(
        self,
        model=None,
        *,
        partition_objective=None,
        dro_step_size=0.01,
        dro_adjustment=0.0,
        **kwargs,
    ):
        super().__init__(model=model, **kwargs)
        self.partition_objective = partition_objective
        self.dro_step_size = dro_step_size
        self.dro_adjustment = dro_adjustment

    def __sklearn_clone__(self):
        # Clones (a search's candidates and folds) share the warnings said,
        # so the loss-only warning comes once per estimator, not per fit.
        clone = super().__sklearn_clone__()
        clone._said = said_by(self)
        return clone

    def _build_keras_model(self):
        # SciKeras fails later with an AttributeError on None; say it here.
        model = super()._build_keras_model()
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"model= must build and return a keras.Model, but it returned "
                f"{type(model).__name__} ({model!r:.60}). Check that the model "
                "function ends with `return model`."
            )
        # Read once by _ensure_compiled_model: metrics= is unused if so.
        self._model_compiled_itself = model.compiled
        return model

    def _ensure_compiled_model(self) -> None:
        # The train step must update the loss only: drop compiled metrics, and
        # say so for metrics= too when the model function compiled the model
        # itself (SciKeras then never passes metrics= to compile).
        compiled_itself = vars(self).pop("_model_compiled_itself", False)
        super()._ensure_compiled_model()
        dropped = compiled_metric_names(self.model_)
        if dropped:
            recompile_without_metrics(self.model_)
        ignored = self.metrics if compiled_itself else None
        if dropped or ignored is not None:
            warn_unused_metrics(self, dropped, ignored)

    def fit(self, X, y, sample_weight=None, groups=None, **kwargs):
        """Fit the model to ``(X, y)``; ``groups`` are the rows' partitions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training samples (in a Pipeline, as the previous steps output them).
        y : array-like of shape (n_samples,)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Training weights of the rows.
        groups : array-like of shape (n_samples,), DataFrame or list, default=None
            Partition labels of the rows (several columns for
            intersections), as :func:`skpart.score_partitions` takes them.
            Required by ``partition_objective``, whose partitions they are,
            and by a ``PartitionMonitor(validation_fraction=f)`` among the
            callbacks: the estimator holds out a fraction ``f`` of each
            partition's rows, trains on the others and monitors those.
            Accepted and unused otherwise, so that a search over
            ``partition_objective`` can route them to every candidate.
            Pipelines and searches route it with
            ``set_fit_request(groups=True)`` under metadata routing.
        **kwargs
            Passed to SciKeras's ``fit`` (and on to ``Model.fit``).

        Returns
        -------
        self
        """
        n_rows, rows = _num_samples(X), None  # rows: those trained on, if held out
        fraction = held_out_fraction(self)
        vars(self).pop("held_out_indices_", None)  # a refit may hold out none
        if fraction is not None:
            (X, y, sample_weight), self._held_out_rows, rows, held_out = (
                split_training_rows(
                    X, y, sample_weight, groups, fraction, seed=self._seed()
                )
            )
            self.held_out_indices_ = held_out
        self._objective_rows = objective_partitions(
            self, groups, n_rows=n_rows, rows=rows
        )
        try:
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)
        finally:
            vars(self).pop("_held_out_rows", None)
            del self._objective_rows

    def _initialize_callbacks(self) -> None:
        # Keras runs callbacks in list order: a PartitionMonitor listed after
        # EarlyStopping would write its keys too late, so monitors go first.
        super()._initialize_callbacks()
        set_fit_callbacks(self, monitors_first(fit_callbacks(self), estimator=self))

    def _fit_keras_model(
        self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
    ):
        held_out = getattr(self, "_held_out_rows", None)
        if held_out is not None:
            # The held-out rows as the model sees them: SciKeras's encoders
            # were fitted on the training rows just before.
            X_held, y_held, partitions = held_out
            X_held = encode_features(self, X_held)
            monitor_held_out_rows(fit_callbacks(self), X_held, y_held, partitions)
        # With a partition_objective, Keras trains the user's model on it.
        with train_for_partitions(
            self,
            getattr(self, "_objective_rows", None),
            y,
            sample_weight,
            warm_start=warm_start,
        ) as (y, sample_weight):
            super()._fit_keras_model(
                X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
            )
        # Expose what the monitors saw, as history_ exposes the epoch logs.
        history = partition_history(fit_callbacks(self))
        if history is not None:
            self.partition_history_ = history
        elif hasattr(self, "partition_history_"):
            del self.partition_history_  # a refit without a monitor

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        # One seeded scope around build and fit, offset by the epoch so that
        # successive partial_fit calls do not replay the same shuffles.
        seed = self._seed()
        seed = None if seed is None else seed + initial_epoch
        rows = getattr(self, "_objective_rows", None)
        if rows is not None:
            # SciKeras drops rows of weight 0: drop their partitions with them.
            X, y, sample_weight, self._objective_rows = drop_unweighted_rows(
                X, y, sample_weight, rows
            )
        with scoped_random_state(seed):
            super()._fit(
                X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs
            )

    def initialize(self, X, y=None):
        """Build the model without fitting it, seeded by ``random_state``.

        As SciKeras's ``initialize``, inside the same seeded scope as ``fit``:
        with an int ``random_state`` two calls build identical weights, so
        initialize-then-``partial_fit`` (or warm start) is reproducible.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input samples.
        y : array-like of shape (n_samples,), default=None
            Targets.

        Returns
        -------
        self
            The initialized estimator.
        """
        with scoped_random_state(self._seed()):
            super().initialize(X, y)
        return self

    def _seed(self) -> int | None:
        random_state = self.random_state
        if random_state is None:
            return None
        if hasattr(random_state, "randint"):
            # A RandomState is drawn from a copy, as SciKeras does, so that
            # refitting gives the same model.
            state = random_state.get_state()
            copy = type(random_state)()
            copy.set_state(state)
            return int(copy.randint(2**31 - 1))
        return int(random_state)

    # SciKeras seeds build and fit only when `_random_state` is set, through
    # a context manager that can leak global state; it reads None here, and
    # _fit and initialize seed with _compat.scoped_random_state instead.
    _random_state = no_scikeras_seed()

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        # sklearn's own checks for sparse input, feature names and
        # n_features_in_, with sklearn's messages; SciKeras does the rest.
        if reset and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        if X is not None:
            if sp.issparse(X):
                raise TypeError(
                    f"{type(self).__name__} does not accept sparse input X "
                    f"({type(X).__name__}); convert it with X.toarray() or use a "
                    "dense preprocessing step."
                )
            # 1-D X is left to check_array, whose message says to reshape it.
            ndim = X.ndim if hasattr(X, "ndim") else np.asarray(X).ndim
            if ndim >= 2:
                validate_data(self, X, reset=reset, skip_check_array=True)
        if y is not None and getattr(y, "ndim", 1) == 2 and y.shape[1] == 1:
            # A column vector is one target: ravel it with sklearn's warning.
            y = column_or_1d(y, warn=True)
        return super()._validate_data(X=X, y=y, reset=reset, y_numeric=y_numeric)

    def _predict_raw(self, X, **kwargs):
        # A large batch unless the user chose one for predict, and, when
        # nothing asks for Model.predict's machinery, the compiled predict
        # function called batch by batch (same outputs, several times faster).
        # SciKeras's steps before its model.predict call are repeated here
        # because that call has no hook of its own.
        if not self.initialized_:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call "
                "fit before predict."
            )
        kwargs.setdefault("batch_size", predict_batch_size(self))
        # SciKeras's verbose, except that scoring is quiet unless asked.
        kwargs.setdefault("verbose", predict_verbose(self, kwargs))
        if uses_model_predict(self, kwargs):
            quiet_predict_retracing(self.model_)
            return super()._predict_raw(X, **kwargs)
        X = encode_features(self, X)
        return predict_in_batches(self.model_, X, kwargs["batch_size"])

    @with_bootstrap_parameters
    def score_partitions(
        self,
        X,
        y,
        groups,
        *,
        metrics=None,
        sample_weight="auto",
        min_partition_size=1,
        pos_label=None,
        n_boot=None,
        confidence_level=0.95,
        random_state=None,
    ):
        """Score the fitted model on each partition of ``(X, y)``.

        Same as :func:`skpart.score_partitions` with this estimator: one
        prediction pass, then every metric per partition. It shows no Keras
        progress bar unless ``predict__verbose`` asks for one.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Input samples.
        y : array-like of shape (n_samples,)
            True targets.
        groups : array-like or DataFrame
            One partition label per row (several columns for intersections).
        metrics, sample_weight, min_partition_size, pos_label
            As in :func:`skpart.score_partitions`: ``metrics=None`` scores
            ``accuracy`` for the classifier and ``r2`` for the regressor;
            ``sample_weight="auto"`` balances the classes within each
            partition for the classifier and leaves the regressor unweighted.
        {bootstrap_parameters}

        Returns
        -------
        PartitionReport
            Per-partition metrics, the pooled metrics and their summary.
        """
        return score_partitions(
            self,
            X,
            y,
            groups,
            metrics=metrics,
            sample_weight=sample_weight,
            min_partition_size=min_partition_size,
            pos_label=pos_label,
            n_boot=n_boot,
            confidence_level=confidence_level,
            random_state=random_state,
        )

    def __sklearn_tags__(self):
        # Both need y and refuse sparse X; each estimator adds its own type's
        # tags, which SciKeras's base order hides from sklearn >= 1.6.
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = False
        return tags


class PartitionAwareClassifier(_PartitionAwareMixin, KerasClassifier):
    """A SciKeras classifier trained with the loss only, scored per partition.

    Takes every parameter of :class:`scikeras.wrappers.KerasClassifier`
    (``model``, ``loss``, ``optimizer``, ``epochs``, ``batch_size``,
    ``callbacks``, ``class_weight``, ``warm_start``, ``random_state`` and the
    ``model__`` / ``fit__`` / ``predict__`` / ``optimizer__`` routed
    parameters). What differs:

    - training is compiled without metrics: ``metrics=`` and metrics compiled
      by the model function are dropped with a warning, so ``history_`` holds
      ``loss`` (and ``val_loss``) only, plus the keys a PartitionMonitor
      writes; an ``EarlyStopping``, ``ModelCheckpoint`` or
      ``ReduceLROnPlateau`` that monitors a dropped metric is a ValueError
      before training;
    - ``random_state`` seeds ``fit``, ``partial_fit`` and ``initialize`` and
      leaves no global state behind (op determinism only when a GPU is
      visible: on CPU seeding alone is reproducible);
    - prediction uses batches of 4096 rows unless ``predict__batch_size`` is
      set, with the compiled predict function when ``verbose`` (or
      ``predict__verbose``) is 0; a nonzero verbose shows Keras's progress
      bar through ``Model.predict``, as SciKeras does; scoring
      (``score_partitions``, the partition scorers, cross-validation) shows
      it only when ``predict__verbose`` asks, ``verbose`` being for ``fit``;
    - sklearn sees a classifier (``is_classifier`` is True), so ``cv=5``
      stratifies and probability scorers work;
    - sparse ``X`` is refused with a clear error;
    - ``partition_objective`` trains for the worst partition of
      ``fit(X, y, groups=g)`` instead of the average row.

    Parameters
    ----------
    model : callable or keras.Model, default=None
        Builds the Keras model; it may take ``meta`` and ``compile_kwargs``.
    partition_objective : {None, "reweight", "group_dro"}, default=None
        What training minimises. None: the loss over rows. ``"reweight"``:
        every partition of ``groups`` carries the same total weight (rows
        weighted by 1 / rows of their partition, times any sample and class
        weight, rescaled to a mean of 1). ``"group_dro"``: online Group DRO
        (Sagawa et al., ICLR 2020): a weight q_g per partition, updated at
        every step from the batch's mean partition losses L_g as
        q_g <- q_g exp(eta (L_g + C / sqrt(n_g))) / sum, the step minimising
        sum_g q_g L_g. Either objective needs ``fit(X, y, groups=g)`` and a
        model with one output, and logs ``partition_loss_worst``.
    dro_step_size : float, default=0.01
        eta of ``"group_dro"``: how fast q moves towards the worst partitions.
    dro_adjustment : float, default=0.0
        C of ``"group_dro"`` (Sagawa's generalisation adjustment): adds
        C / sqrt(n_g) to a partition's loss in the update of q, n_g its
        training rows, so that small partitions gain weight sooner.
    **kwargs
        Any other :class:`~scikeras.wrappers.KerasClassifier` parameter.

    Attributes
    ----------
    model_ : keras.Model
        The fitted Keras model, compiled with its loss only.
    history_ : dict of str to list of float
        ``loss`` and, with validation data, ``val_loss`` per epoch, plus any
        key a callback such as :class:`~skpart.PartitionMonitor` writes.
    partition_history_ : DataFrame
        With a :class:`~skpart.PartitionMonitor` among the callbacks: each
        partition's values per evaluated epoch, columns ``monitor`` (its
        prefix), ``epoch``, ``partition``, ``metric`` and ``value``.
    held_out_indices_ : ndarray of int
        With a ``PartitionMonitor(validation_fraction=f)`` among the
        callbacks: the positions in ``fit``'s ``X`` (sorted) of the rows held
        out of training and monitored, so that
        ``score_partitions(X[i], y[i], groups[i])`` with
        ``i = held_out_indices_`` scores the same rows (for a Pipeline, the
        whole Pipeline on them). Not set otherwise.
    partition_weights_ : Series
        With a ``partition_objective``: one weight per partition of the
        training rows, indexed by partition label, summing to 1: the final q
        of ``"group_dro"`` (where the next fit starts with
        ``warm_start=True``), each partition's share of the total row weight
        for ``"reweight"``. Not set without an objective.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.

    Examples
    --------
    >>> import keras
    >>> import numpy as np
    >>> from skpart import PartitionAwareClassifier
    >>> def build(meta):
    ...     return keras.Sequential([
    ...         keras.Input((meta["n_features_in_"],)),
    ...         keras.layers.Dense(1, activation="sigmoid"),
    ...     ])
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = PartitionAwareClassifier(
    ...     build, loss="binary_crossentropy", epochs=2, verbose=0, random_state=0
    ... ).fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> sorted(clf.history_)
    ['loss']
    """

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        # SciKeras's own error for a float target is a page of links.
        if y is not None and reset:
            target_type = type_of_target(y, input_name="y")
            if target_type.startswith("continuous"):
                raise ValueError(
                    f"Unknown label type: {target_type!r}. "
                    f"{type(self).__name__} needs class labels in y; for a "
                    "regression target use PartitionAwareRegressor."
                )
        return super()._validate_data(X=X, y=y, reset=reset, y_numeric=y_numeric)

    def __sklearn_tags__(self):
        # SciKeras lists ClassifierMixin after BaseEstimator, so sklearn >= 1.6
        # never sees the classifier tags; set them here.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags(poor_score=True)
        return tags


class PartitionAwareRegressor(_PartitionAwareMixin, KerasRegressor):
    """A SciKeras regressor trained with the loss only, scored per partition.

    Takes every parameter of :class:`scikeras.wrappers.KerasRegressor`; it
    differs from it as :class:`PartitionAwareClassifier` differs from
    ``KerasClassifier``, and ``score_partitions`` is unweighted by default.

    Parameters
    ----------
    model : callable or keras.Model, default=None
        Builds the Keras model, as for :class:`PartitionAwareClassifier`.
    partition_objective : {None, "reweight", "group_dro"}, default=None
        What training minimises, as in :class:`PartitionAwareClassifier`.
    dro_step_size : float, default=0.01
        eta of ``"group_dro"``.
    dro_adjustment : float, default=0.0
        C of ``"group_dro"``.
    **kwargs
        Any other :class:`~scikeras.wrappers.KerasRegressor` parameter.

    Attributes
    ----------
    model_, history_, partition_history_, held_out_indices_, partition_weights_, \
n_features_in_
        As in :class:`PartitionAwareClassifier`.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skpart import PartitionAwareRegressor
    >>> def build(meta):
    ...     return keras.Sequential([
    ...         keras.Input((meta["n_features_in_"],)), keras.layers.Dense(1)
    ...     ])
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> reg = PartitionAwareRegressor(
    ...     build, loss="mse", epochs=2, verbose=0, random_state=0
    ... ).fit(X, X[:, 0])
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    def __sklearn_tags__(self):
        # See PartitionAwareClassifier.__sklearn_tags__.
        tags = super().__sklearn_tags__()
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags(poor_score=True)
        return tags
