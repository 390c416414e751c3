"""The boundary: groups, targets and classes, sample weights, option checks.

Every public entry point validates its arguments here, once; the layers below
trust what comes out. Imports nothing of skpart but ``_compat`` and
``_messages``.
"""
