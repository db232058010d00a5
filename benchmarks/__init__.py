"""Benchmarks: a generator of large realistic exports and timing scripts."""
