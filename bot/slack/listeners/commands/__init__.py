from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners.commands import resend_otp


def register(app: App, deps: SlackDeps) -> None:
    resend_otp.register(app, deps)
