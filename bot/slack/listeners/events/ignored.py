"""Every other event: acknowledged with 200, never 404.

Slack turns off event delivery for an app whose deliveries fail too often, and that would also
stop App Home and the alert cards.
"""

from __future__ import annotations

import re

ANY_EVENT = re.compile(r".*")


def ignored_event() -> None:
    """Nothing to do; being found is what makes Bolt answer 200."""
