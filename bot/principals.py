"""Slack ids: who may hold a grant (a user U…/W… or a user group S…), and channels."""

from __future__ import annotations

import re

USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
GROUP_ID = re.compile(r"^S[A-Z0-9]+$")
# Public channels are C…; private ones are C… or, made before 2021, G….
CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,31}$")


def is_principal(value: str) -> bool:
    return bool(USER_ID.match(value) or GROUP_ID.match(value))
