"""The store: WABAs, grants, admins, cooldown claims and the audit, on SQLite or PostgreSQL."""
