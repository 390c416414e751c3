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
    """
    items = list(items)
    shown = ", ".join(repr(item) for item in items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return f"[{shown}{f', ... (+{more} more)' if more > 0 else ''}]"
