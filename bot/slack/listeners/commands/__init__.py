"""Listeners for Slack's commands."""
