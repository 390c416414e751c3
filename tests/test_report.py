"""PartitionReport: by_partition, overall, summary semantics, tidy form, plot."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from skpart import PartitionReport, metrics_by_partition

matplotlib.use("Agg")


def make_report(min_partition_size=1, labels=None):
    if labels is None:
        labels = pd.Index(["a", "b", "c", "d"], name="site")
    return PartitionReport.from_arrays(
        {
            "accuracy": np.array([0.6, 0.9, np.nan, 0.4]),
            "log_loss": np.array([0.5, 0.2, 0.3, 0.9]),
        },
        partition_labels=labels,
        n_samples=np.array([10, 20, 5, 2]),
        weight=np.array([10.0, 20.0, 5.0, 2.0]),
        overall={"accuracy": 0.75, "log_loss": 0.35},
        greater_is_better={"accuracy": True, "log_loss": False},
        min_partition_size=min_partition_size,
    )


def test_by_partition_has_metrics_then_n_samples_weight_reliable():
    report = make_report(min_partition_size=5)
    frame = report.by_partition
    assert list(frame.columns) == [
        "accuracy",
        "log_loss",
        "n_samples",
        "weight",
        "reliable",
    ]
    assert frame.index.tolist() == ["a", "b", "c", "d"]
    assert frame.index.name == "site"
    assert frame["reliable"].tolist() == [True, True, True, False]
    assert report.metrics == ["accuracy", "log_loss"]


def test_overall_is_a_series_indexed_by_metric():
    report = make_report()
    assert report.overall.to_dict() == {"accuracy": 0.75, "log_loss": 0.35}


def test_summary_worst_is_min_for_scores_and_max_for_losses():
    summary = make_report().summary
    assert summary.loc["accuracy", "worst"] == 0.4
    assert summary.loc["accuracy", "best"] == 0.9
    assert summary.loc["accuracy", "worst_partition"] == "d"
    assert summary.loc["log_loss", "worst"] == 0.9
    assert summary.loc["log_loss", "best"] == 0.2
    assert summary.loc["log_loss", "worst_partition"] == "d"


def test_summary_skips_nan_values_and_counts_partitions_that_counted():
    summary = make_report().summary
    defined = np.array([0.6, 0.9, 0.4])
    assert summary.loc["accuracy", "n_partitions"] == 3
    assert summary.loc["log_loss", "n_partitions"] == 4
    assert summary.loc["accuracy", "mean"] == pytest.approx(defined.mean())
    assert summary.loc["accuracy", "std"] == pytest.approx(defined.std(ddof=0))
    assert summary.loc["accuracy", "gap"] == pytest.approx(0.5)


def test_worst_partition_ignores_partitions_below_min_size():
    summary = make_report(min_partition_size=5).summary
    assert summary.loc["accuracy", "worst"] == 0.6
    assert summary.loc["accuracy", "worst_partition"] == "a"
    assert summary.loc["log_loss", "worst"] == 0.5
    assert summary.loc["log_loss", "n_partitions"] == 3


def test_summary_of_a_metric_without_any_defined_value_is_nan_with_zero_partitions():
    summary = make_report(min_partition_size=100).summary
    assert summary.loc["accuracy", "n_partitions"] == 0
    assert np.isnan(summary.loc["accuracy", "worst"])
    assert summary.loc["accuracy", "worst_partition"] is None


def test_summary_has_the_documented_columns_and_index():
    summary = make_report().summary
    assert list(summary.columns) == [
        "worst",
        "best",
        "mean",
        "std",
        "gap",
        "ratio",
        "worst_partition",
        "n_partitions",
    ]
    assert summary.index.name == "metric"
    assert summary["n_partitions"].dtype == np.int64


def test_worst_partition_of_several_group_columns_is_a_tuple():
    labels = pd.MultiIndex.from_tuples([("x", 1), ("x", 2), ("y", 1), ("y", 2)])
    summary = make_report(labels=labels).summary
    assert summary.loc["accuracy", "worst_partition"] == ("y", 2)


def test_to_frame_is_tidy_with_one_row_per_partition_and_metric():
    tidy = make_report().to_frame()
    assert list(tidy.columns) == ["partition", "metric", "value", "n_samples"]
    assert len(tidy) == 8
    row = tidy[(tidy["partition"] == "b") & (tidy["metric"] == "log_loss")]
    assert row["value"].item() == 0.2
    assert row["n_samples"].item() == 20


def test_repr_shows_summary_and_partitions():
    text = repr(make_report())
    assert "PartitionReport: 4 partitions" in text
    assert "worst_partition" in text
    html = make_report()._repr_html_()
    assert "<table" in html and "worst_partition" in html


def test_plot_draws_bars_worst_first_and_marks_overall():
    report = make_report()
    ax = report.plot("log_loss")
    ticks = [t.get_text().split(" (n=")[0] for t in ax.get_yticklabels()]
    assert ticks == ["d", "a", "c", "b"]
    # The overall value is one vertical line at 0.35.
    assert [line.get_xdata()[0] for line in ax.get_lines()] == [0.35]
    assert ax.get_xlabel() == "log_loss (lower is better)"


def test_plot_defaults_to_the_first_metric_and_accepts_an_axes():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert make_report().plot(ax=ax) is ax
    assert ax.get_xlabel().startswith("accuracy")
    plt.close("all")


def test_plot_of_an_unknown_metric_lists_the_metrics():
    with pytest.raises(ValueError, match=r"metric='f1' is not in this report"):
        make_report().plot("f1")


def test_overall_replicates_hold_the_pooled_replicates_behind_the_intervals():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 2, 200), rng.integers(0, 2, 200)
    groups = rng.choice(["a", "b", "c"], 200)
    report = metrics_by_partition(
        y_true, y_pred, groups, metrics=["accuracy", "f1"], n_boot=400,
        random_state=0,
    )  # fmt: skip
    replicates = report.overall_replicates
    assert replicates.shape == (400, 2)
    assert list(replicates.columns) == ["accuracy", "f1"]
    assert replicates.index.name == "replicate"
    expected = np.nanquantile(replicates.to_numpy(), [0.025, 0.975], axis=0).T
    np.testing.assert_allclose(report.overall_intervals.to_numpy(), expected)
    # Built complete: the summary holds the bootstrap's aggregate intervals.
    assert {"worst_low", "worst_high", "mean_low"} <= set(report.summary.columns)
    assert make_report().overall_replicates is None
