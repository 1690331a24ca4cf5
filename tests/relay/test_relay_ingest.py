"""POST /hooks/{source}, GET /events and GET /health on a real relay over loopback."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from qtui.questra.signing import sign
from qtui.relay.app import create_relay_app
from qtui.relay.log import EventLog

SECRET = "test_secret_123"
SURVEY = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
OTHER = "99999999-e5f6-4890-abcd-ef1234567890"
PAGE_CREATED = {
    "id": "d1e2f3a4-b5c6-7890-defa-012345678901",
    "survey_id": SURVEY,
    "name": "Screener",
    "order": 0,
    "locked": False,
}


NO_EVENT = 'envelope field "event" is missing or not a non-empty string'


def signed_headers(body: bytes, delivery: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "X-Questra-Signature": sign(body, SECRET)}
    if delivery:
        headers["X-Questra-Delivery"] = delivery
    return headers


async def test_valid_delivery_is_stored_with_its_raw_bytes(relay) -> None:
    raw = b'{"event": "page.created",  "timestamp": "2025-04-01T10:00:45Z", "data": ' + (
        json.dumps(PAGE_CREATED).encode() + b"}"
    )
    response = await relay.post_raw(raw, signed_headers(raw, "run-1"))
    assert response.status_code == 200
    assert response.json() == {"status": "stored", "seq": 1}
    (event,) = relay.log.read_after(0, 10)
    assert event.envelope == raw
    assert event.verified is True
    assert event.delivery_id == "run-1"
    assert event.event_type == "page.created"
    assert event.survey_id == SURVEY
    assert event.source == "questra"


async def test_stored_event_is_on_disk_before_the_answer(relay, db_path: Path) -> None:
    await relay.stored("page.created", PAGE_CREATED)
    # A second, independent connection to the file sees it at once.
    with EventLog(db_path) as other:
        assert [e.event_type for e in other.read_after(0, 10)] == ["page.created"]


async def test_forged_signature_is_rejected_with_401_and_nothing_stored(relay, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="qtui.relay")
    response = await relay.deliver("page.created", PAGE_CREATED, delivery="run-9", secret="forged")
    assert response.status_code == 401
    assert response.json() == {
        "error": "signature does not match the body (wrong secret, or the body was altered)"
    }
    assert relay.log.count() == 0
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
    assert "run-9" in warning.getMessage()
    assert "127.0.0.1:" in warning.getMessage()
    assert "does not match" in warning.getMessage()


async def test_body_altered_after_signing_is_rejected(relay) -> None:
    raw = json.dumps({"event": "page.created", "data": PAGE_CREATED}).encode()
    headers = signed_headers(raw)
    response = await relay.post_raw(raw.replace(b"Screener", b"Screener!"), headers)
    assert response.status_code == 401
    assert relay.log.count() == 0


async def test_missing_signature_is_rejected_with_401(relay) -> None:
    raw = json.dumps({"event": "page.created", "data": PAGE_CREATED}).encode()
    response = await relay.post_raw(raw, {"Content-Type": "application/json"})
    assert response.status_code == 401
    assert response.json() == {"error": "missing X-Questra-Signature header"}
    assert relay.log.count() == 0


async def test_signature_without_prefix_is_rejected_with_401(relay) -> None:
    raw = json.dumps({"event": "page.created", "data": PAGE_CREATED}).encode()
    bare = sign(raw, SECRET).removeprefix("sha256=")
    response = await relay.post_raw(raw, {"X-Questra-Signature": bare})
    assert response.status_code == 401
    assert response.json() == {"error": "signature must start with sha256="}


async def test_truncated_json_is_rejected_with_400_and_nothing_stored(relay) -> None:
    raw = json.dumps({"event": "page.created", "data": PAGE_CREATED}).encode()[:-7]
    response = await relay.post_raw(raw, signed_headers(raw))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("body is not valid JSON:")
    assert "(line 1, column " in error
    assert relay.log.count() == 0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'["page.created"]', "body must be a JSON object, got an array"),
        (b'{"data": {}}', NO_EVENT),
        (b'{"event": 5, "data": {}}', NO_EVENT),
        (b'{"event": "x", "n": NaN}', "body is not valid JSON: NaN is not allowed"),
        (b"", "body is empty; expected a JSON object"),
        (b'{"event": "\xff"}', "body is not UTF-8 text (byte 11)"),
    ],
)
async def test_malformed_envelope_is_rejected_with_400_naming_the_problem(
    relay, raw: bytes, message: str
) -> None:
    response = await relay.post_raw(raw, signed_headers(raw))
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert relay.log.count() == 0


async def test_unknown_event_type_is_stored_like_any_other(relay) -> None:
    response = await relay.deliver("changeset-operation-added", {"id": "op1", "survey_id": SURVEY})
    assert response.json() == {"status": "stored", "seq": 1}
    response = await relay.deliver("brand.new.event", {"anything": [1, 2]})
    assert response.json() == {"status": "stored", "seq": 2}
    assert [e.event_type for e in relay.log.read_after(0, 10)] == [
        "changeset-operation-added",
        "brand.new.event",
    ]


async def test_repeated_delivery_id_is_stored_once(relay) -> None:
    first = await relay.deliver("page.created", PAGE_CREATED, delivery="run-7")
    second = await relay.deliver("page.created", PAGE_CREATED, delivery="run-7")
    assert first.json() == {"status": "stored", "seq": 1}
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "seq": 1}
    assert relay.log.count() == 1


async def test_unknown_source_is_404(relay) -> None:
    raw = b'{"event": "x"}'
    response = await relay.http.post("/hooks/nowhere", content=raw, headers=signed_headers(raw))
    assert response.status_code == 404
    assert "unknown webhook source 'nowhere'" in response.json()["error"]
    assert "questra" in response.json()["error"]


async def test_oversized_body_is_rejected_with_413(run_relay) -> None:
    async with run_relay(max_body_bytes=1000) as relay:
        response = await relay.deliver("page.created", {**PAGE_CREATED, "pad": "x" * 2000})
        assert response.status_code == 413
        assert relay.log.count() == 0
        assert (await relay.deliver("page.created", PAGE_CREATED)).status_code == 200


def test_relay_without_secret_refuses_to_start(event_log: EventLog) -> None:
    with pytest.raises(ValueError, match="QTUI_WEBHOOK_SECRET"):
        create_relay_app(log=event_log, secret=None)


async def test_unsigned_relay_when_allowed_stores_deliveries_as_unverified(run_relay) -> None:
    async with run_relay(secret=None, allow_unsigned=True) as relay:
        raw = json.dumps({"event": "page.created", "data": PAGE_CREATED}).encode()
        response = await relay.post_raw(raw, {"Content-Type": "application/json"})
        assert response.json() == {"status": "stored", "seq": 1}
        assert relay.log.read_after(0, 1)[0].verified is False


async def test_each_request_is_logged_on_one_readable_line(relay, caplog) -> None:
    caplog.set_level(logging.INFO, logger="qtui.relay")
    await relay.stored("page.created", PAGE_CREATED)
    await relay.deliver("page.created", PAGE_CREATED, secret="nope")
    lines = [r.getMessage() for r in caplog.records if r.name == "qtui.relay.requests"]
    assert any(
        re.fullmatch(r"POST /hooks/questra 200 stored seq=1 page\.created \(\d+ ms\)", line)
        for line in lines
    )
    rejected = "POST /hooks/questra 401 signature does not match"
    assert any(line.startswith(rejected) for line in lines)


async def test_health_reports_log_and_subscribers(relay) -> None:
    await relay.stored("page.created", PAGE_CREATED)
    await relay.stored("page.updated", PAGE_CREATED)
    health = (await relay.http.get("/health")).json()
    assert health["status"] == "ok"
    assert health["last_seq"] == 2
    assert health["events"] == 2
    assert health["subscribers"] == 0
    assert health["uptime_s"] >= 0


async def test_events_endpoint_pages_frames_after_a_seq(relay) -> None:
    for order in range(5):
        await relay.stored("page.updated", {**PAGE_CREATED, "order": order})
    page = (await relay.http.get("/events", params={"after": 1, "limit": 2})).json()
    assert [f["seq"] for f in page["events"]] == [2, 3]
    assert page["last_seq"] == 5
    frame = page["events"][0]
    assert frame["type"] == "event"
    assert frame["source"] == "questra"
    assert frame["verified"] is True
    assert frame["envelope"]["data"]["order"] == 1
    assert frame["received_at"].endswith("+00:00")


async def test_events_endpoint_filters_by_survey(relay) -> None:
    await relay.stored("page.created", PAGE_CREATED)
    await relay.stored("page.created", {"id": "q1", "survey_id": OTHER})
    await relay.stored("block.created", {"id": "b1", "page_id": PAGE_CREATED["id"]})
    page = (await relay.http.get("/events", params={"survey": SURVEY})).json()
    assert [f["event_type"] for f in page["events"]] == ["page.created", "block.created"]
    assert all(f["survey_id"] == SURVEY for f in page["events"])


@pytest.mark.parametrize("query", [{"after": "x"}, {"after": "-1"}, {"limit": "0"}])
async def test_events_endpoint_rejects_bad_parameters(relay, query: dict[str, str]) -> None:
    response = await relay.http.get("/events", params=query)
    assert response.status_code == 400
    assert next(iter(query)) in response.json()["error"]


async def test_events_endpoint_requires_the_token_when_set(run_relay) -> None:
    async with run_relay(subscriber_token="tok") as relay:
        await relay.stored("page.created", PAGE_CREATED)
        assert (await relay.http.get("/events")).status_code == 401
        assert (await relay.http.get("/events", params={"token": "bad"})).status_code == 401
        by_query = await relay.http.get("/events", params={"token": "tok"})
        by_header = await relay.http.get("/events", headers={"Authorization": "Bearer tok"})
        assert len(by_query.json()["events"]) == 1
        assert len(by_header.json()["events"]) == 1
        # Webhook senders do not need the subscriber token: the signature protects them.
        assert (await relay.deliver("page.updated", PAGE_CREATED)).status_code == 200
