"""Tiny meta-driven Keras model functions shared by the tests."""

from __future__ import annotations

import keras


def tiny_classifier(meta, compile_kwargs=None, hidden=8):
    """One hidden layer; a sigmoid for two classes, a softmax otherwise."""
    n_classes = meta["n_classes_"]
    binary = n_classes <= 2
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(
                1 if binary else n_classes,
                activation="sigmoid" if binary else "softmax",
            ),
        ]
    )
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(0.01))
    return model


def tiny_regressor(meta, compile_kwargs=None, hidden=8):
    """One hidden layer and a linear output per target."""
    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(meta["n_outputs_"]),
        ]
    )
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(0.01))
    return model
