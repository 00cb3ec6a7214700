"""Listeners for Slack's shortcuts."""
