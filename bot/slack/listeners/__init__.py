"""Listeners, one folder per Slack surface; each module registers its own."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.deps import SlackDeps
from bot.slack.listeners import actions, commands, events, shortcuts, views


def register(app: App, deps: SlackDeps) -> None:
    for surface in (commands, views, shortcuts, actions, events):
        surface.register(app, deps)
