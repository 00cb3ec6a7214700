"""Which granted user groups a Slack user belongs to, from `usergroups.users.list`, cached briefly."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.check import slack_error
from bot.resend import Requester
from bot.store import access

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 60.0


class UserGroups:
    def __init__(
        self,
        client: WebClient,
        sessions: sessionmaker[Session],
        ttl: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = threading.Lock()
        self._refreshing: set[str] = set()

    def requester(self, user_id: str) -> Requester:
        """The user with the granted groups they are in: what the use case authorises."""
        try:
            with self._sessions() as session:
                granted = access.granted_group_ids(session)
        except SQLAlchemyError:
            # The use case meets the same outage next and tells the person nothing was sent;
            # raising here would drop the request without a word to them.
            log.warning("store unavailable while resolving %s's user groups", user_id)
            granted = set()
        return Requester(user_id, frozenset(g for g in granted if user_id in self._members_of(g)))

    def _members_of(self, group_id: str) -> frozenset[str]:
        with self._lock:
            cached = self._members.get(group_id)
            if cached is not None and self._clock() - cached[0] >= self._ttl and group_id not in self._refreshing:
                # Stale: answer from the cache and refresh behind it, so a modal's submission (which
                # must ack within 3 s) never waits on a rate-limited Slack call for a known group.
                self._refreshing.add(group_id)
                threading.Thread(target=self._fetch, args=(group_id,), daemon=True).start()
        return cached[1] if cached is not None else self._fetch(group_id)

    def _fetch(self, group_id: str) -> frozenset[str]:
        try:
            response = self._client.usergroups_users_list(usergroup=group_id)
            members = frozenset(response.get("users") or ())
        except (SlackApiError, SlackClientError, OSError) as exc:
            # Slack hiccups: keep the last known members rather than lock everyone out.
            log.warning("usergroups.users.list failed for %s: %s", group_id, slack_error(exc))
            with self._lock:
                self._refreshing.discard(group_id)
                cached = self._members.get(group_id)
            return cached[1] if cached is not None else frozenset()
        with self._lock:
            self._members[group_id] = (self._clock(), members)
            self._refreshing.discard(group_id)
        return members
