"""Benchmarks: ``python -m bench.run`` runs every ``bench_*.py`` and writes results.json."""
