"""Score a Keras classifier per partition on a Dask cluster, block by block.

The rows to score live on the workers as a Dask array (here made there, as
they would be read from Parquet or Zarr files); the fitted classifier is sent
to each worker once, every block is predicted where it lives and turned into
per-partition statistics, and only those statistics travel back to be merged.
The report is the one the rows in memory would give.

A ``LocalCluster`` with worker processes re-imports this script in each
worker, so the cells that compute run under ``if __name__ == "__main__"``.

Run with ``.venv/bin/python examples/dask_cluster.py`` (about a minute).
"""

# %%
import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import dask.array as da
import keras
import numpy as np
from distributed import Client, LocalCluster

from skpart import PartitionAwareClassifier, score_partitions

N_FEATURES, N_SITES = 6, 12


def build_model(meta):
    """A small network compiled with its loss only."""
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.01))
    return model


def target(X, site, noise):
    """A rule that gets noisier from site to site (NumPy or Dask arrays)."""
    return (X[:, 0] - X[:, 1] + noise * (0.2 + site / N_SITES) > 0).astype(int)


def quiet_distributed_logs():
    """Only critical messages from distributed's loggers from now on."""
    for name in list(logging.root.manager.loggerDict):
        if name.partition(".")[0] == "distributed":
            logging.getLogger(name).setLevel(logging.CRITICAL)


# %% [markdown]
# A cluster of two worker processes on this machine; ``Client`` makes it the
# default, so ``score_partitions`` finds it.

# %%
if __name__ == "__main__":
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)

# %% [markdown]
# Train on a sample in memory (as one would on a subset of a large table).

# %%
if __name__ == "__main__":
    rng = np.random.default_rng(0)
    X_train = rng.normal(size=(20_000, N_FEATURES)).astype("float32")
    site_train = rng.integers(0, N_SITES, size=20_000)
    y_train = target(X_train, site_train, rng.normal(size=20_000))
    clf = PartitionAwareClassifier(
        build_model, epochs=3, batch_size=256, verbose=0, random_state=0
    ).fit(X_train, y_train)

# %% [markdown]
# The rows to score: 1,000,000 rows in 10 blocks, made on the workers and
# kept there (``persist``). ``y`` and ``groups`` have the same blocks as X.

# %%
if __name__ == "__main__":
    n_rows, chunk = 1_000_000, 100_000
    drng = da.random.default_rng(1)
    X = drng.standard_normal((n_rows, N_FEATURES), chunks=(chunk, N_FEATURES))
    X = X.astype("float32")
    site = drng.integers(0, N_SITES, size=n_rows, chunks=chunk)
    y = target(X, site, drng.standard_normal(n_rows, chunks=chunk))
    X, y, site = client.persist([X, y, site])

# %% [markdown]
# Score per site with a progress bar over the blocks (``verbose=1``).

# %%
if __name__ == "__main__":
    report = score_partitions(
        clf,
        X,
        y,
        site,
        metrics=["accuracy", "roc_auc", "log_loss"],
        verbose=1,
    )
    print()
    print(report.summary[["worst", "best", "mean", "gap", "worst_partition"]])
    print(report.by_partition.head())

# %% [markdown]
# The same rows in memory give the same report (here 1,000,000 rows fit;
# the point of the cluster is that they need not).

# %%
if __name__ == "__main__":
    X_np, y_np, site_np = client.compute([X, y, site], sync=True)
    in_memory = score_partitions(
        clf, X_np, y_np, site_np, metrics=["accuracy", "roc_auc", "log_loss"]
    )
    np.testing.assert_allclose(
        report.by_partition[report.metrics], in_memory.by_partition[report.metrics]
    )
    print("same report as in memory")
    # A worker's heartbeat can race the scheduler's shutdown and log a
    # closed-connection traceback, harmlessly: quiet distributed's logs, on
    # the workers and here, before closing.
    client.run(quiet_distributed_logs)
    quiet_distributed_logs()
    client.close()
    cluster.close()
