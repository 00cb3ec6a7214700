"""Both forms that ask for a WABA show each one the same way: a long name is cut, never its id."""

from __future__ import annotations

from bot.records import WabaChoice
from bot.slack.access_blocks import request_modal
from bot.slack.blocks import Prefill, resend_modal

LONG = WabaChoice("766000000001", "Acme Retail " * 10)
SHORT = WabaChoice("766000000002", "Beta Foods")


def test_the_resend_and_access_forms_list_wabas_alike_with_the_chosen_one_selected() -> None:
    for view in (
        resend_modal([LONG, SHORT], Prefill(waba_id=SHORT.id), "{}"),
        request_modal([LONG, SHORT], SHORT.id, "{}"),
    ):
        element = view.to_dict()["blocks"][0]["element"]
        labels = [option["text"]["text"] for option in element["options"]]
        assert labels[0].endswith(f"… ({LONG.id})") and len(labels[0]) <= 75
        assert labels[1] == f"{SHORT.name} ({SHORT.id})"
        assert element["initial_option"]["value"] == SHORT.id
