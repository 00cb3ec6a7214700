"""The Slack surface: translates Slack payloads to the use case and its outcomes back to Slack."""
