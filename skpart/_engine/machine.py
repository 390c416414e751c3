"""What the engine knows of the machine it runs on: its memory."""

from __future__ import annotations

import os


def total_memory() -> int | None:
    """Physical memory of the machine in bytes (psutil if installed)."""
    try:
        import psutil
    except ImportError:
        pass
    else:
        return int(psutil.virtual_memory().total)
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
