"""Read an alert message (a message shortcut's ``message``) for the ids and numbers it names."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from bot.phone import normalise_phone

__all__ = ["AlertFields", "extract_alert_fields"]

# An alert is a few kB. These bounds keep a hostile or runaway message (100 kB
# of text, blocks nested a thousand deep, a cycle) from costing the shortcut
# its 3 s ack; what matters in an alert is near its top.
_MAX_CHARS = 50_000
_MAX_DEPTH = 16
_MAX_NODES = 5_000
_MAX_PER_KIND = 20
_MAX_PHONE_TRIES = 300

# Keys holding text a person reads, in reading order. Other keys (block_id,
# image_url, action_id, colour) are noise that can contain digits.
_TEXT_KEYS = ("pretext", "title", "text", "fields", "elements", "blocks", "fallback")

# Slack's own markup: <url|label>, <tel:+91…|+91 98765 43210>, <@U123>.
_SLACK_LINK = re.compile(r"<([^<>|\n]{1,2000})(?:\|([^<>\n]{0,2000}))?>")
# Bold, strike and code marks glue onto labels and values (`*WABA:*`); italics
# use `_`, which also joins words in `waba_id`, so labels allow it instead.
_MRKDWN = re.compile(r"[*~`]")

# What may sit between a label and its value: mrkdwn leftovers, `:`/`=`/`#`/`-`,
# JSON quotes and braces, table pipes, newlines (a field's title above its value),
# or prose ("WABA id is 766…").
_SEP = r"[\s:=#\-\"'_|>{(\[]{0,16}(?:is\s+)?"
_W = r"[\s_-]*"  # how words inside a label are joined: "waba id", "waba_id", "WABA-ID"
_ID = r"\(?id\)?"
_ID_VALUE = r"\d{5,25}(?![0-9a-z])"
# A pasted number: digits with spaces, dashes, dots or brackets, never a newline.
_RUN_CHARS = r"[\d \t\u00a0\u202f().\-\u2010-\u2015]"
_PHONE_DIGITS = rf"\d{_RUN_CHARS}{{5,24}}\d(?!\d)"
_PHONE_VALUE = rf"\+?{_PHONE_DIGITS}"

# One pass, left to right. The phone-number-id labels come first so that at the
# same position "phone number id: 9198…" is an id, never a phone number; a stray
# "+" before such an id does not make it a number either.
_LABELLED = re.compile(
    r"(?<![0-9a-z])(?:"
    rf"(?:(?:phone{_W}(?:number|no)?|number){_W}{_ID}|pnid){_SEP}\+?(?P<pnid>{_ID_VALUE})"
    rf"|(?:waba(?:{_W}{_ID})?|whatsapp{_W}business{_W}account(?:{_W}{_ID})?)"
    rf"{_SEP}(?P<waba>{_ID_VALUE})"
    rf"|(?:phone{_W}(?:number|no\.?)?|mobile(?:{_W}number)?|msisdn|number){_SEP}"
    rf"(?P<phone>{_PHONE_VALUE})"
    # "to" is too common a word to trust with a bare digit run ("to 2024-05-01"):
    # only an explicitly international number counts after it.
    rf"|to[ \t:]{{0,4}}(?P<to>(?:\+|00){_PHONE_DIGITS})"
    r")",
    re.IGNORECASE,
)
# A "+"-prefixed number needs no label: nothing else in an alert is written so.
_INTERNATIONAL = re.compile(rf"(?<![0-9A-Za-z+])\+{_PHONE_DIGITS}")


@dataclass(frozen=True)
class AlertFields:
    """What an alert names, each kind in order of appearance without repeats."""

    waba_ids: tuple[str, ...] = ()
    phone_number_ids: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()  # E.164

    @property
    def first_waba_id(self) -> str | None:
        return self.waba_ids[0] if self.waba_ids else None

    @property
    def first_phone_number_id(self) -> str | None:
        return self.phone_number_ids[0] if self.phone_number_ids else None

    @property
    def first_phone_number(self) -> str | None:
        return self.phone_numbers[0] if self.phone_numbers else None


def extract_alert_fields(message: Mapping[str, Any]) -> AlertFields:
    """Find the WABA ids, phone number ids and phone numbers a Slack message names."""
    if not isinstance(message, Mapping):
        return AlertFields()
    collector = _Collector()
    for key in ("text", "blocks", "attachments"):
        collector.walk(message.get(key), 0)
    text = _plain("\n".join(collector.parts)[:_MAX_CHARS])

    found: dict[str, list[tuple[int, str]]] = {"waba": [], "pnid": [], "phone": []}
    tries = [_MAX_PHONE_TRIES]
    for match in _LABELLED.finditer(text):
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind in ("phone", "to"):
            phone = _valid_phone(value, tries)
            if phone:
                found["phone"].append((match.start(kind), phone))
        else:
            found[kind].append((match.start(kind), value))
    ids_at = {start for hits in (found["waba"], found["pnid"]) for start, _ in hits}
    for match in _INTERNATIONAL.finditer(text):
        if match.start() + 1 in ids_at:
            continue  # "+" then a labelled id ("phone number id: +9198…"): not a number
        phone = _valid_phone(match.group(), tries)
        if phone:
            found["phone"].append((match.start(), phone))
    return AlertFields(
        waba_ids=_in_order(found["waba"]),
        phone_number_ids=_in_order(found["pnid"]),
        phone_numbers=_in_order(found["phone"]),
    )


class _Collector:
    """Gathers the readable text of a message's blocks and attachments, within bounds."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.chars = 0
        self.nodes = 0

    def walk(self, node: Any, depth: int) -> None:
        if depth > _MAX_DEPTH or self.nodes >= _MAX_NODES or self.chars >= _MAX_CHARS:
            return
        self.nodes += 1
        if isinstance(node, str | int) and not isinstance(node, bool):
            self._add(str(node))
        elif isinstance(node, list | tuple):
            for item in node:
                self.walk(item, depth + 1)
        elif isinstance(node, Mapping):
            self._walk_mapping(node, depth)

    def _walk_mapping(self, node: Mapping[Any, Any], depth: int) -> None:
        title, value = node.get("title"), node.get("value")
        if isinstance(title, str) and isinstance(value, str | int) and "text" not in node:
            # An attachment field: its title labels its value ("WABA ID" / "766…").
            self._add(f"{title}: {value}")
            return
        url = node.get("url")
        if node.get("type") == "link" and isinstance(url, str):
            # A rich_text link: spell it as Slack mrkdwn so tel: links read the same.
            label = node.get("text")
            label = label if isinstance(label, str) else ""
            self._add(f"<{_strip_markup(url)}|{_strip_markup(label)}>")
            return
        for key in _TEXT_KEYS:
            if key in node:
                self.walk(node[key], depth + 1)

    def _add(self, text: str) -> None:
        text = text[: _MAX_CHARS - self.chars]
        self.parts.append(text)
        self.chars += len(text) + 1


def _strip_markup(text: str) -> str:
    return re.sub(r"[<>|\n]", " ", text)


def _plain(text: str) -> str:
    """Slack mrkdwn to the plain text a person sees, keeping tel: targets."""

    def link(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2) or ""
        if target.lower().startswith("tel:"):
            # The target is the dialable number; the label may be masked or reformatted.
            return " " + unquote(target[4:]) + " "
        # Keep the URL too: query strings like ?waba_id=766… are labelled values.
        return f" {label} {target} "

    text = _SLACK_LINK.sub(link, text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return _MRKDWN.sub(" ", text)


def _valid_phone(candidate: str, tries: list[int]) -> str | None:
    """The longest prefix of a digit run that is a valid number, as E.164.

    A run can swallow what follows the number ("+91 98765 43210 - 2 retries"),
    so shorter prefixes ending at a separator are tried, longest first.
    """
    ends = [len(candidate)] + [
        i + 1 for i in range(len(candidate) - 2, 0, -1) if candidate[i].isdigit() and not candidate[i + 1].isdigit()
    ]
    for end in ends:
        if tries[0] <= 0:
            return None
        tries[0] -= 1
        try:
            return normalise_phone(candidate[:end], with_country_code=True)
        except ValueError:
            continue
    return None


def _in_order(hits: list[tuple[int, str]]) -> tuple[str, ...]:
    ordered = dict.fromkeys(value for _, value in sorted(hits, key=lambda hit: hit[0]))
    return tuple(ordered)[:_MAX_PER_KIND]
