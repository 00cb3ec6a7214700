"""Slack ids that may hold a grant: a user (U…/W…) or a user group (S…)."""

from __future__ import annotations

import re

USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
GROUP_ID = re.compile(r"^S[A-Z0-9]+$")


def is_principal(value: str) -> bool:
    return bool(USER_ID.match(value) or GROUP_ID.match(value))
