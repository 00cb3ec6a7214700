from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.views import resend_submission


def register(app: App, deps: SlackDeps) -> None:
    resend_submission.register(app, deps)
