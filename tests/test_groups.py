"""Turning groups into partitions, and per-partition sample weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.utils.class_weight import compute_sample_weight

from skpart import PartitionMetrics, metrics_by_partition, score_partitions
from skpart._inputs.groups import encode_groups, partition_indices

LABELS = ["b", "a", "c", "a", "b", "b"]


@pytest.mark.parametrize(
    "container",
    [
        list,
        np.array,
        pd.Series,
        lambda x: pd.Series(x, dtype="category"),
        lambda x: pd.Series(pd.Categorical(x, categories=["a", "b", "c", "unused"])),
        lambda x: np.array(x, dtype=object),
    ],
    ids=["list", "ndarray", "Series", "categorical", "unused-category", "object"],
)
def test_one_column_gives_sorted_labels_and_matching_codes(container):
    codes, labels = encode_groups(container(LABELS))
    assert labels.tolist() == ["a", "b", "c"]
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(labels[codes], LABELS)


def test_integer_labels_sort_numerically():
    codes, labels = encode_groups(np.array([10, 2, 10, 1]))
    assert labels.tolist() == [1, 2, 10]
    assert codes.tolist() == [2, 1, 2, 0]


def test_categorical_labels_follow_category_order_without_unused_categories():
    groups = pd.Series(
        pd.Categorical(["lo", "hi", "lo"], categories=["hi", "mid", "lo"])
    )
    _, labels = encode_groups(groups)
    assert labels.tolist() == ["hi", "lo"]
    assert not isinstance(labels, pd.CategoricalIndex)


@pytest.mark.parametrize("dtype", ["string", "string[pyarrow]", "str", object])
def test_string_flavours_give_one_index_dtype(dtype):
    # Dask hands over "string[pyarrow]" where the user's frame had "str":
    # the report's index must not depend on which one the groups came in.
    if dtype == "string[pyarrow]":
        pytest.importorskip("pyarrow")
    _, labels = encode_groups(pd.Series(LABELS, dtype=dtype))
    _, plain = encode_groups(np.array(LABELS))
    pd.testing.assert_index_equal(labels, plain, exact=True)


def test_series_name_names_the_partition_index():
    _, labels = encode_groups(pd.Series(LABELS, name="hospital"))
    assert labels.name == "hospital"


SITE = ["x", "x", "y", "y", "x"]
SEX = ["f", "m", "f", "f", "f"]


@pytest.mark.parametrize(
    "make",
    [
        lambda: pd.DataFrame({"site": SITE, "sex": SEX}),
        lambda: [pd.Series(SITE, name="site"), pd.Series(SEX, name="sex")],
        lambda: [np.array(SITE), np.array(SEX)],
        lambda: [SITE, SEX],
        lambda: np.column_stack([SITE, SEX]),
    ],
    ids=["DataFrame", "list-of-Series", "list-of-arrays", "list-of-lists", "2d-array"],
)
def test_several_columns_give_observed_intersections_in_a_multiindex(make):
    codes, labels = encode_groups(make())
    assert isinstance(labels, pd.MultiIndex)
    # ("y", "m") never occurs, so it is not a partition.
    assert labels.tolist() == [("x", "f"), ("x", "m"), ("y", "f")]
    assert [labels[c] for c in codes] == list(zip(SITE, SEX, strict=True))


def test_dataframe_columns_name_the_multiindex_levels():
    _, labels = encode_groups(pd.DataFrame({"site": SITE, "sex": SEX}))
    assert list(labels.names) == ["site", "sex"]


def test_single_column_dataframe_gives_a_named_flat_index():
    _, labels = encode_groups(pd.DataFrame({"site": SITE}))
    assert not isinstance(labels, pd.MultiIndex)
    assert labels.name == "site"


@pytest.mark.parametrize(
    "groups",
    [
        ["a", None, "b", None],
        np.array([1.0, np.nan, 2.0, np.nan]),
        pd.Series(pd.Categorical(["a", None, "b", None])),
    ],
    ids=["None", "NaN", "categorical-NaN"],
)
def test_missing_labels_are_rejected_with_the_count_and_a_fix(groups):
    with pytest.raises(ValueError, match=r"groups has 2 missing label.*fillna"):
        encode_groups(groups)


def test_missing_labels_in_a_column_name_the_column():
    groups = pd.DataFrame({"site": ["a", "b"], "sex": ["f", None]})
    with pytest.raises(ValueError, match=r"groups column 'sex' has 1 missing"):
        encode_groups(groups)


def test_length_mismatch_names_groups_and_both_lengths():
    with pytest.raises(ValueError, match=r"groups has 3 rows but y has 4"):
        encode_groups(["a", "b", "a"], n_samples=4)


def test_columns_of_different_lengths_are_rejected():
    with pytest.raises(ValueError, match=r"different lengths \[2, 3\]"):
        encode_groups([np.array([1, 2]), np.array([1, 2, 3])])


def test_three_dimensional_groups_are_rejected():
    with pytest.raises(ValueError, match=r"shape \(2, 2, 2\)"):
        encode_groups(np.zeros((2, 2, 2)))


def test_partition_indices_list_each_partitions_rows_in_order():
    codes = np.array([2, 0, 2, 1, 0])
    indices = partition_indices(codes, 4)
    assert [i.tolist() for i in indices] == [[1, 4], [3], [0, 2], []]


# sample_weight


def test_balanced_weights_equal_sklearn_within_each_partition():
    rng = np.random.default_rng(0)
    y = rng.choice(["neg", "pos", "other"], size=200, p=[0.6, 0.3, 0.1])
    y_pred = rng.choice(["neg", "pos", "other"], size=200)
    groups = rng.integers(0, 5, size=200)
    report = metrics_by_partition(
        y, y_pred, groups, metrics="accuracy", sample_weight="balanced"
    )
    for label, row in report.by_partition.iterrows():
        mask = groups == label
        expected = compute_sample_weight("balanced", y[mask])
        assert row["weight"] == pytest.approx(expected.sum(), rel=1e-12)
        assert row["accuracy"] == pytest.approx(
            accuracy_score(y[mask], y_pred[mask], sample_weight=expected), rel=1e-12
        )


def test_balanced_weights_count_only_classes_present_in_the_partition():
    y = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 2, 0])
    report = metrics_by_partition(
        y, y_pred, [0, 0, 0, 1, 1, 1], metrics="accuracy", sample_weight="balanced"
    )
    # weights 0.75, 0.75, 1.5 in partition 0; 1, 1, 1 in partition 1
    np.testing.assert_allclose(report.by_partition["accuracy"], [2.25 / 3, 2 / 3])


def test_none_weights_are_ones_and_arrays_are_used_as_given():
    y, y_pred = np.array([0, 1, 1]), np.array([0, 0, 1])
    plain = metrics_by_partition(y, y_pred, [0, 0, 0], metrics="accuracy")
    weighted = metrics_by_partition(
        y, y_pred, [0, 0, 0], metrics="accuracy", sample_weight=[0.5, 2, 1]
    )
    assert plain.by_partition["weight"].tolist() == [3.0]
    assert weighted.by_partition["accuracy"].tolist() == [1.5 / 3.5]


def test_balanced_weights_on_a_continuous_target_are_refused():
    y = np.array([0.5, 1.7, 2.2])
    with pytest.raises(ValueError, match=r"sample_weight='balanced'.*None or an array"):
        metrics_by_partition(y, y, [0, 0, 0], metrics="r2", sample_weight="balanced")


def test_balanced_weights_for_regression_metrics_are_refused_on_integer_targets():
    y = np.array([1, 2, 3])
    with pytest.raises(ValueError, match=r"regression metrics"):
        metrics_by_partition(y, y, [0, 0, 0], metrics="r2", sample_weight="balanced")


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        ([1.0, 2.0], r"sample_weight has 2 rows but y has 3"),
        ([1.0, np.nan, 1.0], r"sample_weight has 1 NaN or infinite"),
        ([1.0, np.inf, 1.0], r"sample_weight has 1 NaN or infinite"),
        ([1.0, -1.0, 1.0], r"sample_weight has negative values \(min -1.0\)"),
        ("equal", r"sample_weight='equal' is not understood"),
    ],
    ids=["length", "nan", "inf", "negative", "unknown-string"],
)
def test_bad_sample_weight_is_rejected_with_the_value(weights, match):
    with pytest.raises(ValueError, match=match):
        metrics_by_partition(
            [0, 1, 0], [0, 1, 1], [0, 0, 0], metrics="accuracy", sample_weight=weights
        )


def test_auto_weights_are_balanced_for_classifiers_and_none_for_regressors():
    from sklearn.dummy import DummyClassifier, DummyRegressor

    X, y = np.zeros((4, 1)), np.array([0, 0, 0, 1])
    clf = DummyClassifier(strategy="constant", constant=0).fit(X, y)
    # Balanced: the one positive weighs as much as the three negatives.
    assert score_partitions(clf, X, y, [0] * 4).overall["accuracy"] == 0.5
    reg = DummyRegressor().fit(X, y.astype(float))
    weight = score_partitions(reg, X, y.astype(float), [0] * 4).by_partition["weight"]
    assert weight.tolist() == [4.0]


# categorical order and label types, as a user meets them


AGES = np.random.default_rng(3).integers(18, 90, size=120)
BANDS = pd.cut(AGES, [0, 40, 55, 120], labels=["<40", "40-55", ">55"])
Y_AGE = np.random.default_rng(4).integers(0, 2, size=120)
PRED_AGE = np.where(AGES > 50, 1, Y_AGE)


def _pandas_order(groups):
    """The partition order of pandas' groupby on the same groups."""
    return pd.Series(Y_AGE).groupby(groups, observed=True).size().index.tolist()


@pytest.mark.parametrize("ordered", [True, False])
def test_categorical_bands_keep_the_category_order_of_pandas_groupby(ordered):
    bands = pd.Series(BANDS).cat.as_ordered() if ordered else pd.Series(BANDS)
    if not ordered:
        bands = bands.cat.as_unordered()
    report = metrics_by_partition(Y_AGE, PRED_AGE, bands, metrics="accuracy")
    assert report.by_partition.index.tolist() == ["<40", "40-55", ">55"]
    assert report.by_partition.index.tolist() == _pandas_order(bands)
    for label in report.by_partition.index:
        mask = (bands == label).to_numpy()
        assert report.by_partition.loc[label, "accuracy"] == accuracy_score(
            Y_AGE[mask], PRED_AGE[mask]
        )


def test_several_categorical_columns_keep_each_columns_category_order():
    sex = pd.Categorical(
        np.where(np.arange(120) % 3 == 0, "m", "f"), categories=["m", "f"]
    )
    groups = pd.DataFrame({"age": BANDS, "sex": sex})
    report = metrics_by_partition(Y_AGE, PRED_AGE, groups, metrics="accuracy")
    expected = _pandas_order([groups["age"], groups["sex"]])
    assert report.by_partition.index.tolist() == expected
    assert expected[:2] == [("<40", "m"), ("<40", "f")]


def test_categorical_order_holds_across_batches_and_merges_in_any_order():
    bands = pd.Series(BANDS)
    halves = [slice(0, 60), slice(60, 120)]

    def accumulator(rows):
        return PartitionMetrics(["accuracy"]).update(
            Y_AGE[rows], PRED_AGE[rows], bands[rows]
        )

    forward = accumulator(halves[0]).merge(accumulator(halves[1])).result()
    backward = accumulator(halves[1]).merge(accumulator(halves[0])).result()
    batched = PartitionMetrics(["accuracy"])
    for rows in halves[::-1]:
        batched.update(Y_AGE[rows], PRED_AGE[rows], bands[rows])
    whole = metrics_by_partition(Y_AGE, PRED_AGE, bands, metrics="accuracy")
    for report in (forward, backward, batched.result()):
        pd.testing.assert_frame_equal(report.by_partition, whole.by_partition)


def test_batches_of_different_categories_sort_by_value():
    first = pd.Series(pd.Categorical(["b", "a"], categories=["b", "a"]))
    second = pd.Series(pd.Categorical(["c", "a"], categories=["c", "a"]))
    acc = PartitionMetrics(["accuracy"]).update([0, 1], [0, 1], first)
    acc.update([0, 1], [0, 1], second)
    assert acc.result().by_partition.index.tolist() == ["a", "b", "c"]


def test_mixed_label_types_in_one_array_are_refused_without_speaking_of_batches():
    groups = pd.Series([1, "unknown", 2, "unknown"])
    with pytest.raises(ValueError) as error:
        metrics_by_partition([0, 1, 0, 1], [0, 1, 1, 1], groups, metrics="accuracy")
    message = str(error.value)
    assert message.startswith("groups mixes label types ['int', 'str']")
    assert "1" in message and "'unknown'" in message and "astype(str)" in message
    assert "batch" not in message


def test_mixed_label_types_across_batches_keep_the_batch_wording():
    acc = PartitionMetrics(["accuracy"]).update([0, 1], [0, 1], np.array([1, 2]))
    acc.update([0, 1], [0, 1], np.array(["x", "y"]))
    with pytest.raises(ValueError, match=r"mixes label types \['int', 'str'\] across"):
        acc.result()
