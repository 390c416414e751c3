"""skpart: scikit-learn compatible Keras estimators, scored per data partition."""

__version__ = "0.1.0.dev0"
