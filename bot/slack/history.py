"""Recent attempts a user may see: their own, and those on WABAs they may use."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.phone import InvalidPhoneNumber, mask_phone, normalise_phone
from bot.slack.deps import SlackDeps
from bot.slack.mrkdwn import escape, user
from bot.store import access, wabas
from bot.store.attempts import AttemptFilter, recent_attempts
from bot.store.models import Attempt

STATUS_EMOJI = {
    "sent": ":white_check_mark:",
    "already_verified": ":large_green_circle:",
    "pending": ":hourglass_flowing_sand:",
    "timeout": ":hourglass:",
    "unknown": ":grey_question:",
    "dry_run": ":test_tube:",
    "refused_cooldown": ":stopwatch:",
    "refused_not_allowed": ":no_entry:",
    "refused_invalid": ":pencil2:",
}


def visible_attempts(deps: SlackDeps, user_id: str, narrow: AttemptFilter, limit: int) -> list[Attempt]:
    requester = deps.groups.requester(user_id)
    with deps.runtime.sessions() as session:
        allowed = frozenset(w.id for w in access.allowed_wabas(session, requester.principals))
        visible = AttemptFilter(
            user_ids=frozenset({user_id}),
            waba_ids=allowed,
            phone_number=narrow.phone_number,
            waba_id=narrow.waba_id,
        )
        return recent_attempts(session, visible, limit)


def attempt_line(attempt: Attempt, waba_names: dict[str, str]) -> str:
    epoch = int(attempt.created_at.timestamp())
    when = f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{attempt.created_at:%Y-%m-%d %H:%M} UTC>"
    waba = escape(waba_names.get(attempt.waba_id, attempt.waba_id))
    status = attempt.status.replace("_", " ")
    code = f" ({escape(attempt.code)})" if attempt.code else ""
    emoji = STATUS_EMOJI.get(attempt.status, ":x:")
    number = escape(mask_phone(attempt.phone_number))
    # A refusal keeps the type as it was sent (a forged modal can send any 8 characters).
    via = escape(attempt.verification)
    return f"{when} · {number} · {waba} · {via} · {emoji} {status}{code} · {user(attempt.user_id)}"


def attempt_lines(deps: SlackDeps, rows: Sequence[Attempt]) -> list[str]:
    with deps.runtime.sessions() as session:
        names = {w.id: w.name for w in wabas.list_wabas(session, {a.waba_id for a in rows})}
    return [attempt_line(a, names) for a in rows]


def history_blocks(deps: SlackDeps, user_id: str, query: str | None) -> tuple[str, list[Block]]:
    narrow = AttemptFilter()
    if query:
        if query.isdigit() and _is_known_waba(deps, query):
            narrow = AttemptFilter(waba_id=query)
        else:
            try:
                narrow = AttemptFilter(phone_number=normalise_phone(query))
            except InvalidPhoneNumber:
                text = "`history` takes a phone number with country code or a WABA id, e.g. `history +91 98765 43210`."
                return text, [SectionBlock(text=MarkdownTextObject(text=text))]
    rows = visible_attempts(deps, user_id, narrow, limit=15)
    if not rows:
        text = "No attempts you can see" + (" for that." if query else " yet.")
        return text, [SectionBlock(text=MarkdownTextObject(text=text))]
    text = f"Recent OTP resends ({len(rows)})"
    lines = _fit(attempt_lines(deps, rows), 2900)
    return text, [
        SectionBlock(text=MarkdownTextObject(text=f"*{text}*")),
        ContextBlock(elements=[MarkdownTextObject(text=lines)]),
    ]


def _is_known_waba(deps: SlackDeps, waba_id: str) -> bool:
    with deps.runtime.sessions() as session:
        return wabas.get_waba(session, waba_id) is not None


def _fit(lines: list[str], size: int) -> str:
    """Whole lines up to Slack's text limit: a cut line could split a mention or a date token."""
    kept: list[str] = []
    for line in lines:
        if sum(len(k) + 1 for k in kept) + len(line) > size:
            break
        kept.append(line)
    return "\n".join(kept)
