"""Early stopping on the worst partition, with per-partition learning curves.

The data ship with scikit-learn (nothing is downloaded): the diabetes study's
442 patients, target "disease progression above the median after one year",
partitioned by sex and age band, as in the quickstart.

A ``PartitionMonitor`` scores the validation rows on every partition at the end
of each epoch and writes ``val_partition_accuracy_worst`` (and ``_mean``,
``_best``, ``_gap``) into Keras's epoch logs. A stock ``EarlyStopping`` watches
the worst partition and restores the weights of the epoch where it was best.
The test rows, which steered nothing, give the final per-partition report.

Run with ``.venv/bin/python examples/early_stopping.py`` (well under a minute).
"""

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareClassifier, PartitionMonitor

# %% [markdown]
# Three splits: training rows, validation rows for the monitor (they decide
# when to stop), and test rows for the final report.

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
X_train, X_rest, y_train, y_rest, g_train, g_rest = train_test_split(
    X, y, groups, test_size=0.5, stratify=y, random_state=0
)
X_val, X_test, y_val, y_test, g_val, g_test = train_test_split(
    X_rest, y_rest, g_rest, test_size=0.5, stratify=y_rest, random_state=0
)
# The monitor feeds its rows to the Keras model directly, so it gets them
# already scaled, as the estimator will see them.
scaler = StandardScaler().fit(X_train)
X_train_s, X_val_s, X_test_s = (scaler.transform(x) for x in (X_train, X_val, X_test))

# %% [markdown]
# A network wide enough to overfit 221 rows, a monitor on the validation rows
# and ``EarlyStopping`` on the worst partition. Accuracy is class-balanced
# within each partition (the default); ``mode="max"`` because it is a score.


# %%
def mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.003))
    return model


monitor = PartitionMonitor(X_val_s, y_val, g_val, metrics=["accuracy"])
stop = keras.callbacks.EarlyStopping(
    monitor="val_partition_accuracy_worst",
    mode="max",
    patience=15,
    restore_best_weights=True,
)
clf = PartitionAwareClassifier(
    mlp,
    epochs=150,
    batch_size=32,
    verbose=0,
    random_state=0,
    callbacks=[monitor, stop],
)
clf.fit(X_train_s, y_train)

worst = pd.Series(clf.history_["val_partition_accuracy_worst"])
best_epoch = int(worst.idxmax())
print(
    f"Trained {len(worst)} of 150 epochs; the worst validation partition was "
    f"best at epoch {best_epoch} ({worst.max():.3f}), whose weights are kept "
    "(epochs count from 0, as in history_ and EarlyStopping)."
)

# %% [markdown]
# ``partition_history_`` holds every partition's value at every epoch, in tidy
# form; one column per partition makes the learning curves.

# %%
curves = (
    clf.partition_history_.query("metric == 'accuracy'")
    .assign(partition=lambda t: t["partition"].map(" / ".join))
    .pivot(index="epoch", columns="partition", values="value")
)
print("\nValidation accuracy per partition at the kept epoch:")
print(curves.loc[best_epoch].round(3).to_string())

report = clf.score_partitions(X_test_s, y_test, g_test, metrics=["accuracy", "roc_auc"])
print("\nTest rows, per partition:\n", report.by_partition.round(3), sep="")
print(
    "\nSummary:\n",
    report.summary[["worst", "mean", "worst_partition"]].round(3),
    sep="",
)

# %%
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
epochs = curves.index  # from 0, as Keras counts them
for partition in curves.columns:
    right.plot(epochs, curves[partition], linewidth=1.2, label=partition)
right.set_title("Validation accuracy of each partition")
right.legend(fontsize=8, ncol=2, loc="lower right")
left.plot(epochs, clf.history_["val_partition_accuracy_mean"], label="mean")
left.plot(epochs, worst, label="worst partition", linewidth=2)
left.set_title("EarlyStopping monitors the worst partition")
left.set_ylabel("accuracy (class-balanced)")
left.legend(loc="lower right")
for ax in (left, right):
    ax.axvline(best_epoch, color="k", linestyle="--", linewidth=1)
    ax.set_xlabel("epoch (dashed: weights kept)")
fig.tight_layout()
fig.savefig("early_stopping.png", dpi=110)
print("Saved early_stopping.png")
