"""Compare a retrained model with the one in production, site by site.

A retrained model uses one more feature and is better on average, but at one
site the device that measures that feature changed (it reports it in other
units, with the sign flipped), and there the new model is worse. Per-site
point estimates flag several sites where the new model looks a little worse;
most of them are noise. ``compare_partitions`` scores both models on the same
rows and the same bootstrap replicates (a paired bootstrap) and flags only the
sites where the drop is real, with the false discovery rate controlled over
all sites.

The data are simulated in the script (nothing is downloaded) and the models
are scikit-learn ones; Keras models from skpart compare the same way.

Run with ``.venv/bin/python examples/compare_models.py``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from skpart import compare_partitions

# %% [markdown]
# Fifteen sites. The outcome depends on three measurements; at site 07 the
# device for ``x1`` was replaced after training and reports ``-4 * x1``.

# %%
CHANGED_SITE = "site 07"


def make_data(rng, n_per_site, device_changed):
    site = np.repeat([f"site {i:02d}" for i in range(15)], n_per_site)
    x = rng.normal(size=(site.size, 3))
    logit = 1.2 * x[:, 0] + 0.4 * x[:, 1] + 0.3 * x[:, 2]
    y = (rng.random(site.size) < 1 / (1 + np.exp(-logit))).astype(int)
    x1 = x[:, 1]
    if device_changed:
        x1 = np.where(site == CHANGED_SITE, -4 * x1, x1)
    return pd.DataFrame({"x0": x[:, 0], "x1": x1, "x2": x[:, 2]}), y, site


rng = np.random.default_rng(0)
X_train, y_train, _ = make_data(rng, 400, device_changed=False)
X_test, y_test, site_test = make_data(rng, 300, device_changed=True)

# %% [markdown]
# The production model uses ``x0`` and ``x2``; the retrained one adds ``x1``.

# %%
baseline = make_pipeline(
    ColumnTransformer([("keep", "passthrough", ["x0", "x2"])]), LogisticRegression()
).fit(X_train, y_train)
candidate = LogisticRegression().fit(X_train, y_train)

comparison = compare_partitions(
    baseline,
    candidate,
    X_test,
    y_test,
    site_test,
    metrics=["accuracy", "roc_auc"],
    n_boot=1000,
    random_state=0,
)
print(repr(comparison).splitlines()[0])  # the verdict; a notebook shows a table

# %% [markdown]
# On average the candidate is better (the pooled difference is positive), and
# the point estimates alone would say it is worse at several sites:

# %%
print(comparison.overall[["baseline", "candidate", "difference", "low", "high"]])
points = comparison.by_partition[("accuracy", "difference")]
looks_worse = points.index[points < 0].tolist()
print(
    f"\n{len(looks_worse)} sites where the candidate's accuracy is lower: {looks_worse}"
)

# %% [markdown]
# The paired bootstrap tells the real drop from the noise: only the site whose
# device changed is flagged (Benjamini-Hochberg at a false discovery rate of
# 5% over the 15 sites and 2 metrics), so the gate fails for a reason.

# %%
print(comparison.regressions[["partition", "metric", "difference", "low", "high"]])
print(f"\npassed: {comparison.passed}")
assert set(comparison.regressions["partition"]) == {CHANGED_SITE}
assert len(looks_worse) > 1

# %% [markdown]
# The chart: each site's difference with its 95% interval, worst first;
# regressed sites in red.

# %%
ax = comparison.plot("accuracy")
ax.figure.savefig("compare_models.png", dpi=100)
plt.close(ax.figure)
