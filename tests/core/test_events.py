import json

import pytest

from qtui.core.events import Deleted, EventError, ProgrammingJob, parse_event
from qtui.core.models import Block, NavigationRule, Survey
from tests.core.seed_events import SEED_EVENTS


@pytest.mark.parametrize("envelope", SEED_EVENTS, ids=[e["event"] for e in SEED_EVENTS])
def test_every_seed_event_parses_to_its_typed_event(envelope):
    event = parse_event(json.dumps(envelope).encode())
    assert event.type == envelope["event"]
    assert event.is_known
    expected = {
        "survey": Survey,
        "programming": ProgrammingJob,
        "block": Block,
        "navigation_rule": NavigationRule,
    }
    if envelope["event"].endswith(".deleted"):
        assert isinstance(event.data, Deleted)
    elif event.entity in expected:
        assert isinstance(event.data, expected[event.entity])
    assert event.data.dump() == envelope["data"] or event.entity == "survey"


def test_navigation_rule_keeps_embedded_source_and_target_pages():
    env = next(e for e in SEED_EVENTS if e["event"] == "navigation_rule.created")
    rule = parse_event(env).data
    assert rule.condition == "q1.value == '1'"
    assert rule.dump()["targetPage"]["name"] == "Disqualified"


def test_programming_finished_status_is_read():
    env = next(e for e in SEED_EVENTS if e["event"] == "programming.finished")
    assert parse_event(env).data.status == "completed"


def test_changeset_events_are_typed():
    event = parse_event(
        {
            "event": "changeset-started",
            "timestamp": "2025-04-01T10:03:00Z",
            "data": {
                "id": "c1",
                "survey_id": "s1",
                "type": "ai_prompt",
                "status": "in_progress",
                "title": "Applied agent revision",
            },
        }
    )
    assert (event.entity, event.action, event.data.title) == (
        "changeset",
        "started",
        "Applied agent revision",
    )


def test_unknown_event_type_is_kept_not_fatal():
    body = {"event": "quota.filled", "timestamp": "2025-04-01T10:00:00Z", "data": {"x": 1}}
    event = parse_event(body)
    assert event.entity == "unknown" and not event.is_known
    assert event.payload == body and event.data == {"x": 1}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b'{"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": {"id"',
            "truncated JSON",
        ),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"timestamp": "2025-04-01T10:00:00Z", "data": {}}', "event: missing"),
        (b'{"event": "page.created", "data": {"id": "p"}}', "timestamp: missing"),
        (
            b'{"event": "page.created", "timestamp": "yesterday", "data": {"id": "p"}}',
            "timestamp: not an ISO date-time",
        ),
        (
            b'{"event": "page.created", "timestamp": "2025-04-01T10:00:00Z", "data": []}',
            "data: expected an object",
        ),
        (
            b'{"event": "block.created", "timestamp": "2025-04-01T10:00:00Z", '
            b'"data": {"id": "b", "page_id": "p"}}',
            "data.config: Field required",
        ),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_bodies_raise_a_message_naming_the_problem(body, message):
    with pytest.raises(EventError) as err:
        parse_event(body)
    assert message in str(err.value)
