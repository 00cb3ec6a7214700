"""A WABA on another Kaleyra pod or account is called there: its region and SID choose the URL.

Kaleyra's real hosts can't be reached from here, so the client's transport is swapped for httpx's
MockTransport, which records where each request was sent and answers as Kaleyra does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.kaleyra import KaleyraClient
from bot.network import NetworkLoop
from bot.resend import Resender
from bot.resend_values import Requester
from bot.store import wabas
from tests.support import BOB, KALEYRA_SID, ONCALL_GROUP, OTHER_WABA, WABA, FakeClock
from tests.usecase.conftest import REQUEST, SLACK


def test_each_waba_is_sent_to_its_own_pod_and_account(
    settings: Callable[..., Settings], seeded: sessionmaker[Session], clock: FakeClock, network: NetworkLoop
) -> None:
    sent: list[httpx.URL] = []

    def kaleyra(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        return httpx.Response(200, json={"code": "WA200", "message": "Request Processed Successfully"})

    with seeded.begin() as session:
        other = wabas.get_waba(session, OTHER_WABA)
        assert other is not None
        wabas.change_waba(session, other, sid="HXEU16OTHER97EU", region="eu")
    env = settings(KALEYRA_BASE_URL="", KALEYRA_REGION="in", OTP_COOLDOWN_SECONDS="0")
    client = KaleyraClient.from_settings(env, network, httpx.MockTransport(kaleyra))
    resender = Resender(env, seeded, client, clock=clock)
    bob = Requester(BOB, frozenset({ONCALL_GROUP}))

    for waba_id in (WABA, OTHER_WABA):
        assert resender.resend(bob, SLACK, replace(REQUEST, waba_id=waba_id)).status == "sent"

    assert [str(url) for url in sent] == [
        f"https://api.in.kaleyra.io/v2/{KALEYRA_SID}/whatsapp/{WABA}/number/retry_otp",
        f"https://api.eu.kaleyra.io/v2/HXEU16OTHER97EU/whatsapp/{OTHER_WABA}/number/retry_otp",
    ]
