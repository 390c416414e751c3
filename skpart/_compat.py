"""scikit-learn's private names, quarantined: the only module that imports them.

Each entry says why skpart needs it and when it can go; ``tests/test_compat.py``
pins every one, so an sklearn upgrade that moves one fails in one named test.
"""

from __future__ import annotations

# Row indexing of arrays, DataFrames and lists alike, as cross_validate does.
# Remove when sklearn makes it public (it is in sklearn.utils, named private).
from sklearn.utils import _safe_indexing

# The base class of sklearn's own scorers: it gives a scorer the
# metadata-routing protocol (get_metadata_routing over _get_metadata_request).
# Remove when sklearn exposes a public base class for scorers.
from sklearn.utils._metadata_requests import _MetadataRequester

# Row count of any array-like sklearn accepts.
# Remove when sklearn makes it public.
from sklearn.utils.validation import _num_samples

__all__ = ["_MetadataRequester", "_num_samples", "_safe_indexing"]
