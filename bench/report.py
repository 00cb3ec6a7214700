"""How every benchmark mode prints its figures: each beside its target, PASS or MISS, then problems."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    label: str
    shown: str
    passed: bool | None  # None: shown for context, no target


def print_checks(title: str, rows: Sequence[Check], problems: Sequence[str]) -> bool:
    """Print one block; True when every target is met and nothing went wrong on the way."""
    print(f"\n== {title}")
    for row in rows:
        mark = {True: "PASS", False: "MISS", None: "    "}[row.passed]
        print(f"  {mark}  {row.label:<36} {row.shown}")
    for problem in problems:
        print(f"  !!    {problem}")
    return all(row.passed is not False for row in rows) and not problems


def load_average() -> str:
    # Other work on the machine takes CPU from the server and the fakes alike: say how much there was.
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min)"
