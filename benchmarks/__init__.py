"""Ratio benchmarks; results are collected in benchmarks/BENCHMARKS.md."""
