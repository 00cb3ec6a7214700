"""Loopback stand-ins for the HTTP APIs the bot talks to (Kaleyra, Slack)."""
