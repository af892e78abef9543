"""Benchmarks (07-quality): each measures the product and a baseline in the same run and reports
the ratio, because an absolute time on a shared machine means little. Run ``uv run python -m bench``.
"""
