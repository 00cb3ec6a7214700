"""Listeners for Slack's events."""
