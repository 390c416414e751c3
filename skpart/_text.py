"""Short renderings of values for error and warning messages."""

from __future__ import annotations

from collections.abc import Sequence

_MAX_LISTED = 5


def truncate(items: Sequence) -> str:
    """Render at most five items of a long list: ``[a, b, ... (+n more)]``.

    Examples
    --------
    >>> from skpart._text import truncate
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
