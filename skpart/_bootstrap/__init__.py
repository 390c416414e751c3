"""The bootstrap: Poisson(1) row draws, percentile intervals, p-values, BH.

Pure NumPy on replicate arrays: it knows nothing of metrics, so the
statistics (which draw their replicates here) and the engine (which turns
replicate values into intervals here) both build on it.
"""
