from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.shortcuts import resend_from_alert


def register(app: App, deps: SlackDeps) -> None:
    resend_from_alert.register(app, deps)
