"""How long something lasts, as people write it: a whole number of minutes, hours or days (`30m`, `8h`, `7d`)."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# Ten years: beyond it a grant is permanent in all but name, and datetime arithmetic stays in range.
LONGEST = timedelta(days=3650)
EXAMPLES = "1m, 30m, 8h or 7d"


def parse_duration(text: str) -> timedelta:
    """`30m` → 30 minutes; raises ValueError, with how to write it, for anything else."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        raise ValueError(f"{text!r} is not a duration: write whole minutes, hours or days, e.g. {EXAMPLES}")
    lasting = timedelta(**{_UNITS[match[2]]: int(match[1])})
    if lasting > LONGEST:
        raise ValueError(f"{text!r} is longer than 3650d: leave the duration out for a grant that does not end")
    return lasting


def describe(lasting: timedelta) -> str:
    """8 hours → `8h`: the shortest way people write it."""
    minutes = int(lasting.total_seconds()) // 60
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
