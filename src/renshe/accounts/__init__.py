"""Accounts: users, roles, passwords, second factor, sessions and API tokens."""
