"""Listeners for the app's custom Workflow Builder steps (manifest `functions`)."""
