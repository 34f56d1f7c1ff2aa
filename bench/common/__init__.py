"""Pieces the benchmarks share: the test shop served by nginx, its expected rows, crawler processes."""
