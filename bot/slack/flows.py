"""The steps listeners share: work after the ack, the modal, a resend delivered, a note to the person."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock
from sqlalchemy.exc import SQLAlchemyError

from bot.records import WabaChoice
from bot.request import ResendRequest
from bot.resend_values import Origin, ResendResult, Started, Told
from bot.slack.access_blocks import request_access_button
from bot.slack.blocks import (
    Prefill,
    escape,
    open_modal_button,
    outcome_blocks,
    outcome_text,
    resend_modal,
    text_with_modal_button,
)
from bot.slack.client import error_code
from bot.slack.delivery import Destination
from bot.slack.deps import SlackDeps
from bot.status import Status

log = logging.getLogger(__name__)

STORE_DOWN = (
    "The bot's database is not answering, so nothing was done. Try again in a minute; if it persists, tell an admin."
)
UNEXPECTED = (
    "The bot hit an unexpected error (it is logged for the admins). An OTP may or may not have been "
    "sent: check `/resend-otp history` before trying again."
)


def after_ack(
    deps: SlackDeps, destination: Destination, work: Callable[[], object], *, calls_kaleyra: bool = False
) -> Future[None]:
    """Run `work` once the ack is out; if it fails, the person hears so rather than nothing.

    Work that calls Kaleyra (up to KALEYRA_TIMEOUT_SECONDS) has a pool of its own, so it never
    queues Slack-only work (a form to open) behind it.
    """

    def run() -> None:
        try:
            work()
        except SQLAlchemyError:
            log.exception("the store failed after the ack")
            tell(deps, destination, STORE_DOWN, with_button=False)
        except Exception:
            log.exception("work after the ack failed")
            tell(deps, destination, UNEXPECTED, with_button=False)

    return (deps.resends if calls_kaleyra else deps.quick).submit(run)


def allowed_wabas(deps: SlackDeps, user_id: str) -> list[WabaChoice]:
    return deps.service.allowed_wabas(deps.groups.requester(user_id).principals)


def no_wabas_message(deps: SlackDeps) -> str:
    admins = deps.service.admins()
    who = ", ".join(f"<@{a}>" for a in admins[:5]) if admins else "the bot's admin"
    return (
        f"You have no WhatsApp Business Accounts to resend OTPs for yet. Request access below, or ask {who} "
        "to grant you one."
    )


def open_modal(
    deps: SlackDeps,
    trigger_id: str,
    surface: str,
    destination: Destination,
    prefill_for: Callable[[set[str]], Prefill] | None = None,
) -> None:
    """Open the resend modal with this user's WABAs, or tell them why it can't open."""
    wabas = allowed_wabas(deps, destination.user_id)
    if not wabas:
        text = no_wabas_message(deps)
        deps.delivery.to_person(
            destination, text, [SectionBlock(text=MarkdownTextObject(text=text)), request_access_button()]
        )
        return
    prefill = prefill_for({w.id for w in wabas}) if prefill_for else Prefill()
    if prefill.waba_id and prefill.waba_id not in {w.id for w in wabas}:
        # Whether the bot knows that WABA is not this person's business: one message for both.
        warning = (
            f":warning: The alert names WABA `{escape(prefill.waba_id)}`, which is not one of yours. "
            "Choose another, or ask an admin for access."
        )
        prefill = replace(prefill, waba_id=None, notice=" ".join(filter(None, (warning, prefill.notice))))
    view = resend_modal(wabas, prefill, destination.to_metadata(surface))
    # The person types for seconds: the handshake with Kaleyra is done by the time they submit.
    deps.resender.open_connection()
    try:
        deps.client.call(lambda web: web.views_open(trigger_id=trigger_id, view=view))
    except SlackApiError as exc:
        if error_code(exc) == "expired_trigger_id":
            tell(deps, destination, "Slack took too long to open the form: please run the command again.")
        else:
            log.warning("views.open failed: %s", error_code(exc))
            tell(deps, destination, "Slack would not open the form just now: please try again.")
    except (SlackClientError, OSError, TimeoutError) as exc:
        log.warning("views.open failed: %s", error_code(exc))
        tell(deps, destination, "Slack would not open the form just now: please try again.")


def resend_and_deliver(
    deps: SlackDeps, destination: Destination, origin: Origin, request: ResendRequest
) -> ResendResult:
    """The whole use case for a surface that acked already: a refusal to the asker, else the outcome."""
    requester = deps.groups.requester(destination.user_id)
    started = deps.resender.start(requester, origin, request)
    if isinstance(started, ResendResult):
        deliver_refusal(deps, started, destination)
        return started
    return run_and_deliver(deps, started, destination)


def run_and_deliver(deps: SlackDeps, started: Started, destination: Destination) -> ResendResult:
    """Announce (for a command) while Kaleyra is called, then post the outcome with its fallbacks."""
    # The Kaleyra request leaves first; the parent is posted while Kaleyra answers: neither needs
    # the other, and overlapping them takes a Slack round trip off the time to the outcome.
    calling = deps.resender.call(started)
    try:
        announcement = deps.delivery.announce(destination, started.result)
    except Exception:  # Kaleyra was called: its outcome must still be recorded and take a fallback
        log.exception("announcing the resend failed")
        announcement = None

    def tell(result: ResendResult) -> Told:
        told = deps.delivery.deliver(destination, result, announcement)
        # The person has the outcome: recording it lets a burst's acks go first.
        deps.answering.wait_for_acks()
        return told

    return calling.result(tell=tell)


def deliver_refusal(deps: SlackDeps, result: ResendResult, destination: Destination) -> None:
    """A refusal is the asker's business alone: it goes to them, never the channel."""
    blocks = outcome_blocks(result, with_button=False)
    if result.status is Status.REFUSED_INVALID:
        blocks.append(open_modal_button("Or fill in the form"))
    elif result.status is Status.REFUSED_NOT_ALLOWED:
        # The refused attempt rides along: once approved, "Resend now" repeats it in one click.
        blocks.append(request_access_button(result.attempt_id))
    deps.delivery.to_person(destination, outcome_text(result), blocks)


def tell(deps: SlackDeps, destination: Destination, text: str, *, with_button: bool = True) -> None:
    """A short note for the person alone, with the modal one click away unless it can't help."""
    blocks = text_with_modal_button(text) if with_button else [SectionBlock(text=MarkdownTextObject(text=text))]
    deps.delivery.to_person(destination, text, blocks)
