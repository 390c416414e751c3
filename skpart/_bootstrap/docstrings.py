"""The bootstrap options' docstring, written once for every function that takes them.

``metrics_by_partition``, ``score_partitions``, ``cross_validate_partitions``
and the estimators' ``score_partitions`` take the same three options with
the same meaning; their docstrings hold a marker line that
:func:`with_bootstrap_parameters` replaces with this text, indented as the
marker is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

#: The line a docstring holds where the bootstrap parameters go.
MARKER = "{bootstrap_parameters}"

BOOTSTRAP_PARAMETERS = """\
n_boot : int, default=None
    Bootstrap replicates (Poisson(1) row weights drawn from each row's
    position, so batches, merges and Dask blocks give the same replicates;
    at least 10 expected in each tail of ``confidence_level``). The report
    gains ``intervals`` and ``overall_intervals``, the summary's
    ``worst_low`` ... ``mean_high`` and ``worst_share``, ``n_effective`` in
    ``by_partition`` and ``replicates(metric)``; the uncertainty guide says
    what each interval covers. None: point estimates only.
confidence_level : float, default=0.95
    Level of the bootstrap intervals.
random_state : int, RandomState instance or None, default=None
    Seeds the bootstrap replicates."""


def with_bootstrap_parameters(func: F) -> F:
    """Replace the marker line of ``func``'s docstring with the parameters."""
    lines = func.__doc__.splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.strip() == MARKER]
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    piece = [indent + line if line else "" for line in BOOTSTRAP_PARAMETERS.split("\n")]
    func.__doc__ = "\n".join(lines[:at] + piece + lines[at + 1 :])
    return func
