from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.events import app_home_opened


def register(app: App, deps: SlackDeps) -> None:
    app_home_opened.register(app, deps)
