"""Query parameters out of range: 400 on /events, close 4400 on /stream, a reason that fits."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

INT64_MAX = 2**63 - 1

BAD_AFTER = {
    "past int64": str(INT64_MAX + 1),
    "far past int64": "9" * 30,
    "thousands of digits": "1" * 5000,
    "negative": "-1",
    "negative thousands of digits": "-" + "9" * 5000,
    "not a number": "soon",
    "float": "1.5",
    "exponent": "1e3",
    "hex": "0x10",
    "plus sign": "+1",
    "spaces": " 1 ",
    "non-ASCII digits": "\u0663\u0663",  # Arabic-Indic 33: int() would take it
    "superscript": "\u00b2",
    "control characters": "1\x1b[2J",
    "underscore": "1_000",
}


async def close_of(url: str) -> tuple[int | None, str]:
    async with connect(url) as ws:
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                await ws.recv()
        return ws.close_code, ws.close_reason or ""


@pytest.mark.parametrize("case", BAD_AFTER)
async def test_bad_after_is_400_on_events(relay, case: str) -> None:
    response = await relay.http.get("/events", params={"after": BAD_AFTER[case]})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith("after must be")
    assert len(error) < 100
    assert "\x1b" not in error


@pytest.mark.parametrize("case", BAD_AFTER)
async def test_bad_after_closes_the_stream_with_4400_and_a_short_reason(relay, case: str) -> None:
    await relay.stored("page.created", {"id": "p1", "survey_id": "s1"})
    code, reason = await close_of(f"{relay.ws_url}/stream?after={quote(BAD_AFTER[case])}")
    assert code == 4400
    assert reason.startswith("after must be")
    assert len(reason.encode("utf-8")) <= 123


async def test_after_at_the_top_of_int64_is_accepted_and_empty(relay) -> None:
    await relay.stored("page.created", {"id": "p1", "survey_id": "s1"})
    response = await relay.http.get("/events", params={"after": INT64_MAX})
    assert response.status_code == 200
    assert response.json()["events"] == [] and response.json()["last_seq"] == 1


@pytest.mark.parametrize(
    ("limit", "ok"),
    [("0", False), ("1", True), ("1000", True), ("1001", False), ("9" * 40, False), ("-5", False)],
)
async def test_limit_outside_1_to_1000_is_400(relay, limit: str, ok: bool) -> None:
    response = await relay.http.get("/events", params={"limit": limit})
    assert response.status_code == (200 if ok else 400), response.text
    if not ok:
        assert response.json()["error"].startswith("limit must be")


async def test_overlong_survey_filter_is_refused(relay) -> None:
    response = await relay.http.get("/events", params={"survey": "s" * 10_000})
    assert response.status_code == 400
    code, reason = await close_of(f"{relay.ws_url}/stream?survey={'s' * 5_000}")
    assert code == 4400 and "survey must be" in reason
