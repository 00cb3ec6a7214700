"""`/resend-otp history` and the App Home's list: recent attempts a user may see, one line each."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.phone import InvalidPhoneNumber, mask_phone, normalise_phone
from bot.records import AttemptRecord
from bot.slack.blocks import escape, user
from bot.slack.deps import SlackDeps

HISTORY_LIMIT = 15


def attempt_line(attempt: AttemptRecord) -> str:
    epoch = int(attempt.created_at.timestamp())
    when = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{attempt.created_at:%Y-%m-%d %H:%M} UTC>"
    waba = escape(attempt.waba_name or attempt.waba_id)
    code = f" ({escape(attempt.code)})" if attempt.code else ""
    number = escape(mask_phone(attempt.phone_number))
    # A refusal keeps the type as it was sent (a forged modal can send any 8 characters).
    via = escape(attempt.verification)
    status = attempt.status
    return f"{when} · {number} · {waba} · {via} · {status.emoji} {status.label}{code} · {user(attempt.user_id)}"


def attempt_lines(attempts: Sequence[AttemptRecord]) -> list[str]:
    return [attempt_line(a) for a in attempts]


def history_blocks(deps: SlackDeps, user_id: str, query: str | None) -> tuple[str, list[Block]]:
    requester = deps.groups.requester(user_id)
    waba_id = phone_number = None
    if query:
        # A WABA id narrows only to a WABA the person may see; anything else is read as a number.
        if query in {w.id for w in deps.service.allowed_wabas(requester.principals)}:
            waba_id = query
        else:
            try:
                phone_number = normalise_phone(query)
            except InvalidPhoneNumber:
                text = "`history` takes a phone number with country code or a WABA id, e.g. `history +91 98765 43210`."
                return text, [SectionBlock(text=MarkdownTextObject(text=text))]
    rows = deps.service.visible_attempts(
        user_id, requester.principals, HISTORY_LIMIT, phone_number=phone_number, waba_id=waba_id
    )
    if not rows:
        text = "No attempts you can see" + (" for that." if query else " yet.")
        return text, [SectionBlock(text=MarkdownTextObject(text=text))]
    text = f"Recent OTP resends ({len(rows)})"
    lines = _fit(attempt_lines(rows), 2900)
    return text, [
        SectionBlock(text=MarkdownTextObject(text=f"*{text}*")),
        ContextBlock(elements=[MarkdownTextObject(text=lines)]),
    ]


def _fit(lines: list[str], size: int) -> str:
    """Whole lines up to Slack's text limit: a cut line could split a mention or a date token."""
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > size:
            break
        kept.append(line)
    return "\n".join(kept)
