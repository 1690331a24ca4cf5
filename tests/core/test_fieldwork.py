"""The fieldwork tally: folding Oktave and Qualtrics events into one survey's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qtui.core.fieldwork import (
    FieldworkError,
    FieldworkTally,
    QualtricsCallback,
    SurveyShape,
    oktave_survey_id,
    qualtrics_delivery_key,
)
from qtui.sandbox import oktave

T0 = 1_764_000_000.0
SHAPE = SurveyShape(
    page_order=("p1", "p2", "p3", "end"),
    page_names={"p1": "Age", "p2": "Region", "p3": "Usage", "end": "Terminate"},
    page_of={"QID1": "p1", "QID2": "p2", "QID3": "p3", "QID9": "end", "age": "p1", "region": "p2"},
    ending={"end": "screened_out"},
)


def frame(seq: int, source: str, envelope: dict, received: str = "2026-11-25T14:00:00+00:00"):
    return {
        "type": "event",
        "seq": seq,
        "source": source,
        "envelope": envelope,
        "received_at": received,
    }


def q(topic: str, survey: str = "SV_a", **fields: str) -> dict[str, str]:
    return {"Topic": f"surveyengine.{topic}.{survey}", "SurveyID": survey, "BrandID": "b", **fields}


def test_a_qualtrics_respondent_goes_from_started_to_its_recorded_end():
    tally = FieldworkTally(SHAPE)
    tally.apply_frame(
        frame(
            1,
            "qualtrics",
            q("startedRecipientSession", RecipientID="MLRP_1", StartedDate="2026-11-25 14:00:00"),
        )
    )
    figures = tally.figures()
    assert (figures.started, figures.in_progress, figures.completed) == (1, 1, 0)
    tally.apply_frame(
        frame(
            2,
            "qualtrics",
            q(
                "completedResponse",
                RecipientID="MLRP_1",
                ResponseID="R_1",
                Status="Complete",
                CompletedDate="2026-11-25 14:06:00",
            ),
        )
    )
    figures = tally.figures()
    assert (figures.started, figures.in_progress, figures.completed) == (1, 0, 1)
    assert figures.median_loi_s == 360
    assert tally.wants_detail() == [("SV_a", "R_1")]


def test_the_response_detail_decides_screen_outs_and_pages():
    tally = FieldworkTally(SHAPE)
    tally.apply_frame(
        frame(1, "qualtrics", q("completedResponse", RecipientID="M1", ResponseID="R_1"))
    )
    tally.apply_frame(
        frame(2, "qualtrics", q("completedResponse", RecipientID="M2", ResponseID="R_2"))
    )
    tally.apply_frame(
        frame(
            3,
            "qualtrics",
            q("partialResponse", RecipientID="M3", ResponseID="R_3", Status="Partial"),
        )
    )
    tally.apply_detail(
        "R_1",
        {
            "values": {"finished": 1, "Q_TerminateFlag": "Screened"},
            "displayedFields": ["QID1", "QID9"],
        },
    )
    tally.apply_detail(
        "R_2",
        {"values": {"finished": 1, "duration": 300}, "displayedFields": ["QID1", "QID2", "QID3"]},
    )
    tally.apply_detail("R_3", {"values": {"finished": 0}, "displayedFields": ["QID2", "QID1"]})
    figures = tally.figures()
    assert (figures.completed, figures.screened_out, figures.partial) == (1, 1, 1)
    assert figures.incidence == 0.5
    assert figures.median_loi_s == 300
    pages = {p.page_id: (p.reached, p.dropped, p.ended) for p in figures.pages}
    # ended: every response that ended on the page, the complete on p3 as the screen-out
    assert pages == {"p1": (3, 0, 0), "p2": (2, 1, 0), "p3": (1, 0, 1), "end": (1, 0, 1)}
    assert tally.wants_detail() == []
    assert tally.route_counts([("p1", "p2", "p3"), ("p1", "end"), ("p1", "p2")]) == [
        (("p1", "p2", "p3"), 1),
        (("p1", "end"), 1),
        (("p1", "p2"), 0),  # a partial response took no route to an end
    ]


def test_a_detail_that_arrives_before_its_callback_is_kept():
    tally = FieldworkTally(SHAPE)
    tally.apply_detail("R_1", {"values": {"finished": 1, "Q_TerminateFlag": "QuotaMet"}})
    tally.apply_frame(frame(1, "qualtrics", q("completedResponse", ResponseID="R_1")))
    assert tally.figures().over_quota == 1


def test_repeated_deliveries_change_nothing():
    tally = FieldworkTally(SHAPE)
    started = q("startedRecipientSession", RecipientID="M1")
    assert tally.apply_frame(frame(1, "qualtrics", started))
    assert not tally.apply_frame(frame(2, "qualtrics", dict(started)))
    camp = oktave.campaign("SV_a")
    resp = oktave.response("r-1", camp, status="started", started_at=T0, now=T0)
    env = oktave.envelope("response.started", resp, event_id="e1", timestamp=int(T0), is_test=False)
    assert tally.apply_frame(frame(3, "oktave", env))
    retry = {**env, "id": "second-attempt"}
    assert not tally.apply_frame(frame(4, "oktave", retry))
    assert tally.figures().started == 2
    assert tally.figures().sources == {"qualtrics": 1, "oktave": 1}


def test_oktave_responses_answers_incidents_and_blacklist():
    tally = FieldworkTally(SHAPE)
    camp = oktave.campaign("SV_a")
    age = oktave.component("age", 1)
    region = oktave.component("region", 2)
    started = oktave.response(
        "r-1",
        camp,
        status="started",
        started_at=T0,
        now=T0,
        answers=[oktave.answer("r-1", age, choices=["25-34"], now=T0)],
    )
    events = [
        ("response.started", started),
        ("answer.saved", oktave.answer("r-1", region, choices=["North"], now=T0 + 30)),
        ("answer.saved", oktave.answer("r-unknown", region, choices=["North"], now=T0 + 30)),
        ("response.completed", {**started, "status": "completed", "completed_at": int(T0 + 240)}),
    ]
    for seq, (kind, data) in enumerate(events, 1):
        tally.apply_frame(
            frame(
                seq,
                "oktave",
                oktave.envelope(kind, data, event_id=f"e{seq}", timestamp=int(T0), is_test=False),
            )
        )
    inc = oktave.incident("i-1", "Low score", "Call back", started, created_at=T0, now=T0)
    note = oktave.comment("i-1", "Called", "opened", "Ann", now=T0 + 60)
    later = oktave.incident(
        "i-1", "Low score", "Call back", started, comments=[note], created_at=T0, now=T0 + 60
    )
    # The update arrives first; the older create must not overwrite it.
    tally.apply_oktave(
        oktave.envelope(
            "incident.updated", later, event_id="e10", timestamp=int(T0 + 60), is_test=False
        )
    )
    tally.apply_oktave(
        oktave.envelope("incident.created", inc, event_id="e11", timestamp=int(T0), is_test=False)
    )
    tally.apply_oktave(
        oktave.envelope(
            "blacklist_item.created",
            oktave.blacklist_item("a@b.c", camp, now=T0),
            event_id="e12",
            timestamp=int(T0),
            is_test=False,
        )
    )
    figures = tally.figures()
    assert (figures.started, figures.completed) == (1, 1)
    assert figures.median_loi_s == 240
    assert {p.page_id: p.reached for p in figures.pages} == {"p1": 1, "p2": 1, "p3": 0, "end": 0}
    [incident] = figures.incidents
    assert incident.status == "opened" and incident.comments[0].solver == "Ann"
    assert figures.blacklisted == 1 and figures.blacklist_by_status == {"unsubscribed": 1}


def test_completes_per_bucket_and_rate():
    tally = FieldworkTally(SHAPE)
    base = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    for i, minutes in enumerate([0, 30, 60, 61, 179]):
        when = (base + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S")
        tally.apply_qualtrics(q("completedResponse", ResponseID=f"R_{i}", CompletedDate=when))
    figures = tally.figures(now=base + timedelta(hours=3), buckets=4)
    assert figures.completes_by_bucket == (2, 2, 1, 0)
    assert figures.completes_per_hour == pytest.approx(4 / (179 / 60))


def test_unusable_payloads_are_named():
    with pytest.raises(FieldworkError, match="Topic"):
        QualtricsCallback.from_form({"Status": "Complete"})
    with pytest.raises(FieldworkError, match="neither"):
        qualtrics_delivery_key(
            QualtricsCallback.from_form({"Topic": "surveyengine.completedResponse.SV_a"})
        )
    assert (
        QualtricsCallback.from_form({"Topic": "surveyengine.completedResponse.SV_zz"}).SurveyID
        == "SV_zz"
    )
    assert oktave_survey_id("answer.saved", {"response_id": "r"}) is None
    assert (
        oktave_survey_id("incident.created", {"response": {"campaign": {"survey_id": "S"}}}) == "S"
    )
    tally = FieldworkTally()
    assert not tally.apply_frame({"type": "heartbeat"})
    assert not tally.apply_frame(frame(1, "questra", {"event": "page.created"}))
    malformed = {"event_id": "e", "type": "response.started", "data": {"answers": 3}}
    assert tally.apply_oktave(malformed)
    assert tally.malformed == 1 and tally.figures().started == 0
