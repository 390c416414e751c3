"""Model selection on the worst partition versus on the mean.

The data are synthetic, so the point is visible (nothing is downloaded). Four
sites measure the same biomarker ``x1``; the disease is present when the true
level is above 0. Sites A, B and C are calibrated; site D's assay reads 1.5
units high, so the same reading means less disease there. The model does not
see the site (it has to work on sites it has never seen), so no single decision
rule fits every site, and a hyperparameter has to trade the sites off: here the
weight of the positive class, which moves the model's decision threshold.

``GridSearchCV`` scores every candidate on both the worst site and the mean
over sites, from one prediction per fold, and refits on the worst site. On the
mean, the default (no class weight) wins, because it suits the three calibrated
sites; on the worst site, a lower weight for positives wins, which gives up a
little accuracy on sites A to C for much more on site D.

Run with ``.venv/bin/python examples/model_selection.py`` (about a minute).
"""

# %%
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skpart import PartitionAwareClassifier, make_partition_scorer, score_partitions

# %% [markdown]
# The data: three calibrated sites of 400 patients and one site of 150 whose
# assay reads 1.5 units high. ``x2`` is a second, weaker risk factor.


# %%
def make_sites(seed=0):
    rng = np.random.default_rng(seed)
    sizes = {"site A": 400, "site B": 400, "site C": 400, "site D": 150}
    frames = []
    for site, n in sizes.items():
        level = rng.normal(size=n)  # the true biomarker level
        x2 = rng.normal(size=n)
        logit = 4 * level + x2
        y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        x1 = level + (1.5 if site == "site D" else 0.0)  # what the assay reads
        frames.append(pd.DataFrame({"x1": x1, "x2": x2, "site": site, "y": y}))
    data = pd.concat(frames, ignore_index=True)
    return data[["x1", "x2", "site"]], data["y"]


X, y = make_sites()
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=X["site"] + y.astype(str), random_state=0
)

# %% [markdown]
# The model: a small network behind a ``ColumnTransformer`` that keeps the two
# measurements and drops the ``site`` column. The site stays in ``X`` only so
# that the scorer can read it (the column recipe: no metadata routing needed).


# %%
def mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.02))
    return model


pipe = make_pipeline(
    ColumnTransformer([("measurements", StandardScaler(), ["x1", "x2"])]),
    PartitionAwareClassifier(mlp, epochs=15, batch_size=64, verbose=0, random_state=0),
)
positive_weights = [1.0, 0.6, 0.35, 0.2]
param_grid = {
    "partitionawareclassifier__class_weight": [{0: 1.0, 1: w} for w in positive_weights]
}

# %% [markdown]
# One scorer, two keys per fold: ``accuracy_worst`` and ``accuracy_mean``
# (accuracy is class-balanced within each site by default). ``refit`` picks
# the key that chooses the final model. Every test fold holds every site
# (stratified folds); with ``GroupKFold`` on the site instead, each test fold
# would hold one site only, and its worst site would be its mean.

# %%
scorer = make_partition_scorer(["accuracy"], aggregate=["worst", "mean"], groups="site")
search = GridSearchCV(
    pipe,
    param_grid,
    scoring=scorer,
    refit="accuracy_worst",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
    error_score="raise",
)
search.fit(X_train, y_train)

results = pd.DataFrame(
    {
        "positive weight": positive_weights,
        "worst site": search.cv_results_["mean_test_accuracy_worst"],
        "mean over sites": search.cv_results_["mean_test_accuracy_mean"],
    }
)
by_worst = int(np.argmax(results["worst site"]))
by_mean = int(np.argmax(results["mean over sites"]))
print(results.round(3).to_string(index=False), "\n")
print(
    f"Chosen on the worst site: positive weight {positive_weights[by_worst]}; "
    f"on the mean over sites: {positive_weights[by_mean]}."
)
assert by_worst != by_mean, "the two criteria should choose differently here"

# %% [markdown]
# Both choices on the held-out test rows, site by site. ``search`` already
# holds the worst-site choice; the mean's choice is refitted on the same rows.

# %%
from sklearn.base import clone  # noqa: E402

chosen = {
    "chosen on the worst site": search.best_estimator_,
    "chosen on the mean": clone(pipe)
    .set_params(**search.cv_results_["params"][by_mean])
    .fit(X_train, y_train),
}
reports = {
    name: score_partitions(model, X_test, y_test, X_test["site"], metrics="accuracy")
    for name, model in chosen.items()
}
per_site = pd.DataFrame(
    {name: r.by_partition["accuracy"] for name, r in reports.items()}
)
print("\nTest accuracy (class-balanced) per site:\n", per_site.round(3), sep="")
print(
    "Worst site:",
    {
        name: round(float(r.summary.loc["accuracy", "worst"]), 3)
        for name, r in reports.items()
    },
)

# %%
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for column, marker in [("worst site", "o"), ("mean over sites", "s")]:
    left.plot(results["positive weight"], results[column], marker=marker, label=column)
left.scatter(
    positive_weights[by_worst],
    results["worst site"][by_worst],
    s=200,
    facecolors="none",
    edgecolors="C0",
)
left.scatter(
    positive_weights[by_mean],
    results["mean over sites"][by_mean],
    s=200,
    facecolors="none",
    edgecolors="C1",
)
left.set_xscale("log")
left.set_xticks(positive_weights, [str(w) for w in positive_weights])
left.minorticks_off()
left.set_xlabel("weight of the positive class")
left.set_ylabel("cross-validated accuracy (balanced)")
left.set_title("GridSearchCV: each criterion's choice circled")
left.legend()
per_site.plot.bar(ax=right, rot=0, color=["C0", "C1"])
right.set_ylim(0.5, 1.0)
right.set_ylabel("test accuracy (balanced)")
right.set_title("The two chosen models, site by site")
fig.tight_layout()
fig.savefig("model_selection.png", dpi=110)
print("Saved model_selection.png")
