"""Signed but pathological webhook bodies: a 400 naming the problem, nothing stored, never a 5xx.

A 5xx makes Questra retry the same body for ever, and a stored body a subscriber cannot
decode would stop every subscriber at that seq; so each of these must be refused at the
door, for every source, with a reason the sender can read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qtui.questra.signing import sign
from qtui.relay.envelope import event_field
from qtui.relay.sources import Source
from tests.relay.conftest import SECRET


def signed(body: bytes, delivery: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Questra-Signature": sign(body, SECRET)}
    if delivery:
        headers["X-Questra-Delivery"] = delivery
    return headers


def nested(depth: int) -> bytes:
    return b'{"event": "page.created", "data": ' + b"[" * depth + b"]" * depth + b"}"


PATHOLOGICAL = {
    "lone high surrogate": (rb'{"event": "page.created", "data": {"name": "\ud800"}}', "surrogate"),
    "lone low surrogate": (
        rb'{"event": "page.created", "data": {"name": "a\udfffb"}}',
        "surrogate",
    ),
    "surrogate in a key": (rb'{"event": "page.created", "data": {"\udc00": 1}}', "surrogate"),
    "surrogate in the event": (rb'{"event": "page.\ud83d"}', "surrogate"),
    "5,000-digit integer": (
        b'{"event": "page.created", "data": {"order": ' + b"9" * 5000 + b"}}",
        "5000 digits",
    ),
    "21-digit integer": (
        b'{"event": "page.created", "data": {"order": -' + b"1" * 21 + b"}}",
        "21 digits",
    ),
    "float overflowing to infinity": (b'{"event": "x", "data": {"n": 1e999}}', "too large"),
    "4,000-digit float": (b'{"event": "x", "n": 0.' + b"1" * 4000 + b"}", "characters long"),
    "nesting past the limit": (nested(65), "deeper than 64"),
    "nesting past the recursion limit": (nested(100_000), "deeper than 64"),
    "NaN": (b'{"event": "x", "n": NaN}', "NaN is not allowed"),
    "-Infinity": (b'{"event": "x", "n": -Infinity}', "-Infinity is not allowed"),
    "Latin-1 bytes": (b'{"event": "caf\xe9"}', "not UTF-8"),
    "UTF-16": ('{"event": "x"}'.encode("utf-16"), "not UTF-8"),
    "encoded surrogate (CESU-8)": (b'{"event": "\xed\xa0\x80"}', "not UTF-8"),
    "truncated": (b'{"event": "page.created", "data": {', "not valid JSON"),
}


@pytest.mark.parametrize("case", PATHOLOGICAL)
async def test_pathological_signed_body_is_400_with_reason_and_not_stored(relay, case) -> None:
    body, reason = PATHOLOGICAL[case]
    response = await relay.post_raw(body, signed(body, delivery=f"bad-{case}"))
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert reason in error
    assert error.startswith("body")
    assert len(error) < 200
    assert relay.log.count() == 0
    # A retry of the same delivery is refused the same way: nothing was half-stored.
    again = await relay.post_raw(body, signed(body, delivery=f"bad-{case}"))
    assert again.status_code == 400


async def test_limits_stop_just_past_what_is_legitimate(relay) -> None:
    fine = [
        b'{"event": "page.created", "data": {"order": 18446744073709551615}}',  # 20 digits
        b'{"event": "page.created", "data": {"name": "\\ud83d\\ude00 paired"}}',  # a pair
        nested(63),  # 64 levels counting the envelope
        b'{"event": "page.created", "data": {"x": 1.7976931348623157e308}}',
    ]
    for n, body in enumerate(fine):
        response = await relay.post_raw(body, signed(body, delivery=f"ok-{n}"))
        assert response.status_code == 200, (body[:80], response.text)
    assert relay.log.count() == len(fine)
    page = await relay.http.get("/events", params={"after": 0})
    assert page.json()["events"][1]["envelope"]["data"]["name"] == "\U0001f600 paired"


def _fieldwork_event(envelope: Mapping[str, object]) -> str:
    return event_field(dict(envelope))


async def test_every_source_gets_the_same_body_checks(run_relay) -> None:
    unsigned = Source(
        name="fieldwork",
        verify=lambda body, headers: False,
        delivery_header="X-Delivery",
        event_type=_fieldwork_event,
    )
    async with run_relay(extra_sources=[unsigned]) as relay:
        for case, (body, reason) in PATHOLOGICAL.items():
            response = await relay.http.post("/hooks/fieldwork", content=body)
            assert response.status_code == 400, (case, response.text)
            assert reason in response.json()["error"]
        assert relay.log.count() == 0


# Text with everything awkward: surrogates, controls, bidi overrides, NUL, emoji.
awkward_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0, max_codepoint=0x40),
        st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
        st.sampled_from(["\u202e", "\u200b", "\x1b", "\U0001f600", "é", '"', "\\"]),
    ),
    max_size=12,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | awkward_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(awkward_text, children, max_size=3)
    ),
    max_leaves=12,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=json_values, event=awkward_text)
async def test_any_signed_json_is_stored_readable_or_refused_with_400(relay, data, event) -> None:
    body = json.dumps({"event": event or "x", "data": data}, allow_nan=True).encode(
        "utf-8", "surrogatepass"
    )
    before = relay.log.count()
    response = await relay.post_raw(body, signed(body))
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        # What was stored can be read back, as JSON any client decodes, and re-encoded.
        page = await relay.http.get("/events", params={"after": response.json()["seq"] - 1})
        assert page.status_code == 200
        frame = page.json()["events"][0]
        json.dumps(frame, ensure_ascii=False).encode("utf-8")
    else:
        assert relay.log.count() == before
        error = response.json()["error"]
        assert error.startswith(("body", 'envelope field "event"')), error
