"""`/resend-otp`: the modal, inline runs, help, history and admin commands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.resend import Origin
from bot.slack import flows
from bot.slack.admin_commands import run_admin_command
from bot.slack.blocks import as_dicts, text_with_modal_button
from bot.slack.command_text import AdminCommand, Help, History, Inline, Malformed, OpenModal, parse_command
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps
from bot.slack.help import help_blocks
from bot.slack.history import history_blocks

COMMAND = "/resend-otp"


def register(app: App, deps: SlackDeps) -> None:
    @app.command(COMMAND)
    def resend_otp(ack: Ack, command: dict[str, Any]) -> None:
        destination = Destination(
            user_id=command["user_id"],
            channel_id=command.get("channel_id"),
            response_url=command.get("response_url"),
            announce=True,
        )
        match parse_command(command.get("text", "")):
            case OpenModal():
                ack()
                flows.in_background(
                    deps.quick, deps, destination, flows.open_modal, deps, command["trigger_id"], "command", destination
                )
            case Help():
                ack(blocks=as_dicts(help_blocks()), text="How to use /resend-otp")
            case Malformed(message):
                ack(blocks=as_dicts(text_with_modal_button(message)), text=message)
            case History(query):
                ack()
                flows.in_background(deps.quick, deps, destination, _history, deps, destination, query)
            case AdminCommand() as admin_command:
                ack()
                flows.in_background(deps.quick, deps, destination, run_admin_command, deps, destination, admin_command)
            case Inline(request):
                ack()
                flows.in_background(
                    deps.resends,
                    deps,
                    destination,
                    flows.resend_and_deliver,
                    deps,
                    destination,
                    Origin("command", destination.channel_id),
                    request,
                )


def _history(deps: SlackDeps, destination: Destination, query: str | None) -> None:
    text, blocks = history_blocks(deps, destination.user_id, query)
    deps.delivery.to_person(destination, text, blocks)
