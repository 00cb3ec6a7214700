from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.actions import open_modal, resend_again


def register(app: App, deps: SlackDeps) -> None:
    resend_again.register(app, deps)
    open_modal.register(app, deps)
