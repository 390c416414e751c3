"""Dask collections scored where they live, statistics merged in a tree.

Dask is an optional extra: it is imported inside the functions that need it.
"""
