"""Benchmarks: run `make bench`, or one of them as `.venv/bin/python -m bench.NAME`."""
