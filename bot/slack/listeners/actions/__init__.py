"""Listeners for Slack's actions."""
