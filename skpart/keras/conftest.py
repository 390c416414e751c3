"""pytest's hook for the doctests of this folder (collected by --doctest-modules).

A doctest here whose examples train a Keras model (call ``.fit(``) is marked
``slow``, as the tests that train are, so ``-m "not slow"`` leaves it out.
The hook lives beside the doctests because pytest reads tests/conftest.py
only when it collects tests/, and ``pytest skpart`` collects these alone.
"""

import pathlib

import pytest

_HERE = pathlib.Path(__file__).resolve().parent


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark this folder's doctests that call ``.fit(`` as slow."""
    for item in items:
        examples = getattr(getattr(item, "dtest", None), "examples", None)
        if examples and pathlib.Path(item.path).resolve().parent == _HERE:
            if any(".fit(" in example.source for example in examples):
                item.add_marker(pytest.mark.slow)
