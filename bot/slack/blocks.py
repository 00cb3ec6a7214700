"""What the bot shows in Slack: safe mrkdwn, and Block Kit built with slack_sdk's models (they check Slack's limits)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.explain import Style, explain
from bot.principals import GROUP_ID, USER_ID
from bot.records import GrantRecord, WabaChoice
from bot.request import PHONE_NUMBER_FIELD, PHONE_NUMBER_ID_FIELD, VERIFICATION_FIELD, WABA_FIELD
from bot.resend_values import ResendResult
from bot.service import ALL_WABAS
from bot.slack.command_text import USAGE

MODAL_CALLBACK_ID = "resend_otp_modal"
RESEND_AGAIN_ACTION = "resend_again"
OPEN_MODAL_ACTION = "open_resend_modal"
_MAX_OPTIONS = 100  # Slack's limit for a static select

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# "@here" typed as plain text (a WABA's name, Kaleyra's message, an alert's words) must never notify
# a channel: a word joiner after the @ keeps it readable and inert.
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)


def escape(text: str) -> str:
    """Neutralise mentions, links and broadcasts (`<!channel>`, `<@U…>`, a plain `@here`) in text from outside."""
    text = _CONTROL.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text)


def user(user_id: str) -> str:
    """A mention of a Slack user id we checked ourselves."""
    return f"<@{user_id}>" if USER_ID.match(user_id) else escape(user_id)


def time(moment: datetime) -> str:
    """A time each reader sees in their own time zone, with a UTC fallback."""
    return f"<!date^{int(moment.timestamp())}^{{time_secs}}|{moment:%H:%M:%S} UTC>"


def date_time(moment: datetime) -> str:
    """A date and time in each reader's time zone (for ends days away), with a UTC fallback."""
    return f"<!date^{int(moment.timestamp())}^{{date_short}} {{time}}|{moment:%Y-%m-%d %H:%M} UTC>"


SLACK = Style(text=escape, person=user, time=time)


@dataclass(frozen=True)
class Prefill:
    waba_id: str | None = None
    phone_number_id: str | None = None
    phone_number: str | None = None
    verification: str = "SMS"
    notice: str | None = None


def _waba_option(waba: WabaChoice) -> Option:
    label = f"{waba.name} ({waba.id})"
    if len(label) > 75:
        label = f"{waba.name[: 71 - len(waba.id)]}… ({waba.id})"
    return Option(value=waba.id, text=label)


def waba_select(block_id: str, wabas: Sequence[WabaChoice], selected: str | None) -> InputBlock:
    """A form's WABA field: each WABA by name with its id kept whole, the `selected` one chosen."""
    options = [_waba_option(w) for w in wabas[:_MAX_OPTIONS]]
    initial = next((o for o, w in zip(options, wabas, strict=False) if w.id == selected), None)
    return InputBlock(
        block_id=block_id,
        label="WhatsApp Business Account",
        element=StaticSelectElement(
            action_id=block_id, placeholder="Choose a WABA", options=options, initial_option=initial
        ),
    )


def _text_input(field: str, label: str, placeholder: str, initial: str | None, hint: str | None = None) -> InputBlock:
    element = PlainTextInputElement(action_id=field, placeholder=placeholder, initial_value=initial, max_length=40)
    return InputBlock(block_id=field, label=label, hint=hint, element=element)


def resend_modal(wabas: Sequence[WabaChoice], prefill: Prefill, private_metadata: str) -> View:
    """The modal; block ids and action ids are SPEC's field names."""
    via_options = [Option(value="SMS", label="SMS"), Option(value="VOICE", label="Voice call")]
    blocks: list[Block] = []
    if prefill.notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=prefill.notice)))
    blocks += [
        waba_select(WABA_FIELD, wabas, prefill.waba_id),
        _text_input(
            PHONE_NUMBER_ID_FIELD,
            "Phone number id",
            "678997654321098",
            prefill.phone_number_id,
            hint="The id Kaleyra returned when the number was added (digits).",
        ),
        _text_input(PHONE_NUMBER_FIELD, "Phone number, with country code", "+91 98765 43210", prefill.phone_number),
        InputBlock(
            block_id=VERIFICATION_FIELD,
            label="Send the code by",
            element=RadioButtonsElement(
                action_id=VERIFICATION_FIELD,
                options=via_options,
                initial_option=via_options[1] if prefill.verification == "VOICE" else via_options[0],
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=MODAL_CALLBACK_ID,
        title="Resend OTP",
        submit="Resend",
        close="Cancel",
        blocks=blocks,
        private_metadata=private_metadata,
    )


def announcement_text(result: ResendResult, status: str | None = None) -> str:
    """The parent message: what is being resent, for whom, by whom."""
    if status is None:
        # In a staging channel the parent is read first: it must not look like a real send.
        status = ":test_tube: dry run, not calling Kaleyra…" if result.dry_run else ":hourglass_flowing_sand: sending…"
    via = result.verification.value if result.verification else "SMS"
    waba = escape(result.waba_name or result.request.waba_id)
    asked_by = user(result.requester.user_id)
    return f"OTP resend for {result.masked_number} on {waba} via {via}, asked by {asked_by}: {status}"


def final_status(result: ResendResult) -> str:
    explanation = explain(result, SLACK)
    return f"{explanation.emoji} {explanation.headline}"


def outcome_blocks(result: ResendResult, *, with_button: bool = True) -> list[Block]:
    """The reply: what happened, what to do, and the facts to quote."""
    explanation = explain(result, SLACK)
    facts = [f"Code: `{explanation.code}`"]
    if result.waba_name or result.request.waba_id:
        # An unknown id is echoed as typed: cut, so a pasted page still fits Slack's 3000-character text.
        facts.append(f"WABA: {escape(result.waba_name or result.request.waba_id[:64])}")
    if result.phone_number:
        facts.append(f"Number: {result.masked_number}")
    facts.append(f"Asked by {user(result.requester.user_id)}")
    if result.kaleyra is not None:
        facts.append(f"Kaleyra took {result.kaleyra.latency_ms} ms")
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(text=f"{explanation.emoji} *{explanation.headline}*\n{explanation.advice}")
        ),
        ContextBlock(elements=[MarkdownTextObject(text=" · ".join(facts))]),
    ]
    if with_button and result.attempt_id is not None and result.phone_number:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Resend again",
                        action_id=RESEND_AGAIN_ACTION,
                        value=str(result.attempt_id),
                        confirm=ConfirmObject(
                            title="Resend the OTP again?",
                            text=f"This sends another code to {result.masked_number}.",
                            confirm="Resend",
                            deny="Cancel",
                        ),
                    )
                ]
            )
        )
    return blocks


def outcome_text(result: ResendResult) -> str:
    """The notification text (and the fallback where blocks don't show)."""
    explanation = explain(result, SLACK)
    return f"{explanation.emoji} {explanation.headline} (code {explanation.code})"


def open_modal_button(text: str = "Open the form") -> ActionsBlock:
    return ActionsBlock(elements=[ButtonElement(text=text, action_id=OPEN_MODAL_ACTION, value="open")])


def text_with_modal_button(text: str) -> list[Block]:
    """A short message that keeps the modal one click away."""
    return [SectionBlock(text=MarkdownTextObject(text=text)), open_modal_button()]


def mention(principal: str | None) -> str:
    """A user's or a user group's mention; anything else escaped as text."""
    if principal and GROUP_ID.match(principal):
        return f"<!subteam^{principal}>"
    return user(principal) if principal else ""


def grant_line(grant: GrantRecord, *, with_principal: bool = False) -> str:
    """`@alice → Acme Retail `766…`, until <date>`: a grant and when it ends, for a list."""
    name = escape(grant.waba_name or "(removed WABA)")
    target = "every WABA" if grant.waba_id == ALL_WABAS else f"{name} `{escape(grant.waba_id)}`"
    if grant.expires_at is None:
        end = "until revoked"
    else:
        end = f"{'ended' if grant.ended else 'until'} {date_time(grant.expires_at)}"
    who = f"{mention(grant.principal)} → " if with_principal else ""
    return f"{who}{target}, {end}"


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]


HELP = f"""*Resend a WhatsApp verification OTP through Kaleyra*
• `/resend-otp` opens a form.
• `{USAGE}` sends at once, e.g. `/resend-otp 766123456789012 678997654321098 +91 98765 43210 voice`.
• `/resend-otp history [PHONE|WABA_ID]` shows recent attempts you can see.
• On an alert, choose *Resend OTP* from the message's ⋯ menu: the form opens prefilled and the outcome \
goes into the alert's thread.
One resend per number per cooldown, whoever asks. Refused a WABA? The *Request access* button asks its owners. \
Admins: `/resend-otp grant @user|@group WABA_ID|* [for 8h]`, `revoke`, `grants`, `waba add WABA_ID NAME`, \
`waba list`, `owner add|remove @user WABA_ID`, `owners`, `watch #channel` (resend buttons on its alerts), \
`unwatch #channel`, `watching`; a WABA's owners may grant and revoke it."""


def help_blocks() -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=HELP)), open_modal_button()]
