"""Database access: connection URLs per role, migrations, and the tenant transaction."""
