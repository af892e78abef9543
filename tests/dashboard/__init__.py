"""Tests of the district dashboard."""
