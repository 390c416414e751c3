"""Regression: how far off is the model for each sex and age band?

The data ship with scikit-learn (nothing is downloaded): the diabetes study's
442 patients and their disease progression one year after baseline (a
quantitative score, about 25 to 346). A small Keras network predicts it; the
test rows are then scored per partition (sex crossed with age band) with the
mean absolute error and R².

Regression metrics are unweighted by default (``sample_weight=None``): there
are no classes to balance, and ``"balanced"`` is an error for a regression
target.

Run with ``.venv/bin/python examples/regression.py`` (well under a minute).
"""

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareRegressor

# %%
data = load_diabetes(as_frame=True, scaled=False)
X, y = data.data, data.target.rename("progression")
groups = pd.DataFrame(
    {
        "sex": X["sex"].map({1.0: "sex 1", 2.0: "sex 2"}),
        "age": pd.cut(X["age"], [0, 40, 55, 100], labels=["<40", "40-55", ">55"]),
    }
)
X_train, X_test, y_train, y_test, g_train, g_test = train_test_split(
    X, y, groups, test_size=0.4, random_state=0
)

# %% [markdown]
# A small network with a linear output, compiled with the loss only. Its last
# layer multiplies by 150 (and the output bias starts at 1), so the network
# works with values near 1 and predicts in the target's own units. On 265
# training rows a wide network overfits: 8 hidden units are enough.


# %%
Y_SCALE = 150.0


def mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, bias_initializer=keras.initializers.Constant(1.0)),
            keras.layers.Rescaling(Y_SCALE),
        ]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.005))
    return model


reg = make_pipeline(
    StandardScaler(),
    PartitionAwareRegressor(mlp, epochs=60, batch_size=32, verbose=0, random_state=0),
)
reg.fit(X_train, y_train)

# %% [markdown]
# One prediction pass; both metrics on every partition and on all test rows
# pooled. Partitions with fewer than 20 test rows are still listed but are
# left out of the summary (``reliable`` is False, grey in the chart).
#
# R² within a partition compares the model with that partition's own mean, so
# it can be negative where the mean absolute error is no worse than elsewhere:
# a narrow partition has little variance to explain. Read the two together.

# %%
from skpart import score_partitions  # noqa: E402

report = score_partitions(
    reg,
    X_test,
    y_test,
    g_test,
    metrics=["mean_absolute_error", "r2"],
    sample_weight=None,
    min_partition_size=20,
)
pd.set_option("display.width", 120)
pd.set_option("display.max_columns", None)
pd.set_option("display.precision", 3)
print("Per partition:\n", report.by_partition, "\n", sep="")
print("All test rows pooled:\n", report.overall, "\n", sep="")
print("Summary over partitions with >= 20 rows:\n", report.summary, "\n", sep="")
worst = report.summary.loc["mean_absolute_error"]
print(
    f"The largest mean absolute error, {worst['worst']:.1f}, is on "
    f"{worst['worst_partition']}, against {report.overall['mean_absolute_error']:.1f} "
    "on all test rows."
)

# %%
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
report.plot("mean_absolute_error", ax=left)
report.plot("r2", ax=right)
left.set_title("Mean absolute error (grey: fewer than 20 rows)")
right.set_title("R²")
fig.tight_layout()
fig.savefig("regression_partitions.png", dpi=110)
print("Saved regression_partitions.png")
