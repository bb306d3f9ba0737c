"""Benchmarks of tangent's gradients: `python -m benchmarks` (see README.md)."""
