"""What access requests look like in Slack: the button, the modal, the request message and its decision."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.access_requests import DURATIONS, NOTE_MAX, REASON_MAX, RequestRecord
from bot.records import WabaChoice
from bot.slack.blocks import RESEND_AGAIN_ACTION, date_time, escape, user, waba_select

REQUEST_ACCESS_ACTION = "request_access"
APPROVE_ACTION = "approve_access"
DENY_ACTION = "deny_access"
REQUEST_CALLBACK_ID = "access_request"
DENY_CALLBACK_ID = "deny_access_note"
NOTE_BLOCK = "note"
WABA_BLOCK, DURATION_BLOCK, REASON_BLOCK = "waba_id", "duration", "reason"
_DURATION_LABELS = {"1h": "1 hour", "8h": "8 hours", "7d": "7 days", "permanent": "Permanent"}


def request_access_button(attempt_id: int | None = None) -> ActionsBlock:
    """ "Request access", carrying the refused attempt (if any) so an approval can offer "Resend now"."""
    value = str(attempt_id) if attempt_id is not None else "none"
    return ActionsBlock(elements=[ButtonElement(text="Request access", action_id=REQUEST_ACCESS_ACTION, value=value)])


def request_modal(wabas: Sequence[WabaChoice], waba_id: str | None, private_metadata: str) -> View:
    """SPEC's flow 7: every WABA the bot knows, how long, and why."""
    durations = [Option(value=key, label=_DURATION_LABELS[key]) for key in DURATIONS]
    return View(
        type="modal",
        callback_id=REQUEST_CALLBACK_ID,
        title="Request access",
        submit="Send request",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            waba_select(WABA_BLOCK, wabas, waba_id),
            InputBlock(
                block_id=DURATION_BLOCK,
                label="For how long",
                element=RadioButtonsElement(action_id=DURATION_BLOCK, options=durations, initial_option=durations[1]),
            ),
            InputBlock(
                block_id=REASON_BLOCK,
                label="Why",
                hint="The owner or admin who decides reads this, e.g. the ticket or the alert.",
                element=PlainTextInputElement(action_id=REASON_BLOCK, multiline=True, max_length=REASON_MAX),
            ),
        ],
    )


def how_long(request: RequestRecord) -> str:
    return _DURATION_LABELS.get(request.duration, request.duration).lower()


def request_text(request: RequestRecord) -> str:
    return (
        f"{user(request.user_id)} asks to resend OTPs for *{escape(request.waba_name)}* `{escape(request.waba_id)}`, "
        f"{'for good' if request.duration == 'permanent' else 'for ' + how_long(request)}."
    )


def request_blocks(request: RequestRecord) -> list[Block]:
    """The message owners or admins decide on."""
    asked = f"Asked {date_time(request.created_at)} · lapses after 24 hours undecided"
    return [
        SectionBlock(text=MarkdownTextObject(text=f":raising_hand: {request_text(request)}")),
        SectionBlock(text=MarkdownTextObject(text=f"*Reason:* {escape(request.reason)}")),
        ContextBlock(elements=[MarkdownTextObject(text=asked)]),
        ActionsBlock(
            elements=[
                ButtonElement(text="Approve", action_id=APPROVE_ACTION, value=request.button_value, style="primary"),
                ButtonElement(text="Deny", action_id=DENY_ACTION, value=request.button_value, style="danger"),
            ]
        ),
    ]


def _access_ends(request: RequestRecord) -> str:
    return f"until {date_time(request.grant_expires_at)}" if request.grant_expires_at else "until revoked"


def decided_line(request: RequestRecord) -> str:
    """Who decided, and until when: what every copy of the request says once it is decided."""
    when = date_time(request.decided_at) if request.decided_at else "earlier"
    if request.status == "approved":
        who = user(request.decided_by or "")
        return f":white_check_mark: Approved by {who} {when}: access {_access_ends(request)}."
    if request.status == "denied":
        return f":no_entry: Denied by {user(request.decided_by or '')} {when}."
    return f":hourglass: Lapsed undecided after 24 hours ({when}): nothing was granted."


def decided_blocks(request: RequestRecord) -> list[Block]:
    return [
        SectionBlock(text=MarkdownTextObject(text=request_text(request))),
        SectionBlock(text=MarkdownTextObject(text=f"*Reason:* {escape(request.reason)}")),
        ContextBlock(elements=[MarkdownTextObject(text=decided_line(request))]),
    ]


def approved_dm(request: RequestRecord) -> tuple[str, list[Block]]:
    """What the requester is told on approval, with "Resend now" when a refused resend led here."""
    text = (
        f":white_check_mark: {user(request.decided_by or '')} approved your access to "
        f"*{escape(request.waba_name)}*, {_access_ends(request)}."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if request.attempt_id is not None:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Resend now", action_id=RESEND_AGAIN_ACTION, value=str(request.attempt_id))
                ]
            )
        )
    return text, blocks


def denied_dm(request: RequestRecord, note: str | None = None) -> tuple[str, list[Block]]:
    text = (
        f":no_entry: {user(request.decided_by or '')} denied your request for *{escape(request.waba_name)}*. "
        "Ask them, or an admin, if you still need it."
    )
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Their note: {escape(note)}")]))
    return text, blocks


def deny_modal(private_metadata: str) -> View:
    """Deny, with a note for the requester if the person denying wants to give one."""
    return View(
        type="modal",
        callback_id=DENY_CALLBACK_ID,
        title="Deny access request",
        submit="Deny",
        close="Cancel",
        private_metadata=private_metadata,
        blocks=[
            InputBlock(
                block_id=NOTE_BLOCK,
                label="A note for the requester (optional)",
                optional=True,
                element=PlainTextInputElement(action_id=NOTE_BLOCK, multiline=True, max_length=NOTE_MAX),
            )
        ],
    )
