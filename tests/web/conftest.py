"""The real bot behind its edge, against the fakes: the Slack surface's fixtures, shared."""

from tests.slack.conftest import bot, bot_settings, slack_fakes, start_bot

__all__ = ["bot", "bot_settings", "slack_fakes", "start_bot"]
