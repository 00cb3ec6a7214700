"""Which granted user groups a Slack user belongs to, from `usergroups.users.list`, cached briefly.

Fail closed: a membership Slack has not confirmed for MEMBERSHIP_TRUST_SECONDS no longer counts,
and a deleted group (`no_such_subteam`) has no members.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.resend_values import Requester
from bot.service import Service
from bot.slack.client import SlackClient, error_code

log = logging.getLogger(__name__)

# Refreshed behind the cache after this long; answers meanwhile come from the cache.
GROUP_CACHE_SECONDS = 60.0
# Past this without Slack confirming it, a membership counts for nothing.
MEMBERSHIP_TRUST_SECONDS = 600.0
# A lookup in the way of an ack (a modal's submission) must leave room in Slack's 3 s.
LOOKUP_SECONDS = 1.5
# Slack's answers for a group that is gone: it has no members.
_GONE = frozenset({"no_such_subteam", "subteam_not_found"})


@dataclass(frozen=True)
class _Known:
    members: frozenset[str]
    confirmed_at: float


class UserGroups:
    def __init__(
        self,
        client: SlackClient,
        service: Service,
        ttl: float = GROUP_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._service = service
        self._ttl = ttl
        self._clock = clock
        self._known: dict[str, _Known] = {}
        self._lock = threading.Lock()
        self._refreshing: set[str] = set()

    def requester(self, user_id: str) -> Requester:
        """The user with the granted groups they are in: what the use case authorises."""
        try:
            granted = self._service.granted_group_ids()
        except SQLAlchemyError:
            # The use case meets the same outage next and tells the person nothing was sent;
            # raising here would drop the request without a word to them.
            log.warning("store unavailable while resolving %s's user groups", user_id)
            granted = set()
        member_of, unconfirmed = set(), set()
        for group_id in granted:
            members = self._members_of(group_id)
            if members is None:
                unconfirmed.add(group_id)
            elif user_id in members:
                member_of.add(group_id)
        return Requester(user_id, frozenset(member_of), frozenset(unconfirmed))

    def _members_of(self, group_id: str) -> frozenset[str] | None:
        """The group's members; None when Slack has not confirmed them recently enough to trust."""
        with self._lock:
            known = self._known.get(group_id)
            age = self._clock() - known.confirmed_at if known is not None else None
            if age is not None and self._ttl <= age < MEMBERSHIP_TRUST_SECONDS and group_id not in self._refreshing:
                # Stale but still trusted: answer at once and refresh behind, so a modal's submission
                # (which must ack within 3 s) never waits on a rate-limited Slack call for a known group.
                self._refreshing.add(group_id)
                threading.Thread(target=self._fetch, args=(group_id,), daemon=True).start()
        if known is not None and age is not None and age < MEMBERSHIP_TRUST_SECONDS:
            return known.members
        return self._fetch(group_id)

    def _fetch(self, group_id: str) -> frozenset[str] | None:
        try:
            response = self._client.call(
                lambda web: web.usergroups_users_list(usergroup=group_id), timeout=LOOKUP_SECONDS
            )
            members = frozenset(response.get("users") or ())
        except SlackApiError as exc:
            if error_code(exc) not in _GONE:
                return self._failed(group_id, exc)
            log.warning("user group %s is gone (%s): it has no members", group_id, error_code(exc))
            members = frozenset()
        except (SlackClientError, OSError, TimeoutError) as exc:
            return self._failed(group_id, exc)
        with self._lock:
            self._known[group_id] = _Known(members, self._clock())
            self._refreshing.discard(group_id)
        return members

    def _failed(self, group_id: str, exc: BaseException) -> frozenset[str] | None:
        # Slack hiccups: the last confirmed members count while they are recent enough.
        log.warning("usergroups.users.list failed for %s: %s", group_id, error_code(exc))
        with self._lock:
            self._refreshing.discard(group_id)
            known = self._known.get(group_id)
        if known is not None and self._clock() - known.confirmed_at < MEMBERSHIP_TRUST_SECONDS:
            return known.members
        return None
