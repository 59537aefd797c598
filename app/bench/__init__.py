"""Benchmarks that print figures (JSON): speed is measured here, not in timed unit tests."""
