"""Scripts that print figures: a synthetic-data generator and an HTTP latency probe.

Nothing here is imported by the app or timed in the tests (see BENCHMARKS.md).
"""
