"""Read-only results and how they render: reports, comparisons, charts, HTML.

A result holds what the function that built it computed; it computes
nothing itself. ``report`` and ``comparison`` hold; ``tables`` builds the
report's tables from the engine's arrays; ``charts``, ``html`` and ``text``
render both results.
"""
