"""Benchmarks of the hub, run by `make bench` (never by `make test`); results in bench/README.md."""
