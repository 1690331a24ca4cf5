"""Oktave and Qualtrics deliveries through a real relay on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.parse
from typing import Any

import httpx
import pytest
import websockets

from qtui.oktave import signing
from qtui.relay.sources import delivery_key, oktave_source, qualtrics_source
from qtui.sandbox import oktave
from tests.relay.conftest import SECRET

OKTAVE_SECRET = "oktave-secret"
HOOK_SECRET = "sub-secret-1"
NOW = 1_764_000_000.0  # a fixed clock for the relay's window check


def sources(window: float = 300.0) -> list[Any]:
    return [
        oktave_source(OKTAVE_SECRET, window_s=window, clock=lambda: NOW),
        qualtrics_source([HOOK_SECRET, "sub-secret-2"]),
    ]


def oktave_event(event_id: str = "ev-1", survey: str = "SV_abc") -> dict[str, Any]:
    camp = oktave.campaign(survey, "Screener")
    resp = oktave.response("resp-1", camp, status="started", started_at=NOW, now=NOW)
    return oktave.envelope(
        "response.started", resp, event_id=event_id, timestamp=int(NOW), is_test=False
    )


async def post_oktave(
    http: httpx.AsyncClient,
    body: dict[str, Any],
    *,
    event_id: str | None = None,
    timestamp: int | str = int(NOW),
    secret: str = OKTAVE_SECRET,
    lower: bool = False,
) -> httpx.Response:
    headers = oktave.signed_headers(secret, event_id or body["event_id"], timestamp)
    if lower:
        headers = {k.lower(): v for k, v in headers.items()}
    return await http.post("/hooks/oktave", content=json.dumps(body).encode(), headers=headers)


def qualtrics_form(topic: str = "surveyengine.completedResponse.SV_abc", **extra: str) -> str:
    fields = {
        "Topic": topic,
        "Status": "Complete",
        "SurveyID": "SV_abc",
        "ResponseID": "R_1",
        "RecipientID": "MLRP_1",
        "CompletedDate": "2026-11-25 14:00:00",
        "BrandID": "sandbox",
        **extra,
    }
    return urllib.parse.urlencode(fields)


async def post_qualtrics(
    http: httpx.AsyncClient, form: str, *, secret: str | None = HOOK_SECRET, header: bool = False
) -> httpx.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    url = "/hooks/qualtrics"
    if secret is not None and header:
        headers["X-Qtui-Hook-Secret"] = secret
    elif secret is not None:
        url += f"?secret={secret}"
    return await http.post(url, content=form.encode(), headers=headers)


def test_signature_vector_matches_the_sdk_algorithm():
    # hash_hmac('sha256', eventID . timestamp, secret), lowercase hex; a fixed vector.
    vector = "9993516a6cf2cb198df6311240c1a55e7f8b0b4cadd6a73851c77cc817975451"
    assert hmac.new(b"whsec", b"ev-11700000000", hashlib.sha256).hexdigest() == vector
    assert signing.sign("whsec", "ev-1", 1700000000) == vector
    assert signing.sign("whsec", "ev-1", "1700000000") == vector
    assert signing.sign("whsec", "ev-1", 1700000001) != vector


async def test_signed_oktave_event_is_stored_and_filed_under_its_survey(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_oktave(relay.http, oktave_event())
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "stored"
        [event] = relay.log.read_after(0, 10)
        assert (event.source, event.delivery_id, event.event_type, event.survey_id) == (
            "oktave",
            "ev-1",
            "response.started",
            "SV_abc",
        )
        assert event.verified


async def test_headers_are_matched_whatever_their_case(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_oktave(relay.http, oktave_event(), lower=True)
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "wrong"}, "does not match the event id and timestamp"),
        ({"timestamp": int(NOW) - 301}, "301s old"),
        ({"timestamp": int(NOW) + 400}, "far in the future"),
        ({"event_id": "ev-other"}, "body event_id 'ev-1' is not the signed"),
    ],
)
async def test_bad_oktave_deliveries_are_refused_with_a_reason(run_relay, change, reason):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_oktave(relay.http, oktave_event(), **change)
        assert answer.status_code == 401
        assert reason in answer.json()["error"]
        assert relay.log.count() == 0


async def test_timestamp_in_milliseconds_is_accepted_and_window_is_configurable(run_relay):
    async with run_relay(extra_sources=sources(window=10)) as relay:
        ok = await post_oktave(relay.http, oktave_event("ev-ms"), timestamp=int(NOW * 1000) - 5000)
        assert ok.status_code == 200, ok.text
        stale = await post_oktave(relay.http, oktave_event("ev-s"), timestamp=int(NOW) - 11)
        assert stale.status_code == 401
        assert "window 10s" in stale.json()["error"]


async def test_missing_oktave_headers_and_bad_bodies_get_their_own_answers(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        bare = await relay.http.post("/hooks/oktave", content=b"{}")
        assert bare.status_code == 401
        assert "missing Oktave-Event-Id" in bare.json()["error"]
        headers = oktave.signed_headers(OKTAVE_SECRET, "ev-9", int(NOW))
        broken = await relay.http.post("/hooks/oktave", content=b"{not json", headers=headers)
        assert broken.status_code == 400
        assert "not valid JSON" in broken.json()["error"]
        untyped = await relay.http.post(
            "/hooks/oktave", content=json.dumps({"event_id": "ev-9"}).encode(), headers=headers
        )
        assert untyped.status_code == 400
        assert '"type"' in untyped.json()["error"]


async def test_a_replayed_event_with_a_new_attempt_id_is_stored_once(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        first = oktave_event("ev-r")
        again = {**first, "id": "another-attempt"}
        assert first["id"] != again["id"]
        one = await post_oktave(relay.http, first)
        two = await post_oktave(relay.http, again)
        assert one.json()["status"] == "stored"
        assert two.json() == {"status": "duplicate", "seq": one.json()["seq"]}
        assert relay.log.count() == 1


async def test_qualtrics_callback_is_stored_as_its_fields(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_qualtrics(relay.http, qualtrics_form())
        assert answer.status_code == 200, answer.text
        [event] = relay.log.read_after(0, 10)
        assert event.source == "qualtrics"
        assert event.event_type == "surveyengine.completedResponse"
        assert event.survey_id == "SV_abc"
        assert event.delivery_id == "R_1:surveyengine.completedResponse.SV_abc"
        assert event.envelope_json()["ResponseID"] == "R_1"
        assert event.envelope_json()["BrandID"] == "sandbox"


async def test_qualtrics_secret_may_come_in_a_header_and_either_subscription_works(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_qualtrics(
            relay.http, qualtrics_form(), secret="sub-secret-2", header=True
        )
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("secret", "form", "status", "reason"),
    [
        (None, qualtrics_form(), 401, "missing subscription secret"),
        ("nope", qualtrics_form(), 401, "does not match"),
        (HOOK_SECRET, "Status=Complete&SurveyID=SV_abc", 400, '"Topic"'),
        (HOOK_SECRET, "", 400, "body is empty"),
        (
            HOOK_SECRET,
            urllib.parse.urlencode({"Topic": "surveyengine.completedResponse.SV_abc"}),
            400,
            "neither ResponseID nor RecipientID",
        ),
    ],
)
async def test_bad_qualtrics_callbacks_are_refused(run_relay, secret, form, status, reason):
    async with run_relay(extra_sources=sources()) as relay:
        answer = await post_qualtrics(relay.http, form, secret=secret)
        assert answer.status_code == status
        assert reason in answer.json()["error"]


async def test_qualtrics_dedup_is_response_and_topic(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        first = await post_qualtrics(relay.http, qualtrics_form())
        same = await post_qualtrics(relay.http, qualtrics_form(CompletedDate="2026-11-25 14:00:09"))
        partial = await post_qualtrics(
            relay.http,
            qualtrics_form(topic="surveyengine.partialResponse.SV_abc", Status="Partial"),
        )
        assert first.json()["status"] == "stored"
        assert same.json()["status"] == "duplicate"
        assert partial.json()["status"] == "stored"
        assert relay.log.count() == 2


def test_delivery_key_names_each_sources_idempotency_key():
    assert delivery_key("questra", {"x-questra-delivery": "d-1"}, {}) == "d-1"
    assert delivery_key("oktave", {}, {"id": "attempt-2", "event_id": "ev-1"}) == "ev-1"
    fields = {"Topic": "surveyengine.completedResponse.SV_a", "ResponseID": "R_9"}
    assert delivery_key("qualtrics", {}, fields) == "R_9:surveyengine.completedResponse.SV_a"
    started = {"Topic": "surveyengine.startedRecipientSession.SV_a", "RecipientID": "MLRP_3"}
    assert delivery_key("qualtrics", {}, started) == (
        "MLRP_3:surveyengine.startedRecipientSession.SV_a"
    )
    assert delivery_key("oktave", {}, {"id": "x"}) is None


async def test_all_sources_share_one_seq_and_the_stream_filters_by_source_and_survey(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        await relay.stored("survey.created", {"id": "q-survey", "name": "Q"})
        await post_oktave(relay.http, oktave_event("ev-a", survey="SV_abc"))
        await post_qualtrics(relay.http, qualtrics_form())
        await post_oktave(relay.http, oktave_event("ev-b", survey="SV_other"))
        seqs = [e.seq for e in relay.log.read_after(0, 10)]
        assert seqs == [1, 2, 3, 4]

        page = (
            await relay.http.get("/events?after=0&source=oktave,qualtrics&survey=SV_abc")
        ).json()
        assert [(e["seq"], e["source"]) for e in page["events"]] == [
            (2, "oktave"),
            (3, "qualtrics"),
        ]
        only_q = (await relay.http.get("/events?after=0&source=questra")).json()
        assert [e["seq"] for e in only_q["events"]] == [1]

        url = f"{relay.ws_url}/stream?after=0&source=qualtrics&source=oktave&survey=SV_abc"
        async with websockets.connect(url) as ws:
            backlog = [json.loads(await ws.recv()) for _ in range(2)]
            assert [f["seq"] for f in backlog] == [2, 3]
            await relay.stored("page.created", {"id": "p", "survey_id": "SV_abc"})
            await post_oktave(relay.http, oktave_event("ev-c", survey="SV_abc"))
            frame = json.loads(await ws.recv())
            while frame["type"] != "event":
                frame = json.loads(await ws.recv())
            assert (frame["seq"], frame["source"]) == (6, "oktave")


async def test_questra_still_signed_as_before_beside_fieldwork_sources(run_relay):
    async with run_relay(extra_sources=sources()) as relay:
        bad = await relay.deliver("survey.created", {"id": "s"}, secret="wrong" + SECRET)
        assert bad.status_code == 401
        unknown = await relay.http.post("/hooks/nope", content=b"{}")
        assert unknown.status_code == 404
        assert "oktave" in unknown.json()["error"] and "qualtrics" in unknown.json()["error"]
