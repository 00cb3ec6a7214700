"""Pure functions, tested without a server, a database or a fake: the fast layer."""
