"""Fixed fieldwork for the screener test survey: relay frames as the relay sends them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from qtui.sandbox import oktave
from qtui.tui.app import QtuiApp
from tests.tui.envelopes import T0

SV = "SV_snapshot000001"


def callback(seq: int, topic: str, n: int, minutes: float, **extra: str) -> dict[str, Any]:
    moment = T0 + timedelta(minutes=minutes)
    fields = {
        "Topic": f"surveyengine.{topic}.{SV}",
        "SurveyID": SV,
        "BrandID": "sandbox",
        "RecipientID": f"MLRP_{n}",
        **extra,
    }
    if topic == "startedRecipientSession":
        fields["StartedDate"] = moment.strftime("%Y-%m-%d %H:%M:%S")
    else:
        fields["ResponseID"] = f"R_{n}"
        fields["CompletedDate"] = moment.strftime("%Y-%m-%d %H:%M:%S")
    return {
        "type": "event",
        "seq": seq,
        "source": "qualtrics",
        "survey_id": SV,
        "received_at": moment.isoformat(),
        "envelope": fields,
    }


def fieldwork_frames() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Frames for 12 respondents, and the Qualtrics response details of those recorded."""
    frames: list[dict[str, Any]] = []
    details: dict[str, dict[str, Any]] = {}
    seq = 0
    # (minute started, minutes taken, end, pages shown as reference names)
    plan = [
        (0, 4, "complete", ["q1", "q2", "q3"]),
        (1, 5, "complete", ["q1", "q2", "q3"]),
        (2, 1, "screened", ["q1"]),
        (3, 6, "complete", ["q1", "q2", "q3"]),
        (5, 2, "partial", ["q1", "q2"]),
        (6, 5, "complete", ["q1", "q2", "q3"]),
        (8, 1, "screened", ["q1"]),
        (9, 4, "complete", ["q1", "q2", "q3"]),
        (11, 3, "partial", ["q1"]),
        (12, 5, "complete", ["q1", "q2", "q3"]),
        (14, 0, None, []),
        (15, 0, None, []),
    ]
    for n, (start, took, end, shown) in enumerate(plan, 1):
        seq += 1
        frames.append(callback(seq, "startedRecipientSession", n, start))
        if end is None:
            continue
        seq += 1
        topic = "partialResponse" if end == "partial" else "completedResponse"
        frames.append(callback(seq, topic, n, start + took))
        values: dict[str, Any] = {"finished": 0 if end == "partial" else 1, "duration": took * 60}
        if end == "screened":
            values["Q_TerminateFlag"] = "Screened"
        details[f"R_{n}"] = {"values": values, "displayedFields": shown}
    camp = oktave.campaign(SV, "Streaming screener")
    resp = oktave.response("R_4", camp, status="completed", started_at=1.7e9, now=1.7e9)
    note = oktave.comment("inc-1", "Called back, waiting.", "opened", "Field team", now=1.7e9)
    incidents = [
        oktave.incident(
            "inc-1",
            "Unhappy respondent",
            "Low score",
            resp,
            comments=[note],
            created_at=1.7e9,
            now=1.7e9 + 60,
        ),
        oktave.incident(
            "inc-2", "Complaint about length", "Too long", resp, created_at=1.7e9, now=1.7e9 + 30
        ),
    ]
    for i, incident in enumerate(incidents):
        seq += 1
        frames.append(
            {
                "type": "event",
                "seq": seq,
                "source": "oktave",
                "survey_id": SV,
                "received_at": T0.isoformat(),
                "envelope": oktave.envelope(
                    "incident.created",
                    incident,
                    event_id=f"ev-{i}",
                    timestamp=1_700_000_000,
                    is_test=False,
                ),
            }
        )
    return frames, details


async def apply_fieldwork(app: QtuiApp) -> None:
    """The frames and the response details applied to the app's fieldwork, shown as live."""
    frames, details = fieldwork_frames()
    for frame in frames:
        await app.fieldwork.apply(frame)
    tally = app.fieldwork.tally(SV)
    assert tally is not None
    for response_id, detail in details.items():
        tally.apply_detail(response_id, detail)
    app.fieldwork.version += 1
    app.fieldwork.status = "live"
