"""sklearn's own estimator checks, run on tiny Keras models."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skpart import PartitionAwareClassifier, PartitionAwareRegressor

from ._models import tiny_classifier, tiny_regressor

pytestmark = pytest.mark.slow

# The only checks expected to fail, each with its reason.
_SCIKERAS_LAYOUT = {
    "check_mixin_order": (
        "SciKeras puts ClassifierMixin/RegressorMixin after BaseEstimator; a "
        "subclass cannot change its base's MRO (the tags are set explicitly)."
    ),
    "check_estimator_tags_renamed": (
        "SciKeras defines the old _more_tags; removing it from a base class is "
        "not possible from a subclass (__sklearn_tags__ is what sklearn reads)."
    ),
}
_ROW_ORDER = (
    "float32 matrix products on CPU round a row differently depending on its "
    "position in the batch (about 1 ulp, 6e-8 absolute), above the check's "
    "rtol=1e-7; plain Keras model.predict does the same."
)
_MINI_BATCH = (
    "Mini-batch gradient descent: weighting a row by 2 is not the same "
    "optimisation path as repeating it, so the fits differ."
)


# These fail on every run, so tests/conftest.py makes their xfail strict: a
# check that starts to pass is then reported. The row-order check is left
# non-strict on purpose: whether a row's rounding differs with its position
# depends on the CPU kernels the data happens to hit, so it can pass.
STRICT_XFAIL_CHECKS = {
    **_SCIKERAS_LAYOUT,
    "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH,
}


def _expected_failed_checks(estimator):
    failures = dict(STRICT_XFAIL_CHECKS)
    failures["check_methods_sample_order_invariance"] = _ROW_ORDER
    return failures


ESTIMATORS = [
    PartitionAwareClassifier(
        model=tiny_classifier, epochs=5, verbose=0, random_state=0
    ),
    PartitionAwareRegressor(model=tiny_regressor, epochs=5, verbose=0, random_state=0),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
