"""Benchmarks: scripts that time the portal's batch jobs on a real database (not tests)."""
