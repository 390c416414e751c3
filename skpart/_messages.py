"""How skpart speaks to its users: warnings at the user's line, short lists.

skpart's warning category, ``warn`` (which points at the user's own line;
the engine, the monitor and the estimators all warn through it) and
``truncate`` (which renders long lists of labels in messages).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

# Frames of these packages are skipped, so a warning raised deep inside a
# fit, a search or a Keras callback names the line that called them.
_LIBRARIES = ("skpart", "scikeras", "sklearn", "keras", "tensorflow", "joblib")

_MAX_LISTED = 5


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


def truncate(items: Sequence) -> str:
    """Render at most five items of a long list: ``[a, b, ... (+n more)]``.

    Examples
    --------
    >>> from skpart._messages import truncate
    >>> truncate(list(range(7)))
    '[0, 1, 2, 3, 4, ... (+2 more)]'
    >>> import numpy as np
    >>> truncate(np.arange(3))
    '[0, 1, 2]'
    """
    # Only the shown items are converted: a warning may name 100,000 labels.
    head = items[:_MAX_LISTED]
    head = head.tolist() if hasattr(head, "tolist") else list(head)
    shown = ", ".join(repr(item) for item in head)
    more = len(items) - _MAX_LISTED
    return f"[{shown}{f', ... (+{more} more)' if more > 0 else ''}]"
