"""Quickstart: train a Keras classifier and see how it does on each partition.

The data ship with scikit-learn (nothing is downloaded): the diabetes study's
442 patients, with the target "disease progression above the median after one
year", partitioned by sex and age band, the kind of groups a clinical model
must hold up on one by one.

Run with ``make demo`` (or ``.venv/bin/python examples/quickstart.py``).
"""

# %%
import importlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def import_quietly(name):
    """Import ``name`` with the process's stderr pointed at /dev/null.

    TensorFlow's C++ runtime prints a few start-up lines (absl, oneDNN, CUDA)
    straight to file descriptor 2 as it loads, before any Python or
    environment setting reaches it; the demo hides those lines only. An
    import error still raises, with its traceback, once stderr is back.
    """
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        return importlib.import_module(name)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


keras = import_quietly("keras")
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareClassifier

# %% [markdown]
# The data and the partitions: sex (1 or 2, as the study codes it) crossed
# with three age bands.

# %%
data = load_diabetes(as_frame=True, scaled=False)
X = data.data
y = (data.target > data.target.median()).astype(int).rename("high_progression")
groups = pd.DataFrame(
    {
        "sex": X["sex"].map({1.0: "sex 1", 2.0: "sex 2"}),
        "age": pd.cut(X["age"], [0, 40, 55, 100], labels=["<40", "40-55", ">55"]),
    }
)
X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
    X, y, groups, test_size=0.4, stratify=y, random_state=0
)

# %% [markdown]
# A small network. The model function gets SciKeras's ``meta`` (number of
# features and classes) and is compiled with the loss only: skpart trains
# without Keras metrics and computes them per partition afterwards.


# %%
def mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01))
    return model


clf = make_pipeline(
    StandardScaler(),
    PartitionAwareClassifier(mlp, epochs=30, batch_size=32, verbose=0, random_state=0),
)
clf.fit(X_train, y_train)

# %% [markdown]
# One prediction pass, every metric per partition, classes balanced within
# each partition (the default for classifiers: so accuracy would equal
# balanced accuracy, and only the latter is shown), and 1,000 bootstrap
# replicates of the test rows for an interval around every number.

# %%
from skpart import score_partitions  # noqa: E402

report = score_partitions(
    clf,
    X_test,
    y_test,
    g_test,
    metrics=["balanced_accuracy", "roc_auc", "log_loss"],
    min_partition_size=10,
    n_boot=1000,
    random_state=0,
)
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", None)
pd.set_option("display.precision", 3)


def with_interval(metric):
    """``value [low, high]`` for each partition: a column to read at a glance."""
    low, high = report.intervals[(metric, "low")], report.intervals[(metric, "high")]
    values = report.by_partition[metric]
    return [
        f"{v:.3f} [{a:.3f}, {b:.3f}]" for v, a, b in zip(values, low, high, strict=True)
    ]


table = report.by_partition[["n_samples", "n_effective"]].assign(
    **{m: with_interval(m) for m in ("balanced_accuracy", "roc_auc")}
)
print("Per partition, with 95% bootstrap intervals:\n", table, "\n", sep="")
print("All test rows pooled:\n", report.overall, "\n", sep="")
columns = ["worst", "worst_low", "worst_high", "worst_partition", "worst_share"]
print("Summary over partitions with >= 10 rows:\n", report.summary[columns], sep="")
print()

# %% [markdown]
# Is the worst partition really the worst? ``worst_share`` is the share of
# replicates in which it is; ``worst_low`` / ``worst_high`` bound the true
# worst value over all partitions at once.

# %%
worst = report.summary.loc["balanced_accuracy"]
print(
    f"Worst balanced accuracy {worst['worst']:.3f} on {worst['worst_partition']} "
    f"(the true worst lies in [{worst['worst_low']:.3f}, "
    f"{worst['worst_high']:.3f}]), against "
    f"{report.overall['balanced_accuracy']:.3f} on all rows pooled."
)
if worst["worst_share"] < 0.5:
    print(
        f"It is the worst in only {worst['worst_share']:.0%} of the bootstrap "
        "replicates: with partitions this small the ranking is mostly noise, "
        "so collect more rows before blaming that partition."
    )
else:
    print(
        f"It is the worst in {worst['worst_share']:.0%} of the bootstrap "
        "replicates: the ranking holds up to resampling."
    )

# %%
try:
    import matplotlib

    matplotlib.use("Agg")
    ax = report.plot("balanced_accuracy")
    ax.figure.tight_layout()
    ax.figure.savefig("quickstart_partitions.png", dpi=120)
    print("Saved the chart, with its intervals, to quickstart_partitions.png")
except ImportError:
    print("Install skpart[plot] for the per-partition chart.")
assert np.isfinite(report.summary["worst"]).all()
