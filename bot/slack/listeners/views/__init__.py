"""Listeners for Slack's views."""
