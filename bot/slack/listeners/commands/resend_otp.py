"""`/resend-otp`: the modal, inline runs, help, history and admin commands."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from bot.resend_values import Origin
from bot.slack import flows
from bot.slack.admin_commands import run_admin_command
from bot.slack.blocks import as_dicts, help_blocks, text_with_modal_button
from bot.slack.command_text import AdminCommand, Help, History, Inline, Malformed, OpenModal, parse_command
from bot.slack.delivery import Destination
from bot.slack.deps import deps_of
from bot.slack.history import history_blocks

COMMAND = "/resend-otp"


def resend_otp(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    deps = deps_of(context)
    destination = Destination.from_payload(command, announce=True)
    match parse_command(command.get("text", "")):
        case OpenModal():
            ack()
            trigger_id = str(command.get("trigger_id", ""))
            flows.after_ack(deps, destination, lambda: flows.open_modal(deps, trigger_id, "command", destination))
        case Help():
            ack(blocks=as_dicts(help_blocks()), text="How to use /resend-otp")
        case Malformed(message):
            ack(blocks=as_dicts(text_with_modal_button(message)), text=message)
        case History(query):
            ack()
            flows.after_ack(
                deps,
                destination,
                lambda: deps.delivery.to_person(destination, *history_blocks(deps, destination.user_id, query)),
            )
        case AdminCommand() as admin_command:
            ack()
            flows.after_ack(deps, destination, lambda: run_admin_command(deps, destination, admin_command))
        case Inline(request):
            ack()
            origin = Origin("command", destination.channel_id)
            flows.after_ack(
                deps,
                destination,
                lambda: flows.resend_and_deliver(deps, destination, origin, request),
                calls_kaleyra=True,
            )
