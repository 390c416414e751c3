"""Read-only results and how they render: reports, comparisons, charts, HTML.

A result holds what the function that built it computed; it computes
nothing itself.
"""
