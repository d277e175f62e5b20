"""Quanban benchmarks: `python -m bench --size quick|full [names…]` (see bench/README.md)."""
