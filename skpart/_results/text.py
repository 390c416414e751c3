"""Text views of the results (their ``repr``): a title line, then the tables."""

from __future__ import annotations

from typing import Any

import pandas as pd


def text_options() -> Any:
    """Return the pandas display options of a result's text form."""
    return pd.option_context(
        "display.max_rows", 20, "display.max_columns", None, "display.width", 120
    )


#: How the views say each weighting a report records (its ``sample_weight``).
WEIGHTINGS = {
    "balanced": "class-balanced",
    "array": "weighted by sample_weight",
    None: "unweighted",
}


def report_title(report: Any) -> str:
    """Say a PartitionReport's partitions, metrics and weighting in one line."""
    n_reliable = int(report.by_partition["reliable"].sum())
    return (
        f"PartitionReport: {len(report.by_partition)} partitions "
        f"({n_reliable} with >= {report.min_partition_size} rows), "
        f"metrics {', '.join(report.metrics)}; {WEIGHTINGS[report.sample_weight]}"
    )


def report_text(report: Any) -> str:
    """Render a PartitionReport as text: title, summary, overall, partitions."""
    title = report_title(report)
    with text_options():
        return (
            f"{title}\n\nsummary:\n{report.summary}\n\n"
            f"overall:\n{report.overall.to_string()}\n\n"
            f"by partition:\n{report.by_partition}"
        )


def comparison_title(comparison: Any) -> str:
    """Say a PartitionComparison's verdict and settings in one line."""
    table = comparison.by_partition
    n_tested = int(
        sum(
            table[(m, "p_value")].where(table["reliable"]).notna().sum()
            for m in comparison.metrics
        )
    )
    verdict = "passed" if comparison.passed else "FAILED"
    tolerances = set(comparison.tolerance.values())
    tolerance = (
        f"{tolerances.pop():g}"
        if len(tolerances) == 1
        else ", ".join(f"{m} {t:g}" for m, t in comparison.tolerance.items())
    )
    return (
        f"PartitionComparison {verdict}: {len(comparison.regressions)} "
        f"regression(s) among {n_tested} tested (partition, metric) cells; "
        f"{len(table)} partitions, metrics {', '.join(comparison.metrics)}, "
        f"tolerance {tolerance}, false discovery rate "
        f"{1 - comparison.confidence_level:.2g}, {comparison.n_boot} paired "
        "replicates"
    )


def comparison_text(comparison: Any) -> str:
    """Render a PartitionComparison as text: verdict, overall, regressions, all."""
    with text_options():
        regressions = comparison.regressions
        return (
            f"{comparison_title(comparison)}\n\noverall:\n{comparison.overall}\n\n"
            f"regressions:\n"
            f"{regressions if len(regressions) else '(none)'}\n\n"
            f"by partition:\n{comparison.by_partition}"
        )
