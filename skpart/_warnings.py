"""skpart's warning category, and warnings that point at the user's own line."""

from __future__ import annotations

import sys
import warnings

# Frames of these packages are skipped, so a warning raised deep inside a
# fit, a search or a Keras callback names the line that called them.
_LIBRARIES = ("skpart", "scikeras", "sklearn", "keras", "tensorflow", "joblib")


class PartitionMetricWarning(UserWarning):
    """A metric is undefined (NaN) on some partitions, or on all rows pooled."""


def user_stacklevel() -> int:
    """``stacklevel`` of the first frame outside skpart and the libraries it runs in.

    Python 3.12's ``skip_file_prefixes`` does this; skpart supports 3.10.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and _in_library(frame):
        frame, level = frame.f_back, level + 1
    return level


def warn(message: str, category: type[Warning] = PartitionMetricWarning) -> None:
    """Warn at the user's line (see :func:`user_stacklevel`)."""
    # Counted from this function's frame, as warnings.warn counts.
    warnings.warn(message, category, stacklevel=user_stacklevel())


def _in_library(frame) -> bool:
    module = frame.f_globals.get("__name__", "")
    return module.partition(".")[0] in _LIBRARIES
