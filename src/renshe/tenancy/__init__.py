"""Org units (the tenant tree) and tenants-as-code sync."""
