"""The benchmark: `python bench/bench.py`."""
